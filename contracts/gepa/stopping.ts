/**
 * When the search has nothing left to do. The reference pays for every parent
 * evaluation, so its budget always runs out; with the evaluation cache an
 * iteration can cost nothing, so the engine must notice on its own that
 * iterating further cannot change anything (`converged`) or is not changing
 * anything (`stalled`), instead of spinning for free forever.
 */
import { mergeScheduled, type IterationWork } from './iteration.js';
import { argmax, nonDominated } from './pareto.js';
import type { GepaRunState } from './types.js';

/**
 * An iteration costs nothing when its parent is perfect on a cached minibatch
 * or its proposal was evaluated before. After this many in a row (three epochs
 * per candidate the selection can pick) nothing new is being learned.
 */
export const idleLimit = (run: GepaRunState): number => Math.max(20, 3 * Math.ceil(run.trainSize / run.settings.minibatch_size) * selectable(run).length);

export const stalled = (run: GepaRunState): boolean => run.idle >= idleLimit(run);

/** Count the finished iteration as idle or not. */
export function finishIteration(run: GepaRunState, w: IterationWork): GepaRunState {
  if (w.kind === 'seed') return run;
  return { ...run, idle: run.metricCalls === w.startMetricCalls ? run.idle + 1 : 0 };
}

/** Candidates the parent selection may return. */
export function selectable(run: GepaRunState): number[] {
  const agg = run.candidates.map((c) => c.valScore);
  switch (run.settings.candidate_selection) {
    case 'pareto': {
      const kept = nonDominated(run.frontier, agg);
      return kept.length ? kept : [argmax(agg)];
    }
    case 'current_best':
      return [argmax(agg)];
    case 'epsilon_greedy':
      return run.settings.epsilon > 0 ? run.candidates.map((c) => c.id) : [argmax(agg)];
  }
}

/**
 * Nothing can change any more: no merge is due, and every candidate the
 * selection may pick already has a perfect cached score on every train
 * example, so every future iteration would skip.
 */
export function converged(run: GepaRunState): boolean {
  if (mergeScheduled(run) || !run.candidates.length) return false;
  return selectable(run).every((id) => {
    const cached = run.cache[run.candidates[id]!.hash] ?? {};
    return run.exampleIds.train.every((key) => (cached[key]?.score ?? -Infinity) >= run.settings.perfect_score);
  });
}
