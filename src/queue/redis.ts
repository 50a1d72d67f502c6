/**
 * Connecting to Redis: one place that parses the URL, checks the server
 * answers before anything is queued (a wrong URL is bad usage, not a hang),
 * and gives BullMQ connections that reconnect on their own.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { AppError } from '../../contracts/errors.js';

/** A Redis that cannot be reached, or a --redis value that is not a Redis URL: the user's to fix (exit 2). */
export class QueueConnectionError extends AppError {
  readonly category = 'usage' as const;
}

/** `redis://[user:pass@]host:port[/db]` or `rediss://...`; anything else is refused with the reason. */
export function parseRedisUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new QueueConnectionError(`--redis "${url}" is not a URL; expected e.g. redis://127.0.0.1:6379`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new QueueConnectionError(`--redis "${url}": the scheme must be redis:// or rediss://, not ${parsed.protocol}//`);
  }
  if (!parsed.hostname) throw new QueueConnectionError(`--redis "${url}" names no host`);
  return parsed;
}

/** What a URL is shown as: never with its password. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/**
 * Options for long-lived BullMQ connections: commands wait for a reconnect
 * instead of failing (BullMQ requires maxRetriesPerRequest null), and the
 * reconnect delay grows to at most a second.
 */
export function connectionOptions(): RedisOptions {
  return {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    // A Redis loading its data after a restart says so; ask again soon (ioredis waits up to 10 s by default).
    maxLoadingRetryTime: 200,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 5), 1000),
  };
}

export function connect(url: string, extra: RedisOptions = {}): Redis {
  parseRedisUrl(url);
  return new Redis(url, { ...connectionOptions(), ...extra });
}

/** One round trip with a short timeout and no retries: is a Redis server there? */
export async function checkReachable(url: string, timeoutMs = 3000): Promise<void> {
  parseRedisUrl(url);
  const probe = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
    enableOfflineQueue: false,
  });
  let lastError: unknown = null;
  probe.on('error', (err) => (lastError = err));
  try {
    await probe.connect();
    const pong = await probe.ping();
    if (pong !== 'PONG') throw new Error(`it answered PING with ${String(pong)}`);
  } catch (err) {
    const reason = (lastError ?? err) instanceof Error ? ((lastError ?? err) as Error).message : String(lastError ?? err);
    throw new QueueConnectionError(`cannot reach Redis at ${displayUrl(url)}: ${reason}`);
  } finally {
    probe.disconnect();
  }
}
