/**
 * The adapter protocol: how GEPA talks to the system being optimised. Any
 * system that can run a candidate on examples, score the results and explain
 * them in text can be optimised. (Mirrors the reference package's GEPAAdapter.)
 *
 * The engine calls `evaluate` with whole batches (a minibatch, a validation
 * set): the adapter applies the candidate once and runs the examples with the
 * concurrency it chooses. The engine caches each (candidate, example) result
 * and may persist it, so outputs and trajectories must be plain JSON.
 */
import type { Candidate } from '../../contracts/gepa/types.js';

/** What `evaluate` returns for a batch: outputs, scores and (when asked) trajectories, one per example. */
export interface EvaluationBatch<Output = unknown, Trajectory = unknown> {
  /** One per example, in batch order. */
  outputs: Output[];
  /** One per example; higher is better. */
  scores: number[];
  /** One per example when traces were asked for (and the adapter keeps them). */
  trajectories?: Trajectory[] | null;
  /** Optional per-example scores per named objective. */
  objectiveScores?: Record<string, number>[] | null;
}

/** One example as the reflection model sees it, e.g. `{Inputs, 'Generated Outputs', Feedback}`. */
export type ReflectiveRecord = Record<string, unknown>;
/** Per component name: the records that should inform its rewrite. */
export type ReflectiveDataset = Record<string, ReflectiveRecord[]>;

/** Options the engine passes to `evaluate`. */
export interface EvaluateOptions {
  /** Aborted when the optimisation is cancelled; pass it on to model calls. */
  signal?: AbortSignal;
  /** The run's `max_concurrency`: a hint; an adapter with its own limit may keep it. */
  maxConcurrency?: number;
}

/** The adapter protocol: how GEPA runs, scores and explains the system being optimised. */
export interface GepaAdapter<Example = unknown, Output = unknown, Trajectory = unknown> {
  /**
   * Run `candidate` on every example of `batch`. Failures of the system under
   * test (a model error, bad output) should be scored, not thrown: a throw
   * ends the optimisation.
   */
  evaluate(batch: Example[], candidate: Candidate, captureTraces: boolean, options?: EvaluateOptions): Promise<EvaluationBatch<Output, Trajectory>>;

  /**
   * Optional: what the scores depend on besides candidate and example (task
   * model and sampling, metric, settings), as plain JSON. It is part of the
   * evaluation cache's key, and a resume refuses a change of any of it.
   */
  scoreIdentity?(): Record<string, unknown>;

  /** Turn an evaluation with traces into per-component records for reflection. */
  makeReflectiveDataset(
    candidate: Candidate,
    evalBatch: EvaluationBatch<Output, Trajectory>,
    components: string[],
  ): ReflectiveDataset | Promise<ReflectiveDataset>;

  /** Optional: propose new texts yourself instead of GEPA's reflection prompt. */
  proposeNewTexts?(candidate: Candidate, dataset: ReflectiveDataset, components: string[]): Record<string, string> | Promise<Record<string, string>>;
}
