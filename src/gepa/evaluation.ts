/**
 * The `evaluate` effect of the statechart, and the seam where evaluation can
 * be moved elsewhere: the engine hands an `Evaluate` one request (one
 * candidate, a batch of examples of one split) and gets back one record per
 * example (score, output, trace when asked, objective scores). The in-process
 * evaluator below passes the whole batch to the adapter in one call, so the
 * adapter applies the candidate once and runs the examples with its own
 * concurrency. A distributed evaluator (a queue of workers) implements the
 * same type.
 */
import type { GepaAdapter } from './adapter.js';
import type { EvalOutput, EvalRequest } from '../../contracts/gepa/state.js';
import type { EvalRecord } from '../../contracts/gepa/types.js';
import { AppError } from '../../contracts/errors.js';

export interface EvaluatorDeps<E> {
  adapter: GepaAdapter<E>;
  trainset: readonly E[];
  valset: readonly E[];
  /** Passed to the adapter as a hint; the adapter decides how many examples run at once. */
  maxConcurrency: number;
  signal?: AbortSignal;
  /** Called when a batch finishes, with the run's metric calls so far. */
  onMetricCall?: (metricCalls: number) => void;
}

export class GepaAdapterError extends AppError {
  readonly category = 'run';
}

/**
 * Results are stored as their JSON form: what a resumed run reads from disk
 * is then exactly what the uninterrupted run held in memory.
 */
function jsonSafe(record: EvalRecord): EvalRecord {
  return JSON.parse(JSON.stringify(record)) as EvalRecord;
}

/** Evaluates one batch: the (uncached) examples of one candidate on one split. */
export type Evaluate = (req: EvalRequest) => Promise<EvalOutput>;

/** Check an adapter's reply and turn it into one record per requested example. */
export function recordsOf(req: EvalRequest, out: unknown): EvalRecord[] {
  const o = out as { outputs?: unknown[]; scores?: unknown[]; trajectories?: unknown[] | null; objectiveScores?: Record<string, number>[] | null } | null;
  const n = req.indices.length;
  const scores = o?.scores;
  if (!Array.isArray(scores) || scores.length !== n || !scores.every((s) => typeof s === 'number' && Number.isFinite(s))) {
    throw new GepaAdapterError(
      `adapter.evaluate must return one finite score per example; for ${n} ${req.split} example(s) it returned scores ${JSON.stringify(scores)?.slice(0, 200)}`,
    );
  }
  return req.indices.map((_, k) => {
    const record: EvalRecord = { score: scores[k] as number, output: o?.outputs?.[k] ?? null };
    const trajectory = o?.trajectories?.[k];
    if (req.captureTraces && trajectory !== undefined) record.trajectory = trajectory;
    const objectives = o?.objectiveScores?.[k];
    if (objectives) record.objectiveScores = objectives;
    return jsonSafe(record);
  });
}

export function makeEvaluator<E>(deps: EvaluatorDeps<E>): Evaluate {
  return async (req) => {
    if (!req.indices.length) return { split: req.split, hash: req.hash, entries: [] };
    const examples = req.split === 'train' ? deps.trainset : deps.valset;
    const batch = req.indices.map((index) => {
      const example = examples[index];
      if (example === undefined) throw new GepaAdapterError(`internal: no ${req.split} example ${index}`);
      return example;
    });
    const out = await deps.adapter.evaluate(batch, req.candidate, req.captureTraces, {
      ...(deps.signal ? { signal: deps.signal } : {}),
      maxConcurrency: deps.maxConcurrency,
    });
    const records = recordsOf(req, out);
    deps.onMetricCall?.(req.metricCallsBefore + records.length);
    return { split: req.split, hash: req.hash, entries: req.indices.map((index, k) => ({ index, record: records[k]! })) };
  };
}
