/**
 * Side by side with gepa-ai/gepa (the reference): the same task, the same
 * simulated task and reflection models (bench/gepa_ref_driver.py holds the
 * Python twins of the functions below), the same data, budget and seeds.
 * Prints, per seed, the metric calls each engine spent until it had measured
 * its best validation score (the reference's best is the target for both),
 * their ratio, the medians, and wall times with a 20 ms model latency.
 *
 *   npm run build && GEPA_REF=/path/to/gepa/src node dist/bench/gepaVsReference.js
 *
 * GEPA_REF is the `src/` directory of a checkout of https://github.com/gepa-ai/gepa
 * (`git clone https://github.com/gepa-ai/gepa && export GEPA_REF=$PWD/gepa/src`);
 * it needs Python 3.10+ and nothing else. Options: GEPA_BENCH_SEEDS (default 7),
 * GEPA_BENCH_LATENCY_MS (default 20), GEPA_BENCH_CHAIN (our chain_length, default the config's).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createDefaultAdapter, optimize } from '../src/gepa/index.js';
import { GARBLE_EVERY, N_WORDS, RULE, reflectionModel, SPAN, taskModel, trainset, valset } from './support/wordTask.js';

const MINIBATCH = 3;
const BUDGET = 1500;
const CONCURRENCY = 4;
const SEED_PROMPT = 'Answer questions about words.';

interface Curve {
  /** [metric calls, best validation mean so far, seconds] at each validation. */
  points: [number, number, number][];
  metricCalls: number;
  wallS: number;
}

async function ours(seed: number, latency: number): Promise<Curve> {
  const points: [number, number, number][] = [];
  const t = performance.now();
  const chain = process.env['GEPA_BENCH_CHAIN'];
  const result = await optimize({
    adapter: createDefaultAdapter({ model: taskModel(latency) }),
    trainset,
    valset,
    seedCandidate: { system_prompt: SEED_PROMPT },
    reflectionModel: reflectionModel(latency),
    settings: { max_metric_calls: BUDGET, minibatch_size: MINIBATCH, seed, max_concurrency: CONCURRENCY, ...(chain ? { chain_length: Number(chain) } : {}) },
    onProgress: (e) => {
      if (e.type === 'iteration' && e.record.val_score !== null) points.push([e.record.metric_calls, e.record.best_val_score, (performance.now() - t) / 1000]);
    },
  });
  return { points, metricCalls: result.metricCalls, wallS: (performance.now() - t) / 1000 };
}

const here = path.dirname(fileURLToPath(import.meta.url));
const driver = [path.join(here, 'gepa_ref_driver.py'), path.join(here, '..', '..', 'bench', 'gepa_ref_driver.py')].find((p) => fs.existsSync(p))!;

function reference(ref: string, seed: number, latency: number): Promise<Curve> {
  const job = {
    latency_ms: latency,
    rule: RULE,
    concurrency: CONCURRENCY,
    train: trainset,
    val: valset,
    seed_prompt: SEED_PROMPT,
    span: SPAN,
    garble_every: GARBLE_EVERY,
    minibatch_size: MINIBATCH,
    max_metric_calls: BUDGET,
    seed,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.env['PYTHON'] ?? 'python3', [driver], { env: { ...process.env, PYTHONPATH: ref }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`the reference driver exited ${code}: ${err.trim().split('\n').slice(-5).join('\n')}`));
      const r = JSON.parse(out.trim().split('\n').at(-1)!) as { metric_calls: number; val_curve: [number, number, number][]; wall_s: number };
      let best = -1;
      const points = r.val_curve.map(([calls, mean, s]) => {
        best = Math.max(best, mean);
        return [calls, best, s] as [number, number, number];
      });
      resolve({ points, metricCalls: r.metric_calls, wallS: r.wall_s });
    });
    child.stdin.end(JSON.stringify(job));
  });
}

