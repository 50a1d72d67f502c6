/**
 * Which candidate to mutate next and which of its components to rewrite.
 * Pure functions of the run state and the seeded RNG.
 */
import type { CandidateSelection, ComponentSelection } from './settings.js';
import { argmax, selectFromFrontier, type Frontier } from './pareto.js';
import type { Rng } from './rng.js';

export function selectParent(strategy: CandidateSelection, frontier: Frontier, aggScores: readonly number[], rng: Rng, epsilon: number): number {
  switch (strategy) {
    case 'pareto':
      return selectFromFrontier(frontier, aggScores, rng);
    case 'current_best':
      return argmax(aggScores);
    case 'epsilon_greedy':
      // Explore uniformly with probability epsilon, otherwise exploit the best mean.
      return rng.next() < epsilon ? rng.int(aggScores.length) : argmax(aggScores);
  }
}

/**
 * Round-robin walks each candidate's own pointer, so every lineage takes turns
 * over all components; `all` rewrites every component at once.
 */
export function selectComponents(strategy: ComponentSelection, names: readonly string[], pointer: number): { components: string[]; nextPointer: number } {
  if (strategy === 'all') return { components: [...names], nextPointer: pointer };
  const i = pointer % names.length;
  return { components: [names[i]!], nextPointer: (i + 1) % names.length };
}
