/**
 * End to end, on a real redis-server and worker processes: `optimize --redis`
 * with two workers chooses what a local run with the same seed chooses; the
 * shared cache makes a repeated run pay nothing; a bad payload fails with its
 * reason while the worker goes on; a wrong Redis URL is exit 2.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { ensureBuilt, tempDirSync } from '../support/providerCli.js';
import { startRedis, type RedisServer } from '../support/redisServer.js';
import { startWorkerProcess, until, type WorkerProcess } from '../support/queueWorkers.js';
import { startVllmServer, type SeenRequest, type VllmServer } from '../support/vllmServer.js';

let redis: RedisServer;
let server: VllmServer;
let work: string;
let workers: WorkerProcess[] = [];

beforeAll(() => ensureBuilt());
beforeEach(async () => {
  [redis, server] = await Promise.all([startRedis(), startVllmServer({ models: ['task-m', 'refl-m'] })]);
  work = tempDirSync('gepa-queue-e2e-');
  keywordServer();
});
afterEach(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  workers = [];
  await Promise.all([server.close(), redis.stop()]);
  fs.rmSync(work, { recursive: true, force: true });
});

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];
const example = (w: string) => ({ input: `word:${w}`, answer: `${w.toUpperCase()}-OK`, additional_context: { key: `KEY:${w}` } });
const content = (req: SeenRequest, role: string): string => req.body.messages?.find((m: { role: string }) => m.role === role)?.content ?? '';
const isReflection = (req: SeenRequest) => content(req, 'user').startsWith('I gave an assistant');

/** Task model: answers word:<w> only when the system prompt holds KEY:<w>. Reflection: adds the keys its prompt mentions. */
function keywordServer(): void {
  server.handler = (req) => {
    const prompt = content(req, 'user');
    if (isReflection(req)) {
      const current = /```\n([\s\S]*?)\n```/.exec(prompt)?.[1] ?? '';
      const keys = [...new Set(prompt.match(/KEY:\w+/g) ?? [])].filter((k) => !current.includes(k));
      return { content: `\`\`\`\n${[current, ...keys].join(' ')}\n\`\`\``, delayMs: 5 };
    }
    const word = /word:(\w+)/.exec(prompt)?.[1] ?? '';
    // Slow enough that one worker with concurrency 1 cannot take every job of a batch.
    return { content: content(req, 'system').includes(`KEY:${word}`) ? `${word.toUpperCase()}-OK` : 'no idea', delayMs: 30 };
  };
}

function jsonl(name: string, rows: unknown[]): string {
  const file = path.join(work, name);
  fs.writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return file;
}

function optimizeArgs(extra: string[] = []): string[] {
  const train = jsonl('train.jsonl', WORDS.map(example));
  const val = jsonl('val.jsonl', WORDS.slice(0, 4).map(example));
  return [
    'optimize',
    '--train',
    train,
    '--val',
    val,
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
    '40',
    '--seed',
    '3',
    '--minibatch-size',
    '2',
    '--max-concurrency',
    '2',
    '--json',
    ...extra,
  ];
}

const workerArgs = () => ['--redis', redis.url, '--provider', 'vllm', '--api-base', server.apiBase, '--model', 'task-m', '--concurrency', '1'];

/** What a run chose, without what may differ between runs (times, paths). */
function choices(out: Record<string, any>) {
  return {
    best_candidate: out.best_candidate,
    best_val_score: out.best_val_score,
    metric_calls: out.metric_calls,
    iterations: out.iterations,
    stop_reason: out.stop_reason,
    candidates: out.candidates.map((c: Record<string, unknown>) => ({
      components: c.components,
      val_score: c.val_score,
      parents: c.parents,
      found: c.found_at_metric_calls,
    })),
  };
}

const taskCalls = () => server.requests.filter((r) => !isReflection(r)).length;

