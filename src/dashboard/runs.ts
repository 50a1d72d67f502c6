/**
 * Past runs as the dashboard shows them, from the run store: a summary of
 * each (from report.json when the run finished) and its inspect.jsonl
 * records for replay. Run ids come from URLs: the store checks them before
 * they touch a path.
 */
import { errorMessage } from '../../contracts/errors.js';
import { isRunId, RUN_FILES, RunStore } from '../runtime/runStore.js';

export interface RunSummary {
  runId: string;
  goal: string | null;
  status: string | null;
  startedAt: string | null;
  durationMs: number | null;
  /** An inspect.jsonl exists, so the run can be replayed. */
  replayable: boolean;
}

const MAX_LISTED = 500;

/** Newest first (run ids start with a UTC timestamp), at most MAX_LISTED. */
export async function listRunSummaries(tracesDir: string): Promise<RunSummary[]> {
  const runs = (await new RunStore(tracesDir).list()).reverse().slice(0, MAX_LISTED);
  // Still running, or crashed before the report: the list says so by its nulls.
  return runs.map(({ runId, report, replayable }) => ({
    runId,
    goal: report?.goal?.slice(0, 300) ?? null,
    status: report?.status ?? null,
    startedAt: report?.startedAt ?? null,
    durationMs: report?.durationMs ?? null,
    replayable,
  }));
}

export type RunRecordsResult = { ok: true; records: unknown[]; tornTail: boolean } | { ok: false; status: 404 | 422; message: string };

/** A run's inspect.jsonl; a torn last line (a crash, or a run still writing) is tolerated and flagged. */
export async function readRunRecords(tracesDir: string, runId: string): Promise<RunRecordsResult> {
  if (!isRunId(runId)) return { ok: false, status: 404, message: 'no such run' };
  try {
    const read = await new RunStore(tracesDir).readInspect(runId);
    if (!read) return { ok: false, status: 404, message: `run ${runId} has no ${RUN_FILES.inspect} (its event stream was not recorded)` };
    return { ok: true, ...read };
  } catch (err) {
    return { ok: false, status: 422, message: errorMessage(err) };
  }
}
