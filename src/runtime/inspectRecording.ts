/**
 * Records a run's inspection stream to traces/runs/<runId>/inspect.jsonl when
 * no dashboard is attached, so `gepa-aime dashboard` can replay any run
 * later. Only the file is kept (no replay buffer in memory); batches are
 * serialised and written once per turn of the event loop.
 */
import path from 'node:path';
import type { InspectionEvent } from 'xstate';
import { InspectionStream, INSPECT_FILE } from './inspection.js';
import { newRunId } from './runGoal.js';

export interface InspectionRecording {
  runId: string;
  /** The observer to give runGoal as `inspect`. */
  inspect: (ev: InspectionEvent) => void;
  /** Writes the run's outcome and closes the file. */
  finish(outcome: { status: string; reason?: string }): Promise<void>;
}

export function recordInspection(opts: { tracesDir: string; goal: string; now?: Date; onError?: (message: string) => void }): InspectionRecording {
  const runId = newRunId(opts.now ?? new Date());
  const stream = new InspectionStream({
    file: path.join(opts.tracesDir, 'runs', runId, INSPECT_FILE),
    retain: false,
    ...(opts.onError ? { onError: opts.onError } : {}),
  });
  stream.begin({ runId, goal: opts.goal.trim() });
  return {
    runId,
    inspect: stream.inspect,
    async finish(outcome) {
      stream.end({ runId, status: outcome.status, ...(outcome.reason ? { reason: outcome.reason } : {}) });
      await stream.close();
    },
  };
}
