/**
 * The inspection stream: XState's inspection events for the whole actor
 * system (`@xstate.actor`, `@xstate.event`, `@xstate.snapshot`,
 * `@xstate.microstep`) as one typed stream of small JSON records, sanitised
 * (secrets redacted, prompts trimmed), written to
 * traces/runs/<runId>/inspect.jsonl for replay and fanned out to live
 * listeners (the dashboard). Pass `stream.inspect` to runGoal's `inspect`.
 *
 * Cost on the run: one conversion per inspection event; serialising, file
 * writes and fan-out happen once per turn of the event loop, asynchronously.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { InspectionEvent } from 'xstate';
import { errorMessage } from '../util/errors.js';
import { InspectionConverter } from './inspectionConverter.js';
import type { MachineDefinitionJson } from './machineDefinition.js';
import { RecordBuffer, type LineBatch, type LineSource, type Replay } from './recordBuffer.js';
import type { SnapshotFacts } from './snapshotFacts.js';

export const INSPECT_FILE = 'inspect.jsonl';

interface RecordBase {
  /** Position in the stream, from 0, with no gaps. */
  seq: number;
  /** ms since the stream started. */
  t: number;
}

/** The run itself: opens the stream (phase start) and closes it (phase end). */
export interface RunRecord extends RecordBase {
  kind: 'run';
  phase: 'start' | 'end';
  runId: string;
  /** phase start */
  goal?: string;
  /** ISO time the stream started (phase start). */
  startedAt?: string;
  /** phase end */
  status?: string;
  reason?: string;
}

/** An actor joined the system. */
export interface ActorRecord extends RecordBase {
  kind: 'actor';
  /** systemId (workflow, planner, progress, optimizer, actor:<taskId>) or, without one, the session id. */
  id: string;
  /** What to call it: the systemId, else the logic's source name (think, runTools, …). */
  name: string;
  parent: string | null;
  /** The statechart, for machine actors; null for promises and other logic. */
  definition: MachineDefinitionJson | null;
}

/** One actor sent another an event. */
export interface EventRecord extends RecordBase {
  kind: 'event';
  /** null when it came from outside the system (e.g. a cancel from the CLI). */
  from: string | null;
  to: string;
  type: string;
  /** The event minus its type, sanitised. */
  payload: unknown;
}

/** An actor's state changed. */
export interface SnapshotRecord extends RecordBase {
  kind: 'snapshot';
  actor: string;
  /** The state value of a machine actor (absent for other logic). */
  value?: unknown;
  status: string;
  /** What the dashboard shows for well-known actors (task list, usage, GEPA metrics). */
  facts?: SnapshotFacts;
}

/** One microstep of a machine actor: the transitions it took. */
export interface MicrostepRecord extends RecordBase {
  kind: 'microstep';
  actor: string;
  event: string;
  transitions: { event: string; source: string; targets: string[] }[];
}

export type InspectRecord = RunRecord | ActorRecord | EventRecord | SnapshotRecord | MicrostepRecord;
export type InspectRecordKind = InspectRecord['kind'];

/** A record before the stream numbers it. */
export type UnnumberedRecord = InspectRecord extends infer R ? (R extends InspectRecord ? Omit<R, 'seq'> : never) : never;


export interface InspectionStreamOptions {
  /** Append every record here (JSONL, whole lines); the directory is created on the first write. */
  file?: string;
  /** ms clock; records carry time since the stream was created. */
  now?: () => number;
  /** Budget of the late-join replay buffer, in characters. */
  maxBufferedBytes?: number;
  /** Told once about a failure (file not writable, a conversion bug); the run goes on either way. */
  onError?: (message: string) => void;
}

export class InspectionStream implements LineSource {
  private readonly buffer: RecordBuffer;
  private readonly converter: InspectionConverter;
  private readonly now: () => number;
  private readonly startedAt: number;
  private file: fs.WriteStream | null = null;
  private fileFailed = false;
  private reported = false;
  private pendingStart: UnnumberedRecord | null = null;
  private closed = false;

  constructor(private readonly opts: InspectionStreamOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.startedAt = this.now();
    this.converter = new InspectionConverter(() => this.now() - this.startedAt);
    this.buffer = new RecordBuffer({
      ...(opts.maxBufferedBytes ? { maxBytes: opts.maxBufferedBytes } : {}),
      ...(opts.file ? { sink: (text) => this.write(text) } : {}),
    });
  }

  /** The XState inspection observer. It never throws: a stream bug must not break the run. */
  readonly inspect = (ev: InspectionEvent): void => {
    if (this.closed) return;
    try {
      const record = this.converter.convert(ev);
      if (record) this.add(record);
    } catch (err) {
      this.fail(`inspection stream: ${errorMessage(err)}`);
    }
  };

  /** Names the run; its start record opens the stream when the first actor event arrives. */
  begin(run: { runId: string; goal: string }): void {
    this.pendingStart = {
      kind: 'run',
      phase: 'start',
      t: 0,
      runId: run.runId,
      goal: run.goal,
      startedAt: new Date(this.startedAt).toISOString(),
    };
  }

  /** Closes the run with its outcome. */
  end(outcome: { runId: string; status: string; reason?: string }): void {
    if (this.closed) return;
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
    const file = this.file;
    this.file = null;
    if (file) await new Promise<void>((resolve) => file.end(resolve));
  }

  private add(record: UnnumberedRecord): void {
    if (this.pendingStart) {
      const start = this.pendingStart;
      this.pendingStart = null;
      this.add(start);
    }
    const numbered = { seq: this.buffer.nextSeq, ...record } as InspectRecord;
    // Actor and run records are what a late joiner cannot do without: never dropped from memory.
    this.buffer.push(numbered, numbered.kind === 'actor' || numbered.kind === 'run');
  }

  private write(text: string): void {
    if (this.fileFailed || !this.opts.file) return;
    if (!this.file) {
      try {
        fs.mkdirSync(path.dirname(this.opts.file), { recursive: true });
      } catch (err) {
        this.fileFailed = true;
        this.fail(`cannot write ${this.opts.file}: ${errorMessage(err)}`);
        return;
      }
      this.file = fs.createWriteStream(this.opts.file, { flags: 'a' });
      this.file.on('error', (err) => {
        this.fileFailed = true;
        this.fail(`cannot write ${this.opts.file}: ${errorMessage(err)}`);
      });
    }
    this.file.write(text);
  }

  private fail(message: string): void {
    if (this.reported) return;
    this.reported = true;
    this.opts.onError?.(message);
  }
}
