/**
 * What tracing costs a run: overhead per ReAct step with telemetry on
 * (spans exported over OTLP/HTTP to a receiver on 127.0.0.1) against off,
 * with an instant model, so every microsecond measured is the runtime's.
 * Off and on run in separate child processes, alternated, so the off figure
 * is a real off run (no SDK loaded, no async context hooks) and both see the
 * same machine load. Target: on costs under 20 % more per step.
 * Run: npm run build && node dist/bench/telemetry.js
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/index.js';
import { instantModels } from './support/instantModel.js';
import { runGoal } from '../src/runtime/runGoal.js';
import { flushTelemetry, shutdownTelemetry, startTelemetry, telemetrySettings } from '../src/runtime/telemetry/index.js';
import { startSpan } from '../src/util/tracing.js';
import { startOtlpReceiver } from '../test/support/otlpReceiver.js';

const STEPS = 500;
const ROUNDS = 4;
const WARMUP_RUNS = 2;
const RUNS_PER_ROUND = 5;

async function child(mode: Mode, otlp: string): Promise<void> {
  if (mode !== 'off') await startTelemetry(telemetrySettings(otlp, {})!);
  const ws = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-otel-ws-'));
  const traces = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-otel-traces-'));
  await fs.writeFile(path.join(ws, 'a.txt'), 'a');
  const config = loadConfig(path.resolve('config'), { env: {} });
  const models = instantModels({ steps: STEPS, tool: { name: 'list_dir', arguments: '{"path":".","depth":1}' } });
  const once = async () => {
    const start = performance.now();
    const cpu = process.cpuUsage();
    const report = await runGoal({
      goal: 'bench',
      config,
      workspace: ws,
      tracesDir: traces,
      models,
      limits: { maxIterations: 4, maxActorSteps: STEPS + 1 },
      learn: false,
    });
    if (report.status !== 'completed') throw new Error(`bench run ${report.status}: ${report.reason}`);
    const used = process.cpuUsage(cpu);
    return { wall: performance.now() - start, cpu: (used.user + used.system) / 1000 };
  };
  for (let i = 0; i < WARMUP_RUNS; i++) await once(); // the JIT warms both paths before anything is timed
  const times: { wall: number; cpu: number }[] = [];
  for (let i = 0; i < RUNS_PER_ROUND; i++) times.push(await once());
  await shutdownTelemetry();
  await fs.rm(ws, { recursive: true, force: true });
  await fs.rm(traces, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify(times)}\n`);
}

interface Timing {
  wall: number;
  cpu: number;
}

/** CPU per span, created with a chat span's attributes, ended and exported: less sensitive to machine load than whole runs. */
async function spanCost(otlp: string): Promise<void> {
  await startTelemetry(telemetrySettings(otlp, {})!);
  const n = 20_000;
  const costs: number[] = [];
  for (let round = 0; round < 4; round++) {
    const cpu = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      const span = startSpan('chat m', {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'vllm',
        'gen_ai.request.model': 'm',
        'server.address': '127.0.0.1',
        'server.port': 8000,
        'gen_ai.output.type': 'text',
      });
      span.setAttributes({
        'gen_ai.response.model': 'm',
        'gen_ai.response.finish_reasons': ['stop'],
        'gen_ai.usage.input_tokens': 10,
        'gen_ai.usage.output_tokens': 5,
      });
      span.end();
      if (i % 256 === 0) await new Promise((r) => setImmediate(r));
    }
    await flushTelemetry();
    const used = process.cpuUsage(cpu);
    costs.push((used.user + used.system) / n);
  }
  await shutdownTelemetry();
  process.stdout.write(`${JSON.stringify(costs.slice(1).map((us) => ({ wall: us, cpu: us })))}\n`);
}

/** off: no SDK loaded; on: spans recorded and exported; unsampled: the SDK and context on, every span dropped by the sampler. */
type Mode = 'off' | 'on' | 'unsampled';

function runChild(mode: Mode | 'spans', otlp: string): Promise<Timing[]> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', mode, otlp], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { PATH: process.env['PATH'] ?? '', ...(mode === 'unsampled' ? { OTEL_TRACES_SAMPLER: 'always_off' } : {}) },
    });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.on('close', (code) =>
      code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1)!) as Timing[]) : reject(new Error(`${mode} child exited ${code}`)),
    );
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const rx = await startOtlpReceiver();
  const off: Timing[] = [];
  const on: Timing[] = [];
  const unsampled: Timing[] = [];
  const loads: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    off.push(...(await runChild('off', rx.url)));
    on.push(...(await runChild('on', rx.url)));
    unsampled.push(...(await runChild('unsampled', rx.url)));
    loads.push(os.loadavg()[0]!);
  }
  const steps = STEPS + 1;
  const runsOn = ROUNDS * (RUNS_PER_ROUND + WARMUP_RUNS);
  const fromRuns = { spans: rx.spans.length, requests: rx.requests.length };
  const perSpanUs = median((await runChild('spans', rx.url)).map((t) => t.cpu));
  console.log(
    `machine: ${os.cpus()[0]?.model ?? 'unknown cpu'} x${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, load average during the runs ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`,
  );
  console.log(`per ReAct step (model call + list_dir), medians over ${ROUNDS} alternating rounds x ${RUNS_PER_ROUND} runs x ${steps} steps:`);
  for (const key of ['cpu', 'wall'] as const) {
    const a = median(off.map((t) => t[key])) / steps;
    const b = median(on.map((t) => t[key])) / steps;
    console.log(
      `  ${key === 'cpu' ? 'CPU time ' : 'wall time'}: off ${a.toFixed(3)} ms/step, on ${b.toFixed(3)} ms/step, on/off ${(b / a).toFixed(3)} (+${((b / a - 1) * 100).toFixed(1)} %; target < 1.20)`,
    );
  }
  const offCpu = median(off.map((t) => t.cpu)) / steps;
  const unsampledCpu = median(unsampled.map((t) => t.cpu)) / steps;
  console.log(
    `  where it goes: SDK and context on but every span dropped by the sampler ${unsampledCpu.toFixed(3)} ms/step CPU (${(unsampledCpu / offCpu).toFixed(3)} of off); the rest is recording and exporting spans`,
  );
  console.log(
    `  one span (chat attributes, batched OTLP/JSON export): ${perSpanUs.toFixed(1)} µs CPU; x 2 spans per step = ${((2 * perSpanUs) / 1000).toFixed(3)} ms, ${(((2 * perSpanUs) / 1000 / offCpu) * 100).toFixed(1)} % of the off step`,
  );
  console.log(
    `  spans received: ${fromRuns.spans} from ${runsOn} traced runs (${(fromRuns.spans / runsOn / steps).toFixed(2)} per step), in ${fromRuns.requests} export requests`,
  );
  await rx.close();
}

if (process.argv[2] === '--child') void (process.argv[3] === 'spans' ? spanCost(process.argv[4]!) : child(process.argv[3] as Mode, process.argv[4]!));
else void main();
