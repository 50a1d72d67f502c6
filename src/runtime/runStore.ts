/**
 * The run store: the one owner of a run's directory, traces/runs/<runId>/.
 * It knows the layout (RUN_FILES), makes and checks run ids, lists the runs,
 * takes the lock, and reads and writes the state files through their schemas
 * (runState.ts): run.json, snapshot.json, journal.jsonl, report.json, and the
 * run's one event stream, inspect.jsonl. Nothing else computes a path under
 * traces/runs, so a run id from a URL, a command line or a queue job is
 * checked here before it touches the file system.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Snapshot } from 'xstate';
import { errorMessage } from '../../contracts/errors.js';
import { parseJsonl, writeFileAtomic } from '../util/jsonl.js';
import { INSPECT_FILE } from './inspection.js';
import { RunJournal } from './journal.js';
import { acquireRunLock, LOCK_FILE, type LockOptions, type RunLock } from './runLock.js';
import { checkState, RUN_ID_PATTERN, RunInputError, runMetaSchema, RunStateError, snapshotSchema, type RunMeta } from './runState.js';
import { SnapshotWriter } from './snapshots.js';

/** The files of a run directory. */
export const RUN_FILES = {
  /** How to rebuild the run (written once at its start). */
  meta: 'run.json',
  /** The persisted actor system. */
  snapshot: 'snapshot.json',
  /** Every model exchange and tool result. */
  journal: 'journal.jsonl',
  /** The one event stream: the inspection records the dashboard replays. */
  inspect: INSPECT_FILE,
  /** The final report. */
  report: 'report.json',
  /** The judge's verdict on the run (`run --judge`). */
  judge: 'judge.json',
  /** Held while a process drives the run. */
  lock: LOCK_FILE,
} as const;

export type RunPaths = { runDir: string } & { [K in keyof typeof RUN_FILES]: string };

