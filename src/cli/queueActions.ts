/**
 * What the queue commands do (loaded on demand: BullMQ costs half a second
 * of start-up that other commands should not pay).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { QueueEvents } from 'bullmq';
import { runQueue, submitGoal, listJobs, listWorkers, runResult, followRun, type RunResult } from '../queue/runs.js';
import { checkReachable, connect } from '../queue/redis.js';
import { PREFIX, RUN_QUEUE } from '../queue/names.js';
import { startWorker } from '../queue/worker.js';
import { withSharedLimit } from '../queue/limit.js';
import type { GoalProgress } from '../queue/jobs.js';
import { EXIT, loadCliConfig, UsageError } from './common.js';
import { shutdownTelemetry } from './telemetry.js';
import { exitCodeFor, limitsFrom, printReport, type RunFlags } from './run.js';
import { LiveChecklist, safeText } from './terminal.js';
import type { ModelFlags } from './common.js';

export interface WorkerFlags extends ModelFlags {
  redis: string;
  concurrency?: number;
  stallMs?: number;
  workspace?: string;
  traces?: string;
  maxInFlight?: number;
  metricsDir?: string;
}

export interface QueueFlags {
  redis: string;
  json?: boolean;
}

export async function workerCli(f: WorkerFlags): Promise<number> {
  await checkReachable(f.redis);
  const config = await loadCliConfig(f);
  const metricsDir = f.metricsDir
    ? await fs.realpath(path.resolve(f.metricsDir)).catch(() => {
        throw new UsageError(`--metrics-dir ${f.metricsDir} does not exist`);
      })
    : undefined;
  const limitRedis = connect(f.redis);
  const worker = await startWorker({
    url: f.redis,
    config,
    concurrency: f.concurrency ?? 1,
    workspace: path.resolve(f.workspace ?? '.'),
    tracesDir: path.resolve(f.traces ?? 'traces'),
    wrapModels: (models) => withSharedLimit(models, limitRedis, f.maxInFlight, config.model.max_concurrency),
    ...(f.stallMs ? { stallMs: f.stallMs } : {}),
    ...(metricsDir ? { metricsDir } : {}),
  });
  let signals = 0;
  const onSignal = (name: string) => {
    signals++;
    if (signals === 1)
      process.stderr.write(
        `gepa-aime worker: ${name}: draining (finishing ${worker.health().active} active job(s); again to return them to the queue at once)\n`,
      );
    void worker.drain(signals > 1);
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  await worker.closed;
  await limitRedis.quit().catch(() => limitRedis.disconnect());
  const h = worker.health();
  process.stderr.write(`gepa-aime worker ${worker.id}: stopped (${h.completed} completed, ${h.failed} failed)\n`);
  // The job spans still buffered go out before the exit (bounded when the collector is away).
  await shutdownTelemetry();
  // Model connection pools may hold the loop open; everything is closed.
  process.exit(EXIT.ok);
}

async function withQueue<T>(url: string, fn: (queue: ReturnType<typeof runQueue>, redis: ReturnType<typeof connect>) => Promise<T>): Promise<T> {
  await checkReachable(url);
  const redis = connect(url);
  const queue = runQueue(redis);
  try {
    return await fn(queue, redis);
  } finally {
    await queue.close().catch(() => undefined);
    await redis.quit().catch(() => redis.disconnect());
  }
}

/** `submit`: queue the goal and print its run id. */
export async function submitCli(goal: string[], flags: RunFlags & QueueFlags & { traceparent?: string }): Promise<number> {
  const id = await withQueue(flags.redis, (q) => submitGoal(q, goal.join(' ').trim(), limitsFrom(flags), flags.traceparent));
  process.stdout.write(`${id}\n`);
  return EXIT.ok;
}

/** `runs --redis`: the goal runs on the queue, then the workers' health. */
export async function queueRunsCommand(flags: QueueFlags): Promise<number> {
  const { runs, workers } = await withQueue(flags.redis, async (q, redis) => ({
    runs: await listJobs(q),
    workers: await listWorkers(redis),
  }));
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ runs, workers }, null, 2)}\n`);
    return EXIT.ok;
  }
  const lines = runs.map((r) => `${r.id}  ${r.state.padEnd(9)}  ${r.outcome ? `${safeText(r.outcome).slice(0, 60)}  ` : ''}${safeText(r.goal).slice(0, 80)}`);
  if (!runs.length) lines.push('no runs on the queue');
  lines.push(`workers: ${workers.length}`);
  for (const w of workers)
    lines.push(`  ${w.id}  ${w.state}  active ${w.active}/${w.concurrency}  completed ${w.completed}  failed ${w.failed}  seen ${w.beatAt}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT.ok;
}

/** `result <id>`: the report of a finished run, or why there is none. */
export async function resultCli(id: string, flags: QueueFlags): Promise<number> {
  return printResult(id, await withQueue(flags.redis, (q) => runResult(q, id)), Boolean(flags.json));
}

function printResult(id: string, result: RunResult | null, json: boolean): number {
  if (!result) throw new UsageError(`no run ${id} on the queue (see: gepa-aime runs --redis URL)`);
  if (result.state === 'completed') {
    printReport(result.report, json);
    return exitCodeFor(result.report);
  }
  if (result.state === 'failed') {
    process.stderr.write(`gepa-aime: run ${id} failed on its worker: ${safeText(result.reason)}\n`);
    return EXIT.failed;
  }
  process.stderr.write(`gepa-aime: run ${id} is ${result.state}, not finished yet\n`);
  return EXIT.notFinished;
}

export async function runOnQueue(goalWords: string[], flags: RunFlags & { redis: string; traceparent?: string }): Promise<number> {
  return withQueue(flags.redis, async (queue, redis) => {
    const eventsConnection = redis.duplicate();
    const events = new QueueEvents(RUN_QUEUE, { connection: eventsConnection, prefix: PREFIX });
    try {
      await events.waitUntilReady();
      const id = await submitGoal(queue, goalWords.join(' ').trim(), limitsFrom(flags), flags.traceparent);
      process.stderr.write(`gepa-aime: queued run ${id}\n`);
      const checklist = flags.json || !process.stdout.isTTY ? null : new LiveChecklist(process.stdout);
      let status = '';
      const onProgress = (p: GoalProgress) => {
        if (checklist) checklist.draw(p.tasks as Parameters<LiveChecklist['draw']>[0]);
        if (p.status !== status && !flags.json) process.stderr.write(`gepa-aime: run ${id}: ${p.status}\n`);
        status = p.status;
      };
      let result: RunResult;
      try {
        result = await followRun(queue, events, id, onProgress);
      } finally {
        checklist?.release();
      }
      return printResult(id, result, Boolean(flags.json));
    } finally {
      await events.close().catch(() => undefined);
      eventsConnection.disconnect();
    }
  });
}
