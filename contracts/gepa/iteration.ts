/**
 * The steps of one GEPA iteration as pure functions over (run state, work in
 * progress). The statechart sequences them; keeping them here makes each rule
 * (skip if perfect, strict improvement, merge acceptance, merge scheduling)
 * one small, testable function.
 */
import { hashCandidate } from './hash.js';
import { proposeMerge } from './merge.js';
import { Rng } from './rng.js';
import { nextMinibatch } from './sampler.js';
import { selectComponents, selectParent } from './selection.js';
import { addCandidate, bestCandidateId, bestValScore, cachedRecords, cachedScores, seedCandidates } from './state.js';
import type { Candidate, EvalRecord, GepaRunState, IterationOutcome, IterationRecord, Origin, Split } from './types.js';

export interface IterationWork {
  iteration: number;
  kind: Origin;
  /** Reflective: [parent]. Merge: [i, j]. */
  parents: number[];
  ancestor: number | null;
  /** Where the proposal is judged: the train minibatch, or a validation subsample for a merge. */
  split: Split;
  batch: number[];
  components: string[];
  /** Reflective: per-example parent scores on the batch. Merge: the two parents' sums on the subsample. */
  parentScores: number[];
  child: Candidate | null;
  childScores: number[];
  /**
   * The chain (setting `chain_length`): the last child accepted on its
   * minibatch and not yet validated. It is the working parent of the next
   * step, and the candidate validated when the chain ends.
   */
  accepted: Candidate | null;
  /** Minibatch-accepted steps in this iteration's chain so far. */
  chain: number;
  /** Round-robin pointer of the chain's next step (starts at the pool parent's). */
  chainRr: number;
  /** Metric calls when the iteration began: an iteration that paid nothing counts as idle. */
  startMetricCalls: number;
  outcome: IterationOutcome | null;
  newCandidateId: number | null;
  error: string | null;
}

/** What the reflection step needs: the parent, what to rewrite, and how the parent did on the batch. */
export interface ReflectRequest {
  candidate: Candidate;
  components: string[];
  batch: number[];
  records: EvalRecord[];
  iteration: number;
}

