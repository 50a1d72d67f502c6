/**
 * The per-validation-instance Pareto frontier (GEPA §3, Algorithm 2). For each
 * validation instance it keeps the best score seen and every candidate that
 * reaches it. Parent selection prunes candidates whose every winning instance
 * is also won by another remaining candidate, then samples the rest in
 * proportion to how many instances they win: candidates that are best
 * *somewhere* stay in play, not only the best on average.
 */
import type { Rng } from './rng.js';

export interface Frontier {
  /** Best score per validation instance. */
  best: number[];
  /** Ids of the candidates reaching that score, ascending. */
  members: number[][];
}

export function emptyFrontier(): Frontier {
  return { best: [], members: [] };
}

/** A new frontier with candidate `id` (per-instance `scores`) taken into account. */
export function addToFrontier(frontier: Frontier, id: number, scores: readonly number[]): Frontier {
  const best = [...frontier.best];
  const members = frontier.members.map((m) => [...m]);
  scores.forEach((score, i) => {
    const current = best[i];
    if (current === undefined || score > current) {
      best[i] = score;
      members[i] = [id];
    } else if (score === current && !members[i]!.includes(id)) {
      members[i] = [...members[i]!, id].sort((a, b) => a - b);
    }
  });
  return { best, members };
}

/**
 * Candidates that survive pruning: a candidate goes when every instance it is
 * best on still has another best candidate left. Removal goes lowest
 * aggregate score first (ties: lower id first), so of two candidates winning
 * the same instances the better one on average stays. Removing a candidate
 * never makes another removable that was not, so one ordered pass does what
 * the reference's remove-and-rescan loop does, in time linear in the frontier.
 */
export function nonDominated(frontier: Frontier, aggScores: readonly number[]): number[] {
  const fronts = new Map<number, number[]>(); // candidate -> instances it is best on
  frontier.members.forEach((front, i) => front.forEach((p) => fronts.set(p, [...(fronts.get(p) ?? []), i])));
  const left = frontier.members.map((front) => front.length);
  const order = [...fronts.keys()].sort((a, b) => (aggScores[a] ?? 0) - (aggScores[b] ?? 0) || a - b);
  const kept: number[] = [];
  for (const y of order) {
    const instances = fronts.get(y)!;
    if (instances.every((i) => left[i]! > 1)) instances.forEach((i) => left[i]!--);
    else kept.push(y);
  }
  return kept.sort((a, b) => a - b);
}

/** The frontier with pruned candidates taken out of every instance. */
export function prunedMembers(frontier: Frontier, aggScores: readonly number[]): number[][] {
  const keep = new Set(nonDominated(frontier, aggScores));
  return frontier.members.map((front) => front.filter((p) => keep.has(p)));
}

/** Each surviving candidate with the number of instances it is (among the) best on. */
export function frontierWeights(frontier: Frontier, aggScores: readonly number[]): { ids: number[]; weights: number[] } {
  const counts = new Map<number, number>();
  for (const front of prunedMembers(frontier, aggScores)) for (const p of front) counts.set(p, (counts.get(p) ?? 0) + 1);
  const ids = [...counts.keys()].sort((a, b) => a - b);
  return { ids, weights: ids.map((id) => counts.get(id)!) };
}

/** Index of the highest aggregate score; the earliest wins a tie. */
export function argmax(scores: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i]! > scores[best]!) best = i;
  return best;
}

export function selectFromFrontier(frontier: Frontier, aggScores: readonly number[], rng: Rng): number {
  const { ids, weights } = frontierWeights(frontier, aggScores);
  if (!ids.length) return argmax(aggScores);
  return rng.weighted(ids, weights);
}
