/**
 * A numbered log of JSON records with batched fan-out. Records are queued as
 * objects and handled once per turn of the event loop, so the producer
 * (XState's inspection callback) pays only for a push. A batch then goes
 * either to another thread as it is (`forward`: the dashboard's worker does
 * the rest), or is serialised here and handed to the sink (a file), the live
 * listeners (browsers) and the buffer a late joiner is replayed from. Memory
 * is bounded: past the limit the oldest unpinned records are dropped and
 * replays say how many.
 */

export interface LineBatch {
  /** One JSON text per record, in order. */
  lines: string[];
  /** Sequence number of the last line. */
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
  /** Receives each batch of records unserialised, e.g. to post it to a worker thread. */
  forward?: (records: unknown[]) => void;
  /** Keep serialised records for replay (default true); a forwarding buffer need not. */
  retain?: boolean;
  /** Records that survive the memory limit (what a late joiner cannot do without). */
  pin?: (record: unknown) => boolean;
  /** Called first in every flush: the last chance to push records into this batch. */
  beforeFlush?: () => void;
  /** Record to JSON text (default JSON.stringify). */
  serialize?: (record: unknown) => string;
  /** The number of the first record (a resumed run's stream goes on from where the last process left it). */
  firstSeq?: number;
}

export const DEFAULT_MAX_BUFFER_BYTES = 64 * 2 ** 20;

export class RecordBuffer implements LineSource {
  private entries: Entry[] = [];
  private pending: unknown[] = [];
  private bytes = 0;
  private seq = 0;
  /** Sequence number of pending[0]. */
  private pendingFrom = 0;
  private droppedCount = 0;
  private scheduled = false;
  private readonly listeners = new Set<(batch: LineBatch) => void>();
  private readonly maxBytes: number;
  private readonly retain: boolean;

  constructor(private readonly opts: RecordBufferOptions = {}) {
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_BUFFER_BYTES;
    this.retain = opts.retain ?? true;
    this.seq = opts.firstSeq ?? 0;
  }

  /** The number the next pushed record gets. */
  get nextSeq(): number {
    return this.seq;
  }

  get dropped(): number {
    return this.droppedCount;
  }

  /** Queues a record for this turn's batch. Returns its number. */
  push(record: unknown): number {
    if (!this.pending.length) this.pendingFrom = this.seq;
    this.pending.push(record);
    this.requestFlush();
    return this.seq++;
  }

  /** Adds a batch that arrived whole (from another thread) and hands it on at once. */
  append(records: unknown[]): void {
    for (const r of records) this.push(r);
    this.flush();
  }

  /** Makes sure a flush runs at the end of this turn of the event loop. */
  requestFlush(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  flush(): void {
    this.opts.beforeFlush?.();
    this.scheduled = false;
    if (!this.pending.length) return;
    const batch = this.pending;
    const first = this.pendingFrom;
    this.pending = [];
    this.opts.forward?.(batch);
    if (!this.retain && !this.opts.sink && !this.listeners.size) return;
    const serialize = this.opts.serialize ?? JSON.stringify;
    const lines = new Array<string>(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const line = serialize(batch[i]);
      lines[i] = line;
      if (this.retain) {
        this.entries.push({ seq: first + i, line, pinned: this.opts.pin?.(batch[i]) ?? false });
        this.bytes += line.length;
      }
    }
    if (this.bytes > this.maxBytes) this.trim();
    this.opts.sink?.(`${lines.join('\n')}\n`);
    const out: LineBatch = { lines, lastSeq: first + batch.length - 1 };
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
