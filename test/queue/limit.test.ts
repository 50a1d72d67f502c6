/**
 * The shared in-flight cap per model endpoint, on a real redis-server: the
 * semaphore itself (two connections, as two workers), expired leases, and
 * end to end two worker processes that together never exceed `--max-in-flight`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SharedSemaphore } from '../../src/queue/limit.js';
import { runCli } from '../support/cli.js';
import { ensureBuilt, tempDirSync } from '../support/providerCli.js';
import { startRedis, type RedisServer } from '../support/redisServer.js';
import { startWorkerProcess, type WorkerProcess } from '../support/queueWorkers.js';
import { startVllmServer, type VllmServer } from '../support/vllmServer.js';

let redis: RedisServer;
const clients: Redis[] = [];
const client = () => {
  const c = new Redis(redis.url, { maxRetriesPerRequest: null });
  clients.push(c);
  return c;
};

beforeEach(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  await redis.stop();
});

describe('SharedSemaphore', () => {
  it('two holders of the same endpoint key (two workers) never exceed the limit together, and reach it', async () => {
    const a = new SharedSemaphore(client(), 'http://m/v1', 3);
    const b = new SharedSemaphore(client(), 'http://m/v1', 3);
    let now = 0;
    let max = 0;
    await Promise.all(
      Array.from({ length: 16 }, async (_, i) => {
        const release = await (i % 2 ? a : b).acquire();
        max = Math.max(max, ++now);
        await new Promise((r) => setTimeout(r, 15)); // hold the slot a while (a model call)
        now--;
        await release();
      }),
    );
    expect(max).toBe(3);
    expect(await a.inFlight()).toBe(0);
  });

  it('a lease that was never given back (its worker died) expires; a waiter can be cancelled', async () => {
    const c = client();
    const s = new SharedSemaphore(c, 'http://m/v1', 1, { leaseMs: 10_000 });
    await c.zadd('gepa-aime:limit:http://m/v1', Date.now() - 1, 'dead-worker');
    const release = await s.acquire(); // the expired lease does not count
    const controller = new AbortController();
    const waiting = s.acquire(controller.signal);
    controller.abort();
    await expect(waiting).rejects.toThrow(/cancelled/);
    await release();
    expect(await s.inFlight()).toBe(0);
  });
});

describe('worker --max-in-flight', { timeout: 90_000 }, () => {
  let server: VllmServer;
  let work: string;
  let workers: WorkerProcess[] = [];
  beforeAll(() => ensureBuilt());
  beforeEach(async () => {
    server = await startVllmServer({ models: ['task-m'], delayMs: 100 });
    work = tempDirSync('gepa-queue-limit-');
  });
  afterEach(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    workers = [];
    await server.close();
    fs.rmSync(work, { recursive: true, force: true });
  });

  const optimize = (seed: string) => {
    const rows = Array.from({ length: 8 }, (_, i) => JSON.stringify({ input: `q${i}`, answer: 'ok' })).join('\n');
    const data = path.join(work, 'data.jsonl');
    fs.writeFileSync(data, `${rows}\n`);
    // Every answer is "ok", so the seed scores 1 and the run stops after validating it: 8 calls at once.
    return runCli([
      'optimize',
      '--train',
      data,
      '--val',
      data,
      '--seed-prompt',
      seed,
      '--provider',
      'vllm',
      '--api-base',
      server.apiBase,
      '--model',
      'task-m',
      '--max-metric-calls',
      '8',
      '--json',
      '--redis',
      redis.url,
    ]);
  };
  const workerArgs = (extra: string[]) => [
    '--redis',
    redis.url,
    '--provider',
    'vllm',
    '--api-base',
    server.apiBase,
    '--model',
    'task-m',
    '--concurrency',
    '4',
    ...extra,
  ];

  it('two workers of concurrency 4 keep at most --max-in-flight requests at the server together', async () => {
    workers = await Promise.all([startWorkerProcess(workerArgs(['--max-in-flight', '2'])), startWorkerProcess(workerArgs(['--max-in-flight', '2']))]);
    const r = await optimize('Answer.');
    expect(r.code, r.stderr).toBe(0);
    expect(server.requests.length).toBe(8);
    expect(server.maxInFlight).toBe(2);
  });

  it('without it, the same two workers send more at once (the cap above is what held them)', async () => {
    workers = await Promise.all([startWorkerProcess(workerArgs([])), startWorkerProcess(workerArgs([]))]);
    const r = await optimize('Answer!');
    expect(r.code, r.stderr).toBe(0);
    expect(server.maxInFlight).toBeGreaterThan(2);
  });
});
