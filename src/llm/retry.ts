/**
 * Retry policy: exponential backoff with full jitter (delay drawn uniformly
 * from [0, min(cap, base * 2^n)]), the server's Retry-After when it gives
 * one, and a cap on attempts. Sleep, randomness and the clock are injected so
 * tests run instantly and deterministically.
 */
import { isRetryable, ProviderError } from './openai/errors.js';
import { ModelError } from '../../contracts/llm.js';

export interface RetryPolicy {
  /** Retries after the first attempt; 0 means one attempt. */
  maxRetries: number;
  baseMs: number;
  capMs: number;
  /** A Retry-After longer than this is not waited for: the error is reported instead. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: Omit<RetryPolicy, 'maxRetries'> = { baseMs: 500, capMs: 8_000, maxRetryAfterMs: 60_000 };

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const realSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(abortedError());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortedError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

export function abortedError(): ModelError {
  return new ModelError('the model call was cancelled', 'aborted');
}

/** Full jitter: uniform in [0, min(cap, base * 2^retry)]. `retry` counts from 0. */
export function backoffDelay(retry: number, policy: Pick<RetryPolicy, 'baseMs' | 'capMs'>, random: () => number): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(retry, 30));
  return Math.floor(random() * ceiling);
}

/** Retry-After as ms: delta-seconds or an HTTP date. Undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return undefined;
  const trimmed = raw.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

export interface RetryOptions {
  policy: RetryPolicy;
  sleep?: Sleep;
  random?: () => number;
  signal?: AbortSignal;
  /** Called before each wait; for logs and tests. */
  onRetry?: (info: { attempt: number; delayMs: number; error: ModelError }) => void;
}

/** Runs `attempt` until it succeeds, fails for good, or the attempts run out. */
export async function withRetries<T>(attempt: (n: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const sleep = opts.sleep ?? realSleep;
  const random = opts.random ?? Math.random;
  const total = opts.policy.maxRetries + 1;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (opts.signal?.aborted) throw abortedError();
      const error = err instanceof ModelError ? err : new ModelError(String(err), 'network');
      if (!isRetryable(error)) throw error;
      if (n >= total) throw gaveUp(error, n);
      const retryAfter = error instanceof ProviderError ? error.retryAfterMs : undefined;
      if (retryAfter !== undefined && retryAfter > opts.policy.maxRetryAfterMs) {
        throw new ModelError(
          `${error.message} (the server asked to retry after ${Math.round(retryAfter / 1000)} s; not waiting that long)`,
          error.kind,
          error.status,
        );
      }
      const delayMs = retryAfter ?? backoffDelay(n - 1, opts.policy, random);
      opts.onRetry?.({ attempt: n, delayMs, error });
      await sleep(delayMs, opts.signal);
    }
  }
}

function gaveUp(error: ModelError, attempts: number): ModelError {
  const suffix = attempts > 1 ? ` (gave up after ${attempts} attempts)` : '';
  return new ModelError(`${error.message}${suffix}`, error.kind, error.status);
}
