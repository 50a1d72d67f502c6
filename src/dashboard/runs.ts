/**
 * Past runs under traces/runs/: a summary of each (from report.json when the
 * run finished) and its inspect.jsonl records for replay. Run ids come from
 * URLs, so they are checked before they touch a path.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { INSPECT_FILE } from '../runtime/inspection.js';
import { parseJsonl } from '../util/jsonl.js';

export interface RunSummary {
  runId: string;
  goal: string | null;
  status: string | null;
  startedAt: string | null;
  durationMs: number | null;
  /** An inspect.jsonl exists, so the run can be replayed. */
  replayable: boolean;
}

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const MAX_LISTED = 500;

export function isRunId(id: string): boolean {
  return RUN_ID.test(id) && !id.includes('..');
}

export async function listRuns(tracesDir: string): Promise<RunSummary[]> {
  const root = path.join(tracesDir, 'runs');
  let names: string[];
  try {
    names = (await fs.readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory() && isRunId(d.name)).map((d) => d.name);
  } catch {
    return [];
  }
  // Run ids start with a UTC timestamp: newest first.
  names.sort().reverse();
  return Promise.all(names.slice(0, MAX_LISTED).map((id) => summarise(root, id)));
}

async function summarise(root: string, runId: string): Promise<RunSummary> {
  const dir = path.join(root, runId);
  const summary: RunSummary = { runId, goal: null, status: null, startedAt: null, durationMs: null, replayable: false };
  try {
    await fs.access(path.join(dir, INSPECT_FILE));
    summary.replayable = true;
  } catch {
    // Recorded without --viz: listed, not replayable.
  }
  try {
    const report = JSON.parse(await fs.readFile(path.join(dir, 'report.json'), 'utf8')) as Record<string, unknown>;
    const timings = (report['timings'] ?? {}) as Record<string, unknown>;
    if (typeof report['goal'] === 'string') summary.goal = report['goal'].slice(0, 300);
    if (typeof report['status'] === 'string') summary.status = report['status'];
    if (typeof timings['startedAt'] === 'string') summary.startedAt = timings['startedAt'];
    if (typeof timings['durationMs'] === 'number') summary.durationMs = timings['durationMs'];
  } catch {
    // Still running, or crashed before the report: the list says so by its nulls.
  }
  return summary;
}

export type RunRecordsResult = { ok: true; records: unknown[]; tornTail: boolean } | { ok: false; status: 404 | 422; message: string };

/** A run's inspect.jsonl; a torn last line (a crash, or a run still writing) is tolerated and flagged. */
export async function readRunRecords(tracesDir: string, runId: string): Promise<RunRecordsResult> {
  if (!isRunId(runId)) return { ok: false, status: 404, message: 'no such run' };
  const file = path.join(tracesDir, 'runs', runId, INSPECT_FILE);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return { ok: false, status: 404, message: `run ${runId} has no ${INSPECT_FILE} (it was not run with --viz)` };
  }
  try {
    const { records, tornTail } = parseJsonl(text, `${runId}/${INSPECT_FILE}`);
    return { ok: true, records, tornTail };
  } catch (err) {
    return { ok: false, status: 422, message: (err as Error).message };
  }
}
