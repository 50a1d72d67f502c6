/** The records of the inspection stream (inspect.jsonl): what the dashboard and replays read. */
import type { MachineDefinitionJson } from './machineDefinition.js';
import type { SnapshotFacts } from './snapshotFacts.js';

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
  /** ISO time the stream started (phase start); a resumed run's keeps its first start. */
  startedAt?: string;
  /** phase start of a resumed run: the records go on from where the process that died left them. */
  resumed?: true;
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
