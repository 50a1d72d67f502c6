/**
 * Faults of a distributed optimize, on a real redis-server and worker
 * processes: a worker SIGKILLed mid-job (another takes the job over after
 * stall detection; the result is a local run's, no evaluation lost or counted
 * twice), and Redis restarted mid-run (with persistence the run finishes; without
 * it the coordinator fails with a clear reason; either way the workers reconnect).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../support/cli.js';
import { ensureBuilt, tempDirSync } from '../support/providerCli.js';
import { startRedis, type RedisServer } from '../support/redisServer.js';
import { startWorkerProcess, until, type WorkerProcess } from '../support/queueWorkers.js';
import { startVllmServer, type ServerReply, type SeenRequest, type VllmServer } from '../support/vllmServer.js';

let redis: RedisServer | null = null;
let server: VllmServer;
let work: string;
let workers: WorkerProcess[] = [];
/** When set, the next task request is held until `releaseHeld()`. */
let hold: { arrived: () => void; released: Promise<void> } | null = null;
let releaseHeld = () => {};

beforeAll(() => ensureBuilt());
beforeEach(async () => {
  server = await startVllmServer({ models: ['task-m', 'refl-m'] });
  work = tempDirSync('gepa-queue-faults-');
  server.handler = handler;
});
afterEach(async () => {
  releaseHeld();
  await Promise.all(workers.map((w) => w.stop()));
  workers = [];
  await server.close();
  await redis?.stop();
  redis = null;
  fs.rmSync(work, { recursive: true, force: true });
});

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];
const example = (w: string) => ({ input: `word:${w}`, answer: `${w.toUpperCase()}-OK`, additional_context: { key: `KEY:${w}` } });
const content = (req: SeenRequest, role: string): string => req.body.messages?.find((m: { role: string }) => m.role === role)?.content ?? '';
const isReflection = (req: SeenRequest) => content(req, 'user').startsWith('I gave an assistant');
const taskCalls = () => server.requests.filter((r) => !isReflection(r)).length;

async function handler(req: SeenRequest): Promise<ServerReply> {
  const prompt = content(req, 'user');
  if (isReflection(req)) {
    const current = /```\n([\s\S]*?)\n```/.exec(prompt)?.[1] ?? '';
    const keys = [...new Set(prompt.match(/KEY:\w+/g) ?? [])].filter((k) => !current.includes(k));
    return { content: `\`\`\`\n${[current, ...keys].join(' ')}\n\`\`\`` };
  }
  const h = hold;
  if (h) {
    hold = null;
    h.arrived();
    await h.released;
  }
  const word = /word:(\w+)/.exec(prompt)?.[1] ?? '';
  return { content: content(req, 'system').includes(`KEY:${word}`) ? `${word.toUpperCase()}-OK` : 'no idea' };
}

/** Hold the next task request; resolves when it has reached the server. */
function holdNext(): Promise<void> {
  let arrived!: () => void;
  let release!: () => void;
  const reached = new Promise<void>((r) => (arrived = r));
  const released = new Promise<void>((r) => (release = r));
  hold = { arrived, released };
  releaseHeld = release;
  return reached;
}

