/**
 * The event stream behind a run handle: every event is kept, and each
 * `iterate()` starts from the first one, so a consumer that subscribes late
 * (or twice) still sees the whole run. The stream ends after `close()`, or
 * throws the error given to `fail()`.
 */
export class EventChannel<E> {
  private readonly events: E[] = [];
  private wake: (() => void)[] = [];
  private ended: { error?: unknown } | null = null;

  push(event: E): void {
    if (this.ended) return; // nothing follows the end
    this.events.push(event);
    this.notify();
  }

  close(): void {
    if (this.ended) return;
    this.ended = {};
    this.notify();
  }

  fail(error: unknown): void {
    if (this.ended) return;
    this.ended = { error };
    this.notify();
  }

  async *iterate(): AsyncGenerator<E, void, undefined> {
    let i = 0;
    for (;;) {
      if (i < this.events.length) {
        yield this.events[i++]!;
        continue;
      }
      if (this.ended) {
        if ('error' in this.ended) throw this.ended.error;
        return;
      }
      await new Promise<void>((resolve) => this.wake.push(resolve));
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = [];
    for (const w of wake) w();
  }
}

/**
 * What every library handle shares: an abort controller of its own, linked
 * to the caller's signal; its event channel; and how its work ends the
 * channel (`end` pushes the last events; a failure the handle does not turn
 * into an event fails the stream).
 */
export class HandleCore<E> {
  readonly controller = new AbortController();
  readonly channel = new EventChannel<E>();
  private readonly onAbort: () => void;

  constructor(private readonly outer?: AbortSignal) {
    this.onAbort = () => this.controller.abort(outer?.reason);
    if (outer?.aborted) this.onAbort();
    else outer?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Ends the channel with `work`, and unlinks the caller's signal. `failed` returns false to fail the stream with the error. */
  settle<T>(work: Promise<T>, end: (out: T) => void, failed: (err: unknown) => boolean = () => false): void {
    work.then(
      (out) => {
        end(out);
        this.channel.close();
      },
      (err) => {
        if (failed(err)) this.channel.close();
        else this.channel.fail(err);
      },
    );
    work.finally(() => this.outer?.removeEventListener('abort', this.onAbort)).catch(() => {});
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  cancel = (reason?: string): void => this.controller.abort(reason ?? 'cancelled by the caller');

  events = (): AsyncIterableIterator<E> => this.channel.iterate();
}
