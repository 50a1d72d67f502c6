/**
 * The online optimizer's state and its rules, as pure functions: the rolling
 * composite metric, when to propose a challenger, the champion/challenger
 * trial (contracts/gepa/trialRule.ts) and its decisions. Restored from the
 * history file at the start of every run (warm start).
 *
 * Evidence only: an outcome the infrastructure caused (a transport or
 * provider error, a cancellation, a limit hit) carries `excluded` and is
 * never scored, never counted in a trial and never shown to reflection.
 */
import type { HistoryRecord, OutcomeKind } from './history.js';
import type { DecisionSummary, Trial } from './trial.js';
import type { OnlineSettings } from './settings.js';
import { judgeTrial, type TrialDecision } from './trialRule.js';

export const SEED_ID = 'seed';

export interface Outcome {
  outcome: OutcomeKind;
  candidateId: string;
  components: string[];
  input: string;
  output: string;
  score: number;
  feedback: string;
  /** Why this outcome says nothing about the prompts (infrastructure); absent for a real outcome. */
  excluded?: string;
}

export interface PoolCandidate {
  id: string;
  parentId: string | null;
  components: Record<string, string>;
  /** Scores of the goals it ran, most recent last (bounded by the window). */
  goalScores: number[];
}

export interface OnlineState {
  candidates: PoolCandidate[];
  /** The champion: the prompts in force. */
  activeId: string;
  /** The challenger under trial, with the evidence of both arms; null when no trial runs. */
  trial: Trial | null;
  /** The last `window` scored outcomes, oldest first. */
  outcomes: Outcome[];
  /** Composite after each recorded outcome, for the dashboard timeline (bounded). */
  timeline: number[];
  outcomesSinceMutation: number;
  goalsSinceMutation: number;
  /** The last decisions (bounded). */
  decisions: DecisionSummary[];
}

/** Defaults for the keys older callers do not pass. */
export const TRIAL_DEFAULTS = { success_score: 1, challenger_share: 0.5, confidence: 0.95, min_trial_goals: 10, max_trial_goals: 80 } as const;

const TIMELINE_POINTS = 200;
const DECISIONS_KEPT = 20;

/** Completion rate weighted toward recent outcomes: weight decay^age, age 0 for the newest. */
export function composite(outcomes: readonly Outcome[], decay: number): number | null {
  if (!outcomes.length) return null;
  let num = 0;
  let den = 0;
  for (let i = 0; i < outcomes.length; i++) {
    const w = decay ** (outcomes.length - 1 - i);
    num += w * outcomes[i]!.score;
    den += w;
  }
  return num / den;
}

export function seedState(seed: Record<string, string>): OnlineState {
  return {
    candidates: [{ id: SEED_ID, parentId: null, components: { ...seed }, goalScores: [] }],
    activeId: SEED_ID,
    trial: null,
    outcomes: [],
    timeline: [],
    outcomesSinceMutation: 0,
    goalsSinceMutation: 0,
    decisions: [],
  };
}

export function activeCandidate(state: OnlineState): PoolCandidate {
  return state.candidates.find((c) => c.id === state.activeId) ?? state.candidates[0]!;
}

export function candidateById(state: OnlineState, id: string): PoolCandidate | null {
  return state.candidates.find((c) => c.id === id) ?? null;
}

export function meanScore(c: PoolCandidate): number | null {
  return c.goalScores.length ? c.goalScores.reduce((a, b) => a + b, 0) / c.goalScores.length : null;
}

const success = (score: number, settings: OnlineSettings) => score >= (settings.success_score ?? TRIAL_DEFAULTS.success_score);

export function recordOutcome(state: OnlineState, o: Outcome, settings: OnlineSettings): OnlineState {
  if (o.excluded !== undefined) return state; // not evidence about the prompts
  const outcomes = [...state.outcomes, o].slice(-settings.window);
  const goal = o.outcome === 'goal';
  const candidates = goal
    ? state.candidates.map((c) => (c.id === o.candidateId ? { ...c, goalScores: [...c.goalScores, o.score].slice(-settings.window) } : c))
    : state.candidates;
  let trial = state.trial;
  if (goal && trial && (o.candidateId === trial.championId || o.candidateId === trial.challengerId)) {
    const arm = o.candidateId === trial.challengerId ? 'challenger' : 'champion';
    const e = trial[arm];
    trial = { ...trial, [arm]: success(o.score, settings) ? { ...e, successes: e.successes + 1 } : { ...e, failures: e.failures + 1 } };
  }
  return {
    ...state,
    candidates,
    trial,
    outcomes,
    timeline: [...state.timeline, composite(outcomes, settings.recency_decay)!].slice(-TIMELINE_POINTS),
    outcomesSinceMutation: state.outcomesSinceMutation + 1,
    goalsSinceMutation: state.goalsSinceMutation + (goal ? 1 : 0),
  };
}

