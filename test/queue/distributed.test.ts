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
import { choices, queueFixture, type QueueFixture } from '../support/queueFixture.js';
import { until } from '../support/queueWorkers.js';

let fx: QueueFixture;

beforeAll(() => ensureBuilt());
// Task answers slow enough that one worker with concurrency 1 cannot take every job of a batch.
beforeEach(async () => (fx = await queueFixture({ taskDelayMs: 30 })));
afterEach(async () => fx.close());

const optimizeArgs = (extra: string[] = []) => fx.optimizeArgs({ extra });
const redisUrl = () => fx.redis!.url;

describe('optimize --redis', { timeout: 90_000 }, () => {
  it('two workers choose the same candidates as a local run with the same seed; a repeat pays nothing', async () => {
    const local = await runCli(optimizeArgs());
    expect(local.code, local.stderr).toBe(0);
    const localCalls = fx.taskCalls();
    const expected = choices(JSON.parse(local.stdout));
    expect(expected.candidates.length).toBeGreaterThan(1); // the run did evolve something

    await fx.startWorkers(2);
    const dist = await runCli(optimizeArgs(['--redis', redisUrl()]));
    expect(dist.code, dist.stderr).toBe(0);
    expect(choices(JSON.parse(dist.stdout))).toEqual(expected);
    // Every metric call was paid once, on a worker.
    expect(fx.taskCalls() - localCalls).toBe(expected.metric_calls);

    // The cache lives in Redis, keyed by content: the same run again evaluates nothing.
    const before = fx.taskCalls();
    const again = await runCli(optimizeArgs(['--redis', redisUrl(), '--chunk-size', '3']));
    expect(again.code, again.stderr).toBe(0);
    expect(choices(JSON.parse(again.stdout))).toEqual(expected);
    expect(fx.taskCalls()).toBe(before);

    // Both workers took jobs, and stop cleanly on SIGTERM.
    const stopped = await Promise.all(fx.workers.map((w) => w.stop()));
    for (const r of stopped) {
      expect(r.code).toBe(0);
      const completed = Number(/stopped \((\d+) completed/.exec(r.stderr)?.[1] ?? '0');
      expect(completed).toBeGreaterThan(0);
    }
  });

  it('several --seed-prompt flags: the extra seeds are evaluated on the workers, and the run chooses what a local one does', async () => {
    const args = fx.optimizeArgs({ maxMetricCalls: 24, extra: ['--seed-prompt', 'Answer the word question. KEY:alpha KEY:bravo'] });
    const local = await runCli(args);
    expect(local.code, local.stderr).toBe(0);
    const expected = choices(JSON.parse(local.stdout));
    expect(expected.candidates[1].components.system_prompt).toContain('KEY:alpha'); // the second seed is a candidate
    await fx.startWorkers(2);
    const dist = await runCli([...args, '--redis', redisUrl()]);
    expect(dist.code, dist.stderr).toBe(0);
    expect(choices(JSON.parse(dist.stdout))).toEqual(expected);
  });

  it('--test: the chosen candidate is scored on the held-out set on the workers, as a local run scores it', async () => {
    const test = fx.jsonl(
      'test.jsonl',
      ['golf', 'hotel', 'india'].map((w) => ({ input: `word:${w}`, answer: `${w.toUpperCase()}-OK`, additional_context: { key: `KEY:${w}` } })),
    );
    const args = fx.optimizeArgs({ maxMetricCalls: 24, extra: ['--test', test] });
    const local = await runCli(args);
    expect(local.code, local.stderr).toBe(0);
    const localOut = JSON.parse(local.stdout);
    expect(localOut.test_metric_calls).toBe(3);
    await fx.startWorkers(1);
    const before = fx.taskCalls();
    const dist = await runCli([...args, '--redis', redisUrl()]);
    expect(dist.code, dist.stderr).toBe(0);
    const distOut = JSON.parse(dist.stdout);
    expect(choices(distOut)).toEqual(choices(localOut));
    expect([distOut.test_score, distOut.test_metric_calls]).toEqual([localOut.test_score, localOut.test_metric_calls]);
    // Every call, the test set's included, was a worker's.
    expect(fx.taskCalls() - before).toBe(localOut.metric_calls + 3);
  });

  it('a job whose payload fails validation is failed with the reason, and the worker goes on', async () => {
    await fx.startWorkers(1);
    const connection = new Redis(redisUrl(), { maxRetriesPerRequest: null });
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
    await until(() => /job \S+ \(gepa-aime-eval\) failed: invalid gepa\.eval payload/.test(fx.workers[0]!.stderr()));
    // Still working.
    const r = await runCli(optimizeArgs(['--redis', redisUrl()]));
    expect(r.code, r.stderr).toBe(0);
  });

  it("a metric module is loaded only from the worker's --metrics-dir, and then scores as it does locally", async () => {
    const metric = path.join(fx.work, 'metric.mjs');
    fs.writeFileSync(metric, 'export default (example, output) => (output.includes(example.answer) ? 1 : 0);\n');
    const args = optimizeArgs(['--metric', metric, '--max-metric-calls', '12']);
    const local = await runCli(args);
    expect(local.code, local.stderr).toBe(0);

    await fx.startWorkers(1);
    const refused = await runCli([...args, '--redis', redisUrl()]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/loads no metric modules \(the job asks for .*metric\.mjs\); start it with --metrics-dir DIR/);
    await fx.stopWorkers();

    const elsewhere = tempDirSync('gepa-queue-metrics-');
    await fx.startWorkers(1, ['--metrics-dir', elsewhere]);
    const outside = await runCli([...args, '--redis', redisUrl()]);
    expect(outside.code).toBe(1);
    expect(outside.stderr).toMatch(/is outside this worker's --metrics-dir/);
    await fx.stopWorkers();
    fs.rmSync(elsewhere, { recursive: true, force: true });

    await fx.startWorkers(1, ['--metrics-dir', fx.work]);
    const dist = await runCli([...args, '--redis', redisUrl()]);
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
    const viz = await runCli(['run', 'a goal', '--redis', redisUrl(), '--viz']);
    expect(viz.code).toBe(2);
    expect(viz.stderr).toMatch(/--redis cannot be combined with --judge, --viz or --inspect yet/);
  });
});
