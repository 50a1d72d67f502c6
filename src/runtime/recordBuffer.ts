/**
 * A numbered, in-memory log of JSON records with batched fan-out. Records are
 * queued as objects and serialised once per turn of the event loop, so the
 * producer (XState's inspection callback) pays only for a push; the batch
 * then goes to the sinks (a file), the live listeners (browsers) and the
 * buffer a late joiner is replayed from. Memory is bounded: past the limit
 * the oldest unpinned records are dropped and replays say how many.
 */

export interface LineBatch {
  /** One JSON text per record, in order. */
  lines: string[];
  /** Sequence number of the last line (the first is lastSeq - lines.length + 1 when nothing was dropped). */
  lastSeq: number;
}

export interface Replay extends LineBatch {
  /** Records dropped from memory before this replay could include them. */
  dropped: number;
}

/** Anything a dashboard can stream from: replay then follow. */
export interface LineSource {
  /** The records after `afterSeq` (all when omitted) still in memory. */
  replay(afterSeq?: number): Replay;
  /** Called with every later batch; returns the unsubscribe function. */
  subscribe(listener: (batch: LineBatch) => void): () => void;
}

interface Entry {
  seq: number;
  line: string;
  pinned: boolean;
}

export interface RecordBufferOptions {
  /** Budget for the in-memory replay buffer, in characters of JSON. */
  maxBytes?: number;
  /** Receives each batch as text of whole lines (JSONL), e.g. to append to a file. */
  sink?: (text: string) => void;
}

export const DEFAULT_MAX_BUFFER_BYTES = 64 * 2 ** 20;

export class RecordBuffer implements LineSource {
  private entries: Entry[] = [];
  private pending: { seq: number; record: unknown; pinned: boolean }[] = [];
  private bytes = 0;
  private seq = 0;
  private droppedCount = 0;
  private scheduled = false;
  private readonly listeners = new Set<(batch: LineBatch) => void>();
  private readonly maxBytes: number;

  constructor(private readonly opts: RecordBufferOptions = {}) {
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_BUFFER_BYTES;
  }

  /** The number the next pushed record gets. */
  get nextSeq(): number {
    return this.seq;
  }

  get dropped(): number {
    return this.droppedCount;
  }

  /** Queues a record; pinned records (e.g. actor definitions) survive the memory limit. Returns its number. */
  push(record: unknown, pinned = false): number {
    const seq = this.seq++;
    this.pending.push({ seq, record, pinned });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return seq;
  }

  /** Serialises the queue and hands the batch to the sink, the buffer and the listeners. */
  flush(): void {
    this.scheduled = false;
    if (!this.pending.length) return;
    const batch = this.pending;
    this.pending = [];
    const lines = new Array<string>(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const { seq, record, pinned } = batch[i]!;
      const line = JSON.stringify(record);
      lines[i] = line;
      this.entries.push({ seq, line, pinned });
      this.bytes += line.length;
    }
    if (this.bytes > this.maxBytes) this.trim();
    this.opts.sink?.(`${lines.join('\n')}\n`);
    const out: LineBatch = { lines, lastSeq: batch[batch.length - 1]!.seq };
    for (const listener of this.listeners) listener(out);
  }

  replay(afterSeq = -1): Replay {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.entries[mid]!.seq <= afterSeq) lo = mid + 1;
      else hi = mid;
    }
    const tail = this.entries.slice(lo);
    return {
      lines: tail.map((e) => e.line),
      lastSeq: tail.length ? tail[tail.length - 1]!.seq : Math.max(afterSeq, this.entries.at(-1)?.seq ?? -1),
      dropped: this.droppedCount,
    };
  }

  subscribe(listener: (batch: LineBatch) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Drops the oldest unpinned records until a quarter of the budget is free again. */
  private trim(): void {
    const target = this.maxBytes * 0.75;
    const kept: Entry[] = [];
    for (const e of this.entries) {
      if (this.bytes > target && !e.pinned) {
        this.bytes -= e.line.length;
        this.droppedCount++;
      } else {
        kept.push(e);
      }
    }
    this.entries = kept;
  }
}