export interface ReflectOutput {
  texts: Record<string, string>;
  /** Tokens the reflection model used for this proposal (0 when an adapter proposed). */
  tokens?: number;
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

function work(run: GepaRunState, init: Partial<IterationWork> & Pick<IterationWork, 'kind' | 'parents' | 'split' | 'batch'>): IterationWork {
  return {
    iteration: run.iteration,
    ancestor: null,
    components: [],
    parentScores: [],
    child: null,
    childScores: [],
    accepted: null,
    chain: 0,
    chainRr: 0,
    startMetricCalls: run.metricCalls,
    outcome: null,
    newCandidateId: null,
    error: null,
    ...init,
  };
}

export function seedWork(run: GepaRunState): IterationWork {
  return work(run, { kind: 'seed', parents: [], split: 'val', batch: [], child: seedCandidates(run)[run.candidates.length]! });
}

export const beginIteration = (run: GepaRunState): GepaRunState => ({ ...run, iteration: run.iteration + 1 });

/**
 * Merges are tried only right after an iteration that found a new candidate,
 * while some are due; max_merge_invocations is a hard cap on accepted merges
 * (the reference can overshoot it when merges pile up as due).
 */
export const mergeScheduled = (run: GepaRunState): boolean =>
  run.settings.use_merge && run.merge.due > 0 && run.merge.lastIterFoundNew && run.merge.tested < run.settings.max_merge_invocations;

/** Selection: the parent, drawn from the frontier (or by the configured strategy). */
export function selectParentStep(run: GepaRunState): { run: GepaRunState; work: IterationWork } {
  const rng = new Rng(run.rng);
  const agg = run.candidates.map((c) => c.valScore);
  const parent = selectParent(run.settings.candidate_selection, run.frontier, agg, rng, run.settings.epsilon);
  return {
    run: { ...run, rng: rng.state, merge: { ...run.merge, lastIterFoundNew: false } },
    work: work(run, { kind: 'reflective', parents: [parent], split: 'train', batch: [] }),
  };
}

/** Sampling: the next train minibatch of the epoch-shuffled order. */
export function sampleStep(run: GepaRunState, w: IterationWork): { run: GepaRunState; work: IterationWork } {
  const rng = new Rng(run.rng);
  const { batch, sampler } = nextMinibatch(run.sampler, run.trainSize, run.settings.minibatch_size, rng);
  return { run: { ...run, rng: rng.state, sampler }, work: { ...w, batch } };
}

export function startMerge(run: GepaRunState): { run: GepaRunState; work: IterationWork | null } {
  const rng = new Rng(run.rng);
  const { proposal, merge } = proposeMerge(run.candidates, run.frontier, run.componentNames, run.merge, rng);
  const next = { ...run, rng: rng.state, merge: { ...merge, lastIterFoundNew: false } };
  if (!proposal) return { run: next, work: null };
  const [i, j] = proposal.parents;
  const scoresOn = (id: number) => sum(proposal.subsample.map((k) => run.candidates[id]!.valScores[k]!));
  return {
    run: next,
    work: work(run, {
      kind: 'merge',
      parents: [i, j],
      ancestor: proposal.ancestor,
      split: 'val',
      batch: proposal.subsample,
      parentScores: [scoresOn(i), scoresOn(j)],
      child: proposal.candidate,
    }),
  };
}

/** The candidate this step mutates: the chain's last accepted child, else the pool parent. */
export const parentOf = (run: GepaRunState, w: IterationWork): Candidate => w.accepted ?? run.candidates[w.parents[0]!]!.components;

export function recordParentScores(run: GepaRunState, w: IterationWork): IterationWork {
  return { ...w, parentScores: cachedScores(run, parentOf(run, w), 'train', w.batch) };
}

export const parentPerfect = (run: GepaRunState, w: IterationWork): boolean => w.parentScores.every((s) => s >= run.settings.perfect_score);

/** Pick the component(s) to rewrite and advance the round-robin pointer (the parent's, or the chain's). */
export function chooseComponents(run: GepaRunState, w: IterationWork): { run: GepaRunState; work: IterationWork } {
  const id = w.parents[0]!;
  const parent = run.candidates[id]!;
  if (w.accepted) {
    const { components, nextPointer } = selectComponents(run.settings.component_selection, run.componentNames, w.chainRr);
    return { run, work: { ...w, components, chainRr: nextPointer } };
  }
  const { components, nextPointer } = selectComponents(run.settings.component_selection, run.componentNames, parent.rrNext);
  const candidates = run.candidates.map((c) => (c.id === id ? { ...c, rrNext: nextPointer } : c));
  return { run: { ...run, candidates }, work: { ...w, components, chainRr: nextPointer } };
}

/**
 * Chaining: a child accepted on its minibatch is mutated again on the next
 * minibatch before it is validated, up to `chain_length` accepted steps; the
 * chain's last accepted child is then validated and enters the pool. Every
 * step still has to strictly beat its own parent on its minibatch, and every
 * candidate in the pool still has its full validation scores: intermediate
 * children, superseded by their descendant, are just never paid a validation.
 * `chain_length: 1` is the reference's behaviour (validate each accepted child).
 */
export const canExtendChain = (run: GepaRunState, w: IterationWork): boolean => w.kind === 'reflective' && w.chain + 1 < run.settings.chain_length;

/** The accepted child becomes the chain's working parent; the next minibatch is sampled next. */
export function extendChain(w: IterationWork): IterationWork {
  return { ...w, accepted: w.child, chain: w.chain + 1, child: null, childScores: [], parentScores: [], components: [] };
}

/** The chain stopped (no improvement, nothing proposed, parent perfect): validate its last accepted child. */
export const chainPending = (w: IterationWork): boolean => w.accepted !== null;

export function endChain(w: IterationWork): IterationWork {
  return { ...w, child: w.accepted };
}

export function reflectRequest(run: GepaRunState, w: IterationWork): ReflectRequest {
  const candidate = parentOf(run, w);
  return { candidate, components: w.components, batch: w.batch, records: cachedRecords(run, candidate, 'train', w.batch), iteration: w.iteration };
}

/**
 * The child: the parent with the proposed texts of the chosen components.
 * Ends the iteration when nothing changed, or when the child is a candidate
 * already in the pool (re-adding it would cost nothing and teach nothing).
 */
export function applyProposal(run: GepaRunState, w: IterationWork, out: ReflectOutput): IterationWork {
  const parent = parentOf(run, w);
  const child: Candidate = { ...parent };
  for (const name of w.components) {
    const text = out.texts[name];
    if (typeof text === 'string' && text.trim()) child[name] = text;
  }
  const hash = hashCandidate(child);
  if (hash === hashCandidate(parent)) return { ...w, outcome: 'no_change' };
  if (run.candidates.some((c) => c.hash === hash)) return { ...w, child: w.accepted ?? child, outcome: 'duplicate' };
  return { ...w, child };
}

export function recordChildScores(run: GepaRunState, w: IterationWork): IterationWork {
  return { ...w, childScores: cachedScores(run, w.child!, w.split, w.batch) };
}

/** Reflective children must strictly beat the parent's minibatch sum. */
export const childImproved = (w: IterationWork): boolean => sum(w.childScores) > sum(w.parentScores);

/** A merge must do at least as well as the better parent on the subsample. */
export const mergeAccepted = (w: IterationWork): boolean => sum(w.childScores) >= Math.max(...w.parentScores);

export function commitChild(run: GepaRunState, w: IterationWork): { run: GepaRunState; work: IterationWork } {
  const origin: Origin = w.kind;
  // Discovery is counted after the validation that found it: finding it cost that much.
  const added = addCandidate(run, { components: w.child!, parents: w.parents, origin, foundAtMetricCalls: run.metricCalls });
  let merge = added.run.merge;
  if (origin === 'reflective') {
    merge = { ...merge, lastIterFoundNew: true, due: merge.due + (merge.tested < run.settings.max_merge_invocations ? 1 : 0) };
  } else if (origin === 'merge') {
    merge = { ...merge, due: merge.due - 1, tested: merge.tested + 1 };
  }
  return {
    run: { ...added.run, merge },
    work: { ...w, outcome: origin === 'seed' ? 'seed' : 'accepted', newCandidateId: added.id },
  };
}

export function iterationRecord(run: GepaRunState, w: IterationWork): IterationRecord {
  const merge = w.kind === 'merge';
  const added = w.newCandidateId === null ? null : run.candidates[w.newCandidateId]!;
  return {
    iteration: w.iteration,
    kind: w.kind,
    outcome: w.outcome ?? 'rejected',
    parents: w.parents,
    ancestor: w.ancestor,
    components: w.components,
    split: w.split,
    batch: w.batch,
    parent_scores: w.parentScores,
    child_scores: w.childScores,
    parent_sum: w.kind === 'seed' ? null : merge ? Math.max(...w.parentScores) : sum(w.parentScores),
    child_sum: w.childScores.length ? sum(w.childScores) : null,
    new_candidate: w.newCandidateId,
    val_score: added ? added.valScore : null,
    metric_calls: run.metricCalls,
    best_candidate: bestCandidateId(run),
    best_val_score: bestValScore(run),
    candidates: run.candidates.length,
    chain: w.chain + (w.outcome === 'accepted' && w.kind === 'reflective' ? 1 : 0),
    error: w.error,
  };
}