const best = (c: Curve) => Math.max(...c.points.map((p) => p[1]));
/** Metric calls (and seconds) when the curve first reached `target`, or null. */
const reach = (c: Curve, target: number) => c.points.find((p) => p[1] >= target - 1e-12) ?? null;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main(): Promise<void> {
  const ref = process.env['GEPA_REF'];
  if (!ref || !fs.existsSync(path.join(ref, 'gepa', '__init__.py'))) {
    console.error(
      'GEPA_REF must name the src/ directory of a gepa-ai/gepa checkout, e.g.\n' +
        '  git clone https://github.com/gepa-ai/gepa /tmp/gepa && GEPA_REF=/tmp/gepa/src node dist/bench/gepaVsReference.js\n' +
        '(Python 3.10+ and nothing else is needed).',
    );
    process.exit(2);
  }
  const seeds = Array.from({ length: Number(process.env['GEPA_BENCH_SEEDS'] ?? 7) }, (_, i) => i);
  const latency = Number(process.env['GEPA_BENCH_LATENCY_MS'] ?? 20);
  console.log(
    `GEPA vs gepa-ai/gepa: ${N_WORDS} train / ${N_WORDS} val, budget ${BUDGET}, minibatch ${MINIBATCH}, reflection span ${SPAN} facts, garbles every ${GARBLE_EVERY}th, concurrency ${CONCURRENCY}`,
  );
  console.log('');
  console.log('seed  target  ref_calls  our_calls  ratio  ref_total  our_total');
  const rows: { refCalls: number; ourCalls: number | null }[] = [];
  for (const seed of seeds) {
    const [r, o] = [await reference(ref, seed, 0), await ours(seed, 0)];
    const target = best(r);
    const rc = reach(r, target)![0];
    const oc = reach(o, target)?.[0] ?? null;
    rows.push({ refCalls: rc, ourCalls: oc });
    console.log(
      [
        String(seed).padStart(4),
        target.toFixed(3).padStart(6),
        String(rc).padStart(9),
        String(oc ?? 'never').padStart(9),
        (oc === null ? '-' : (oc / rc).toFixed(2)).padStart(5),
        String(r.metricCalls).padStart(9),
        String(o.metricCalls).padStart(9),
      ].join('  '),
    );
  }
  const refMedian = median(rows.map((r) => r.refCalls));
  const reached = rows.filter((r) => r.ourCalls !== null);
  const ourMedian = reached.length === rows.length ? median(rows.map((r) => r.ourCalls!)) : NaN;
  const worst = Math.max(...rows.map((r) => r.ourCalls ?? Infinity));
  console.log('');
  console.log(`median metric calls to the best score: reference ${refMedian}, ours ${ourMedian}, ratio ${(ourMedian / refMedian).toFixed(2)}`);
  console.log(`median of per-seed ratios: ${median(rows.map((r) => (r.ourCalls ?? Infinity) / r.refCalls)).toFixed(2)}`);
  console.log(`our worst seed: ${worst} calls (${worst <= refMedian ? 'not worse than' : 'WORSE than'} the reference's median ${refMedian})`);

  // Wall time with a model latency, seed 0: to the best score, and the whole run (same budget).
  const [r, o] = [await reference(ref, 0, latency), await ours(0, latency)];
  const target = best(r);
  const [rr, or] = [reach(r, target)!, reach(o, target)];
  console.log('');
  console.log(`wall time at ${latency} ms per model call, seed 0, concurrency ${CONCURRENCY}:`);
  console.log(
    `  to the best score: reference ${rr[2].toFixed(2)} s, ours ${or ? or[2].toFixed(2) : 'never'} s, ratio ${or ? (or[2] / rr[2]).toFixed(2) : '-'}`,
  );
  console.log(`  whole run:         reference ${r.wallS.toFixed(2)} s (${r.metricCalls} calls), ours ${o.wallS.toFixed(2)} s (${o.metricCalls} calls)`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
