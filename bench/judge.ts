/**
 * Judge and synthetic-data benchmark. Prints plain numbers:
 *
 * - agreement with a labelled set of our own (bench/data/judge-labelled.jsonl,
 *   16 examples over the bench/data/judge-ws workspace, labels written by hand):
 *   the offline judge side by side with the pre-judge default score
 *   ("completed, and the answer contains `expected`": here, completed = 1);
 *   accuracy within ±0.2, Spearman rho, mean |error|, overall and split into
 *   rubrics of plain checks vs. rubrics of prose criteria;
 * - the judge's own cost per verdict, uncached and from the cache;
 * - data generation: the share of proposed goals that survive the
 *   near-duplicate filter and verification, over three workspaces.
 *
 *   npm run build && node dist/bench/judge.js
 */
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { OfflineModel } from '../src/aime/offline/index.js';
import { loadConfig } from '../src/config/index.js';
import { generateData } from '../src/data/generate.js';
import { checkJudge, Judge, loadLabelled, plainCheckOf, spearman, type LabelledExample } from '../src/judge/index.js';
import { createModelSet } from '../src/runtime/models.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const DATA = path.join(ROOT, 'bench', 'data', 'judge-labelled.jsonl');
const TOL = 0.2;
const r3 = (x: number | null) => (x === null ? 'n/a' : x.toFixed(3));

function stats(scores: number[], labels: number[]) {
  const agree = scores.filter((s, i) => Math.abs(s - labels[i]!) <= TOL + 1e-9).length;
  return {
    n: scores.length,
    accuracy: agree / scores.length,
    spearman: spearman(scores, labels),
    mae: scores.reduce((a, s, i) => a + Math.abs(s - labels[i]!), 0) / scores.length,
  };
}

async function agreement(): Promise<void> {
  const examples = await loadLabelled(DATA);
  const judge = new Judge({ model: new OfflineModel() });
  const r = await checkJudge({ judge, configRubric: null }, examples, TOL);
  const baseline = examples.map((e) => ((e.status ?? 'completed') === 'completed' ? 1 : 0));
  const plain = (e: LabelledExample) => (Array.isArray(e.rubric) ? e.rubric : []).every((c) => plainCheckOf(c) !== null);
  const groups: [string, (e: LabelledExample) => boolean][] = [
    ['all', () => true],
    ['plain-check rubrics', plain],
    ['prose rubrics', (e) => !plain(e)],
  ];
  console.log(`judge agreement with ${examples.length} hand-labelled examples (tolerance ±${TOL})`);
  console.log('| subset | n | scorer | accuracy | Spearman rho | mean abs error |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const [name, keep] of groups) {
    const idx = examples.map((e, i) => (keep(e) ? i : -1)).filter((i) => i >= 0);
    const labels = idx.map((i) => examples[i]!.label);
    for (const [scorer, scores] of [
      ['offline judge', idx.map((i) => r.rows[i]!.score)],
      ['completed = 1 (old default)', idx.map((i) => baseline[i]!)],
    ] as const) {
      const s = stats([...scores], labels);
      console.log(`| ${name} | ${s.n} | ${scorer} | ${r3(s.accuracy)} | ${r3(s.spearman)} | ${r3(s.mae)} |`);
    }
  }
}

async function cost(): Promise<void> {
  const examples = await loadLabelled(DATA);
  const rounds = 20;
  const judge = new Judge({ model: new OfflineModel() });
  const s = { judge, configRubric: null };
  let t = performance.now();
  for (let k = 0; k < rounds; k++) await checkJudge({ ...s, judge: judge.withPrompt(`round ${k}`) }, examples, TOL);
  const uncached = (performance.now() - t) / (rounds * examples.length);
  t = performance.now();
  for (let k = 0; k < rounds; k++) await checkJudge(s, examples, TOL);
  const cached = (performance.now() - t) / (rounds * examples.length);
  console.log(
    `\njudge cost per verdict (offline model, evidence gathering included): uncached ${uncached.toFixed(3)} ms, cached ${cached.toFixed(3)} ms (${(uncached / cached).toFixed(1)}x)`,
  );
}

async function survival(): Promise<void> {
  const config = loadConfig(path.join(ROOT, 'config'), { env: {} });
  const models = createModelSet(config.model);
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'gepa-bench-judge-'));
  const gepaCopy = path.join(tmp, 'gepa-src');
  await fsp.cp(path.join(ROOT, 'src', 'gepa'), gepaCopy, { recursive: true });
  const workspaces: [string, string][] = [
    ['bench/data/judge-ws', path.join(ROOT, 'bench', 'data', 'judge-ws')],
    ['examples/', path.join(ROOT, 'examples')],
    ['copy of src/gepa', gepaCopy],
  ];
  const seeds = ['Survey the workspace and write the layout to notes/layout.md', 'Find every TODO in the workspace and write them to notes/todos.md'];
  console.log('\ndata generate (offline generator and judge, count 8, 4 rounds at most)');
  console.log('| workspace | proposed | near-duplicates | verified | kept (pass / fail) | survive verification | kept / proposed | wall |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  let [p, v, k] = [0, 0, 0];
  for (const [name, ws] of workspaces) {
    const traces = await fsp.mkdtemp(path.join(tmp, 'traces-'));
    const t = performance.now();
    const r = await generateData({
      seeds,
      workspace: ws,
      count: 8,
      config,
      models,
      judge: { judge: new Judge({ model: new OfflineModel() }), configRubric: null },
      tracesDir: traces,
      outDir: tmp,
    });
    const wall = (performance.now() - t) / 1000;
    const pass = r.rows.filter((x) => x.verification.passed).length;
    console.log(
      `| ${name} | ${r.proposed} | ${r.duplicates} | ${r.verified} | ${r.rows.length} (${pass} / ${r.rows.length - pass}) | ${((100 * r.rows.length) / r.verified).toFixed(0)} % | ${((100 * r.rows.length) / r.proposed).toFixed(0)} % | ${wall.toFixed(1)} s |`,
    );
    [p, v, k] = [p + r.proposed, v + r.verified, k + r.rows.length];
  }
  console.log(`overall: ${k} kept of ${v} verified (${((100 * k) / v).toFixed(0)} %), of ${p} proposed (${((100 * k) / p).toFixed(0)} %)`);
  await fsp.rm(tmp, { recursive: true, force: true });
}

await agreement();
await cost();
await survival();
