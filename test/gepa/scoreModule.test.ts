/** Metrics and team scorers load through one loader: the same three export shapes work for both. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMetric, MetricError } from '../../src/gepa/metric.js';
import { loadScorer, ScorerError } from '../../src/teams/scorer.js';

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
      const metric = await loadMetric(file);
      expect((await metric({ input: 'q', answer: 'a', additional_context: {} }, 'out')).score).toBe(1);
      const scorer = await loadScorer(file);
      expect(await scorer('q', 'out', 'a', { input: 'q' })).toBe(1);
    });
  }

  it('a module without a scoring function is refused with each kind of error', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'score-'));
    const file = path.join(dir, 'none.mjs');
    await fs.writeFile(file, 'export const other = 1;');
    await expect(loadMetric(file)).rejects.toThrow(MetricError);
    await expect(loadScorer(file)).rejects.toThrow(ScorerError);
    await expect(loadScorer(file)).rejects.toThrow(/scorer module .*none\.mjs must export a function/);
  });
});
