/**
 * What the library handle costs on top of the runtime: the same goal run
 * through the internal runGoal and through the public `runGoal` handle with
 * its events consumed (derivation from the inspection stream, the approval
 * gate, the event buffer), side by side in one process with an instant model.
 * Run: npm run build && node dist/bench/api.js
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { runGoal as runHandle } from '../src/api/goal.js';
import { loadConfig } from '../src/config/index.js';
import { InstantModel, instantModels } from './support/instantModel.js';
import { runGoal } from '../src/runtime/runGoal.js';

async function main() {
  const ws = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-api-ws-'));
  const traces = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-api-traces-'));
  const config = loadConfig(path.resolve('config'), { env: {} });
  const steps = 500;
  const limits = { maxIterations: 4, maxActorSteps: steps + 1 };

  const internal = async () => {
    const models = instantModels({ steps });
    const t = performance.now();
    const report = await runGoal({ goal: 'bench', config, workspace: ws, tracesDir: traces, models, limits, learn: false });
    if (report.status !== 'completed') throw new Error(`internal run ${report.status}: ${report.reason}`);
    return { ms: performance.now() - t, events: 0 };
  };
  const handle = async () => {
    const model = new InstantModel({ steps });
    const t = performance.now();
    const run = runHandle('bench', { config, workspace: ws, tracesDir: traces, model, limits, learning: false });
    let events = 0;
    for await (const _ of run.events()) events++;
    const report = await run.report;
    if (report.status !== 'completed') throw new Error(`handle run ${report.status}: ${report.reason}`);
    return { ms: performance.now() - t, events };
  };

  // Warm up both, then alternate so both see the same machine load.
  await internal();
  await handle();
  const a: number[] = [];
  const b: number[] = [];
  let events = 0;
  for (let i = 0; i < 7; i++) {
    a.push((await internal()).ms);
    const h = await handle();
    b.push(h.ms);
    events = h.events;
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const ma = median(a);
  const mb = median(b);
  console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown cpu'} x${os.cpus().length}, Node ${process.version}`);
  console.log(`one actor, ${steps} ReAct steps, medians of 7 alternating runs:`);
  console.log(`  internal runGoal:        ${ma.toFixed(0)} ms (${(ma / (steps + 1)).toFixed(3)} ms/step)`);
  console.log(`  public handle + events:  ${mb.toFixed(0)} ms (${(mb / (steps + 1)).toFixed(3)} ms/step), ${events} events consumed`);
  console.log(`  ratio handle/internal: ${(mb / ma).toFixed(3)}; added per step: ${((mb - ma) / (steps + 1)).toFixed(3)} ms`);
  await fs.rm(ws, { recursive: true, force: true });
  await fs.rm(traces, { recursive: true, force: true });
}

void main();
