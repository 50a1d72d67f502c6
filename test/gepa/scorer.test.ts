/** Scorers, one concept: one loader for metrics and team scorers (the same three export shapes serve both), one normaliser to one result shape. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadScorer, ScorerError, toScoreResult } from '../../src/gepa/scorer.js';

const SHAPES = {
  'default function': 'export default (a) => 1;',
  'default object with score': 'export default { bonus: 1, score(a) { return this.bonus; } };',
  'named score': 'export const score = () => 1;',
};

describe('scoring modules', () => {
  for (const [shape, source] of Object.entries(SHAPES)) {
    it(`a ${shape} serves as a metric and as a scorer`, async () => {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'score-'));
      const file = path.join(dir, 'm.mjs');
      await fs.writeFile(file, source);
      const metric = await loadScorer(file, 'metric');
      expect(await metric({ input: 'q', answer: 'a', additional_context: {} }, 'out')).toBe(1);
      const scorer = await loadScorer(file, 'scorer');
      expect(await scorer('q', 'out', 'a', { input: 'q' })).toBe(1);
    });
  }

  it('a module without a scoring function is refused with each kind of error', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'score-'));
    const file = path.join(dir, 'none.mjs');
    await fs.writeFile(file, 'export const other = 1;');
    await expect(loadScorer(file, 'metric')).rejects.toThrow(ScorerError);
    await expect(loadScorer(file, 'metric')).rejects.toThrow(/metric module .*none\.mjs must export a function \(example, output\)/);
    await expect(loadScorer(file, 'scorer')).rejects.toThrow(/scorer module .*none\.mjs must export a function \(input, output, expected, example\)/);
  });
});

describe('one result shape', () => {
  const fallback = (score: number, bare: boolean) => (bare ? `bare ${score}` : `plain ${score}`);
  it('reads every value a scorer may return into {score, feedback, metadata}', () => {
    expect(toScoreResult(0.5, 'the scorer', fallback)).toEqual({ score: 0.5, feedback: 'bare 0.5', metadata: null });
    expect(toScoreResult({ score: 1 }, 'the scorer', fallback)).toEqual({ score: 1, feedback: 'plain 1', metadata: null });
    expect(toScoreResult({ score: 1, feedback: 'good', dimension_scores: { a: 1 } }, 'the scorer')).toEqual({
      score: 1,
      feedback: 'good',
      metadata: { feedback: 'good', dimension_scores: { a: 1 } },
    });
    expect(toScoreResult([0.25, { feedback: 'meh' }], 'the scorer')).toEqual({ score: 0.25, feedback: 'meh', metadata: { feedback: 'meh' } });
    expect(toScoreResult([0.25], 'the scorer')).toEqual({ score: 0.25, feedback: 'The output scored 0.25.', metadata: null });
  });

  it('refuses anything else, naming the source', () => {
    for (const bad of ['high', Number.NaN, Number.POSITIVE_INFINITY, null, undefined, {}, { score: '1' }, [], ['1']]) {
      expect(() => toScoreResult(bad, 'the scorer in s.mjs')).toThrow(ScorerError);
      expect(() => toScoreResult(bad, 'the scorer in s.mjs')).toThrow(/^the scorer in s\.mjs must return a finite number/);
    }
  });

  it('a loaded scorer names its module when it throws or returns a bad value', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'score-'));
    const throws = path.join(dir, 'throws.mjs');
    await fs.writeFile(throws, 'export default () => { throw new Error("nope"); };');
    await expect((await loadScorer(throws, 'scorer'))('q', 'o', undefined, { input: 'q' })).rejects.toThrow(/the scorer in .*throws\.mjs threw: nope/);
    const bad = path.join(dir, 'bad.mjs');
    await fs.writeFile(bad, 'export default () => "high";');
    await expect((await loadScorer(bad, 'scorer'))('q', 'o', undefined, { input: 'q' })).rejects.toThrow(/bad\.mjs must return a finite number/);
  });
});

describe('toScoreResult (properties)', () => {
  const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
  const meta = fc.record({ feedback: fc.string(), dimension_scores: fc.dictionary(fc.string({ minLength: 1 }), finite) }, { requiredKeys: [] });

  it('keeps the score of every accepted shape, and feedback is always text', () => {
    const value = fc.oneof(
      finite,
      fc.tuple(finite, meta).map(([score, m]) => ({ score, ...m })),
      fc.tuple(finite, meta).map(([score, m]) => [score, m] as [number, typeof m]),
    );
    fc.assert(
      fc.property(value, (v) => {
        const r = toScoreResult(v, 'the scorer');
        const score = typeof v === 'number' ? v : Array.isArray(v) ? v[0] : v.score;
        expect(r.score).toBe(score);
        expect(typeof r.feedback).toBe('string');
        const given = typeof v === 'number' ? undefined : Array.isArray(v) ? v[1]?.feedback : v.feedback;
        if (given !== undefined) expect(r.feedback).toBe(given);
        if (r.metadata) expect(r.metadata).not.toHaveProperty('score');
      }),
    );
  });

  it('refuses every score that is not a finite number', () => {
    const bad = fc.oneof(fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY), fc.string(), fc.boolean(), fc.constant(null));
    fc.assert(
      fc.property(bad, (score) => {
        for (const v of [score, { score }, [score]]) expect(() => toScoreResult(v, 'the scorer')).toThrow(ScorerError);
      }),
    );
  });
});
