/**
 * Framework overhead of the AIME runtime with an instant model: per ReAct
 * step, per planner iteration, and heap after 10,000 steps. It is the whole
 * runtime as a user runs it: statecharts, events, tool dispatch, the one
 * event stream (inspect.jsonl), the journal and the snapshots; and, side by
 * side, the same steps with no event stream recorded, for what the stream costs.
 * Run: npm run build && node --expose-gc dist/bench/runtime.js
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config/index.js';
import { runGoal } from '../src/runtime/runGoal.js';
import { instantModels } from './support/instantModel.js';

async function timeRun(tasks: number, steps: number, dirs: { ws: string; traces: string }, eventStream = true) {
  const config = loadConfig(path.resolve('config'), { env: {} });
  const start = performance.now();
  const report = await runGoal({
    goal: 'bench',
    config,
    workspace: dirs.ws,
    tracesDir: dirs.traces,
    models: instantModels({ tasks, steps }),
    limits: { maxIterations: tasks + 2, maxActorSteps: steps + 1 },
    // Online learning would add reflection calls every few goals: model time, not framework.
    learn: false,
    ...(eventStream ? {} : { eventStream: false as const }),
  });
  if (report.status !== 'completed') throw new Error(`bench run ${report.status}: ${report.reason}`);
  return performance.now() - start;
}

function heapMiB(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

async function main() {
  const ws = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-ws-'));
  const traces = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-traces-'));
  const dirs = { ws, traces };
  // Per step: one task, many steps; per iteration: many tasks, no tool steps.
  // Each is run once to warm up the JIT, then five times; the median is reported.
  const stepsPerRun = 500;
  const iterations = 200;
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const repeat = async (tasks: number, steps: number) => {
    await timeRun(tasks, steps, dirs);
    const times: number[] = [];
    for (let i = 0; i < 5; i++) times.push(await timeRun(tasks, steps, dirs));
    return times;
  };
  const stepRuns = await repeat(1, stepsPerRun);
  const iterRuns = await repeat(iterations, 0);
  const stepRun = median(stepRuns);
  const iterRun = median(iterRuns);
  const perStep = stepRun / (stepsPerRun + 1);
  const perIteration = iterRun / iterations;

  // The one event stream's cost: the same steps with and without it, alternated.
  const withStream: number[] = [];
  const without: number[] = [];
  await timeRun(1, stepsPerRun, dirs, false);
  for (let i = 0; i < 9; i++) {
    withStream.push(await timeRun(1, stepsPerRun, dirs));
    without.push(await timeRun(1, stepsPerRun, dirs, false));
  }
  const streamOn = median(withStream) / (stepsPerRun + 1);
  const streamOff = median(without) / (stepsPerRun + 1);
  // On a shared machine the fastest round is the least disturbed one.
  const fastOn = Math.min(...withStream) / (stepsPerRun + 1);
  const fastOff = Math.min(...without) / (stepsPerRun + 1);

  // Memory: 10 runs x 1,000 steps (10 tasks x 100 steps), heap after GC between runs.
  const heaps: number[] = [heapMiB()];
  for (let i = 0; i < 10; i++) {
    await timeRun(10, 100, dirs);
    heaps.push(heapMiB());
  }
  const growth = heaps.at(-1)! - heaps[1]!;

  console.log(
    `machine: ${os.cpus()[0]?.model ?? 'unknown cpu'} x${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, load ${os.loadavg()[0]!.toFixed(1)}`,
  );
  console.log(
    `ReAct step overhead: ${perStep.toFixed(3)} ms/step, median of 5 (${stepsPerRun} steps in ${stepRuns.map((t) => t.toFixed(0)).join(', ')} ms; target < 0.5 ms, ratio ${(perStep / 0.5).toFixed(2)} of target)`,
  );
  console.log(
    `planner iteration overhead: ${perIteration.toFixed(3)} ms/iteration, median of 5 (${iterations} iterations with one actor each in ${iterRuns.map((t) => t.toFixed(0)).join(', ')} ms)`,
  );
  console.log(
    `event stream (inspect.jsonl): ${streamOn.toFixed(3)} ms/step with it, ${streamOff.toFixed(3)} ms/step without (eventStream: false), alternated, median of 9; ratio ${(streamOn / streamOff).toFixed(2)}, ${(streamOn - streamOff).toFixed(3)} ms/step for the stream; fastest rounds ${fastOn.toFixed(3)} vs ${fastOff.toFixed(3)} ms/step, ratio ${(fastOn / fastOff).toFixed(2)}`,
  );
  console.log(
    `heap after GC over 10,000 steps (10 runs x 1,000): ${heaps.map((h) => h.toFixed(1)).join(', ')} MiB; growth from run 1 to run 10: ${growth.toFixed(2)} MiB (${((growth / heaps[1]!) * 100).toFixed(1)}%)`,
  );
  if (!(globalThis as { gc?: unknown }).gc) console.log('(run with node --expose-gc for exact heap figures)');
  await fs.rm(ws, { recursive: true, force: true });
  await fs.rm(traces, { recursive: true, force: true });
}

void main();