describe('optimize --redis', { timeout: 90_000 }, () => {
  it('two workers choose the same candidates as a local run with the same seed; a repeat pays nothing', async () => {
    const local = await runCli(optimizeArgs());
    expect(local.code, local.stderr).toBe(0);
    const localCalls = taskCalls();
    const expected = choices(JSON.parse(local.stdout));
    expect(expected.candidates.length).toBeGreaterThan(1); // the run did evolve something

    workers = await Promise.all([startWorkerProcess(workerArgs()), startWorkerProcess(workerArgs())]);
    const dist = await runCli(optimizeArgs(['--redis', redis.url]));
    expect(dist.code, dist.stderr).toBe(0);
    expect(choices(JSON.parse(dist.stdout))).toEqual(expected);
    // Every metric call was paid once, on a worker.
    expect(taskCalls() - localCalls).toBe(expected.metric_calls);

    // The cache lives in Redis, keyed by content: the same run again evaluates nothing.
    const before = taskCalls();
    const again = await runCli(optimizeArgs(['--redis', redis.url, '--chunk-size', '3']));
    expect(again.code, again.stderr).toBe(0);
    expect(choices(JSON.parse(again.stdout))).toEqual(expected);
    expect(taskCalls()).toBe(before);

    // Both workers took jobs, and stop cleanly on SIGTERM.
    const stopped = await Promise.all(workers.map((w) => w.stop()));
    for (const r of stopped) {
      expect(r.code).toBe(0);
      const completed = Number(/stopped \((\d+) completed/.exec(r.stderr)?.[1] ?? '0');
      expect(completed).toBeGreaterThan(0);
    }
    workers = [];
  });

  it('a job whose payload fails validation is failed with the reason, and the worker goes on', async () => {
    workers = [await startWorkerProcess(workerArgs())];
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue('gepa-aime-eval', { connection, prefix: 'gepa-aime' });
    const eventsConnection = connection.duplicate();
    const events = new QueueEvents('gepa-aime-eval', { connection: eventsConnection, prefix: 'gepa-aime' });
    try {
      await events.waitUntilReady();
      const bad = await queue.add('eval', { kind: 'gepa.eval', candidate: { system_prompt: 'x' }, split: 'test', examples: [] }, { attempts: 3 });
      await expect(bad.waitUntilFinished(events)).rejects.toThrow(/^invalid gepa\.eval payload: adapter: .*split: .*examples: /);
      const failed = await queue.getJob(bad.id!);
      expect(failed!.attemptsMade).toBe(1); // not retried: it can never succeed
    } finally {
      await events.close();
      await queue.close();
      connection.disconnect();
      eventsConnection.disconnect();
    }
    await until(() => /job \S+ \(gepa-aime-eval\) failed: invalid gepa\.eval payload/.test(workers[0]!.stderr()));
    // Still working.
    const r = await runCli(optimizeArgs(['--redis', redis.url]));
    expect(r.code, r.stderr).toBe(0);
  });

  it("a metric module is loaded only from the worker's --metrics-dir, and then scores as it does locally", async () => {
    const metric = path.join(work, 'metric.mjs');
    fs.writeFileSync(metric, 'export default (example, output) => (output.includes(example.answer) ? 1 : 0);\n');
    const args = optimizeArgs(['--metric', metric, '--max-metric-calls', '12']);
    const local = await runCli(args);
    expect(local.code, local.stderr).toBe(0);

    workers = [await startWorkerProcess(workerArgs())];
    const refused = await runCli([...args, '--redis', redis.url]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/loads no metric modules \(the job asks for .*metric\.mjs\); start it with --metrics-dir DIR/);
    await Promise.all(workers.map((w) => w.stop()));

    const elsewhere = tempDirSync('gepa-queue-metrics-');
    workers = [await startWorkerProcess([...workerArgs(), '--metrics-dir', elsewhere])];
    const outside = await runCli([...args, '--redis', redis.url]);
    expect(outside.code).toBe(1);
    expect(outside.stderr).toMatch(/is outside this worker's --metrics-dir/);
    await Promise.all(workers.map((w) => w.stop()));
    fs.rmSync(elsewhere, { recursive: true, force: true });

    workers = [await startWorkerProcess([...workerArgs(), '--metrics-dir', work])];
    const dist = await runCli([...args, '--redis', redis.url]);
    expect(dist.code, dist.stderr).toBe(0);
    expect(choices(JSON.parse(dist.stdout))).toEqual(choices(JSON.parse(local.stdout)));
  });

  it('a wrong Redis URL is a clear error and exit 2, for every command', async () => {
    const dead = 'redis://127.0.0.1:1';
    const runs = await Promise.all([
      runCli(optimizeArgs(['--redis', dead])),
      runCli(['worker', '--redis', dead, '--provider', 'offline']),
      runCli(['submit', 'a goal', '--redis', dead]),
      runCli(['runs', '--redis', dead]),
      runCli(['result', 'some-id', '--redis', dead]),
      runCli(['worker', '--redis', 'http://127.0.0.1:6379', '--provider', 'offline']),
    ]);
    for (const r of runs.slice(0, 5)) {
      expect(r.code).toBe(2);
      expect(r.stderr).toBe('gepa-aime: cannot reach Redis at redis://127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1\n');
    }
    expect(runs[5]!.code).toBe(2);
    expect(runs[5]!.stderr).toMatch(/the scheme must be redis:\/\/ or rediss:\/\//);
    const team = await runCli(['optimize', '--team', 'x.yaml', '--out', path.join(work, 'o.yaml'), '--train', 't', '--val', 'v', '--redis', redis.url]);
    expect(team.code).toBe(2);
    expect(team.stderr).toMatch(/--redis is built for --seed-prompt only so far/);
    const [judged, viz] = await Promise.all([
      runCli(optimizeArgs(['--redis', redis.url, '--judge'])),
      runCli(['run', 'a goal', '--redis', redis.url, '--viz']),
    ]);
    expect([judged.code, viz.code]).toEqual([2, 2]);
    expect(judged.stderr).toMatch(/--judge is not distributed yet/);
    expect(viz.stderr).toMatch(/--redis cannot be combined with --judge, --viz or --inspect yet/);
  });
});
