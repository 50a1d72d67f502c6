/**
 * The outcome of an optimisation, in camelCase for code and in the snake_case
 * JSON shape the CLI prints (`best_candidate`, `best_val_score`,
 * `metric_calls`, `wall_s`, `candidates: [{id, components, val_score,
 * parents, found_at_metric_calls}]`).
 */
import { bestCandidateId } from '../../contracts/gepa/state.js';
import type { Candidate, GepaRunState, Origin, StopReason } from '../../contracts/gepa/types.js';

/** One candidate of the final pool: its texts, validation score, parents and origin. */
export interface GepaCandidateSummary {
  id: number;
  components: Candidate;
  valScore: number;
  parents: number[];
  foundAtMetricCalls: number;
  origin: Origin;
}

/** `--test`: the chosen candidate scored on a held-out set, beside its validation score. */
export interface TestScore {
  score: number;
  scores: number[];
  /** Evaluations spent on the test set (not counted against max_metric_calls). */
  metricCalls: number;
}

/** The result in snake_case, as `result.json` and `optimize --json` hold it. */
export interface GepaResultJson {
  best_candidate: Candidate;
  best_candidate_id: number;
  best_val_score: number;
  metric_calls: number;
  wall_s: number;
  iterations: number;
  stop_reason: StopReason | null;
  run_dir: string | null;
  /** Present with a test set: the best candidate's mean test score. */
  test_score?: number;
  test_metric_calls?: number;
  /** Reflection-model tokens spent (for max_reflection_tokens). */
  reflection_tokens: number;
  candidates: { id: number; components: Candidate; val_score: number; parents: number[]; found_at_metric_calls: number; origin: Origin }[];
}

/** The result of an optimisation: the best candidate, its score, the budget used, every candidate. */
export interface GepaResult {
  bestCandidate: Candidate;
  bestCandidateId: number;
  bestValScore: number;
  metricCalls: number;
  wallS: number;
  iterations: number;
  stopReason: StopReason | null;
  runDir: string | null;
  candidates: GepaCandidateSummary[];
  test?: TestScore;
  reflectionTokens: number;
  /** The snake_case JSON form. */
  toJson(): GepaResultJson;
}

export function resultToJson(r: Omit<GepaResult, 'toJson'>): GepaResultJson {
  return {
    best_candidate: r.bestCandidate,
    best_candidate_id: r.bestCandidateId,
    best_val_score: r.bestValScore,
    metric_calls: r.metricCalls,
    wall_s: r.wallS,
    iterations: r.iterations,
    stop_reason: r.stopReason,
    run_dir: r.runDir,
    ...(r.test ? { test_score: r.test.score, test_metric_calls: r.test.metricCalls } : {}),
    reflection_tokens: r.reflectionTokens,
    candidates: r.candidates.map((c) => ({
      id: c.id,
      components: c.components,
      val_score: c.valScore,
      parents: c.parents,
      found_at_metric_calls: c.foundAtMetricCalls,
      origin: c.origin,
    })),
  };
}

export function buildResult(run: GepaRunState, extra: { wallS: number; stopReason: StopReason | null; runDir: string | null; test?: TestScore }): GepaResult {
  if (!run.candidates.length) throw new Error('internal: no candidate has been evaluated yet');
  const best = run.candidates[bestCandidateId(run)]!;
  const base = {
    bestCandidate: best.components,
    bestCandidateId: best.id,
    bestValScore: best.valScore,
    metricCalls: run.metricCalls,
    wallS: extra.wallS,
    iterations: run.iteration,
    stopReason: extra.stopReason,
    runDir: extra.runDir,
    ...(extra.test ? { test: extra.test } : {}),
    reflectionTokens: run.reflectionTokens,
    candidates: run.candidates.map((c) => ({
      id: c.id,
      components: c.components,
      valScore: c.valScore,
      parents: c.parents,
      foundAtMetricCalls: c.foundAtMetricCalls,
      origin: c.origin,
    })),
  };
  return { ...base, toJson: () => resultToJson(base) };
}