function optimizeArgs(extra: string[] = []): string[] {
  const file = (name: string, rows: unknown[]) => {
    const f = path.join(work, name);
    fs.writeFileSync(f, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    return f;
  };
  return [
    'optimize',
    '--train',
    file('train.jsonl', WORDS.map(example)),
    '--val',
    file('val.jsonl', WORDS.slice(0, 4).map(example)),
    '--seed-prompt',
    'Answer the word question.',
    '--provider',
    'vllm',
    '--api-base',
    server.apiBase,
    '--task-model',
    'task-m',
    '--reflection-model',
    'refl-m',
    '--max-metric-calls',
    '30',
    '--seed',
    '5',
    '--minibatch-size',
    '2',
    '--json',
    ...extra,
  ];
}

const workerArgs = () => [
  '--redis',
  redis!.url,
  '--provider',
  'vllm',
  '--api-base',
  server.apiBase,
  '--model',
  'task-m',
  '--concurrency',
  '1',
  '--stall-ms',
  '1000',
];

function choices(out: Record<string, any>) {
  return {
    best_candidate: out.best_candidate,
    metric_calls: out.metric_calls,
    candidates: out.candidates.map((c: Record<string, unknown>) => ({
      components: c.components,
      val_score: c.val_score,
      parents: c.parents,
    })),
  };
}

async function localRun() {
  const local = await runCli(optimizeArgs());
  expect(local.code, local.stderr).toBe(0);
  return choices(JSON.parse(local.stdout));
}

describe('faults of optimize --redis', { timeout: 90_000 }, () => {
  it('a worker killed with SIGKILL mid-job: another takes the job after stall detection; the result is the local one, nothing counted twice', async () => {
    const expected = await localRun();
    const localCalls = taskCalls();
    redis = await startRedis();
    const a = await startWorkerProcess(workerArgs());
    workers = [a];
    const reached = holdNext();
    const coordinator = startCli(optimizeArgs(['--redis', redis.url]));
    await reached; // worker A is inside a job, waiting on the model
    a.child.kill('SIGKILL');
    const killed = await a.done;
    expect(killed.code).toBe(null);
    releaseHeld();
    workers = [await startWorkerProcess(workerArgs())];
    const r = await coordinator.done;
    expect(r.code, r.stderr).toBe(0);
    expect(choices(JSON.parse(r.stdout))).toEqual(expected);
    // Every evaluation paid once, plus the one the killed worker had asked for and never saw answered.
    expect(taskCalls() - localCalls).toBe(expected.metric_calls + 1);
  });

  it('SIGTERM mid-job drains: the worker finishes its job, exits 0, and another finishes the run with the local result', async () => {
    const expected = await localRun();
    redis = await startRedis();
    const a = await startWorkerProcess(workerArgs());
    workers = [a];
    const reached = holdNext();
    const coordinator = startCli(optimizeArgs(['--redis', redis.url]));
    await reached;
    a.child.kill('SIGTERM');
    await until(() => /SIGTERM: draining \(finishing 1 active job\(s\)/.test(a.stderr()));
    releaseHeld();
    const drained = await a.done;
    expect(drained.code).toBe(0);
    expect(drained.stderr).toMatch(/stopped \(1 completed, 0 failed\)/);
    workers = [await startWorkerProcess(workerArgs())];
    const r = await coordinator.done;
    expect(r.code, r.stderr).toBe(0);
    expect(choices(JSON.parse(r.stdout))).toEqual(expected);
  });

  it('Redis restarted mid-run with persistence (appendonly): workers and coordinator reconnect and finish with the local result', async () => {
    const expected = await localRun();
    redis = await startRedis({ persist: true });
    workers = [await startWorkerProcess(workerArgs())];
    const reached = holdNext();
    const coordinator = startCli(optimizeArgs(['--redis', redis.url]));
    await reached;
    await redis.restart();
    releaseHeld();
    const r = await coordinator.done;
    expect(r.code, r.stderr).toBe(0);
    expect(choices(JSON.parse(r.stdout))).toEqual(expected);
    await until(() => /connected to Redis again/.test(workers[0]!.stderr()));
  });

  it('Redis restarted mid-run without persistence: the coordinator fails with a clear reason, exit 1; the workers reconnect and go on', async () => {
    redis = await startRedis();
    workers = [await startWorkerProcess(workerArgs())];
    const reached = holdNext();
    const coordinator = startCli(optimizeArgs(['--redis', redis.url]));
    await reached;
    await redis.restart();
    releaseHeld();
    const r = await coordinator.done;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^gepa-aime: GEPA optimisation failed: (evaluating the seed candidate failed: )?batch job \S+ is gone from Redis \(was Redis restarted without persistence\?\); the run cannot finish\n$/,
    );
    await until(() => /connected to Redis again/.test(workers[0]!.stderr()));
    const again = await runCli(optimizeArgs(['--redis', redis.url]));
    expect(again.code, again.stderr).toBe(0);
  });
});
