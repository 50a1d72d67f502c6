/**
 * The `evaluate` effect of the statechart: runs the adapter on the requested
 * (uncached) examples, one example per adapter call, at most
 * `maxConcurrency` at a time, and returns the results in request order.
 */
import type { GepaAdapter } from './adapter.js';
import { mapPool } from './pool.js';
import type { EvalOutput, EvalRequest } from './state.js';
import type { EvalRecord } from './types.js';
import { AppError } from '../../contracts/errors.js';

export interface EvaluatorDeps<E> {
  adapter: GepaAdapter<E>;
  trainset: readonly E[];
  valset: readonly E[];
  maxConcurrency: number;
  signal?: AbortSignal;
  /** Called as each example finishes, with the run's metric calls so far. */
  onMetricCall?: (metricCalls: number) => void;
}

export class GepaAdapterError extends AppError {
  readonly category = 'run';
  constructor(message: string) {
    super(message);
  }
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

export function makeEvaluator<E>(deps: EvaluatorDeps<E>): Evaluate {
  return async (req) => {
    const examples = req.split === 'train' ? deps.trainset : deps.valset;
    let done = 0;
    const records = await mapPool(req.indices, deps.maxConcurrency, async (index) => {
      const example = examples[index];
      if (example === undefined) throw new GepaAdapterError(`internal: no ${req.split} example ${index}`);
      // Always with traces: any cached result may later be reflected on (see EvalRequest).
      const out = await deps.adapter.evaluate([example], req.candidate, true, { signal: deps.signal });
      const score = out?.scores?.[0];
      if (out?.scores?.length !== 1 || typeof score !== 'number' || !Number.isFinite(score)) {
        throw new GepaAdapterError(
          `adapter.evaluate must return one finite score per example; for ${req.split} example ${index} it returned scores ${JSON.stringify(out?.scores)}`,
        );
      }
      const record: EvalRecord = { score, output: out.outputs?.[0] ?? null };
      const trajectory = out.trajectories?.[0];
      if (trajectory !== undefined) record.trajectory = trajectory;
      const objectives = out.objectiveScores?.[0];
      if (objectives) record.objectiveScores = objectives;
      deps.onMetricCall?.(req.metricCallsBefore + ++done);
      return jsonSafe(record);
    });
    return { split: req.split, hash: req.hash, entries: req.indices.map((index, k) => ({ index, record: records[k]! })) };
  };
}
