/**
 * The small deterministic pieces the engine is built from: the serialisable
 * PRNG, the epoch-shuffled sampler, parent and component selection, content
 * hashes, the concurrency pool, merge construction and settings.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashCandidate } from '../../contracts/gepa/hash.js';
import { mergeSubsample, proposeMerge } from '../../contracts/gepa/merge.js';
import { addToFrontier, emptyFrontier } from '../../contracts/gepa/pareto.js';
import { mapPool } from '../../src/gepa/pool.js';
import { Rng, seedRng } from '../../contracts/gepa/rng.js';
import { emptySampler, nextMinibatch } from '../../contracts/gepa/sampler.js';
import { selectComponents, selectParent } from '../../contracts/gepa/selection.js';
import { GepaSettingsError, resolveSettings } from '../../src/gepa/settings.js';
import type { CandidateRecord, MergeState } from '../../contracts/gepa/types.js';

describe('Rng', () => {
  it('continues identically from a saved state', () => {
    const a = new Rng(seedRng(42));
    for (let i = 0; i < 10; i++) a.next();
    const b = new Rng(JSON.parse(JSON.stringify(a.state)));
    expect(Array.from({ length: 20 }, () => a.next())).toEqual(Array.from({ length: 20 }, () => b.next()));
  });

  it('differs across seeds and stays in [0, 1)', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const r = new Rng(seedRng(seed));
        for (let i = 0; i < 50; i++) {
          const x = r.next();
          expect(x).toBeGreaterThanOrEqual(0);
          expect(x).toBeLessThan(1);
        }
      }),
    );
    expect(new Rng(seedRng(0)).next()).not.toBe(new Rng(seedRng(1)).next());
  });
});

describe('epoch-shuffled sampler', () => {
  it('shows every example once per epoch, padding the last batch with the least-seen', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 5 }), fc.integer(), (n, size, seed) => {
        const rng = new Rng(seedRng(seed));
        let s = emptySampler();
        const perEpoch = Math.ceil(n / size);
        const seen: number[] = [];
        for (let b = 0; b < perEpoch; b++) {
          const next = nextMinibatch(s, n, size, rng);
          expect(next.batch).toHaveLength(size);
          seen.push(...next.batch);
          s = next.sampler;
        }
        expect(new Set(seen).size).toBe(n);
        expect(s.epoch).toBe(0);
        // Across two epochs no example is scheduled more than once more than any other.
        for (let b = 0; b < perEpoch; b++) s = nextMinibatch(s, n, size, rng).sampler;
        expect(Math.max(...s.freq) - Math.min(...s.freq)).toBeLessThanOrEqual(1 + Math.ceil(size / n));
      }),
    );
  });
});

describe('selection', () => {
  const frontier = addToFrontier(addToFrontier(emptyFrontier(), 0, [1, 0]), 1, [0, 1]);

  it('current_best takes the best mean, the earliest on a tie', () => {
    expect(selectParent('current_best', frontier, [0.5, 0.7], new Rng(1), 0)).toBe(1);
    expect(selectParent('current_best', frontier, [0.5, 0.5], new Rng(1), 0)).toBe(0);
  });

  it('epsilon_greedy exploits at epsilon 0 and explores at epsilon 1', () => {
    const rng = new Rng(3);
    for (let i = 0; i < 20; i++) expect(selectParent('epsilon_greedy', frontier, [0.2, 0.9, 0.1], rng, 0)).toBe(1);
    const picks = new Set(Array.from({ length: 60 }, () => selectParent('epsilon_greedy', frontier, [0.2, 0.9, 0.1], rng, 1)));
    expect(picks).toEqual(new Set([0, 1, 2]));
  });

  it('round_robin walks the components; all takes every one', () => {
    const names = ['a', 'b', 'c'];
    expect(selectComponents('round_robin', names, 0)).toEqual({ components: ['a'], nextPointer: 1 });
    expect(selectComponents('round_robin', names, 2)).toEqual({ components: ['c'], nextPointer: 0 });
    expect(selectComponents('all', names, 1)).toEqual({ components: names, nextPointer: 1 });
  });
});

describe('hashCandidate', () => {
  it('ignores key order and tells texts apart', () => {
    expect(hashCandidate({ a: 'x', b: 'y' })).toBe(hashCandidate({ b: 'y', a: 'x' }));
    expect(hashCandidate({ a: 'x', b: 'y' })).not.toBe(hashCandidate({ a: 'x', b: 'y ' }));
    expect(hashCandidate({ a: 'xy' })).not.toBe(hashCandidate({ ax: 'y' }));
  });
});

describe('mapPool', () => {
  it('keeps item order and never exceeds the limit', async () => {
    let inFlight = 0;
    let max = 0;
    const out = await mapPool([5, 1, 4, 2, 3, 0, 6], 3, async (x) => {
      inFlight++;
      max = Math.max(max, inFlight);
      for (let i = 0; i < x; i++) await Promise.resolve(); // finish in a different order than started
      inFlight--;
      return x * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30, 0, 60]);
    expect(max).toBe(3);
  });

  it('stops starting work after a failure and reports it', async () => {
    const started: number[] = [];
    await expect(
      mapPool([0, 1, 2, 3, 4], 1, async (x) => {
        started.push(x);
        if (x === 1) throw new Error('boom');
        return x;
      }),
    ).rejects.toThrow('boom');
    expect(started).toEqual([0, 1]);
  });
});

describe('merge', () => {
  const rec = (id: number, components: Record<string, string>, parents: number[], valScores: number[]): CandidateRecord => ({
    id,
    components,
    hash: hashCandidate(components),
    parents,
    origin: id === 0 ? 'seed' : 'reflective',
    valScores,
    valScore: valScores.reduce((a, b) => a + b, 0) / valScores.length,
    foundAtMetricCalls: 0,
    foundAtIteration: id,
    rrNext: 0,
  });
  const candidates = [
    rec(0, { a: 'A0', b: 'B0' }, [], [0, 0, 0, 0]),
    rec(1, { a: 'A1', b: 'B0' }, [0], [1, 1, 0, 0]),
    rec(2, { a: 'A0', b: 'B2' }, [0], [0, 0, 1, 1]),
  ];
  let frontier = emptyFrontier();
  candidates.forEach((c) => (frontier = addToFrontier(frontier, c.id, c.valScores)));
  const none: MergeState = { due: 1, tested: 0, lastIterFoundNew: true, triplets: [], descriptors: [] };

  it('combines the components each sibling improved, and never proposes the same merge twice', () => {
    const rng = new Rng(seedRng(0));
    const first = proposeMerge(candidates, frontier, ['a', 'b'], none, rng);
    expect(first.proposal).toMatchObject({ parents: [1, 2], ancestor: 0, candidate: { a: 'A1', b: 'B2' } });
    expect(first.merge.triplets).toEqual([[1, 2, 0]]);
    expect(proposeMerge(candidates, frontier, ['a', 'b'], first.merge, rng).proposal).toBeNull();
  });

  it('does not merge a candidate with its own ancestor', () => {
    const chain = [candidates[0]!, candidates[1]!, rec(2, { a: 'A1', b: 'B2' }, [1], [1, 1, 1, 0])];
    let f = emptyFrontier();
    chain.forEach((c) => (f = addToFrontier(f, c.id, c.valScores)));
    expect(proposeMerge(chain, f, ['a', 'b'], none, new Rng(1)).proposal).toBeNull();
  });

  it('draws the subsample from where each parent wins and where they tie', () => {
    const sub = mergeSubsample([1, 1, 0, 0, 1, 0], [0, 0, 1, 1, 1, 0], new Rng(5));
    expect(sub).toHaveLength(5);
    expect(new Set(sub).size).toBe(5);
    expect(sub.filter((k) => k < 2).length).toBeGreaterThan(0);
    expect(sub.filter((k) => k === 2 || k === 3).length).toBeGreaterThan(0);
  });
});

describe('settings', () => {
  it('takes the config defaults for missing keys', () => {
    expect(resolveSettings({ seed: 3 })).toMatchObject({
      seed: 3,
      max_metric_calls: 200,
      minibatch_size: 3,
      candidate_selection: 'pareto',
      target_score: null,
    });
  });

  it('names a bad key', () => {
    expect(() => resolveSettings({ minibatch_size: 0 })).toThrow(GepaSettingsError);
    expect(() => resolveSettings({ minibatch_size: 0 })).toThrow(/minibatch_size/);
    expect(() => resolveSettings({ reflection_prompt_template: 'no placeholders' })).toThrow(/reflection_prompt_template/);
  });
});
