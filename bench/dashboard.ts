/**
 * What the live dashboard costs a run, and how fast its stream flows, with 20
 * actors in parallel and a scripted model.
 *
 *   baseline   runGoal alone
 *   dashboard  + the inspection stream, with the dashboard's worker thread writing inspect.jsonl
 *              and serving an SSE client (a child process)
 *   browser    + the real page in headless Chromium instead (when /usr/bin/chromium exists)
 *
 * With an instant model the run is pure framework work, the worst case for
 * any overhead; with a model that takes 50 ms per call (a fast server) the
 * run has the idle time every real run has. Setups alternate; medians are
 * compared. Throughput is measured separately by pushing a recorded run's
 * records through the dashboard as fast as it takes them.
 *
 * Run: npm run build && node dist/bench/dashboard.js
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { PLANNER_SCHEMA_NAME } from '../src/aime/planner.js';
import { loadConfig } from '../src/config/index.js';
import { startDashboardHost, type DashboardHost } from '../src/dashboard/host.js';
import type { ChatModel, ChatRequest, ChatResponse } from '../contracts/llm.js';
import { InspectionStream, type InspectRecord } from '../src/runtime/inspection.js';
import type { ModelSet } from '../src/runtime/models.js';
import { runGoal, type RunOptions } from '../src/runtime/runGoal.js';
import { RunStore } from '../src/runtime/runStore.js';

const TASKS = 200;
const PARALLEL = 20;
const STEPS = 4;
const USAGE = { promptTokens: 1, completionTokens: 1, totalTokens: 2 };
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Planner: dispatch the next 20 tasks not yet done, then finish. Actor: STEPS update_progress calls, then its report. */
class ScriptedFastModel implements ChatModel {
  readonly id = 'bench';
  constructor(private readonly latencyMs: number) {}
  async complete(req: ChatRequest): Promise<ChatResponse> {
    if (this.latencyMs) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    if (req.responseFormat?.name === PLANNER_SCHEMA_NAME) {
      const text = req.messages[1]!.content;
      const done = new Set([...text.matchAll(/^- \[x\] (\d+)\./gm)].map((m) => m[1]));
      const tasks = Array.from({ length: TASKS }, (_, i) => ({ id: String(i + 1), title: `T${i + 1}`, status: 'pending', criteria: '', children: [] }));
      const next = tasks
        .filter((t) => !done.has(t.id))
        .slice(0, PARALLEL)
        .map((t) => t.id);
      const action = next.length ? { type: 'dispatch', taskIds: next } : { type: 'finish', answer: 'ok' };
      return this.reply(JSON.stringify({ rationale: 'next batch', tasks, action }));
    }
    const made = req.messages.filter((m) => m.role === 'assistant').length;
    if (made < STEPS)
      return { ...this.reply(''), toolCalls: [{ id: `c${made}`, name: 'update_progress', arguments: '{"status":"in_progress","message":"step"}' }] };
    return this.reply('{"status":"completed","summary":"done","references":[]}');
  }
  private reply(content: string): ChatResponse {
    return { content, toolCalls: [], usage: USAGE, finishReason: 'stop', model: this.id };
  }
}

function models(latencyMs: number): ModelSet {
  const m = new ScriptedFastModel(latencyMs);
  return { planner: m, actorFor: () => m, reflection: m, chat: m, describe: () => ({ provider: 'bench', model: 'scripted', offline: false }) };
}

interface Dirs {
  ws: string;
  traces: string;
}

let counter = 0;

/**
 * One run. Without `inspect` it is a plain `gepa-aime run`: the runtime writes its event stream to inspect.jsonl.
 * With it, the runtime records none and `inspect` plays the stream's part (as `run --viz` does: convert, post).
 */
async function run(dirs: Dirs, runId: string, latencyMs: number, inspect?: RunOptions['inspect']) {
  const report = await runGoal({
    goal: 'bench',
    config: loadConfig(path.resolve('config'), { env: {} }),
    workspace: dirs.ws,
    tracesDir: dirs.traces,
    runId,
    models: models(latencyMs),
    // Online learning off: its reflection would ask the scripted model for prompts.
    learn: false,
    limits: { maxIterations: TASKS / PARALLEL + 3, maxActorSteps: STEPS + 1, maxParallelActors: PARALLEL },
    ...(inspect ? { inspect, eventStream: false as const } : {}),
  });
  if (report.status !== 'completed') throw new Error(`bench run ${report.status}: ${report.reason}`);
}

interface Timed {
  ms: number;
  /** CPU time of this process (all its threads: the run's and the dashboard worker's). */
  cpuMs: number;
}

const cpuMs = (since: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};

async function baseline(dirs: Dirs, latencyMs: number): Promise<Timed> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await run(dirs, `base-${counter++}`, latencyMs);
  return { ms: performance.now() - start, cpuMs: cpuMs(cpu) };
}

