/**
 * `gepa-aime run "<goal>"`: runs a goal and prints the live checklist on a
 * TTY, then the outcome; `--json` prints only the report.
 */
import path from 'node:path';
import type { WorkflowLimits } from '../../machines/workflow.js';
import { createModelSet } from '../runtime/models.js';
import type { RunReport } from '../runtime/report.js';
import { runGoal, type GoalOptions } from '../api/goal.js';
import type { LoadedConfig } from '../config/index.js';
import type { Asker } from '../tools/approval.js';
import { approvalsFromFlags, type ApprovalFlags } from './approvals.js';
import { EXIT, loadCliConfig, type ModelFlags } from './common.js';
import { judgeAfterRun } from './judgeRun.js';
import { Activity } from './activity.js';
import { startProgressView } from './progressView.js';
import { recordReplayOptions } from './recordReplay.js';
import { isInteractive, paint, safeText, statusColour } from './terminal.js';

export interface RunFlags extends ModelFlags, ApprovalFlags {
  workspace?: string;
  traces?: string;
  maxIterations?: number;
  maxParallel?: number;
  maxSteps?: number;
  tokenBudget?: number;
  deadline?: number;
  json?: boolean;
  /** Log what happens (model calls, tools, retries) on stderr. */
  verbose?: boolean;
  /** Print only the result. */
  quiet?: boolean;
  /** Append every model exchange to this file. */
  record?: string;
  /** Answer every model call from this recording. */
  replay?: string;
  /** Judge the run afterwards (src/judge); with learning on, the judged outcome feeds online learning. */
  judge?: boolean;
  rubric?: string[];
  /** `--no-learn` sets false: no online learning for this run. */
  learn?: boolean;
}

/** The models for a CLI run: --record / --replay applied, every call observed by `activity` (status line, --verbose). */
export function modelSetFor(config: LoadedConfig['model'], flags: Pick<RunFlags, 'record' | 'replay'>, activity: Activity = new Activity(config.max_retries)) {
  return createModelSet(config, {
    ...(flags.record ? { record: flags.record } : {}),
    ...(flags.replay ? { replay: flags.replay } : {}),
    http: { onRetry: activity.onRetry },
    observe: (model) => activity.wrap(model),
  });
}

export function limitsFrom(flags: RunFlags): Partial<WorkflowLimits> {
  return {
    ...(flags.maxIterations ? { maxIterations: flags.maxIterations } : {}),
    ...(flags.maxParallel ? { maxParallelActors: flags.maxParallel } : {}),
    ...(flags.maxSteps ? { maxActorSteps: flags.maxSteps } : {}),
    ...(flags.tokenBudget ? { tokenBudget: flags.tokenBudget } : {}),
    ...(flags.deadline ? { deadlineMs: flags.deadline * 1000 } : {}),
  };
}

export function exitCodeFor(report: RunReport): number {
  if (report.status === 'completed') return EXIT.ok;
  if (report.status === 'cancelled') return EXIT.interrupted;
  return EXIT.failed;
}

/** Two SIGINTs closer than this are one Ctrl-C delivered twice (terminal and npx), not a second press. */
export const SAME_KEYPRESS_MS = 300;

/**
 * Ctrl-C once aborts the returned signal so the work can end cleanly (a run
 * still writes its report); twice quits at once.
 */
export function interruptController(what = 'cancelling'): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  let firstAt = 0;
  const onSigint = () => {
    if (controller.signal.aborted) {
      // `npx` forwards the terminal's SIGINT to us, which already got it from the terminal: one keypress, two signals.
      if (Date.now() - firstAt < SAME_KEYPRESS_MS) return;
      process.exit(EXIT.interrupted);
    }
    firstAt = Date.now();
    process.stderr.write(`\n${what} (Ctrl-C again to quit at once)…\n`);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onSigint) };
}

/**
 * Runs a goal through the library's `runGoal` (the CLI is a face on the public API) and returns its report.
 * `signal` (chat's per-line cancel) replaces the Ctrl-C one; the rest are the library's runtime hooks;
 * `askers` answer approval questions besides the terminal (the dashboard).
 */
export async function executeGoal(
  goal: string,
  flags: RunFlags,
  { signal, ...extra }: NonNullable<GoalOptions['runtime']> & { signal?: AbortSignal } = {},
  askers: Asker[] = [],
): Promise<RunReport> {
  const config = await loadCliConfig(flags);
  const activity = new Activity(config.model.max_retries);
  // provider: replay in the config is --replay of its replay_file.
  const replay = flags.replay ?? (config.model.provider === 'replay' ? (config.model.replay_file ?? undefined) : undefined);
  const models = modelSetFor(config.model, { ...flags, ...(replay ? { replay } : {}) }, activity);
  const recordReplay = recordReplayOptions(models, { ...flags, ...(replay ? { replay } : {}) });
  const interrupt = interruptController();
  const view = startProgressView(activity, flags);
  // The prompt prints below the checklist: forget the drawn block so the next redraw does not erase it.
  const approvals = extra.approvals ?? approvalsFromFlags(flags, { beforeAsk: () => view.release?.() });
  approvals.askers = [...(approvals.askers ?? []), ...askers];
  try {
    const run = runGoal(goal, {
      config,
      workspace: path.resolve(flags.workspace ?? '.'),
      tracesDir: path.resolve(flags.traces ?? 'traces'),
      limits: limitsFrom(flags),
      signal: signal ?? interrupt.signal,
      ...(flags.learn === false ? { learning: false } : {}),
      ...recordReplay.options,
      runtime: {
        protectedFiles: [flags.record, replay].filter((f): f is string => Boolean(f)),
        models,
        ...(view.onTasks ? { onTasks: view.onTasks } : {}),
        ...recordReplay.runtime,
        ...extra,
        approvals,
      },
    });
    return await run.report;
  } finally {
    view.dispose();
    interrupt.dispose();
    recordReplay.after();
  }
}

export function printReport(report: RunReport, json: boolean, flags: Pick<RunFlags, 'quiet' | 'verbose'> = {}): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  if (flags.quiet) {
    // Only the result: the answer, or why there is none.
    if (report.answer) process.stdout.write(`${safeText(report.answer)}\n`);
    else process.stderr.write(`gepa-aime: ${report.status}${report.reason ? `: ${safeText(report.reason)}` : ''}\n`);
    return;
  }
  const out: string[] = [];
  // The live checklist already shows the list on a terminal; elsewhere (and with --verbose) it is printed once.
  if (!isInteractive(process.stdout) || flags.verbose) out.push(safeText(report.ledger.markdown).trimEnd());
  out.push(`status: ${paint(process.stdout, statusColour(report.status), report.status)}${report.reason ? ` (${safeText(report.reason)})` : ''}`);
  if (report.answer) out.push(`answer:\n${safeText(report.answer)}`);
  if (report.model.note) out.push(report.model.note);
  out.push(`tokens: ${report.usage.totalTokens}, iterations: ${report.iterations}, time: ${report.timings.durationMs} ms`);
  out.push(`report: ${report.paths.report}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

export async function runCommand(goalWords: string[], flags: RunFlags): Promise<number> {
  // The runtime names the run and records its event stream (inspect.jsonl), so `gepa-aime dashboard` can replay it later.
  const report = await executeGoal(goalWords.join(' '), flags);
  if (flags.judge) return judgeAfterRun(report, flags, exitCodeFor(report), (r, json) => printReport(r, json, flags));
  printReport(report, Boolean(flags.json), flags);
  return exitCodeFor(report);
}
