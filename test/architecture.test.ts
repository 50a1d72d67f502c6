/**
 * The layer rules of .dependency-cruiser.cjs hold: no import cycle, no import against
 * the layer order, every src/ folder declared. A failure lists each offending import.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { cruise } from 'dependency-cruiser';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const rulesFile = path.join(root, '.dependency-cruiser.cjs');

async function violations(): Promise<string[]> {
  const config = createRequire(import.meta.url)(rulesFile);
  const cwd = process.cwd();
  process.chdir(root); // dependency-cruiser reports and matches paths relative to the working directory
  try {
    const result = await cruise(['contracts', 'machines', 'src'], { validate: true, ruleSet: { forbidden: config.forbidden }, ...config.options }, undefined, {
      tsConfig: extractTSConfig(path.join(root, 'tsconfig.json')),
    });
    if (typeof result.output === 'string') throw new Error(result.output);
    return result.output.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);
  } finally {
    process.chdir(cwd);
  }
}

describe('architecture', () => {
  it('has no import cycle and no import against the layer order', async () => {
    expect(await violations()).toEqual([]);
  });
});
