/**
 * The online optimizer's state and its rules, as pure functions: the rolling
 * composite metric, the candidate pool scored over recent goals, when to
 * mutate, and when to switch the live prompts. Restored from the history file
 * at the start of every run (warm start).
 */
import type { GepaOnlineConfig } from '../../config/index.js';
import type { HistoryRecord, OutcomeKind } from './history.js';

export const SEED_ID = 'seed';

export interface Outcome {
  outcome: OutcomeKind;
  candidateId: string;
  components: string[];
  input: string;
  output: string;
  score: number;
  feedback: string;
}

export interface PoolCandidate {
  id: string;
  parentId: string | null;
  components: Record<string, string>;
  /** Scores of the goals run while it was live, most recent last (bounded by the window). */
  goalScores: number[];
}

export interface OnlineState {
  candidates: PoolCandidate[];
  activeId: string;
  /** The last `window` outcomes, oldest first. */
  outcomes: Outcome[];
  /** Composite after each recorded outcome, for the dashboard timeline (bounded). */
  timeline: number[];
  outcomesSinceMutation: number;
  goalsSinceMutation: number;
}

export type OnlineSettings = Pick<GepaOnlineConfig, 'window' | 'recency_decay' | 'threshold' | 'every_n_goals' | 'pool_size' | 'min_outcomes'>;

const TIMELINE_POINTS = 200;

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
    outcomes: [],
    timeline: [],
    outcomesSinceMutation: 0,
    goalsSinceMutation: 0,
  };
}

export function activeCandidate(state: OnlineState): PoolCandidate {
  return state.candidates.find((c) => c.id === state.activeId) ?? state.candidates[0]!;
}

export function meanScore(c: PoolCandidate): number | null {
  return c.goalScores.length ? c.goalScores.reduce((a, b) => a + b, 0) / c.goalScores.length : null;
}

export function recordOutcome(state: OnlineState, o: Outcome, settings: OnlineSettings): OnlineState {
  const outcomes = [...state.outcomes, o].slice(-settings.window);
  const candidates =
    o.outcome === 'goal'
      ? state.candidates.map((c) => (c.id === o.candidateId ? { ...c, goalScores: [...c.goalScores, o.score].slice(-settings.window) } : c))
      : state.candidates;
  return {
    ...state,
    candidates,
    outcomes,
    timeline: [...state.timeline, composite(outcomes, settings.recency_decay)!].slice(-TIMELINE_POINTS),
    outcomesSinceMutation: state.outcomesSinceMutation + 1,
    goalsSinceMutation: state.goalsSinceMutation + (o.outcome === 'goal' ? 1 : 0),
  };
}

/** Mutate when the composite is below the threshold (with enough fresh evidence), or every N goals. */
export function mutationReason(state: OnlineState, settings: OnlineSettings): string | null {
  const c = composite(state.outcomes, settings.recency_decay);
  if (c !== null && state.outcomes.length >= settings.min_outcomes && state.outcomesSinceMutation >= settings.min_outcomes && c < settings.threshold) {
    return `composite ${c.toFixed(3)} below threshold ${settings.threshold}`;
  }
  if (settings.every_n_goals > 0 && state.goalsSinceMutation >= settings.every_n_goals) {
    return `${state.goalsSinceMutation} goals since the last mutation (every_n_goals ${settings.every_n_goals})`;
  }
  return null;
}

/** Failing outcomes that used a component: the evidence reflection works from. */
export function failingTraces(state: OnlineState, component: string): Outcome[] {
  return state.outcomes.filter((o) => o.score < 1 && o.components.includes(component));
}

/** A new candidate becomes live at once, to be scored over the next goals; the pool keeps the best. */
export function addCandidate(state: OnlineState, c: Omit<PoolCandidate, 'goalScores'>, settings: OnlineSettings): OnlineState {
  const candidates = prunePool([...state.candidates, { ...c, goalScores: [] }], c.id, settings.pool_size);
  return { ...state, candidates, activeId: c.id, outcomesSinceMutation: 0, goalsSinceMutation: 0 };
}

function prunePool(candidates: PoolCandidate[], keepId: string, size: number): PoolCandidate[] {
  if (candidates.length <= size) return candidates;
  const ranked = [...candidates].sort((a, b) => (meanScore(b) ?? -1) - (meanScore(a) ?? -1));
  const keep = new Set([keepId, ...ranked.filter((c) => c.id !== keepId).slice(0, size - 1).map((c) => c.id)]);
  return candidates.filter((c) => keep.has(c.id));
}

/**
 * After a goal: once the live candidate has been judged on two goals, switch
 * to any pool candidate whose mean goal score is strictly higher.
 */
export function bestSwitch(state: OnlineState): { to: string; reason: string } | null {
  const active = activeCandidate(state);
  const activeMean = meanScore(active);
  if (activeMean === null || active.goalScores.length < 2) return null;
  let best: PoolCandidate | null = null;
  for (const c of state.candidates) {
    const m = meanScore(c);
    if (c.id !== active.id && m !== null && m > activeMean && (best === null || m > meanScore(best)!)) best = c;
  }
  return best ? { to: best.id, reason: `${best.id} scores ${meanScore(best)!.toFixed(3)} over recent goals, ${active.id} ${activeMean.toFixed(3)}` } : null;
}

/** Rebuild the state from the history file; components missing from old candidates come from the seed. */
export function restoreState(records: readonly HistoryRecord[], seed: Record<string, string>, settings: OnlineSettings): OnlineState {
  let state = seedState(seed);
  for (const r of records) {
    if (r.kind === 'candidate') {
      if (state.candidates.some((c) => c.id === r.id)) continue;
      state = addCandidate(state, { id: r.id, parentId: r.parentId, components: { ...seed, ...r.components } }, settings);
    } else if (r.kind === 'switch') {
      if (state.candidates.some((c) => c.id === r.to)) state = { ...state, activeId: r.to };
    } else if (r.kind === 'outcome') {
      state = recordOutcome(state, r, settings);
    }
  }
  return state;
}

/** What the dashboard shows: the composite now, its timeline, and the pool. */
export function metricsOf(state: OnlineState, settings: OnlineSettings) {
  return {
    composite: composite(state.outcomes, settings.recency_decay),
    timeline: state.timeline.map((composite, at) => ({ at, composite })),
    candidates: state.candidates.map((c) => ({ id: c.id, score: meanScore(c), active: c.id === state.activeId })),
  };
}
