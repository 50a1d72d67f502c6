/**
 * Throughput of the OpenAI-compatible provider: 32 concurrent actors against
 * the fake vLLM answering each request after 50 ms. Reports achieved
 * requests/s against the ideal min(32, max_concurrency) / 0.05 s, and the
 * client overhead per request (latency minus the server's delay, at 50 ms
 * and 0 ms, and client CPU time). The server runs in a child process so the
 * client's CPU time is its own.
 *
 *   npm run build && node dist/bench/throughput.js
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, type ModelConfig } from '../src/config/index.js';
import { EndpointRegistry, OpenAICompatibleModel } from '../src/llm/openai/index.js';
import type { OpenAISettings } from '../src/llm/openai/settings.js';
import { createModelSet } from '../src/runtime/models.js';
import { runGoal } from '../src/runtime/runGoal.js';
import { agentHandler } from '../test/support/agentScript.js';
import { startVllmServer } from '../test/support/vllmServer.js';

const SELF = fileURLToPath(import.meta.url);
const REPO = path.resolve(path.dirname(SELF), '..', '..');
const ACTORS = 32;
const DELAY_MS = 50;

// ---- child: the server ------------------------------------------------------

async function serve(delayMs: number, contentChars: number, mode: string): Promise<void> {
  const server = await startVllmServer({ models: ['m'], delayMs, chunkChars: 4 });
  const content = 'x'.repeat(contentChars);
  server.handler = mode === 'agent' ? agentHandler() : () => ({ content });
  process.stdout.write(`READY ${server.apiBase}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => void server.close().then(() => process.exit(0)));
}

// ---- parent: the client -----------------------------------------------------

interface Served {
  apiBase: string;
  stop(): void;
}

function startServer(delayMs: number, contentChars = 2, mode = 'echo'): Promise<Served> {
  const child: ChildProcess = spawn(process.execPath, [SELF, '--serve', String(delayMs), String(contentChars), mode], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /READY (\S+)/.exec(out);
      if (m) resolve({ apiBase: m[1]!, stop: () => child.stdin!.end() });
    });
    child.on('error', reject);
  });
}

function settings(apiBase: string, maxConcurrency: number, stream: boolean): OpenAISettings {
  return {
    provider: 'vllm',
    model: 'm',
    api_base: apiBase,
    api_key: null,
    endpoint: '/v1/chat/completions',
    request_timeout: 30,
    request_deadline: 600,
    max_response_bytes: 33_554_432,
    max_retries: 0,
    max_concurrency: maxConcurrency,
    stream,
    temperature: 0,
    top_p: null,
    max_tokens: 64,
    seed: null,
    extra_params: {},
  };
}

const REQUEST = {
  messages: [
    { role: 'system' as const, content: 'You are a benchmark.' },
    { role: 'user' as const, content: 'Say ok.' },
  ],
  purpose: 'bench',
};

interface Measured {
  requests: number;
  wallMs: number;
  rps: number;
  meanLatencyMs: number;
  p99LatencyMs: number;
  cpuUsPerRequest: number;
}

/** `actors` loops of `perActor` sequential calls each, all at once. */
async function measure(model: OpenAICompatibleModel, actors: number, perActor: number): Promise<Measured> {
  const latencies: number[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: actors }, async () => {
      for (let i = 0; i < perActor; i++) {
        const start = performance.now();
        await model.complete(REQUEST);
        latencies.push(performance.now() - start);
      }
    }),
  );
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  latencies.sort((a, b) => a - b);
  const requests = actors * perActor;
  return {
    requests,
    wallMs,
    rps: (requests / wallMs) * 1000,
    meanLatencyMs: latencies.reduce((a, b) => a + b, 0) / requests,
    p99LatencyMs: latencies[Math.floor(requests * 0.99)] ?? 0,
    cpuUsPerRequest: (cpu.user + cpu.system) / requests,
  };
}

async function withModel<T>(apiBase: string, maxConcurrency: number, stream: boolean, fn: (m: OpenAICompatibleModel) => Promise<T>): Promise<T> {
  const endpoints = new EndpointRegistry();
  try {
    const model = new OpenAICompatibleModel(settings(apiBase, maxConcurrency, stream), { endpoints });
    await measure(model, Math.min(ACTORS, maxConcurrency), 4); // warm the pool and the JIT
    return await fn(model);
  } finally {
    await endpoints.close();
  }
}

const f = (n: number, digits = 1) => n.toFixed(digits);

async function throughputTable(): Promise<void> {
  const server = await startServer(DELAY_MS);
  const ratios: string[] = [];
  try {
    console.log(`throughput: ${ACTORS} concurrent actors, server answers after ${DELAY_MS} ms, short reply`);
    console.log('  max_concurrency  stream  requests  wall ms  achieved req/s  ideal req/s  ratio  mean latency ms  client CPU µs/req');
    for (const [mc, stream] of [
      [8, true],
      [32, true],
      [8, false],
      [32, false],
    ] as const) {
      const perActor = mc >= 32 ? 40 : 12;
      const r = await withModel(server.apiBase, mc, stream, (m) => measure(m, ACTORS, perActor));
      const ideal = Math.min(ACTORS, mc) / (DELAY_MS / 1000);
      ratios.push(`${mc}${stream ? '' : ' (whole replies)'}: ${f(r.rps / ideal, 3)}`);
      console.log(
        `  ${String(mc).padStart(15)}  ${String(stream).padStart(6)}  ${String(r.requests).padStart(8)}  ${f(r.wallMs, 0).padStart(7)}  ${f(r.rps).padStart(14)}  ${f(ideal).padStart(11)}  ${f(r.rps / ideal, 3).padStart(5)}  ${f(r.meanLatencyMs, 2).padStart(15)}  ${f(r.cpuUsPerRequest, 0).padStart(17)}`,
      );
    }
    const worst = Math.min(...ratios.map((r) => Number(r.split(': ')[1])));
    console.log(`  target >= 0.90 of ideal: ${worst >= 0.9 ? 'met' : 'NOT met'} (max_concurrency ${ratios.join(', ')})`);
  } finally {
    server.stop();
  }
}

