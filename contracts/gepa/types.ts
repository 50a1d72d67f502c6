/**
 * The data of a GEPA run. Everything in `GepaRunState` is plain JSON: it is the
 * statechart's persisted context and the run directory's state.json, so a
 * resumed run continues from exactly what an uninterrupted one held.
 */
import type { Frontier } from './pareto.js';
import type { SamplerState } from './sampler.js';
import type { AlgorithmSettings } from './settings.js';

/** A candidate system: named text components (prompts). */
export type Candidate = Record<string, string>;

export type Split = 'train' | 'val';

/** One (candidate, example) evaluation, as cached. Paid once, reused forever. */
export interface EvalRecord {
  score: number;
  /** The adapter's output for the example; must be JSON-serialisable. */
  output: unknown;
  /**
   * The adapter's trace. Captured only for train minibatch evaluations, the
   * only ones reflection reads; validation results keep scores and outputs.
   */
  trajectory?: unknown;
  objectiveScores?: Record<string, number>;
}

export type Origin = 'seed' | 'reflective' | 'merge';

export interface CandidateRecord {
  id: number;
  components: Candidate;
  /** Content hash: the cache key, so two candidates with the same texts share evaluations. */
  hash: string;
  parents: number[];
  origin: Origin;
  /** Score per validation instance, in valset order. */
  valScores: number[];
  /** Mean of valScores. */
  valScore: number;
  /** Mean validation score per objective, when the adapter reports objective scores. */
  objectiveScores?: Record<string, number>;
  /** Metric calls spent once its validation finished: what finding it cost, that evaluation included. */
  foundAtMetricCalls: number;
  foundAtIteration: number;
  /** Round-robin pointer: index into componentNames of the next component to mutate. */
  rrNext: number;
}

export interface MergeState {
  /** Merges scheduled by accepted reflective children and not yet consumed. */
  due: number;
  /** Merges accepted so far (counts against max_merge_invocations). */
  tested: number;
  /** The previous iteration added a candidate: merges are only tried right after one. */
  lastIterFoundNew: boolean;
  /** (i, j, ancestor) triplets already tried. */
  triplets: [number, number, number][];
  /** Which parent each component came from, per tried merge: never build the same merge twice. */
  descriptors: string[];
}

/**
 * Everything besides the candidate and the example that changes a score: the
 * task model and its sampling, the metric or scorer, the adapter and its
 * settings. Plain JSON; part of every cache key, and a resume refuses a change.
 */
export type ScoreIdentity = Record<string, unknown>;

export interface GepaRunState {
  version: 2;
  settings: AlgorithmSettings;
  /** What scores depend on besides candidate and example (see ScoreIdentity). */
  scoreIdentity: ScoreIdentity;
  /** hashJson(scoreIdentity): the first part of every evaluation's content key. */
  scoreKey: string;
  seedCandidate: Candidate;
  /** Further seed candidates, validated after the first (each enters the pool as a seed). */
  extraSeeds?: Candidate[];
  /** Component names in the seed candidate's order: the round-robin order. */
  componentNames: string[];
  trainSize: number;
  valSize: number;
  /**
   * Content hash of every example, per split: the cache key. An example in
   * both sets (or twice in one) is paid for once; a resume against other data
   * is refused.
   */
  exampleIds: { train: string[]; val: string[] };
  candidates: CandidateRecord[];
  /** Over the keys of `frontierKeys` (see frontierVector): instances, objectives, or both. */
  frontier: Frontier;
  /** The frontier's dimensions in order: `i:<n>` per validation instance, `o:<name>` per objective. */
  frontierKeys?: string[];
  metricCalls: number;
  iteration: number;
  /** Seeded PRNG state (mulberry32): every random draw of the run goes through it. */
  rng: number;
  sampler: SamplerState;
  merge: MergeState;
  /** Consecutive iterations that paid no metric call (everything came from the cache). */
  idle: number;
  /** Consecutive iterations whose reflection failed (threw). */
  reflectionFailures: number;
  /** Tokens the reflection model has used, all sessions (for max_reflection_tokens). */
  reflectionTokens: number;
  /** candidate hash -> example id -> evaluation. */
  cache: Record<string, Record<string, EvalRecord>>;
}

/** Why an optimisation stopped. */
export type StopReason =
  | 'max_metric_calls'
  | 'target_score'
  | 'max_wall_s'
  | 'stop_file'
  | 'stop_requested'
  /** Every candidate selection can pick is perfect on the whole train set: no iteration can change anything. */
  | 'converged'
  /** Many iterations in a row paid for nothing (all from the cache): nothing new is being learned. */
  | 'no_progress'
  /** `max_reflection_failures` reflections in a row failed: the reflection model is broken. A failure (exit 1). */
  | 'reflection_failed'
  /** The reflection model's token budget (max_reflection_tokens) is spent. */
  | 'max_reflection_tokens'
  | 'aborted';

/** What an iteration came to. */
export type IterationOutcome =
  | 'seed'
  | 'skipped_perfect'
  | 'reflection_failed'
  | 'no_change'
  /** The proposal is a candidate already in the pool. */
  | 'duplicate'
  | 'rejected'
  | 'accepted'
  | 'merge_rejected';

/** One line of iterations.jsonl (snake_case: it is read by dashboards). */
export interface IterationRecord {
  iteration: number;
  kind: Origin;
  outcome: IterationOutcome;
  parents: number[];
  ancestor: number | null;
  components: string[];
  split: Split;
  batch: number[];
  /** Reflective: parent's per-example minibatch scores. Merge: the two parents' sums on the subsample. */
  parent_scores: number[];
  child_scores: number[];
  parent_sum: number | null;
  child_sum: number | null;
  new_candidate: number | null;
  val_score: number | null;
  metric_calls: number;
  best_candidate: number;
  best_val_score: number;
  candidates: number;
  /** Reflective: minibatch-accepted steps of this iteration's chain (the validated one included). */
  chain: number;
  error: string | null;
}
