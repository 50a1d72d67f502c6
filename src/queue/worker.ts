/**
 * `gepa-aime worker`: BullMQ workers on the project's queues in one process,
 * with the process's own config and model endpoints. It writes a heartbeat
 * (its health) to Redis, goes on after a bad job (failed with its reason),
 * and on `drain()` stops taking jobs, lets the active ones finish and exits.
 * A worker that dies holding jobs loses its locks; BullMQ's stall detection
 * hands the jobs to another worker.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { LoadedConfig } from '../config/index.js';
import type { ModelSet } from '../runtime/models.js';
import { SharedEvalCache } from './cache.js';
import { makeEvalProcessor, processBatch } from './evalProcessor.js';
import { makeGoalProcessor } from './goalProcessor.js';
import { BATCH_QUEUE, EVAL_QUEUE, PREFIX, RUN_QUEUE, workerKey } from './names.js';
import { connect, displayUrl } from './redis.js';

export interface WorkerOptions {
  url: string;
  config: LoadedConfig;
  /** Jobs at once per queue (evaluation chunks; goal runs). */
  concurrency: number;
  workspace: string;
  tracesDir: string;
  /** Lock duration and stall-check interval: how soon another worker takes over a dead one's jobs. */
  stallMs?: number;
  /** Wraps every model set the worker builds (the shared in-flight limit). */
  wrapModels?: (models: ModelSet) => ModelSet;
  /** The directory metric modules named by jobs may be imported from (none: jobs with a metric fail). */
  metricsDir?: string;
  log?: (line: string) => void;
}

export interface WorkerHealth {
  id: string;
  host: string;
  pid: number;
  concurrency: number;
  startedAt: string;
  active: number;
  completed: number;
  failed: number;
  state: 'running' | 'draining';
  beatAt: string;
}

export interface RunningWorker {
  id: string;
  health(): WorkerHealth;
  /** Stop taking jobs, finish the active ones, then close. `force` returns them to the queue at once. */
  drain(force?: boolean): Promise<void>;
  closed: Promise<void>;
}

const HEARTBEAT_MS = 5000;

export async function startWorker(o: WorkerOptions): Promise<RunningWorker> {
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const id = `${os.hostname()}-${process.pid}-${crypto.randomBytes(2).toString('hex')}`;
  const redis: Redis = connect(o.url);
  const stallMs = o.stallMs ?? 30_000;
  const abort = new AbortController();
  const health: WorkerHealth = {
    id,
    host: os.hostname(),
    pid: process.pid,
    concurrency: o.concurrency,
    startedAt: new Date().toISOString(),
    active: 0,
    completed: 0,
    failed: 0,
    state: 'running',
    beatAt: new Date().toISOString(),
  };

  const evalProcessor = makeEvalProcessor({
    config: o.config,
    cache: new SharedEvalCache(redis),
    workerId: id,
    innerConcurrency: Math.max(1, o.config.gepa.offline.max_concurrency ?? 1),
    signal: abort.signal,
    ...(o.wrapModels ? { wrapModels: o.wrapModels } : {}),
    ...(o.metricsDir ? { metricsDir: o.metricsDir } : {}),
    workspace: o.workspace,
    tracesDir: o.tracesDir,
  });
  const goalProcessor = makeGoalProcessor({ config: o.config, workspace: o.workspace, tracesDir: o.tracesDir, signal: abort.signal });
  const counted =
    <R>(fn: (job: Job) => Promise<R>) =>
    async (job: Job): Promise<R> => {
      health.active++;
      try {
        return await fn(job);
      } catch (err) {
        // Bad input to a goal is not worth retrying.
        if (err instanceof Error && err.name === 'RunInputError') throw new UnrecoverableError(err.message);
        throw err;
      } finally {
        health.active--;
      }
    };

  const common = { connection: redis, prefix: PREFIX, lockDuration: stallMs, stalledInterval: stallMs, maxStalledCount: 3 };
  const workers = [
    new Worker(EVAL_QUEUE, counted(evalProcessor), { ...common, concurrency: o.concurrency }),
    // Parents only gather their children's results: cheap, so many at once.
    new Worker(BATCH_QUEUE, processBatch, { ...common, concurrency: 64 }),
    new Worker(RUN_QUEUE, counted(goalProcessor), { ...common, concurrency: o.concurrency }),
  ];
  let lastError = '';
  let closing = false;
  for (const w of workers) {
    w.on('completed', (job) => {
      if (job.queueName !== BATCH_QUEUE) health.completed++;
    });
    w.on('failed', (job, err) => {
      if (!job || job.queueName === BATCH_QUEUE) return;
      health.failed++;
      log(`gepa-aime worker: job ${job.id} (${job.queueName}) failed: ${err.message}`);
    });
    w.on('error', (err) => {
      // Redis going away makes every worker say so: once per distinct message.
      if (err.message !== lastError) log(`gepa-aime worker: ${err.message} (retrying)`);
      lastError = err.message;
    });
  }
  let lost = false;
  redis.on('reconnecting', () => {
    if (!lost && !closing) log('gepa-aime worker: lost the connection to Redis; reconnecting');
    lost = true;
  });
  redis.on('ready', () => {
    if (lost) log('gepa-aime worker: connected to Redis again');
    lost = false;
    lastError = '';
  });

  const beat = async () => {
    health.beatAt = new Date().toISOString();
    await redis.set(workerKey(id), JSON.stringify(health), 'PX', HEARTBEAT_MS * 3).catch(() => undefined);
  };
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  await beat();
  const timer = setInterval(() => void beat(), HEARTBEAT_MS);
  timer.unref();
  log(`gepa-aime worker ${id}: ready on ${displayUrl(o.url)} (queues ${EVAL_QUEUE}, ${BATCH_QUEUE}, ${RUN_QUEUE}; concurrency ${o.concurrency})`);

  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  let draining: Promise<void> | null = null;
  const drain = (force = false): Promise<void> => {
    if (force) abort.abort();
    if (draining && !force) return draining;
    health.state = 'draining';
    void beat();
    draining = (async () => {
      await Promise.all(workers.map((w) => w.close(force)));
      closing = true;
      clearInterval(timer);
      await redis.del(workerKey(id)).catch(() => undefined);
      await redis.quit().catch(() => redis.disconnect());
      resolveClosed();
    })();
    return draining;
  };
  return { id, health: () => ({ ...health }), drain, closed };
}
