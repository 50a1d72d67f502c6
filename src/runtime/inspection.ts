/**
 * The inspection stream: XState's inspection events for the whole actor
 * system (`@xstate.actor`, `@xstate.event`, `@xstate.snapshot`,
 * `@xstate.microstep`) as one typed stream of small JSON records, sanitised
 * (secrets redacted, prompts trimmed), written to
 * traces/runs/<runId>/inspect.jsonl for replay and fanned out to live
 * listeners (the dashboard). Pass `stream.inspect` to runGoal's `inspect`.
 *
 * Cost on the run: one conversion per inspection event (most are dropped:
 * see inspectionConverter.ts); serialising, the file write and the fan-out
 * happen once per turn of the event loop, and with `forward` (the dashboard
 * of `run --viz`) on a worker thread instead.
 */
import type { InspectionEvent } from 'xstate';
import { errorMessage } from '../../contracts/errors.js';
import { AppendFile } from './appendFile.js';
import { InspectionConverter } from './inspectionConverter.js';
import type { InspectRecord, UnnumberedRecord } from './inspectRecords.js';

export type * from './inspectRecords.js';
import { definitionJson } from './machineDefinition.js';
import { RecordBuffer, type LineBatch, type LineSource, type Replay } from './recordBuffer.js';

export const INSPECT_FILE = 'inspect.jsonl';

export interface InspectionStreamOptions {
  /** Append every record here (JSONL, whole lines); the directory is created on the first write. */
  file?: string;
  /**
   * Hand each batch of records to another thread (the dashboard's worker,
   * which writes, buffers and serves them) instead of doing that here: the
   * run's thread then only converts and posts. `file` and the LineSource
   * methods are unused in this mode.
   */
  forward?: (records: InspectRecord[]) => void;
  /** ms clock; records carry time since the stream was created (or since `startedAt`). */
  now?: () => number;
  /** ms time the records' `t` counts from (default: when the stream is created); a resumed run keeps its first start. */
  startedAt?: number;
  /** The number of the first record (default 0); a resumed run's stream continues the file's numbering. */
  firstSeq?: number;
  /** Budget of the late-join replay buffer, in characters. */
  maxBufferedBytes?: number;
  /** Keep records in memory for replay (default true); a stream that only writes its file need not. */
  retain?: boolean;
  /** Told once about a failure (file not writable, a conversion bug); the run goes on either way. */
  onError?: (message: string) => void;
}

export class InspectionStream implements LineSource {
  private readonly buffer: RecordBuffer;
  private readonly converter: InspectionConverter;
  private readonly now: () => number;
  private readonly startedAt: number;
  private readonly file: AppendFile | null;
  private reported = false;
  private pendingStart: UnnumberedRecord | null = null;
  private closed = false;
  private dueTimer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: InspectionStreamOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.startedAt = opts.startedAt ?? this.now();
    this.converter = new InspectionConverter(() => this.now() - this.startedAt);
    const forward = opts.forward;
    const file = !forward && opts.file ? new AppendFile(opts.file, (m) => this.fail(m)) : null;
    this.file = file;
    this.buffer = new RecordBuffer({
      ...(opts.maxBufferedBytes ? { maxBytes: opts.maxBufferedBytes } : {}),
      ...(forward ? { forward: (records) => forward(records as InspectRecord[]), retain: false } : file ? { sink: (text) => file.write(text) } : {}),
      ...(opts.retain === false ? { retain: false } : {}),
      ...(opts.firstSeq ? { firstSeq: opts.firstSeq } : {}),
      pin: isPinned,
      beforeFlush: () => {
        for (const record of this.converter.takeDeferred()) this.add(record);
        this.scheduleDue();
      },
      serialize: (record) => serializeRecord(record as InspectRecord),
    });
  }

  /** The XState inspection observer. It never throws: a stream bug must not break the run. */
  readonly inspect = (ev: InspectionEvent): void => {
    if (this.closed) return;
    try {
      const record = this.converter.convert(ev);
      if (record) this.add(record);
      else if (this.converter.hasDeferred) this.buffer.requestFlush();
    } catch (err) {
      this.fail(`inspection stream: ${errorMessage(err)}`);
    }
  };

  /** Names the run; its start record opens the stream when the first actor event arrives. */
  begin(run: { runId: string; goal: string; resumed?: boolean }): void {
    this.pendingStart = {
      kind: 'run',
      phase: 'start',
      t: this.opts.startedAt === undefined ? 0 : this.now() - this.startedAt,
      runId: run.runId,
      goal: run.goal,
      startedAt: new Date(this.startedAt).toISOString(),
      ...(run.resumed ? { resumed: true as const } : {}),
    };
  }

  /** Closes the run with its outcome, after the last of any facts a rate limit held back. */
  end(outcome: { runId: string; status: string; reason?: string }): void {
    if (this.closed) return;
    for (const record of this.converter.takeDeferred(true)) this.add(record);
    this.add({ kind: 'run', phase: 'end', t: this.now() - this.startedAt, runId: outcome.runId, status: outcome.status, reason: outcome.reason ?? '' });
  }

  /** How many records the stream has numbered so far. */
  get size(): number {
    return this.buffer.nextSeq;
  }

  replay(afterSeq?: number): Replay {
    return this.buffer.replay(afterSeq);
  }

  subscribe(listener: (batch: LineBatch) => void): () => void {
    return this.buffer.subscribe(listener);
  }

  /** Hands what is queued to the file and the listeners now rather than at the end of this turn. */
  flush(): void {
    this.buffer.flush();
  }

  /** Writes out what is queued and closes the file. Live listeners can still replay. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.buffer.flush();
    this.closed = true;
    if (this.dueTimer) clearTimeout(this.dueTimer);
    await this.file?.close();
  }

  private add(record: UnnumberedRecord): void {
    if (this.pendingStart) {
      const start = this.pendingStart;
      this.pendingStart = null;
      this.add(start);
    }
    this.buffer.push({ seq: this.buffer.nextSeq, ...record });
  }

  /** Held-back facts (the task list's Markdown) get a flush of their own when due, even if the run goes quiet. */
  private scheduleDue(): void {
    const due = this.converter.dueAt;
    if (due === null || this.dueTimer || this.closed) return;
    const delay = Math.max(0, due - (this.now() - this.startedAt));
    this.dueTimer = setTimeout(() => {
      this.dueTimer = null;
      this.buffer.requestFlush();
    }, delay);
    this.dueTimer.unref();
  }

  private fail(message: string): void {
    if (this.reported) return;
    this.reported = true;
    this.opts.onError?.(message);
  }
}

/** JSON text of a record; an actor's statechart is spliced in from its cached text rather than serialised again. */
export function serializeRecord(record: InspectRecord): string {
  if (record.kind !== 'actor' || !record.definition) return JSON.stringify(record);
  const { definition, ...rest } = record;
  return `${JSON.stringify(rest).slice(0, -1)},"definition":${definitionJson(definition)}}`;
}

/** Actor and run records are what a late joiner cannot do without: never dropped from memory. */
export function isPinned(record: unknown): boolean {
  const kind = (record as { kind?: unknown }).kind;
  return kind === 'actor' || kind === 'run';
}
