import { describe, expect, it } from 'vitest';
import { httpError, ProviderError } from '../../src/llm/openai/errors.js';
import { backoffDelay, parseRetryAfter, withRetries } from '../../src/llm/retry.js';
import { ModelError } from '../../contracts/llm.js';
import { recordingSleep } from './helpers.js';

const policy = { maxRetries: 4, baseMs: 100, capMs: 1000, maxRetryAfterMs: 60_000 };

/** An attempt function failing with the given errors, then succeeding. */
function failing(errors: Error[]) {
  let calls = 0;
  const fn = async () => {
    const err = errors[calls++];
    if (err) throw err;
    return 'ok';
  };
  return { fn, calls: () => calls };
}

const http = (status: number, retryAfterMs?: number) => httpError('srv', status, '{"message":"nope"}', retryAfterMs !== undefined ? { retryAfterMs } : {});

describe('backoff', () => {
  it('is exponential with full jitter, capped', () => {
    expect([0, 1, 2, 3, 4, 5].map((n) => backoffDelay(n, policy, () => 0.999999))).toEqual([99, 199, 399, 799, 999, 999]);
    expect([0, 1, 2].map((n) => backoffDelay(n, policy, () => 0.5))).toEqual([50, 100, 200]);
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
  });

  it('waits the jittered sequence between retries of 5xx and then succeeds', async () => {
    const { sleep, delays } = recordingSleep();
    const f = failing([http(500), http(502), http(503)]);
    await expect(withRetries(f.fn, { policy, sleep, random: () => 0.5 })).resolves.toBe('ok');
    expect(f.calls()).toBe(4);
    expect(delays).toEqual([50, 100, 200]);
  });
});

describe('Retry-After', () => {
  it('parses delta-seconds and HTTP dates', () => {
    const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('0.5', now)).toBe(500);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:27:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(['2'], now)).toBe(2000);
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });

  it('is honoured instead of the backoff on 429', async () => {
    const { sleep, delays } = recordingSleep();
    const f = failing([http(429, 2000), http(429)]);
    await expect(withRetries(f.fn, { policy, sleep, random: () => 0.5 })).resolves.toBe('ok');
    expect(delays).toEqual([2000, 100]);
  });

  it('a Retry-After beyond the limit is reported, not waited for', async () => {
    const { sleep, delays } = recordingSleep();
    const f = failing([http(429, 3_600_000)]);
    await expect(withRetries(f.fn, { policy, sleep })).rejects.toThrow(/asked to retry after 3600 s/);
    expect(delays).toEqual([]);
  });
});

describe('what is retried', () => {
  it.each([400, 401, 403, 404, 422])('does not retry HTTP %i', async (status) => {
    const { sleep, delays } = recordingSleep();
    const f = failing([http(status)]);
    await expect(withRetries(f.fn, { policy, sleep })).rejects.toMatchObject({ status, kind: 'http' });
    expect(f.calls()).toBe(1);
    expect(delays).toEqual([]);
  });

  it('retries network faults and timeouts but not protocol errors', async () => {
    const { sleep } = recordingSleep();
    const net = failing([new ProviderError('reset', 'network', true), new ProviderError('slow', 'timeout', true)]);
    await expect(withRetries(net.fn, { policy, sleep })).resolves.toBe('ok');
    const proto = failing([new ProviderError('bad json', 'protocol', false)]);
    await expect(withRetries(proto.fn, { policy, sleep })).rejects.toMatchObject({ kind: 'protocol' });
    expect(proto.calls()).toBe(1);
  });

  it('caps attempts at max_retries + 1 and says so', async () => {
    const { sleep, delays } = recordingSleep();
    const f = failing(Array.from({ length: 10 }, () => http(500)));
    const err = await withRetries(f.fn, { policy: { ...policy, maxRetries: 2 }, sleep, random: () => 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect((err as ModelError).message).toBe('srv: HTTP 500: nope (gave up after 3 attempts)');
    expect(f.calls()).toBe(3);
    expect(delays).toHaveLength(2);
  });

  it('max_retries 0 means one attempt', async () => {
    const f = failing([http(503)]);
    await expect(withRetries(f.fn, { policy: { ...policy, maxRetries: 0 }, sleep: async () => {} })).rejects.toThrow('srv: HTTP 503: nope');
    expect(f.calls()).toBe(1);
  });

  it('stops waiting when the signal aborts', async () => {
    const controller = new AbortController();
    const f = failing([http(500), http(500)]);
    const sleep = async () => {
      controller.abort();
      throw new ModelError('cancelled', 'aborted');
    };
    await expect(withRetries(f.fn, { policy, sleep, signal: controller.signal })).rejects.toMatchObject({ kind: 'aborted' });
    expect(f.calls()).toBe(1);
  });
});
