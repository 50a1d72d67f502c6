/**
 * The shared in-flight cap per model endpoint: a counting semaphore in Redis
 * (a sorted set of leases scored by expiry, taken and given back by Lua
 * scripts, so each step is atomic). Every worker sharing the Redis counts
 * against the same cap, so ten workers never send a vLLM server more than it
 * was sized for. A lease expires unless renewed, so a worker killed mid-call
 * gives its slot back after `leaseMs`. BullMQ's own rate limiter caps jobs per
 * time, not requests in flight, hence this.
 */
import crypto from 'node:crypto';
import type { Redis } from 'ioredis';
import { abortedError } from '../llm/retry.js';
import type { ChatModel, ChatRequest, ChatResponse } from '../../contracts/llm.js';
import type { ModelSet } from '../runtime/models.js';
import { limitKey } from './names.js';

const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
  return 1
end
return 0`;

const RENEW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[2])`;

export interface SharedLimitOptions {
  leaseMs?: number;
  /** Longest wait between tries while the cap is reached. */
  maxPollMs?: number;
}

export class SharedSemaphore {
  private readonly leaseMs: number;
  private readonly maxPollMs: number;

  constructor(
    private readonly redis: Redis,
    readonly endpoint: string,
    readonly limit: number,
    opts: SharedLimitOptions = {},
  ) {
    this.leaseMs = opts.leaseMs ?? 10_000;
    this.maxPollMs = opts.maxPollMs ?? 20;
  }

  /** The Lua scripts as commands: sent once, then called by their SHA (EVALSHA). */
  private scripts(): Redis & {
    acquireLease(...args: (string | number)[]): Promise<unknown>;
    renewLease(...args: (string | number)[]): Promise<unknown>;
  } {
    const r = this.redis as Redis & Record<string, unknown>;
    if (typeof r['acquireLease'] !== 'function') {
      this.redis.defineCommand('acquireLease', { numberOfKeys: 1, lua: ACQUIRE });
      this.redis.defineCommand('renewLease', { numberOfKeys: 1, lua: RENEW });
    }
    return r as never;
  }

  /** Resolves with a release function once a slot is held. */
  async acquire(signal?: AbortSignal): Promise<() => Promise<void>> {
    const key = limitKey(this.endpoint);
    const token = crypto.randomBytes(8).toString('hex');
    let wait = 1;
    for (;;) {
      if (signal?.aborted) throw abortedError();
      const got = (await this.scripts().acquireLease(key, this.limit, this.leaseMs, token)) as number;
      if (got === 1) break;
      await new Promise((r) => setTimeout(r, wait + Math.random() * wait));
      wait = Math.min(this.maxPollMs, wait * 2);
    }
    const renew = setInterval(
      () =>
        void this.scripts()
          .renewLease(key, this.leaseMs, token)
          .catch(() => undefined),
      this.leaseMs / 3,
    );
    renew.unref();
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      clearInterval(renew);
      await this.redis.zrem(key, token).catch(() => undefined);
    };
  }

  /** Leases held now (for tests and `runs`). */
  async inFlight(): Promise<number> {
    const key = limitKey(this.endpoint);
    await this.redis.zremrangebyscore(key, '-inf', Date.now());
    return this.redis.zcard(key);
  }
}

class LimitedModel implements ChatModel {
  constructor(
    private readonly inner: ChatModel,
    private readonly semaphore: SharedSemaphore,
  ) {}

  get id(): string {
    return this.inner.id;
  }

  async complete(request: ChatRequest): Promise<ChatResponse> {
    const release = await this.semaphore.acquire(request.signal);
    try {
      return await this.inner.complete(request);
    } finally {
      // Given back without waiting for the reply: the answer is not held a round trip, and the
      // next command on this connection (the next acquire) runs after it anyway.
      void release();
    }
  }
}

/** The endpoint a model talks to, from its id (`provider:model@api_base`); none for local models. */
export function endpointOf(model: ChatModel): string | null {
  const at = model.id.indexOf('@');
  return at >= 0 ? model.id.slice(at + 1) : null;
}

/**
 * Every HTTP model of the set behind the shared cap of its endpoint. The cap
 * is `limit`, else `fallback` (the endpoint's max_concurrency); local models
 * (offline, replay) are left alone.
 */
export function withSharedLimit(models: ModelSet, redis: Redis, limit: number | undefined, fallback: number, opts: SharedLimitOptions = {}): ModelSet {
  const semaphores = new Map<string, SharedSemaphore>();
  const wrapped = new Map<ChatModel, ChatModel>();
  const wrap = (model: ChatModel): ChatModel => {
    const endpoint = endpointOf(model);
    if (!endpoint) return model;
    const known = wrapped.get(model);
    if (known) return known;
    let s = semaphores.get(endpoint);
    if (!s) {
      s = new SharedSemaphore(redis, endpoint, limit ?? fallback, opts);
      semaphores.set(endpoint, s);
    }
    const w = new LimitedModel(model, s);
    wrapped.set(model, w);
    return w;
  };
  return {
    planner: wrap(models.planner),
    actorFor: (persona) => wrap(models.actorFor(persona)),
    reflection: wrap(models.reflection),
    chat: wrap(models.chat),
    describe: () => models.describe(),
  };
}
