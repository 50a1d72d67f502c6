/**
 * Property tests of the per-instance Pareto frontier and of parent selection
 * over it, on random score matrices (scores drawn from a few values, so ties
 * are common).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addToFrontier, emptyFrontier, frontierWeights, nonDominated, prunedMembers, selectFromFrontier, type Frontier } from '../../contracts/gepa/pareto.js';
import { Rng } from '../../contracts/gepa/rng.js';

const matrix = fc
  .tuple(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 6 }))
  .chain(([n, m]) => fc.array(fc.array(fc.constantFrom(0, 0.25, 0.5, 1), { minLength: m, maxLength: m }), { minLength: n, maxLength: n }));

function build(scores: number[][]): { frontier: Frontier; agg: number[] } {
  let frontier = emptyFrontier();
  scores.forEach((s, id) => (frontier = addToFrontier(frontier, id, s)));
  return { frontier, agg: scores.map((s) => s.reduce((a, b) => a + b, 0) / s.length) };
}

/** Classic dominance: at least as good everywhere, strictly better somewhere. */
const dominates = (a: number[], b: number[]) => a.every((x, i) => x >= b[i]!) && a.some((x, i) => x > b[i]!);

/** The reference's definition, literally: remove the first removable candidate, rescan, repeat. */
function naiveNonDominated(frontier: Frontier, agg: number[]): number[] {
  const order = [...new Set(frontier.members.flat())].sort((a, b) => agg[a]! - agg[b]! || a - b);
  const removed = new Set<number>();
  const removable = (y: number) => frontier.members.every((f) => !f.includes(y) || f.some((p) => p !== y && !removed.has(p)));
  for (let again = true; again; ) {
    again = false;
    const y = order.find((c) => !removed.has(c) && removable(c));
    if (y !== undefined) {
      removed.add(y);
      again = true;
    }
  }
  return order.filter((c) => !removed.has(c)).sort((a, b) => a - b);
}

describe('Pareto frontier', () => {
  it('prunes exactly as the reference remove-and-rescan loop does', () => {
    fc.assert(
      fc.property(matrix, (scores) => {
        const { frontier, agg } = build(scores);
        expect(nonDominated(frontier, agg)).toEqual(naiveNonDominated(frontier, agg));
      }),
      { numRuns: 500 },
    );
  });

  it("every instance's best score is the max over candidates, and its members are exactly the candidates reaching it", () => {
    fc.assert(
      fc.property(matrix, (scores) => {
        const { frontier } = build(scores);
        scores[0]!.forEach((_, i) => {
          const max = Math.max(...scores.map((s) => s[i]!));
          expect(frontier.best[i]).toBe(max);
          expect(frontier.members[i]).toEqual(scores.map((s, id) => (s[i] === max ? id : -1)).filter((id) => id >= 0));
        });
      }),
    );
  });

  it('pruning keeps at least one best candidate on every instance, and only best ones', () => {
    fc.assert(
      fc.property(matrix, (scores) => {
        const { frontier, agg } = build(scores);
        const pruned = prunedMembers(frontier, agg);
        pruned.forEach((front, i) => {
          expect(front.length).toBeGreaterThan(0);
          for (const p of front) expect(frontier.members[i]).toContain(p);
        });
      }),
    );
  });

  it('no dominated candidate is kept as the sole best of an instance', () => {
    fc.assert(
      fc.property(matrix, (scores) => {
        const { frontier, agg } = build(scores);
        for (const front of prunedMembers(frontier, agg)) {
          if (front.length !== 1) continue;
          const sole = front[0]!;
          for (let other = 0; other < scores.length; other++) expect(dominates(scores[other]!, scores[sole]!)).toBe(false);
        }
      }),
    );
  });

  it('a candidate dominated by another is always pruned; every kept candidate is the only one left on some instance', () => {
    fc.assert(
      fc.property(matrix, (scores) => {
        const { frontier, agg } = build(scores);
        const kept = nonDominated(frontier, agg);
        const pruned = prunedMembers(frontier, agg);
        for (const k of kept) {
          expect(scores.some((s) => dominates(s, scores[k]!))).toBe(false);
          expect(pruned.some((front) => front.length === 1 && front[0] === k)).toBe(true);
        }
      }),
    );
  });

  it('selection weights are the numbers of instances each kept candidate is best on', () => {
    fc.assert(
      fc.property(matrix, (scores) => {
        const { frontier, agg } = build(scores);
        const pruned = prunedMembers(frontier, agg);
        const { ids, weights } = frontierWeights(frontier, agg);
        expect(ids).toEqual(nonDominated(frontier, agg));
        ids.forEach((id, k) => expect(weights[k]).toBe(pruned.filter((front) => front.includes(id)).length));
      }),
    );
  });

  it('selection only ever returns frontier members', () => {
    fc.assert(
      fc.property(matrix, fc.integer({ min: 0, max: 2 ** 32 - 1 }), (scores, seed) => {
        const { frontier, agg } = build(scores);
        const kept = nonDominated(frontier, agg);
        const rng = new Rng(seed);
        for (let k = 0; k < 20; k++) expect(kept).toContain(selectFromFrontier(frontier, agg, rng));
      }),
    );
  });

  it('samples candidates in proportion to their instance counts', () => {
    // Candidate 0 is best alone on 3 instances, candidate 1 on 1: expect about 3:1.
    const { frontier, agg } = build([
      [1, 1, 1, 0],
      [0, 0, 0, 1],
    ]);
    const rng = new Rng(7);
    const counts = [0, 0];
    for (let k = 0; k < 4000; k++) counts[selectFromFrontier(frontier, agg, rng)]!++;
    expect(counts[0]! / counts[1]!).toBeGreaterThan(2.6);
    expect(counts[0]! / counts[1]!).toBeLessThan(3.4);
  });
});
