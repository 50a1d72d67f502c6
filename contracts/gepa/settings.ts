/**
 * The settings GEPA's pure core reads, as domain types. The config layer's
 * zod schema (src/config/gepaConfig.ts) is built from the choices here and its
 * output must fit these types where it is handed to the core: one direction,
 * config -> contracts, checked by the compiler at each hand-over.
 */
export const CANDIDATE_SELECTIONS = ['pareto', 'current_best', 'epsilon_greedy'] as const;
export const COMPONENT_SELECTIONS = ['round_robin', 'all'] as const;
export const FRONTIER_TYPES = ['instance', 'objective', 'hybrid'] as const;

export type CandidateSelection = (typeof CANDIDATE_SELECTIONS)[number];
export type ComponentSelection = (typeof COMPONENT_SELECTIONS)[number];
export type FrontierType = (typeof FRONTIER_TYPES)[number];

/** The keys of `offline:` that shape the search; stored in the run state, so a resume must keep them. */
export const ALGORITHM_KEYS = [
  'minibatch_size',
  'candidate_selection',
  'epsilon',
  'component_selection',
  'use_merge',
  'max_merge_invocations',
  'seed',
  'perfect_score',
  'reflection_prompt_template',
  'chain_length',
  'frontier_type',
] as const satisfies readonly (keyof AlgorithmSettings)[];

export interface AlgorithmSettings {
  minibatch_size: number;
  candidate_selection: CandidateSelection;
  epsilon: number;
  component_selection: ComponentSelection;
  use_merge: boolean;
  max_merge_invocations: number;
  seed: number;
  perfect_score: number;
  /** Must contain <curr_param> and <side_info>; null = built-in template. */
  reflection_prompt_template: string | null;
  /** Minibatch-accepted reflective steps chained before one validation; 1 = validate every accepted child (the reference). */
  chain_length: number;
  /** What the Pareto frontier is over: validation instances, objectives (the metric's named scores), or both. */
  frontier_type: FrontierType;
}

/** Keys whose values differ, for a resume that must refuse a changed search. */
export function changedAlgorithmKeys(stored: AlgorithmSettings, given: AlgorithmSettings): string[] {
  return ALGORITHM_KEYS.filter((k) => stored[k] !== given[k]).map((k) => `${k} (run: ${JSON.stringify(stored[k])}, now: ${JSON.stringify(given[k])})`);
}

/** What online learning's rules read (`online:` of gepa_config.yaml). */
export interface OnlineSettings {
  /** Rolling window of goal outcomes considered. */
  window: number;
  /** Weight multiplier per step back in time, (0, 1]. */
  recency_decay: number;
  /** Mutate when the weighted composite score falls below this, [0, 1]. */
  threshold: number;
  /** Also mutate every N goals; 0 = only on threshold. */
  every_n_goals: number;
  /** Candidates kept. */
  pool_size: number;
  /** Outcomes needed before judging. */
  min_outcomes: number;
  /** A goal or subtask scoring at least this counts as a success; below it, as a failure to learn from. */
  success_score: number;
  /** Share of goals that run the challenger while a trial is on, (0, 1). */
  challenger_share: number;
  /** Switch when P(challenger's success rate > champion's) exceeds this; reject below 1 - it. */
  confidence: number;
  /** Scored goals each arm needs before the rule may decide. */
  min_trial_goals: number;
  /** A trial with this many goals and no switch rejects the challenger. */
  max_trial_goals: number;
}