interface Client {
  /** Resolves when the client has `total` records (or the run's end record). */
  received(total: number): Promise<number>;
  close(): Promise<void>;
}

/** An SSE client in a child process, so its parsing does not run on the run's thread. */
async function sseClient(url: string): Promise<Client> {
  const child = fork(fileURLToPath(import.meta.url), ['--sse-client', url], { stdio: 'inherit' });
  await new Promise<void>((resolve) => child.once('message', () => resolve()));
  const done = new Promise<number>((resolve) => child.once('message', (m) => resolve((m as { count: number }).count)));
  return {
    received: () => done,
    close: async () => void child.kill(),
  };
}

/** The real page; it shows how many records it has applied. */
async function pageClient(browser: Browser, url: string): Promise<Client> {
  const page = await browser.newPage();
  await page.goto(url);
  await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.querySelector('#connection')?.textContent === 'live');
  return {
    async received(total) {
      await page.waitForFunction(
        (n) => Number((globalThis as unknown as PageGlobals).document.querySelector('#record-count')?.getAttribute('data-records')) >= n,
        total,
        { polling: 10, timeout: 300_000 },
      );
      return Number(await page.locator('#record-count').getAttribute('data-records'));
    },
    close: () => page.close(),
  };
}

interface Measured extends Timed {
  records: number;
  /** Time this thread spent converting inspection events and posting batches. */
  mainMs: number;
}

async function withDashboard(dirs: Dirs, latencyMs: number, connect: (url: string) => Promise<Client>): Promise<Measured> {
  const runId = `dash-${counter++}`;
  const file = (await new RunStore(dirs.traces).create(runId)).inspect;
  const dashboard = await startDashboardHost({ tracesDir: dirs.traces, port: 0, live: { runId, file } });
  let mainMs = 0;
  const stream = new InspectionStream({
    forward: (records) => {
      const t = performance.now();
      dashboard.forward('live', records);
      mainMs += performance.now() - t;
    },
  });
  stream.begin({ runId, goal: 'bench' });
  const client = await connect(`${dashboard.url}`);
  const cpu = process.cpuUsage();
  const start = performance.now();
  await run(dirs, runId, latencyMs, (ev) => {
    const t = performance.now();
    stream.inspect(ev);
    mainMs += performance.now() - t;
  });
  stream.end({ runId, status: 'completed' });
  await stream.close();
  const ms = performance.now() - start;
  const records = await client.received(stream.size);
  // Include the worker's share of the run's records: everything up to the client having them all.
  const usedCpu = cpuMs(cpu);
  await client.close();
  await dashboard.close();
  if (records !== stream.size) throw new Error(`the client got ${records} of ${stream.size} records`);
  return { ms, cpuMs: usedCpu, records, mainMs };
}

/** Records of one real run, to push through the dashboard as fast as it takes them. */
async function recordedRun(dirs: Dirs): Promise<InspectRecord[]> {
  const records: InspectRecord[] = [];
  const stream = new InspectionStream({ forward: (batch) => records.push(...batch) });
  stream.begin({ runId: 'recorded', goal: 'bench' });
  await run(dirs, `rec-${counter++}`, 0, stream.inspect);
  stream.end({ runId: 'recorded', status: 'completed' });
  await stream.close();
  return records;
}

/** Records per second from the first post to the client holding them all. */
async function throughput(dirs: Dirs, records: InspectRecord[], copies: number, connect: (url: string) => Promise<Client>): Promise<number> {
  const dashboard: DashboardHost = await startDashboardHost({
    tracesDir: dirs.traces,
    port: 0,
    live: { runId: `tp-${counter++}`, file: path.join(dirs.traces, `tp-${counter}.jsonl`) },
  });
  const client = await connect(dashboard.url);
  const body = records.slice(0, -1);
  const end = records.at(-1)!;
  const total = body.length * copies + 1;
  const start = performance.now();
  let seq = 0;
  for (let c = 0; c < copies; c++) {
    for (let i = 0; i < body.length; i += 1000)
      dashboard.forward(
        'live',
        body.slice(i, i + 1000).map((r) => ({ ...r, seq: seq++ })),
      );
    // Let the event loop turn between copies, as a run does between batches.
    await new Promise((resolve) => setImmediate(resolve));
  }
  dashboard.forward('live', [{ ...end, seq: seq++ }]);
  const got = await client.received(total);
  const ms = performance.now() - start;
  await client.close();
  await dashboard.close();
  if (got !== total) throw new Error(`throughput: the client got ${got} of ${total}`);
  return total / (ms / 1000);
}

/** Child process: counts records on the SSE stream until the run's end record, then reports. */
function sseChild(url: string): void {
  let count = 0;
  let buf = '';
  http.get(`${url}api/live`, (res) => {
    res.setEncoding('utf8');
    process.send!('connected');
    res.on('data', (chunk: string) => {
      buf += chunk;
      let end: number;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (!data) continue;
        const records = JSON.parse(data.slice(6)) as { kind: string; phase?: string }[];
        count += records.length;
        if (records.some((r) => r.kind === 'run' && r.phase === 'end')) process.send!({ count }, () => process.exit(0));
      }
    });
  });
}

