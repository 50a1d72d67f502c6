/**
 * Faults of a distributed optimize, on a real redis-server and worker
 * processes: a worker SIGKILLed mid-job (another takes the job over after
 * stall detection; the result is a local run's, no evaluation lost or counted
 * twice), and Redis restarted mid-run (with persistence the run finishes; without
 * it the coordinator fails with a clear reason; either way the workers reconnect).
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../support/cli.js';
import { ensureBuilt } from '../support/providerCli.js';
import { answerWord, isReflection, queueFixture, reflectKeys, type QueueFixture } from '../support/queueFixture.js';
import { until, type WorkerProcess } from '../support/queueWorkers.js';
import type { ServerReply, SeenRequest } from '../support/vllmServer.js';

let fx: QueueFixture;
/** When set, the next task request is held until `releaseHeld()`. */
let hold: { arrived: () => void; released: Promise<void> } | null = null;
let releaseHeld = () => {};

beforeAll(() => ensureBuilt());
// Each test starts its own Redis: with or without persistence.
beforeEach(async () => (fx = await queueFixture({ redis: false, handler })));
afterEach(async () => {
  releaseHeld();
  await fx.close();
});

async function handler(req: SeenRequest): Promise<ServerReply> {
  if (isReflection(req)) return { content: reflectKeys(req) };
  const h = hold;
  if (h) {
    hold = null;
    h.arrived();
    await h.released;
  }
  return { content: answerWord(req) };
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

const optimizeArgs = (extra: string[] = []) => fx.optimizeArgs({ maxMetricCalls: 30, seed: 5, maxConcurrency: null, extra });
const taskCalls = () => fx.taskCalls();
/** Stall detection after 1 s, so a killed worker's job is taken over quickly. */
const startWorker = async (): Promise<WorkerProcess> => (await fx.startWorkers(1, ['--stall-ms', '1000']))[0]!;

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
    const redis = await fx.startRedis();
    const a = await startWorker();
    const reached = holdNext();
    const coordinator = startCli(optimizeArgs(['--redis', redis.url]));
    await reached; // worker A is inside a job, waiting on the model
    a.child.kill('SIGKILL');
    const killed = await a.done;
    expect(killed.code).toBe(null);
    releaseHeld();
    await startWorker();
    const r = await coordinator.done;
    expect(r.code, r.stderr).toBe(0);
    expect(choices(JSON.parse(r.stdout))).toEqual(expected);
    // Every evaluation paid once, plus the one the killed worker had asked for and never saw answered.
    expect(taskCalls() - localCalls).toBe(expected.metric_calls + 1);
  });

  it('SIGTERM mid-job drains: the worker finishes its job, exits 0, and another finishes the run with the local result', async () => {
    const expected = await localRun();
    const redis = await fx.startRedis();
    const a = await startWorker();
    const reached = holdNext();
    const coordinator = startCli(optimizeArgs(['--redis', redis.url]));
    await reached;
    a.child.kill('SIGTERM');
    await until(() => /SIGTERM: draining \(finishing 1 active job\(s\)/.test(a.stderr()));
    releaseHeld();
    const drained = await a.done;
    expect(drained.code).toBe(0);
    expect(drained.stderr).toMatch(/stopped \(1 completed, 0 failed\)/);
    await startWorker();
    const r = await coordinator.done;
    expect(r.code, r.stderr).toBe(0);
    expect(choices(JSON.parse(r.stdout))).toEqual(expected);
  });

  it('Redis restarted mid-run with persistence (appendonly): workers and coordinator reconnect and finish with the local result', async () => {
    const expected = await localRun();
    const redis = await fx.startRedis({ persist: true });
    await startWorker();
    const reached = holdNext();
    const coordinator = startCli(optimizeArgs(['--redis', redis.url]));
    await reached;
    await redis.restart();
    releaseHeld();
    const r = await coordinator.done;
    expect(r.code, r.stderr).toBe(0);
    expect(choices(JSON.parse(r.stdout))).toEqual(expected);
    await until(() => /connected to Redis again/.test(fx.workers.at(-1)!.stderr()));
  });

  it('Redis restarted mid-run without persistence: the coordinator fails with a clear reason, exit 1; the workers reconnect and go on', async () => {
    const redis = await fx.startRedis();
    await startWorker();
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
    await until(() => /connected to Redis again/.test(fx.workers.at(-1)!.stderr()));
    const again = await runCli(optimizeArgs(['--redis', redis.url]));
    expect(again.code, again.stderr).toBe(0);
  });
});