/** A fresh run id: UTC time to the second, then 6 random hex digits (`20261201T121303Z-a1b2c3`); ids sort by start time. */
export function newRunId(now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${crypto.randomBytes(3).toString('hex')}`;
}

export function isRunId(runId: unknown): runId is string {
  return typeof runId === 'string' && RUN_ID_PATTERN.test(runId);
}

/** The id, if it is one plain path segment of the allowed characters; else a RunStateError (exit 2) saying what ids look like. */
export function checkRunId(runId: string): string {
  if (!isRunId(runId)) {
    throw new RunStateError(
      `run id ${JSON.stringify(String(runId).slice(0, 80))} is not a run id: ids are letters, digits, "_" and "-" (e.g. 20261201T121303Z-a1b2c3); list runs with: gepa-aime runs`,
    );
  }
  return runId;
}

/** What a listing or `resume` needs from report.json; a field of the wrong type is left out (null), never trusted. */
export interface ReportSummary {
  file: string;
  status: string | null;
  goal: string | null;
  startedAt: string | null;
  durationMs: number | null;
}

/** One run directory as the listing finds it: whatever of run.json and report.json could be read. */
export interface StoredRun {
  runId: string;
  /** run.json, validated; null when missing or invalid (see `problems`). */
  meta: RunMeta | null;
  /** report.json's summary; null while the run has not finished (or it died first). */
  report: ReportSummary | null;
  /** It has an inspect.jsonl, so the dashboard can replay it. */
  replayable: boolean;
  /** Why a file there was not used (file: key: expected …). */
  problems: string[];
}

export class RunStore {
  /** Absolute traces directory. */
  readonly tracesDir: string;
  /** Where the run directories are. */
  readonly root: string;

  constructor(tracesDir: string) {
    this.tracesDir = path.resolve(tracesDir);
    this.root = path.join(this.tracesDir, 'runs');
  }

  /** The run's directory and files (the id is checked first). */
  paths(runId: string): RunPaths {
    const runDir = path.join(this.root, checkRunId(runId));
    const files = Object.fromEntries(Object.entries(RUN_FILES).map(([k, name]) => [k, path.join(runDir, name)])) as Record<keyof typeof RUN_FILES, string>;
    return { runDir, ...files };
  }

  /** Makes the run's directory (it may exist: a resumed run). */
  async create(runId: string): Promise<RunPaths> {
    const paths = this.paths(runId);
    await fsp.mkdir(paths.runDir, { recursive: true });
    return paths;
  }

  /** One writer per run (runLock.ts): a second process driving it would pay and act twice. */
  lock(runId: string, opts: LockOptions = {}): RunLock {
    return acquireRunLock(this.paths(runId).runDir, runId, opts);
  }

  async writeMeta(meta: RunMeta): Promise<void> {
    await writeFileAtomic(this.paths(meta.runId).meta, `${JSON.stringify(meta, null, 2)}\n`);
  }

  /** run.json, validated, and naming the run it is filed under; no run there is bad usage. */
  async readMeta(runId: string): Promise<RunMeta> {
    const { runDir, meta: file } = this.paths(runId);
    let text: string;
    try {
      text = await fsp.readFile(file, 'utf8');
    } catch {
      throw new RunInputError(`no run at ${runDir} (missing ${RUN_FILES.meta}); list runs with: gepa-aime runs`);
    }
    const meta = checkState(runMetaSchema, parseJson(text, file), file);
    if (meta.runId !== runId)
      throw new RunStateError(`${file}: runId: expected ${JSON.stringify(runId)} (the run's directory), found ${JSON.stringify(meta.runId)}`);
    return meta;
  }

  /** The persisted actor system, validated; null when none was written yet (the run died before its first transition). */
  async readSnapshot(runId: string): Promise<Snapshot<unknown> | null> {
    const file = this.paths(runId).snapshot;
    let text: string;
    try {
      text = await fsp.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new RunStateError(`${file} cannot be read (${errorMessage(err)})`);
    }
    return checkState(snapshotSchema, parseJson(text, file), file) as unknown as Snapshot<unknown>;
  }

  snapshotWriter(runId: string): SnapshotWriter {
    return new SnapshotWriter(this.paths(runId).snapshot);
  }

  /** The journal, every record validated (a torn last line is skipped: the crash cut it short). */
  openJournal(runId: string): Promise<RunJournal> {
    return RunJournal.open(this.paths(runId).journal);
  }

  async writeReport(runId: string, report: unknown): Promise<void> {
    await writeFileAtomic(this.paths(runId).report, `${JSON.stringify(report, null, 2)}\n`);
  }

  /** judge.json: the verdict of `run --judge` on a finished run. */
  async writeJudgement(runId: string, verdict: unknown): Promise<void> {
    await writeFileAtomic(this.paths(runId).judge, `${JSON.stringify(verdict, null, 2)}\n`);
  }

  /** report.json's summary, or null when there is none (or it is not a JSON object: report.json is written atomically, so that is a hand edit). */
  async readReportSummary(runId: string): Promise<ReportSummary | null> {
    const file = this.paths(runId).report;
    let value: unknown;
    try {
      value = JSON.parse(await fsp.readFile(file, 'utf8'));
    } catch {
      return null;
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) return null;
    const r = value as Record<string, unknown>;
    const timings = (r['timings'] && typeof r['timings'] === 'object' ? r['timings'] : {}) as Record<string, unknown>;
    const text = (v: unknown) => (typeof v === 'string' ? v : null);
    return {
      file,
      status: text(r['status']),
      goal: text(r['goal']),
      startedAt: text(timings['startedAt']),
      durationMs: typeof timings['durationMs'] === 'number' ? timings['durationMs'] : null,
    };
  }

  /** Every run directory (sorted by id, so oldest first), with what of its files could be read; other entries under runs/ are ignored. */
  async list(): Promise<StoredRun[]> {
    let names: string[];
    try {
      names = (await fsp.readdir(this.root, { withFileTypes: true })).filter((d) => d.isDirectory() && isRunId(d.name)).map((d) => d.name);
    } catch {
      return [];
    }
    names.sort();
    return Promise.all(names.map((runId) => this.describe(runId)));
  }

  private async describe(runId: string): Promise<StoredRun> {
    const problems: string[] = [];
    const meta = await this.readMeta(runId).catch((err: unknown) => {
      if (!(err instanceof RunInputError)) problems.push(errorMessage(err));
      return null;
    });
    const report = await this.readReportSummary(runId);
    const replayable = await fsp.access(this.paths(runId).inspect).then(
      () => true,
      () => false,
    );
    return { runId, meta, report, replayable, problems };
  }

  /** The run's inspect.jsonl records; null when it has none. A torn last line (a crash, or a run still writing) is tolerated and flagged; a broken line elsewhere is a JsonlError naming it. */
  async readInspect(runId: string): Promise<{ records: unknown[]; tornTail: boolean } | null> {
    const file = this.paths(runId).inspect;
    let text: string;
    try {
      text = await fsp.readFile(file, 'utf8');
    } catch {
      return null;
    }
    const { records, tornTail } = parseJsonl(text, `${runId}/${RUN_FILES.inspect}`);
    return { records, tornTail };
  }

  /**
   * Readies inspect.jsonl for a resumed run to append to: a torn last line (the crash cut it short) is cut off,
   * so the file stays whole lines, and the number the next record gets continues the stream's (a replay drops
   * records whose number it has seen).
   */
  continueInspect(runId: string): { nextSeq: number } {
    const file = this.paths(runId).inspect;
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      return { nextSeq: 0 };
    }
    const whole = text.lastIndexOf('\n') + 1;
    if (whole < text.length) fs.truncateSync(file, Buffer.byteLength(text.slice(0, whole)));
    let last = -1;
    for (const line of text.slice(0, whole).split('\n')) {
      if (!line) continue;
      try {
        const seq = (JSON.parse(line) as { seq?: unknown }).seq;
        if (typeof seq === 'number' && Number.isInteger(seq) && seq > last) last = seq;
      } catch {
        /* a broken line is the dashboard's to report, not a reason to stop the run */
      }
    }
    return { nextSeq: last + 1 };
  }
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new RunStateError(`${file}: not valid JSON (${errorMessage(err)}); it is written atomically, so this file was changed by hand or by something else`);
  }
}