/** What page functions read (this project compiles without DOM types; the functions run in the page, so no helpers). */
interface PageGlobals {
  document: { querySelector(sel: string): { textContent: string | null; getAttribute(name: string): string | null } | null };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;

async function compare(dirs: Dirs, label: string, latencyMs: number, rounds: number, browser: Browser | null) {
  const sse = (url: string) => sseClient(url);
  const page = browser ? (url: string) => pageClient(browser, url) : null;
  // Warm up the JIT on every path.
  await baseline(dirs, latencyMs);
  await withDashboard(dirs, latencyMs, sse);
  if (page) await withDashboard(dirs, latencyMs, page);
  const base: Timed[] = [];
  const withSse: Measured[] = [];
  const withPage: Measured[] = [];
  for (let i = 0; i < rounds; i++) {
    base.push(await baseline(dirs, latencyMs));
    withSse.push(await withDashboard(dirs, latencyMs, sse));
    if (page) withPage.push(await withDashboard(dirs, latencyMs, page));
  }
  const b = median(base.map((m) => m.ms));
  const bCpu = median(base.map((m) => m.cpuMs));
  const s = median(withSse.map((m) => m.ms));
  const sCpu = median(withSse.map((m) => m.cpuMs));
  const main = median(withSse.map((m) => m.mainMs));
  console.log(`\n${label}: median of ${rounds} alternating rounds`);
  console.log(`  baseline run                     ${b.toFixed(1)} ms wall, ${bCpu.toFixed(1)} ms CPU`);
  console.log(`  with dashboard + SSE client      ${s.toFixed(1)} ms wall  ${pct(s / b - 1)}  (target <= +5%)`);
  console.log(`    on the run's thread            ${main.toFixed(1)} ms  ${pct(main / b)} of the baseline's wall time (converting events, posting batches)`);
  console.log(
    `    CPU of the process             ${sCpu.toFixed(1)} ms  ${pct(sCpu / bCpu - 1)} (run's thread + dashboard worker; the client is another process)`,
  );
  if (withPage.length) {
    const p = median(withPage.map((m) => m.ms));
    console.log(`  with dashboard + Chromium page   ${p.toFixed(1)} ms wall  ${pct(p / b - 1)}`);
  }
  return withSse[0]!.records;
}

async function main() {
  const ws = await fsp.mkdtemp(path.join(os.tmpdir(), 'bench-ws-'));
  const traces = await fsp.mkdtemp(path.join(os.tmpdir(), 'bench-traces-'));
  const dirs = { ws, traces };
  let browser: Browser | null = null;
  if (fs.existsSync(CHROMIUM)) {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }
  console.log(
    `machine: ${os.cpus()[0]?.model ?? 'unknown cpu'} x${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, load ${os.loadavg()[0]!.toFixed(1)}`,
  );
  console.log(`run: ${TASKS} tasks, ${PARALLEL} actors in parallel, ${STEPS + 1} model calls each (${TASKS * (STEPS + 1)} actor steps)`);
  const records = await compare(dirs, 'instant model (worst case: no idle time at all)', 0, 9, browser);
  console.log(`  records per run: ${records} (${(records / (TASKS * (STEPS + 1))).toFixed(1)} per actor step), all delivered to every client`);
  await compare(dirs, 'model answering in 50 ms (a fast server; real models take 50 ms to seconds)', 50, 5, browser);

  const recorded = await recordedRun(dirs);
  const copies = 10;
  const sseRate = median([
    await throughput(dirs, recorded, copies, sseClient),
    await throughput(dirs, recorded, copies, sseClient),
    await throughput(dirs, recorded, copies, sseClient),
  ]);
  console.log(`\nstream throughput (${copies} recorded runs = ${recorded.length * copies} records pushed as fast as the dashboard takes them):`);
  console.log(`  to an SSE client                 ${Math.round(sseRate)} records/s`);
  if (browser) {
    const b = browser;
    const pageRate = median([
      await throughput(dirs, recorded, 3, (url) => pageClient(b, url)),
      await throughput(dirs, recorded, 3, (url) => pageClient(b, url)),
      await throughput(dirs, recorded, 3, (url) => pageClient(b, url)),
    ]);
    console.log(`  to the Chromium page (applied and drawn)  ${Math.round(pageRate)} records/s`);
  } else {
    console.log(`  (no ${CHROMIUM}: the browser measurements were skipped)`);
  }
  await browser?.close();
  await fsp.rm(ws, { recursive: true, force: true });
  await fsp.rm(traces, { recursive: true, force: true });
}

if (process.argv[2] === '--sse-client') sseChild(process.argv[3]!);
else void main();
