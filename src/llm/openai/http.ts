/**
 * One HTTP exchange over an undici pool. request_timeout is an idle
 * watchdog per attempt: the attempt is abandoned when the server sends
 * nothing (no headers, no body bytes) for that long, however long a healthy
 * stream runs. Our own timer is used because undici's timeouts have about
 * one second of resolution.
 */
import type { Dispatcher, Pool } from 'undici';
import { abortedError } from '../retry.js';
import { ModelError } from '../../../contracts/llm.js';
import { ProviderError, transportError } from './errors.js';

/** Whole (non-streamed) bodies bigger than this are refused. */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

export type HttpResponse = Dispatcher.ResponseData;

/** An abort signal that fires after `ms` or when `outer` does, and whether it was the timer (`expired`). */
class TimedAbort {
  private readonly controller = new AbortController();
  protected readonly timer: NodeJS.Timeout;
  private readonly onOuterAbort = () => this.controller.abort();
  expired = false;

  constructor(
    readonly ms: number,
    protected readonly outer?: AbortSignal,
  ) {
    this.timer = setTimeout(() => {
      this.expired = true;
      this.controller.abort();
    }, ms);
    if (outer?.aborted) this.controller.abort();
    else outer?.addEventListener('abort', this.onOuterAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  end(): void {
    clearTimeout(this.timer);
    this.outer?.removeEventListener('abort', this.onOuterAbort);
  }
}

/** The lifetime of one attempt: its abort signal, idle timer and error mapping. */
export class Attempt extends TimedAbort {
  constructor(
    readonly where: string,
    timeoutMs: number,
    outer?: AbortSignal,
  ) {
    super(timeoutMs, outer);
  }

  /** Progress: restart the idle timer. */
  touch(): void {
    this.timer.refresh();
  }

  /** Any error of this attempt as a ModelError: ours pass through, timeouts and aborts are named. */
  failure(err: unknown): ModelError {
    if (err instanceof ModelError) return err;
    if (this.expired) return new ProviderError(`${this.where}: no response within request_timeout (${this.ms / 1000} s)`, 'timeout', true);
    if (this.outer?.aborted) return abortedError();
    return transportError(this.where, err);
  }
}

export interface SendOptions {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
}

export async function send(pool: Pool, opts: SendOptions, attempt: Attempt): Promise<HttpResponse> {
  const url = new URL(opts.url);
  try {
    const res = await pool.request({
      path: `${url.pathname}${url.search}`,
      method: opts.method,
      headers: {
        accept: 'application/json, text/event-stream',
        ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...opts.headers,
      },
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      // The watchdog above is the timeout; undici's own are off.
      headersTimeout: 0,
      bodyTimeout: 0,
      signal: attempt.signal,
    });
    attempt.touch();
    return res;
  } catch (err) {
    throw attempt.failure(err);
  }
}

/**
 * Iterate body chunks, at most `maxBytes` in all; read errors (cut connections) become ModelErrors.
 * The idle timer restarts when `each` made progress: a stream of only keep-alive comments
 * (`: ping`) does not count, or a server could hold a request forever.
 */
export async function forEachChunk(res: HttpResponse, attempt: Attempt, each: (chunk: Uint8Array) => boolean | void, maxBytes = MAX_BODY_BYTES): Promise<void> {
  let size = 0;
  try {
    for await (const chunk of res.body) {
      size += (chunk as Uint8Array).length;
      if (size > maxBytes)
        throw new ProviderError(`${attempt.where}: the reply is larger than max_response_bytes (${maxBytes} bytes); it was cut off`, 'protocol', false);
      if (each(chunk as Uint8Array) !== false) attempt.touch();
    }
  } catch (err) {
    res.body.destroy();
    throw attempt.failure(err);
  }
}

/** The whole body as text, capped. */
export async function readText(res: HttpResponse, attempt: Attempt, maxBytes = MAX_BODY_BYTES): Promise<string> {
  const chunks: Uint8Array[] = [];
  await forEachChunk(res, attempt, (chunk) => void chunks.push(chunk), maxBytes);
  return Buffer.concat(chunks).toString('utf8');
}

/** The total deadline of one request, retries included. */
export class RequestDeadline extends TimedAbort {}
