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
