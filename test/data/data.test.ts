/**
 * Synthetic data: near-duplicate filtering, the stratified split, and the
 * generate-then-verify team on the offline model (real runs, real judge).
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dropNearDuplicates, jaccard, tokenSet } from '../../src/data/dedupe.js';
import { generateData } from '../../src/data/generate.js';
import { splitTrainVal } from '../../src/data/split.js';
import { Judge } from '../../src/judge/index.js';
import { OfflineModel } from '../../src/aime/offline/index.js';
import { ScriptedModel } from '../../src/llm/scripted.js';
import { ModelError } from '../../contracts/llm.js';
import { createModelSet } from '../../src/runtime/models.js';
import { repoConfig, tempDir } from '../support/runtime.js';

describe('near-duplicates', () => {
  it('normalised token sets: case, punctuation, filler words and plural -s do not matter', () => {
    expect([...tokenSet('Please list ALL the files.')]).toEqual(['list', 'file']);
    expect(jaccard(tokenSet('List the files'), tokenSet('please list all files!'))).toBe(1);
    expect(jaccard(tokenSet('Search for "parser"'), tokenSet('Search for "lexer"'))).toBeLessThan(0.8);
  });

  it('keeps the first of each group, against existing texts too, and says what each dropped item repeats', () => {
    const r = dropNearDuplicates(
      ['Find every TODO and write notes/todos.md', 'Summarise the README', 'summarise the readme.', 'Please find every TODO and write notes/todos.md'],
      (s) => s,
      ['Find every TODO and write notes/todos.md'],
    );
    expect(r.kept).toEqual(['Summarise the README']);
    expect(r.dropped.map((d) => [d.item, d.of, d.similarity])).toEqual([
      ['Find every TODO and write notes/todos.md', 'Find every TODO and write notes/todos.md', 1],
      ['summarise the readme.', 'Summarise the README', 1],
      ['Please find every TODO and write notes/todos.md', 'Find every TODO and write notes/todos.md', 1],
    ]);
  });

  it('property: jaccard is symmetric, in [0, 1], 1 on itself; nothing kept is a near-duplicate of another kept item', () => {
    const text = fc
      .array(fc.constantFrom('list', 'files', 'the', 'write', 'notes', 'parser', 'lexer', 'readme', 'todo', 'summary'), { maxLength: 8 })
      .map((w) => w.join(' '));
    fc.assert(
      fc.property(fc.array(text, { maxLength: 12 }), (texts) => {
        for (const a of texts) {
          expect(jaccard(tokenSet(a), tokenSet(a))).toBe(1);
          for (const b of texts) {
            const j = jaccard(tokenSet(a), tokenSet(b));
            expect(j).toBeGreaterThanOrEqual(0);
            expect(j).toBeLessThanOrEqual(1);
            expect(jaccard(tokenSet(b), tokenSet(a))).toBe(j);
          }
        }
        const { kept, dropped } = dropNearDuplicates(texts, (s) => s);
        expect(kept.length + dropped.length).toBe(texts.length);
        for (let i = 0; i < kept.length; i++)
          for (let k = i + 1; k < kept.length; k++) expect(jaccard(tokenSet(kept[i]!), tokenSet(kept[k]!))).toBeLessThan(0.8);
      }),
    );
  });
});

describe('train/val split', () => {
  it('property: a partition (val at least one), each stratum represented in val once it has 3+ items, same seed same split', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('easy', 'medium', 'hard'), { minLength: 2, maxLength: 40 }), fc.integer(), (ds, seed) => {
        const items = ds.map((d, i) => ({ id: i, d }));
        const { train, val } = splitTrainVal(items, seed, (x) => x.d);
        expect([...train, ...val].map((x) => x.id).sort((a, b) => a - b)).toEqual(items.map((x) => x.id));
        expect(val.length).toBeGreaterThanOrEqual(1);
        expect(train.length).toBeGreaterThanOrEqual(1);
        for (const d of ['easy', 'medium', 'hard']) if (items.filter((x) => x.d === d).length >= 3) expect(val.some((x) => x.d === d)).toBe(true);
        expect(splitTrainVal(items, seed, (x) => x.d)).toEqual({ train, val });
      }),
    );
  });
});

describe('generateData (offline model, real reference runs, the offline judge)', () => {
  let ws: string;
  let traces: string;
  beforeEach(async () => {
    ws = await tempDir('gen-ws-');
    traces = await tempDir('gen-traces-');
    fs.mkdirSync(path.join(ws, 'src'));
    fs.writeFileSync(path.join(ws, 'README.md'), '# Demo\n\nA parser demo.\n');
    fs.writeFileSync(path.join(ws, 'src', 'parser.ts'), 'export const parse = 1; // TODO errors\n');
    fs.writeFileSync(path.join(ws, 'src', 'lexer.ts'), 'export const lex = 1;\n');
  });
  afterEach(() => {
    fs.rmSync(ws, { recursive: true, force: true });
    fs.rmSync(traces, { recursive: true, force: true });
  });

  it('keeps goals a reference run settles (passing or failing for a stated reason), drops near-duplicates and unsettleable ones', async () => {
    const config = repoConfig();
    const models = createModelSet(config.model);
    const r = await generateData({
      seeds: ['Find every TODO in the workspace and write them to notes/todos.md'],
      workspace: ws,
      count: 6,
      config,
      models,
      judge: { judge: new Judge({ model: new OfflineModel() }), configRubric: null },
      tracesDir: traces,
      outDir: path.dirname(ws),
    });
    expect(r.rows).toHaveLength(6);
    expect(r.train.length + r.val.length).toBe(6);
    for (const row of r.rows) {
      expect(row.workspace).toBe(path.basename(ws));
      expect(row.workspace_copy).toBe(true);
      expect(row.verification.passed ? row.verification.score : 0).toBe(row.verification.passed ? 1 : 0);
      if (!row.verification.passed) expect(row.verification.feedback).toMatch(/^Missing: /);
    }
    expect(r.rows.some((x) => x.verification.passed)).toBe(true);
    expect(r.rows.some((x) => !x.verification.passed)).toBe(true);
    expect(r.dropped.map((d) => d.reason)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^near-duplicate \(Jaccard 1\.00\) of "Find every TODO/),
        expect.stringMatching(/^not settleable: the judge cannot check "the project is clearly better"/),
      ]),
    );
    // Verification ran in copies: the workspace is as it was.
    expect(fs.readdirSync(ws).sort()).toEqual(['README.md', 'src']);
  });

  it('a judge that fails midway stops generation but keeps what was verified (no goal is kept on a failed judgement)', async () => {
    const config = repoConfig();
    const offline = new OfflineModel();
    let calls = 0;
    const flaky = {
      id: 'flaky',
      complete: async (req: Parameters<OfflineModel['complete']>[0]) => {
        if (++calls > 2) throw new ModelError('judge down', 'http', 500);
        return offline.complete(req);
      },
    };
    const r = await generateData({
      seeds: ['List the files'],
      workspace: ws,
      count: 6,
      config,
      models: createModelSet(config.model),
      judge: { judge: new Judge({ model: flaky }), configRubric: null },
      tracesDir: traces,
      outDir: ws,
    });
    expect(r.error).toBe('the judge model failed: judge down');
    expect(r.verified).toBe(2);
    expect(r.rows.length).toBeLessThanOrEqual(2);
    expect(r.rows.length + r.dropped.filter((d) => !d.reason.startsWith('near-duplicate')).length).toBe(2);
  });

  it('a generator reply that fails the schema twice is an error, not a silently empty data set', async () => {
    const config = repoConfig();
    const bad = new ScriptedModel([{ content: '{"goals": "many"}' }, { content: 'sorry' }]);
    const models = { ...createModelSet(config.model), reflection: bad };
    await expect(
      generateData({
        seeds: ['List the files'],
        workspace: ws,
        count: 2,
        config,
        models,
        judge: { judge: new Judge({ model: new OfflineModel() }), configRubric: null },
        tracesDir: traces,
        outDir: ws,
      }),
    ).resolves.toMatchObject({ rows: [], error: "the generator's reply failed validation twice: the reply holds no JSON object" });
    expect(bad.requests[1]!.messages.at(-1)!.content).toMatch(/did not match the required JSON schema:\n- goals: /);
  });
});
