/**
 * `gepa-aime run "<goal>"`: runs a goal and prints the live checklist on a
 * TTY, then the outcome; `--json` prints only the report.
 */
import path from 'node:path';
import type { WorkflowLimits } from '../../machines/workflow.js';
import { createModelSet } from '../runtime/models.js';
import type { RunReport } from '../runtime/report.js';
import { recordInspection } from '../runtime/inspectRecording.js';
import { pinnedPromptsFile, readPinnedPrompts, writePinnedPrompts } from '../runtime/pinnedPrompts.js';
import { runGoal, type GoalOptions } from '../api/goal.js';
import type { LoadedConfig } from '../config/index.js';
import type { Asker } from '../tools/approval.js';
import { approvalsFromFlags, type ApprovalFlags } from './approvals.js';
import { EXIT, loadCliConfig, type ModelFlags } from './common.js';
import { judgeAfterRun } from './judgeRun.js';
import { LiveChecklist, safeText } from './terminal.js';

export interface RunFlags extends ModelFlags, ApprovalFlags {
  workspace?: string;
  traces?: string;
  maxIterations?: number;
  maxParallel?: number;
  maxSteps?: number;
  tokenBudget?: number;
  deadline?: number;
  json?: boolean;
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

/** The models for --record / --replay; undefined lets runGoal build them from config. */
export function modelSetFor(config: LoadedConfig['model'], flags: Pick<RunFlags, 'record' | 'replay'>) {
  if (!flags.record && !flags.replay) return undefined;
  return createModelSet(config, { ...(flags.record ? { record: flags.record } : {}), ...(flags.replay ? { replay: flags.replay } : {}) });
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

/**
 * Ctrl-C once aborts the returned signal so the work can end cleanly (a run
 * still writes its report); twice quits at once.
 */
export function interruptController(what = 'cancelling'): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(EXIT.interrupted);
    process.stderr.write(`\n${what} (Ctrl-C again to quit at once)…\n`);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onSigint) };
}

/** Runs a goal through the library's `runGoal` (the CLI is a face on the public API); `askers` answer approval questions besides the terminal (the dashboard). */
export async function executeGoal(goal: string, flags: RunFlags, extra: GoalOptions['runtime'] = {}, askers: Asker[] = []): Promise<RunReport> {
  const config = await loadCliConfig(flags);
  const models = modelSetFor(config.model, flags);
  const interrupt = interruptController();
  const checklist = flags.json ? null : new LiveChecklist(process.stdout);
  // The prompt prints below the checklist: forget the drawn block so the next redraw does not erase it.
  const approvals = extra.approvals ?? approvalsFromFlags(flags, { beforeAsk: () => checklist?.release() });
  approvals.askers = [...(approvals.askers ?? []), ...askers];
  // A replay reproduces the recorded run: the prompts it played, and no learning.
  const pinned = flags.replay ? await readPinnedPrompts(flags.replay) : null;
  try {
    const run = runGoal(goal, {
      config,
      workspace: path.resolve(flags.workspace ?? '.'),
      tracesDir: path.resolve(flags.traces ?? 'traces'),
      limits: limitsFrom(flags),
      signal: interrupt.signal,
      ...(flags.learn === false || flags.replay ? { learning: false } : {}),
      ...(pinned ? { prompts: pinned } : {}),
      runtime: {
        protectedFiles: [flags.record, flags.replay, flags.record && pinnedPromptsFile(flags.record), flags.replay && pinnedPromptsFile(flags.replay)].filter((f): f is string => Boolean(f)),
        ...(models ? { models } : {}),
        ...(checklist ? { onTasks: (tasks) => checklist.draw(tasks) } : {}),
        ...extra,
        approvals,
      },
    });
    const report = await run.report;
    if (flags.record) await writePinnedPrompts(flags.record, report.learning.played);
    return report;
  } finally {
    checklist?.release();
    interrupt.dispose();
  }
}

export function printReport(report: RunReport, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const out: string[] = [];
  if (!process.stdout.isTTY) out.push(safeText(report.ledger.markdown).trimEnd());
  out.push(`status: ${report.status}${report.reason ? ` (${safeText(report.reason)})` : ''}`);
  if (report.answer) out.push(`answer:\n${safeText(report.answer)}`);
  if (report.model.note) out.push(report.model.note);
  out.push(`tokens: ${report.usage.totalTokens}, iterations: ${report.iterations}, time: ${report.timings.durationMs} ms`);
  out.push(`report: ${report.paths.report}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

export async function runCommand(goalWords: string[], flags: RunFlags): Promise<number> {
  const goal = goalWords.join(' ');
  // Every run leaves inspect.jsonl, so `gepa-aime dashboard` can replay it later.
  const inspection = recordInspection({ tracesDir: path.resolve(flags.traces ?? 'traces'), goal, onError: (m) => process.stderr.write(`gepa-aime: warning: ${m}\n`) });
  const report = await executeGoal(goal, flags, { runId: inspection.runId, inspect: inspection.inspect });
  await inspection.finish(report);
  if (flags.judge) return judgeAfterRun(report, flags, exitCodeFor(report), printReport);
  printReport(report, Boolean(flags.json));
  return exitCodeFor(report);
}
