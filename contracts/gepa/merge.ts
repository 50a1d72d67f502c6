/**
 * System-aware merge (GEPA §3, "Merge"): take two frontier candidates that
 * descend from a common ancestor and improved *different* components, and
 * build a child that keeps each one's improvement. Per component: if one side
 * still has the ancestor's text, take the other side's; if both changed it,
 * take the side with the better mean validation score. Pure, seeded.
 */
import { hashCandidate } from './hash.js';
import { nonDominated } from './pareto.js';
import type { Rng } from './rng.js';
import type { Candidate, CandidateRecord, MergeState } from './types.js';
import type { Frontier } from './pareto.js';

export interface MergeProposal {
  parents: [number, number];
  ancestor: number;
  candidate: Candidate;
  /** Validation indices to try the merge on before paying for a full validation. */
  subsample: number[];
}

/** Validation examples tried before a merge is accepted. */
export const MERGE_SUBSAMPLE_SIZE = 5;
const ATTEMPTS = 10;

function ancestorsOf(id: number, candidates: readonly CandidateRecord[]): Set<number> {
  const seen = new Set<number>();
  const stack = [...candidates[id]!.parents];
  while (stack.length) {
    const p = stack.pop()!;
    if (seen.has(p)) continue;
    seen.add(p);
    stack.push(...candidates[p]!.parents);
  }
  return seen;
}

/** Some component is unchanged on one side and changed on the other: there is something to combine. */
function complementary(names: readonly string[], anc: Candidate, a: Candidate, b: Candidate): boolean {
  return names.some((n) => (anc[n] === a[n] || anc[n] === b[n]) && a[n] !== b[n]);
}

function findTriplet(
  candidates: readonly CandidateRecord[],
  pool: readonly number[],
  names: readonly string[],
  merge: MergeState,
  rng: Rng,
): [number, number, number] | null {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const [x, y] = rng.sample(pool, 2) as [number, number];
    const [i, j] = x < y ? [x, y] : [y, x];
    const ai = ancestorsOf(i, candidates);
    const aj = ancestorsOf(j, candidates);
    if (ai.has(j) || aj.has(i)) continue; // one descends from the other: nothing to merge
    const common = [...ai]
      .filter((a) => aj.has(a))
      .sort((p, q) => p - q)
      .filter((a) => !merge.triplets.some(([ti, tj, ta]) => ti === i && tj === j && ta === a))
      .filter((a) => candidates[a]!.valScore <= candidates[i]!.valScore && candidates[a]!.valScore <= candidates[j]!.valScore)
      .filter((a) => complementary(names, candidates[a]!.components, candidates[i]!.components, candidates[j]!.components));
    if (common.length)
      return [
        i,
        j,
        rng.weighted(
          common,
          common.map((a) => candidates[a]!.valScore),
        ),
      ];
  }
  return null;
}

function combine(
  names: readonly string[],
  [i, j, a]: [number, number, number],
  candidates: readonly CandidateRecord[],
  rng: Rng,
): { candidate: Candidate; sources: number[] } {
  const [ci, cj, ca] = [candidates[i]!, candidates[j]!, candidates[a]!];
  const candidate: Candidate = { ...ca.components };
  const sources: number[] = [];
  for (const n of names) {
    const [ti, tj, ta] = [ci.components[n]!, cj.components[n]!, ca.components[n]!];
    let from: number;
    if ((ta === ti || ta === tj) && ti !== tj) from = ta === ti ? j : i;
    else if (ta !== ti && ta !== tj && ti !== tj) from = ci.valScore > cj.valScore ? i : cj.valScore > ci.valScore ? j : rng.pick([i, j]);
    else from = i;
    candidate[n] = candidates[from]!.components[n]!;
    sources.push(from);
  }
  return { candidate, sources };
}

/**
 * Validation indices where parent 1 wins, where parent 2 wins, and where they
 * tie, a few of each: the subsample shows whether the merge kept both strengths.
 */
export function mergeSubsample(s1: readonly number[], s2: readonly number[], rng: Rng, size = MERGE_SUBSAMPLE_SIZE): number[] {
  const ids = s1.map((_, k) => k);
  const want = Math.min(size, ids.length);
  const buckets = [ids.filter((k) => s1[k]! > s2[k]!), ids.filter((k) => s2[k]! > s1[k]!), ids.filter((k) => s1[k] === s2[k])];
  const each = Math.max(1, Math.ceil(want / 3));
  const chosen: number[] = [];
  for (const bucket of buckets) {
    const take = Math.min(bucket.length, each, want - chosen.length);
    if (take > 0) chosen.push(...rng.sample(bucket, take));
  }
  if (chosen.length < want)
    chosen.push(
      ...rng.sample(
        ids.filter((k) => !chosen.includes(k)),
        want - chosen.length,
      ),
    );
  return chosen;
}

export function proposeMerge(
  candidates: readonly CandidateRecord[],
  frontier: Frontier,
  names: readonly string[],
  merge: MergeState,
  rng: Rng,
): { proposal: MergeProposal | null; merge: MergeState } {
  const pool = nonDominated(
    frontier,
    candidates.map((c) => c.valScore),
  );
  if (pool.length < 2 || candidates.length < 3) return { proposal: null, merge };
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const triplet = findTriplet(candidates, pool, names, merge, rng);
    if (!triplet) continue;
    const { candidate, sources } = combine(names, triplet, candidates, rng);
    const descriptor = `${triplet[0]},${triplet[1]}:${sources.join(',')}`;
    if (merge.descriptors.includes(descriptor)) continue;
    // Both sides' texts may come from one parent: a copy of a known candidate teaches nothing.
    const hash = hashCandidate(candidate);
    if (candidates.some((c) => c.hash === hash)) continue;
    const [i, j, ancestor] = triplet;
    const subsample = mergeSubsample(candidates[i]!.valScores, candidates[j]!.valScores, rng);
    return {
      proposal: { parents: [i, j], ancestor, candidate, subsample },
      merge: { ...merge, triplets: [...merge.triplets, triplet], descriptors: [...merge.descriptors, descriptor] },
    };
  }
  return { proposal: null, merge };
}