/** How late a 50 ms timer fires here: the server's delay is this much longer than nominal. */
async function timerOvershootMs(): Promise<number> {
  let total = 0;
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, DELAY_MS));
    total += performance.now() - t0 - DELAY_MS;
  }
  return total / 20;
}

async function overheadTable(): Promise<void> {
  console.log('\nclient overhead per request (one request at a time, 300 requests)');
  console.log('  server delay  reply                  mean latency ms  p99 ms  latency - delay ms  client CPU µs/req');
  let zeroDelay = { latency: 0, cpu: 0 };
  for (const [delay, chars, label] of [
    [DELAY_MS, 2, 'short, streamed'],
    [0, 2, 'short, streamed'],
    [0, 800, '200 SSE chunks'],
  ] as const) {
    const server = await startServer(delay, chars);
    try {
      const r = await withModel(server.apiBase, 8, true, (m) => measure(m, 1, 300));
      if (delay === 0 && chars === 2) zeroDelay = { latency: r.meanLatencyMs, cpu: r.cpuUsPerRequest };
      console.log(
        `  ${`${delay} ms`.padStart(12)}  ${label.padEnd(21)}  ${f(r.meanLatencyMs, 3).padStart(15)}  ${f(r.p99LatencyMs, 2).padStart(6)}  ${f(r.meanLatencyMs - delay, 3).padStart(18)}  ${f(r.cpuUsPerRequest, 0).padStart(17)}`,
      );
    } finally {
      server.stop();
    }
  }
  console.log(`  a ${DELAY_MS} ms timer fires ${f(await timerOvershootMs(), 2)} ms late on average here (part of "latency - delay" at ${DELAY_MS} ms)`);
  const ok = zeroDelay.latency < 1;
  console.log(
    `  target client overhead < 1 ms: ${ok ? 'met' : 'NOT met'} (whole round trip at 0 ms delay ${f(zeroDelay.latency, 3)} ms, server and loopback included; client CPU ${f(zeroDelay.cpu, 0)} µs)`,
  );
}

/**
 * 32 whole runs at once through runGoal (planner, actor with a list_dir call,
 * planner: 4 model calls each), over HTTP and then replayed from a recording
 * with no network: the difference is what HTTP and the server cost, the
 * replayed time is the runtime's own (XState, tools, event log, report).
 */
async function runGoalVariant(): Promise<void> {
  const server = await startServer(DELAY_MS, 2, 'agent');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gepa-bench-'));
  try {
    const base = await loadConfig(path.join(REPO, 'config'), { env: {} });
    const model: ModelConfig = { ...base.model, provider: 'vllm', model: 'm', api_base: server.apiBase, max_concurrency: ACTORS, max_retries: 0 };
    const config = { ...base, model };
    const workspace = path.join(dir, 'ws');
    fs.mkdirSync(workspace);
    fs.writeFileSync(path.join(workspace, 'README.md'), '# bench\n');
    const recording = path.join(dir, 'runs.jsonl');
    const endpoints = new EndpointRegistry();
    const batch = async (models: ReturnType<typeof createModelSet>) => {
      const t0 = performance.now();
      const reports = await Promise.all(
        Array.from({ length: ACTORS }, () =>
          runGoal({ goal: 'List the files in the workspace', config, workspace, tracesDir: path.join(dir, 'traces'), models }),
        ),
      );
      return { wallMs: performance.now() - t0, completed: reports.filter((r) => r.status === 'completed').length };
    };
    await batch(createModelSet(model, { http: { endpoints }, record: recording })); // warm-up, and the recording to replay
    const http = await batch(createModelSet(model, { http: { endpoints } }));
    const replayed = await batch(createModelSet(model, { replay: recording }));
    await endpoints.close();
    const requests = ACTORS * 4;
    const ideal = Math.min(ACTORS, model.max_concurrency) / (DELAY_MS / 1000);
    const rps = (requests / http.wallMs) * 1000;
    console.log(`\nthrough runGoal: ${ACTORS} runs at once, 4 model calls each (${requests} requests), ${DELAY_MS} ms per call`);
    console.log(
      `  over HTTP: ${http.completed}/${ACTORS} completed in ${f(http.wallMs, 0)} ms: ${f(rps)} req/s vs ideal ${f(ideal)} (ratio ${f(rps / ideal, 3)}); ideal wall ${4 * DELAY_MS} ms`,
    );
    console.log(
      `  replayed, no HTTP, no server delay: ${replayed.completed}/${ACTORS} completed in ${f(replayed.wallMs, 0)} ms (the runtime's own cost for ${ACTORS} runs)`,
    );
    console.log(
      `  over HTTP took ${f(http.wallMs - replayed.wallMs, 0)} ms longer than replayed; every run also waits >= ${4 * DELAY_MS} ms on the server, overlapped with the other runs' CPU work`,
    );
  } finally {
    server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (process.argv[2] === '--serve') return serve(Number(process.argv[3]), Number(process.argv[4]), process.argv[5] ?? 'echo');
  console.log(`gepa-aime provider throughput (Node ${process.version}, ${os.cpus().length} CPUs)\n`);
  await throughputTable();
  await overheadTable();
  await runGoalVariant();
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
