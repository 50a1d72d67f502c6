/**
 * GEPA engine benchmark on a synthetic task with simulated (instant,
 * deterministic) models. Prints plain numbers:
 *
 * - search efficiency: best validation score, and metric calls spent when the
 *   best candidate was found / when that score was first reached;
 * - engine overhead per iteration with zero-latency models (all time that is
 *   not spent inside a model call; fastest of 3 runs), in memory and with a
 *   run directory (state.json rewritten atomically every iteration), and its
 *   share of the total had each model call taken 100 ms.
 *
 * The task: every example asks about one of 40 words; the task model answers
 * only if the system prompt holds that word's key, and in the right format
 * only with the format rule. Feedback on a failure names the key and the rule.
 * Train and validation ask about the same words in different phrasings. The
 * reflection model has a limited span: it adds at most 3 new facts per
 * proposal and garbles every 7th one (dropping all keys), so some children are
 * rejected and the search has to accumulate knowledge over iterations.
 *
 *   npm run build && node dist/bench/gepa.js
 */
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createDefaultAdapter, optimize, type GepaResult, type GepaSettingsInput } from '../src/gepa/index.js';
import { reflectionModel, taskModel, trainset, valset } from './support/wordTask.js';

interface Row {
  name: string;
  result: GepaResult;
  totalMs: number;
  modelMs: number;
  modelCalls: number;
  firstBestAt: number;
}

async function run(name: string, settings: GepaSettingsInput, runDir?: string): Promise<Row> {
  const task = taskModel();
  const reflection = reflectionModel();
  let best = -1;
  let firstBestAt = 0;
  const t = performance.now();
  const result = await optimize({
    adapter: createDefaultAdapter({ model: task }),
    trainset,
    valset,
    seedCandidate: { system_prompt: 'Answer questions about words.' },
    reflectionModel: reflection,
    settings: { max_metric_calls: 1500, minibatch_size: 3, seed: 0, ...settings },
    ...(runDir ? { runDir } : {}),
    onProgress: (e) => {
      if (process.env['GEPA_BENCH_DEBUG'] && e.type === 'iteration') console.log(name, e.record.iteration, e.record.outcome, e.record.metric_calls);
      if (e.type === 'iteration' && e.record.best_val_score > best) {
        best = e.record.best_val_score;
        firstBestAt = e.record.metric_calls;
      }
    },
  });
  return { name, result, totalMs: performance.now() - t, modelMs: task.ms + reflection.ms, modelCalls: task.calls + reflection.calls, firstBestAt };
}

const f = (x: number, d = 3) => x.toFixed(d);

async function main(): Promise<void> {
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'gepa-bench-'));
  // Warm-up so JIT compilation is not billed to the first configuration.
  await run('warmup', { max_metric_calls: 300 });

  // Runs are deterministic, so the search figures repeat exactly; timings take the fastest of 3.
  const best3 = async (name: string, settings: GepaSettingsInput, dir?: (k: number) => string): Promise<Row> => {
    const rows: Row[] = [];
    for (let k = 0; k < 3; k++) rows.push(await run(name, settings, dir?.(k)));
    return rows.reduce((a, b) => (b.totalMs - b.modelMs < a.totalMs - a.modelMs ? b : a));
  };
  const rows: Row[] = [
    await best3('pareto', { candidate_selection: 'pareto' }),
    await best3('current_best', { candidate_selection: 'current_best' }),
    await best3('epsilon_greedy', { candidate_selection: 'epsilon_greedy', epsilon: 0.2 }),
    await best3('pareto, run dir', { candidate_selection: 'pareto' }, (k) => path.join(tmp, `run${k}`)),
  ];

  console.log(
    `GEPA bench: ${trainset.length} train / ${valset.length} val examples, budget 1500 metric calls, minibatch 3, seed 0, zero-latency simulated models`,
  );
  console.log('');
  console.log('config            best_val  seed_val  calls_at_best_found  calls_first_reaching_best  metric_calls  iterations  candidates  stop');
  for (const r of rows) {
    const best = r.result.candidates[r.result.bestCandidateId]!;
    console.log(
      [
        r.name.padEnd(16),
        f(r.result.bestValScore).padStart(8),
        f(r.result.candidates[0]!.valScore).padStart(8),
        String(best.foundAtMetricCalls).padStart(19),
        String(r.firstBestAt).padStart(25),
        String(r.result.metricCalls).padStart(12),
        String(r.result.iterations).padStart(10),
        String(r.result.candidates.length).padStart(10),
        ` ${r.result.stopReason}`,
      ].join('  '),
    );
  }
  console.log('');
  console.log(
    'config            total_ms  model_ms  engine_ms  engine_ms_per_iter  engine_ms_per_metric_call  engine_share_of_total  model_calls  engine_share_at_100ms_per_call',
  );
  for (const r of rows) {
    const engine = r.totalMs - r.modelMs;
    const iters = Math.max(1, r.result.iterations);
    // Had every model call taken 100 ms, one at a time (concurrency would shrink model time, not the engine's).
    const at100 = engine / (engine + r.modelCalls * 100);
    console.log(
      [
        r.name.padEnd(16),
        f(r.totalMs, 1).padStart(8),
        f(r.modelMs, 1).padStart(8),
        f(engine, 1).padStart(9),
        f(engine / iters).padStart(18),
        f(engine / Math.max(1, r.result.metricCalls), 4).padStart(25),
        f(engine / r.totalMs).padStart(21),
        String(r.modelCalls).padStart(11),
        f(at100, 5).padStart(30),
      ].join('  '),
    );
  }
  await fsp.rm(tmp, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
