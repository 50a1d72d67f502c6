/**
 * The queue commands: `worker`, `submit`, `result`, and the `--redis` forms
 * of `runs` and `run`. The queue layer (src/queue) does the work; this module
 * parses flags and prints. A Redis that cannot be reached is bad usage (exit 2).
 */
import type { Command } from 'commander';
import { parsePositiveInt, runLimitOptions } from './common.js';
import type { RunFlags } from './run.js';
import type { QueueFlags, WorkerFlags } from './queueActions.js';

const actions = () => import('./queueActions.js');

export function workerCommand(program: Command, withModelOptions: (cmd: Command) => Command): void {
  withModelOptions(program.command('worker').description('run GEPA evaluations and goal runs from the Redis queues (BullMQ)'))
    .requiredOption('--redis <url>', 'Redis to take jobs from, e.g. redis://127.0.0.1:6379')
    .option('--concurrency <n>', 'jobs at once (default 1)', parsePositiveInt('--concurrency'))
    .option(
      '--max-in-flight <n>',
      "requests in flight to each model endpoint, across every worker sharing this Redis (default: the endpoint's max_concurrency)",
      parsePositiveInt('--max-in-flight'),
    )
    .option('--stall-ms <ms>', 'lock time: how soon another worker takes over the jobs of one that died (default 30000)', parsePositiveInt('--stall-ms'))
    .option(
      '--metrics-dir <dir>',
      "the directory scoring modules named by jobs (optimize --metric, --scorer, a team file's scorer:) may be loaded from; without it, such jobs fail",
    )
    .option('--workspace <dir>', 'where goal runs work (default: current directory)')
    .option('--traces <dir>', 'where goal runs are recorded (default: ./traces)')
    .action(async (flags: WorkerFlags) => {
      process.exitCode = await (await actions()).workerCli(flags);
    });
}

export function submitCommand(program: Command): void {
  runLimitOptions(program.command('submit'))
    .description('queue a goal for a worker (see: gepa-aime worker) and print its run id')
    .argument('<goal...>', 'what you want done')
    .requiredOption('--redis <url>', 'Redis the workers take jobs from')
    .option('--traceparent <value>', 'W3C trace context the run joins')
    .action(async (goal: string[], flags: RunFlags & QueueFlags & { traceparent?: string }) => {
      process.exitCode = await (await actions()).submitCli(goal, flags);
    });
}

export function resultCommand(program: Command): void {
  program
    .command('result')
    .description("print a queued run's report (see: gepa-aime submit)")
    .argument('<id>', 'the run id submit printed')
    .requiredOption('--redis <url>', 'Redis the run was queued on')
    .option('--json', 'print the full JSON report')
    .action(async (id: string, flags: QueueFlags) => {
      process.exitCode = await (await actions()).resultCli(id, flags);
    });
}

/** `runs --redis URL`: the queued, active, finished and failed goal runs, and the workers' health. */
export async function queueRunsCommand(flags: QueueFlags): Promise<number> {
  return (await actions()).queueRunsCommand(flags);
}

/** `run "<goal>" --redis URL`: submit, then follow the checklist live and print the report. */
export async function runOnQueue(goalWords: string[], flags: RunFlags & { redis: string; traceparent?: string }): Promise<number> {
  return (await actions()).runOnQueue(goalWords, flags);
}
