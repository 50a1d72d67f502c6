/**
 * The queue commands: `worker`, `submit`, `result`, and the `--redis` forms
 * of `runs` and `run`. The queue layer (src/queue) does the work; this module
 * parses flags and prints. A Redis that cannot be reached is bad usage (exit 2).
 */
import path from 'node:path';
import { QueueEvents } from 'bullmq';
import type { Command } from 'commander';
import { runQueue, submitGoal, listRuns, listWorkers, runResult, followRun, RunQueueError, type RunResult } from '../queue/runs.js';
import { checkReachable, connect } from '../queue/redis.js';
import { PREFIX, RUN_QUEUE } from '../queue/names.js';
import { startWorker } from '../queue/worker.js';
import { withSharedLimit } from '../queue/limit.js';
import type { GoalProgress } from '../queue/jobs.js';
import { EXIT, loadCliConfig, parsePositiveInt, type ModelFlags } from './common.js';
import { exitCodeFor, limitsFrom, printReport, type RunFlags } from './run.js';
import { LiveChecklist, safeText } from './terminal.js';

interface WorkerFlags extends ModelFlags {
  redis: string;
  concurrency?: number;
  stallMs?: number;
  workspace?: string;
  traces?: string;
  maxInFlight?: number;
}

export function workerCommand(program: Command, withModelOptions: (cmd: Command) => Command): void {
  withModelOptions(program.command('worker').description('run GEPA evaluations and goal runs from the Redis queues (BullMQ)'))
    .requiredOption('--redis <url>', 'Redis to take jobs from, e.g. redis://127.0.0.1:6379')
    .option('--concurrency <n>', 'jobs at once (default 1)', parsePositiveInt('--concurrency'))
    .option('--max-in-flight <n>', 'requests in flight to each model endpoint, across every worker sharing this Redis (default: the endpoint\'s max_concurrency)', parsePositiveInt('--max-in-flight'))
    .option('--stall-ms <ms>', 'lock time: how soon another worker takes over the jobs of one that died (default 30000)', parsePositiveInt('--stall-ms'))
    .option('--workspace <dir>', 'where goal runs work (default: current directory)')
    .option('--traces <dir>', 'where goal runs are recorded (default: ./traces)')
    .action(async (flags: WorkerFlags) => {
      process.exitCode = await workerCli(flags);
    });
}

async function workerCli(f: WorkerFlags): Promise<number> {
  await checkReachable(f.redis);
  const config = await loadCliConfig(f);
  const limitRedis = connect(f.redis);
  const worker = await startWorker({
    url: f.redis,
    config,
    concurrency: f.concurrency ?? 1,
    workspace: path.resolve(f.workspace ?? '.'),
    tracesDir: path.resolve(f.traces ?? 'traces'),
    wrapModels: (models) => withSharedLimit(models, limitRedis, f.maxInFlight, config.model.max_concurrency),
    ...(f.stallMs ? { stallMs: f.stallMs } : {}),
  });
  let signals = 0;
  const onSignal = (name: string) => {
    signals++;
    if (signals === 1) process.stderr.write(`gepa-aime worker: ${name}: draining (finishing ${worker.health().active} active job(s); again to return them to the queue at once)\n`);
    void worker.drain(signals > 1);
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  await worker.closed;
  await limitRedis.quit().catch(() => limitRedis.disconnect());
  const h = worker.health();
  process.stderr.write(`gepa-aime worker ${worker.id}: stopped (${h.completed} completed, ${h.failed} failed)\n`);
  // Model connection pools may hold the loop open; everything is closed.
  process.exit(EXIT.ok);
}

interface QueueFlags {
  redis: string;
  json?: boolean;
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

export function submitCommand(program: Command): void {
  program
    .command('submit')
    .description('queue a goal for a worker (see: gepa-aime worker) and print its run id')
    .argument('<goal...>', 'what you want done')
    .requiredOption('--redis <url>', 'Redis the workers take jobs from')
    .option('--max-iterations <n>', 'planner iterations before giving up', parsePositiveInt('--max-iterations'))
    .option('--max-parallel <n>', 'actors running at once', parsePositiveInt('--max-parallel'))
    .option('--max-steps <n>', 'ReAct steps per actor', parsePositiveInt('--max-steps'))
    .option('--token-budget <n>', 'stop when the run has used this many tokens', parsePositiveInt('--token-budget'))
    .option('--deadline <seconds>', 'stop after this many seconds', parsePositiveInt('--deadline'))
    .option('--traceparent <value>', 'W3C trace context the run joins')
    .action(async (goal: string[], flags: RunFlags & QueueFlags & { traceparent?: string }) => {
      const id = await withQueue(flags.redis, (q) => submitGoal(q, goal.join(' ').trim(), limitsFrom(flags), flags.traceparent));
      process.stdout.write(`${id}\n`);
      process.exitCode = EXIT.ok;
    });
}

/** `runs --redis URL`: the queued, active, finished and failed goal runs, and the workers' health. */
export async function queueRunsCommand(flags: QueueFlags): Promise<number> {
  const { runs, workers } = await withQueue(flags.redis, async (q, redis) => ({ runs: await listRuns(q), workers: await listWorkers(redis) }));
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ runs, workers }, null, 2)}\n`);
    return EXIT.ok;
  }
  const lines = runs.map((r) => `${r.id}  ${r.state.padEnd(9)}  ${r.outcome ? `${safeText(r.outcome).slice(0, 60)}  ` : ''}${safeText(r.goal).slice(0, 80)}`);
  if (!runs.length) lines.push('no runs on the queue');
  lines.push(`workers: ${workers.length}`);
  for (const w of workers) lines.push(`  ${w.id}  ${w.state}  active ${w.active}/${w.concurrency}  completed ${w.completed}  failed ${w.failed}  seen ${w.beatAt}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT.ok;
}

export function resultCommand(program: Command): void {
  program
    .command('result')
    .description("print a queued run's report (see: gepa-aime submit)")
    .argument('<id>', 'the run id submit printed')
    .requiredOption('--redis <url>', 'Redis the run was queued on')
    .option('--json', 'print the full JSON report')
    .action(async (id: string, flags: QueueFlags) => {
      const result = await withQueue(flags.redis, (q) => runResult(q, id));
      process.exitCode = printResult(id, result, Boolean(flags.json));
    });
}

function printResult(id: string, result: RunResult | null, json: boolean): number {
  if (!result) throw new RunQueueError(`no run ${id} on the queue (see: gepa-aime runs --redis URL)`);
  if (result.state === 'completed') {
    printReport(result.report, json);
    return exitCodeFor(result.report);
  }
  if (result.state === 'failed') {
    process.stderr.write(`gepa-aime: run ${id} failed on its worker: ${safeText(result.reason)}\n`);
    return EXIT.failed;
  }
  process.stderr.write(`gepa-aime: run ${id} is ${result.state}, not finished yet\n`);
  return 3;
}

/** `run "<goal>" --redis URL`: submit, then follow the checklist live and print the report. */
export async function runOnQueue(goalWords: string[], flags: RunFlags & { redis: string; traceparent?: string }): Promise<number> {
  return withQueue(flags.redis, async (queue, redis) => {
    const events = new QueueEvents(RUN_QUEUE, { connection: redis.duplicate(), prefix: PREFIX });
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
    }
  });
}
