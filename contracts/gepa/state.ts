/**
 * Pure operations on the run state: the evaluation cache and its metric-call
 * accounting, and adding a candidate to the pool and the frontier. The
 * statechart's actions are thin wrappers around these.
 */
import { hashCandidate, hashJson } from './hash.js';
import { addToFrontier, argmax, emptyFrontier } from './pareto.js';
import { seedRng } from './rng.js';
import { emptySampler } from './sampler.js';
import { frontierKeys, frontierVector, objectiveMeans } from './frontierType.js';
import type { AlgorithmSettings } from './settings.js';
import type { Candidate, EvalRecord, GepaRunState, Origin, ScoreIdentity, Split } from './types.js';

/**
 * What to evaluate: only the (candidate, example) pairs the cache does not
 * hold. This is the seam between the search and whoever runs evaluations
 * (in process, or a queue of workers): one batch of one candidate on some
 * examples of one split; back come the scores, outputs and traces.
 */
export interface EvalRequest {
  split: Split;
  candidate: Candidate;
  hash: string;
  /** Indices into the split of distinct, uncached examples. May be empty. */
  indices: number[];
  /** Keep the adapter's traces: only train minibatches, the evaluations reflection reads. */
  captureTraces: boolean;
  /** hashJson(scoreIdentity) of the run: with `hash` and the example id, the content key of each result. */
  scoreKey: string;
  /** Metric calls spent before this request, for progress reporting. */
  metricCallsBefore: number;
}

export interface EvalOutput {
  split: Split;
  hash: string;
  entries: { index: number; record: EvalRecord }[];
}

export function createRunState(init: {
  seedCandidate: Candidate;
  extraSeeds?: Candidate[];
  settings: AlgorithmSettings;
  exampleIds: { train: string[]; val: string[] };
  scoreIdentity?: ScoreIdentity;
}): GepaRunState {
  const scoreIdentity = init.scoreIdentity ?? {};
  return {
    version: 2,
    settings: init.settings,
    scoreIdentity,
    scoreKey: hashJson(scoreIdentity),
    seedCandidate: init.seedCandidate,
    ...(init.extraSeeds?.length ? { extraSeeds: init.extraSeeds } : {}),
    componentNames: Object.keys(init.seedCandidate),
    trainSize: init.exampleIds.train.length,
    valSize: init.exampleIds.val.length,
    exampleIds: init.exampleIds,
    candidates: [],
    frontier: emptyFrontier(),
    metricCalls: 0,
    iteration: 0,
    rng: seedRng(init.settings.seed),
    sampler: emptySampler(),
    merge: { due: 0, tested: 0, lastIterFoundNew: false, triplets: [], descriptors: [] },
    idle: 0,
    reflectionFailures: 0,
    reflectionTokens: 0,
    cache: {},
  };
}

export function cacheKey(run: GepaRunState, split: Split, index: number): string {
  const id = run.exampleIds[split][index];
  if (id === undefined) throw new Error(`internal: no ${split} example ${index}`);
  return id;
}

/**
 * A cached result serves a request unless it is of a train example and lacks
 * the trace reflection may need (evaluated by an adapter that kept none):
 * then the example is paid again.
 * Traces are asked for only when some requested example is a train example.
 */
export function evalRequest(run: GepaRunState, split: Split, candidate: Candidate, indices: readonly number[]): EvalRequest {
  const hash = hashCandidate(candidate);
  const cached = run.cache[hash] ?? {};
  const train = new Set(run.exampleIds.train);
  const wanted = new Set<string>();
  const missing = indices.filter((i) => {
    const key = cacheKey(run, split, i);
    const hit = cached[key];
    if ((hit && (!train.has(key) || hit.trajectory !== undefined)) || wanted.has(key)) return false;
    wanted.add(key);
    return true;
  });
  const captureTraces = missing.some((i) => train.has(cacheKey(run, split, i)));
  return { split, candidate, hash, indices: missing, captureTraces, scoreKey: run.scoreKey, metricCallsBefore: run.metricCalls };
}

/**
 * Store fresh evaluations; each one is one metric call. A trace is kept only
 * for an example of the train set (a validation example that is also a train
 * example keeps it too): those are the only traces reflection reads.
 */
export function applyEvaluation(run: GepaRunState, out: EvalOutput): GepaRunState {
  if (!out.entries.length) return run;
  const forCandidate = { ...(run.cache[out.hash] ?? {}) };
  const train = out.split === 'train' ? null : new Set(run.exampleIds.train);
  for (const { index, record } of out.entries) {
    const key = cacheKey(run, out.split, index);
    if (train && record.trajectory !== undefined && !train.has(key)) {
      const { trajectory: _t, ...kept } = record;
      forCandidate[key] = kept;
    } else forCandidate[key] = record;
  }
  return { ...run, cache: { ...run.cache, [out.hash]: forCandidate }, metricCalls: run.metricCalls + out.entries.length };
}

export function cachedRecords(run: GepaRunState, candidate: Candidate, split: Split, indices: readonly number[]): EvalRecord[] {
  const hash = hashCandidate(candidate);
  return indices.map((i) => {
    const r = run.cache[hash]?.[cacheKey(run, split, i)];
    if (!r) throw new Error(`internal: no evaluation cached for ${split} example ${i} of candidate ${hash}`);
    return r;
  });
}

export function cachedScores(run: GepaRunState, candidate: Candidate, split: Split, indices: readonly number[]): number[] {
  return cachedRecords(run, candidate, split, indices).map((r) => r.score);
}

/** Every seed candidate, the first one first. */
export const seedCandidates = (run: GepaRunState): Candidate[] => [run.seedCandidate, ...(run.extraSeeds ?? [])];

/** Seeds not yet validated into the pool (seeds come first, in order). */
export const seedsPending = (run: GepaRunState): boolean => run.candidates.length < seedCandidates(run).length;

export const valIndices = (run: GepaRunState): number[] => Array.from({ length: run.valSize }, (_, i) => i);

/** Add a fully validated candidate to the pool and the frontier. */
export function addCandidate(
  run: GepaRunState,
  c: { components: Candidate; parents: number[]; origin: Origin; foundAtMetricCalls: number },
): { run: GepaRunState; id: number } {
  const id = run.candidates.length;
  const records = cachedRecords(run, c.components, 'val', valIndices(run));
  const valScores = records.map((r) => r.score);
  const valScore = valScores.reduce((a, b) => a + b, 0) / Math.max(1, valScores.length);
  const objectives = objectiveMeans(records);
  const type = run.settings.frontier_type ?? 'instance';
  const keys = run.frontierKeys ?? frontierKeys(type, run.valSize, objectives);
  // A child continues the round-robin where its parents had got to.
  const rrNext = Math.max(0, ...c.parents.map((p) => run.candidates[p]!.rrNext));
  const record = {
    id,
    components: c.components,
    hash: hashCandidate(c.components),
    parents: c.parents,
    origin: c.origin,
    valScores,
    valScore,
    ...(Object.keys(objectives).length ? { objectiveScores: objectives } : {}),
    foundAtMetricCalls: c.foundAtMetricCalls,
    foundAtIteration: run.iteration,
    rrNext,
  };
  const frontier = addToFrontier(run.frontier, id, frontierVector(keys, valScores, objectives));
  return { run: { ...run, candidates: [...run.candidates, record], frontier, frontierKeys: keys }, id };
}

export function bestCandidateId(run: GepaRunState): number {
  return argmax(run.candidates.map((c) => c.valScore));
}

export function bestValScore(run: GepaRunState): number {
  return run.candidates.length ? run.candidates[bestCandidateId(run)]!.valScore : 0;
}
