/**
 * Goal runs on the queue, end to end on a real redis-server and a worker
 * process: `submit` prints an id, `runs --redis` lists it, `result` prints a
 * report equal to a local run's, `run --redis` follows a run to its report.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { ensureBuilt, tempDirSync } from '../support/providerCli.js';
import { startRedis, type RedisServer } from '../support/redisServer.js';
import { startWorkerProcess, until, type WorkerProcess } from '../support/queueWorkers.js';

let redis: RedisServer;
let root: string;
let workers: WorkerProcess[] = [];

beforeAll(() => ensureBuilt());
beforeEach(async () => {
  redis = await startRedis();
  root = tempDirSync('gepa-queue-runs-');
  for (const name of ['side1', 'side2']) {
    fs.mkdirSync(path.join(root, name, 'ws', 'src'), { recursive: true });
    fs.writeFileSync(path.join(root, name, 'ws', 'README.md'), '# demo\n');
    fs.writeFileSync(path.join(root, name, 'ws', 'src', 'main.ts'), 'export {};\n');
  }
});
afterEach(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  workers = [];
  await redis.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

const GOAL = 'List the files in the workspace and summarise them';

/** A report without what differs between two runs of the same goal: ids, times, paths. */
function comparable(report: Record<string, any>): unknown {
  const text = JSON.stringify(report)
    .replaceAll(report.runId, '<run>')
    .replaceAll(root, '<root>')
    .replaceAll(/\/side[12]\//g, '/<side>/');
  const r = JSON.parse(text);
  delete r.timings;
  delete r.paths;
  return r;
}

const startWorker = () =>
  startWorkerProcess([
    '--redis',
    redis.url,
    '--provider',
    'offline',
    '--workspace',
    path.join(root, 'side2', 'ws'),
    '--traces',
    path.join(root, 'side2', 'traces'),
  ]);

describe('goal runs on the queue', { timeout: 90_000 }, () => {
  it('submit prints an id; runs lists it; result prints the same report a local run gives', async () => {
    const local = await runCli([
      'run',
      GOAL,
      '--provider',
      'offline',
      '--workspace',
      path.join(root, 'side1', 'ws'),
      '--traces',
      path.join(root, 'side1', 'traces'),
      '--json',
    ]);
    expect(local.code, local.stderr).toBe(0);

    const submitted = await runCli(['submit', GOAL, '--redis', redis.url, '--traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01']);
    expect(submitted.code, submitted.stderr).toBe(0);
    const id = submitted.stdout.trim();
    expect(id).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{6}$/);

    // Queued, nobody working yet.
    const waiting = await runCli(['result', id, '--redis', redis.url]);
    expect(waiting.code).toBe(3);
    expect(waiting.stderr).toBe(`gepa-aime: run ${id} is queued, not finished yet\n`);
    const queued = JSON.parse((await runCli(['runs', '--redis', redis.url, '--json'])).stdout);
    expect(queued.runs).toEqual([{ id, state: 'queued', goal: GOAL, submittedAt: expect.any(String), outcome: '' }]);

    workers = [await startWorker()];
    let result = waiting;
    await until(async () => {
      result = await runCli(['result', id, '--redis', redis.url, '--json']);
      return result.code !== 3;
    }, 30_000);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.runId).toBe(id);
    expect(comparable(report)).toEqual(comparable(JSON.parse(local.stdout)));
    // The worker keeps the run's traces, its one event stream among them; the report sent back names it.
    const runDir = path.join(root, 'side2', 'traces', 'runs', id);
    expect(fs.existsSync(path.join(runDir, 'report.json'))).toBe(true);
    expect(fs.realpathSync(report.paths.inspect)).toBe(fs.realpathSync(path.join(runDir, 'inspect.jsonl')));

    const listed = JSON.parse((await runCli(['runs', '--redis', redis.url, '--json'])).stdout);
    expect(listed.runs).toEqual([{ id, state: 'completed', goal: GOAL, submittedAt: expect.any(String), outcome: 'completed' }]);
    expect(listed.workers).toHaveLength(1);
    expect(listed.workers[0]).toMatchObject({ pid: workers[0]!.child.pid, state: 'running', concurrency: 1 });

    // The job carries the trace context it was given.
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue('gepa-aime-run', { connection, prefix: 'gepa-aime' });
    try {
      expect((await queue.getJob(id))!.data.traceparent).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    } finally {
      await queue.close();
      connection.disconnect();
    }
  });

  it('run --redis follows the run and prints its report; bad input is refused', async () => {
    workers = [await startWorker()];
    const r = await runCli(['run', GOAL, '--redis', redis.url]);
    expect(r.code, r.stderr).toBe(0);
    const id = /queued run (\S+)/.exec(r.stderr)?.[1];
    expect(id).toBeDefined();
    expect(r.stdout).toMatch(/^status: completed$/m);
    expect(r.stderr).toContain(`gepa-aime: run ${id}: running\n`); // followed live: the checklist's updates arrived
    expect(r.stdout).toContain(`report: ${path.join(root, 'side2', 'traces', 'runs', id!, 'report.json')}`);
    const json = await runCli(['run', GOAL, '--redis', redis.url, '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).status).toBe('completed');

    const unknown = await runCli(['result', 'no-such-run', '--redis', redis.url]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('gepa-aime: no run no-such-run on the queue (see: gepa-aime runs --redis URL)\n');
    const empty = await runCli(['submit', ' ', '--redis', redis.url]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/^gepa-aime: the goal cannot be queued: goal: /);
  });
});