/** Propose a challenger when none is on trial and the composite is below the threshold (with enough fresh evidence), or every N goals. */
export function mutationReason(state: OnlineState, settings: OnlineSettings): string | null {
  if (state.trial) return null;
  const c = composite(state.outcomes, settings.recency_decay);
  if (c !== null && state.outcomes.length >= settings.min_outcomes && state.outcomesSinceMutation >= settings.min_outcomes && c < settings.threshold) {
    return `composite ${c.toFixed(3)} below threshold ${settings.threshold}`;
  }
  if (settings.every_n_goals > 0 && state.goalsSinceMutation >= settings.every_n_goals) {
    return `${state.goalsSinceMutation} goals since the last mutation (every_n_goals ${settings.every_n_goals})`;
  }
  return null;
}

/** Failing scored outcomes that used a component: the evidence reflection works from (never infrastructure failures). */
export function failingTraces(state: OnlineState, component: string, settings?: OnlineSettings): Outcome[] {
  const bar = settings?.success_score ?? TRIAL_DEFAULTS.success_score;
  return state.outcomes.filter((o) => o.excluded === undefined && o.score < bar && o.components.includes(component));
}

/** A new candidate does not go live: it becomes the challenger of a trial against the champion. */
export function proposeChallenger(state: OnlineState, c: Omit<PoolCandidate, 'goalScores'>, settings: OnlineSettings): OnlineState {
  const candidates = prunePool([...state.candidates, { ...c, goalScores: [] }], [c.id, state.activeId], settings.pool_size);
  const empty = { successes: 0, failures: 0 };
  return {
    ...state,
    candidates,
    trial: { championId: state.activeId, challengerId: c.id, champion: empty, challenger: empty },
    outcomesSinceMutation: 0,
    goalsSinceMutation: 0,
  };
}

function prunePool(candidates: PoolCandidate[], keepIds: string[], size: number): PoolCandidate[] {
  if (candidates.length <= size) return candidates;
  const ranked = [...candidates].sort((a, b) => (meanScore(b) ?? -1) - (meanScore(a) ?? -1));
  const keep = new Set([...keepIds, ...ranked.filter((c) => !keepIds.includes(c.id)).map((c) => c.id)].slice(0, Math.max(size, keepIds.length)));
  return candidates.filter((c) => keep.has(c.id));
}

export function trialRule(settings: OnlineSettings) {
  return {
    confidence: settings.confidence ?? TRIAL_DEFAULTS.confidence,
    minGoals: settings.min_trial_goals ?? TRIAL_DEFAULTS.min_trial_goals,
    maxGoals: settings.max_trial_goals ?? TRIAL_DEFAULTS.max_trial_goals,
  };
}

/** The rule's verdict on the running trial (null when none runs). */
export function trialVerdict(state: OnlineState, settings: OnlineSettings): TrialDecision | null {
  return state.trial ? judgeTrial(state.trial, trialRule(settings)) : null;
}

/** Apply a decided verdict: a switch makes the challenger the champion; a reject drops it from the pool. */
export function applyDecision(state: OnlineState, d: DecisionSummary): OnlineState {
  const decisions = [...state.decisions, d].slice(-DECISIONS_KEPT);
  if (d.verdict === 'switch') {
    return candidateById(state, d.challengerId) ? { ...state, activeId: d.challengerId, trial: null, decisions } : { ...state, trial: null, decisions };
  }
  const candidates = state.candidates.filter((c) => c.id !== d.challengerId || c.id === state.activeId);
  return { ...state, candidates, trial: null, decisions };
}

export function decisionOf(state: OnlineState, d: TrialDecision): DecisionSummary | null {
  if (!state.trial || d.verdict === 'continue') return null;
  const { championId, challengerId } = state.trial;
  return { verdict: d.verdict, championId, challengerId, champion: d.champion, challenger: d.challenger, pBetter: d.pBetter, reason: d.reason };
}

/** Rebuild the state from the history file; components missing from old candidates come from the seed. */
export function restoreState(records: readonly HistoryRecord[], seed: Record<string, string>, settings: OnlineSettings): OnlineState {
  let state = seedState(seed);
  for (const r of records) {
    if (r.kind === 'reset') state = seedState(seed);
    else if (r.kind === 'candidate') {
      if (state.candidates.some((c) => c.id === r.id)) continue;
      state = proposeChallenger(state, { id: r.id, parentId: r.parentId, components: { ...seed, ...r.components } }, settings);
    } else if (r.kind === 'switch') {
      // An installed candidate (optimize --install) or an older history: put it in force directly.
      if (state.candidates.some((c) => c.id === r.to)) state = { ...state, activeId: r.to, trial: state.trial?.challengerId === r.to ? null : state.trial };
    } else if (r.kind === 'decision') {
      if (state.trial?.challengerId === r.challengerId) state = applyDecision(state, r);
    } else if (r.kind === 'outcome') {
      state = recordOutcome(state, r, settings);
    }
  }
  return state;
}

/** What the dashboard shows: the composite now, its timeline, the pool and the trial. */
export function metricsOf(state: OnlineState, settings: OnlineSettings) {
  return {
    composite: composite(state.outcomes, settings.recency_decay),
    timeline: state.timeline.map((composite, at) => ({ at, composite })),
    candidates: state.candidates.map((c) => ({
      id: c.id,
      score: meanScore(c),
      active: c.id === state.activeId,
      challenger: c.id === state.trial?.challengerId,
    })),
    trial: state.trial,
  };
}
