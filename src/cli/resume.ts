/**
 * `gepa-aime resume <runId>` finishes a run that a crash or kill cut short,
 * from its snapshot and journal; `gepa-aime runs` lists the runs and where
 * each one stands.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { readRunMeta, resumeRun } from '../runtime/runGoal.js';
import { realish } from '../tools/protectedPaths.js';
import { checkRunId } from '../runtime/runState.js';
import { cliConfigDir, loadCliConfig, UsageError, type ModelFlags } from './common.js';
import { approvalsFromFlags, type ApprovalFlags } from './approvals.js';
import { exitCodeFor, interruptController, printReport, modelSetFor } from './run.js';
import { safeText, paint, statusColour } from './terminal.js';
import { Activity } from './activity.js';
import { startProgressView } from './progressView.js';

export interface ResumeFlags extends ModelFlags, ApprovalFlags {
  workspace?: string;
  traces?: string;
  json?: boolean;
  verbose?: boolean;
  quiet?: boolean;
}

/** The report of a run that has finished (any status), or null when it has none yet. */
async function finishedReport(runDir: string): Promise<{ status: string; path: string } | null> {
  const file = path.join(runDir, 'report.json');
  try {
    const report = JSON.parse(await fsp.readFile(file, 'utf8')) as { status?: unknown };
    return { status: typeof report.status === 'string' ? report.status : 'unknown', path: file };
  } catch {
    return null;
  }
}

export async function resumeCommand(runId: string, flags: ResumeFlags): Promise<number> {
  const tracesDir = path.resolve(flags.traces ?? 'traces');
  const runDir = path.join(tracesDir, 'runs', checkRunId(runId));
  const meta = await readRunMeta(runDir);
  // A finished run is left exactly as it is: resuming it would rerun and rewrite it.
  const finished = await finishedReport(runDir);
  if (finished) {
    if (flags.json) process.stdout.write(`${JSON.stringify({ runId, status: finished.status, alreadyFinished: true, report: finished.path })}\n`);
    else
      process.stdout.write(
        `run ${runId} has already finished (status: ${paint(process.stdout, statusColour(finished.status), finished.status)}); nothing to resume\nreport: ${finished.path}\n`,
      );
    return 0;
  }
  // The run's own model settings are the defaults; flags override them (the key never was recorded).
  // The config dir decides what code runs: it comes from --config or the default, never from run.json alone.
  const config = await loadCliConfig({
    ...flags,
    config: resumeConfigDir(flags.config, meta.configDir),
    provider: flags.provider ?? meta.model.provider,
    apiBase: flags.apiBase ?? meta.model.api_base,
    model: flags.model ?? meta.model.model,
  });
  const interrupt = interruptController();
  const activity = new Activity(config.model.max_retries);
  const view = startProgressView(activity, flags);
  try {
    const report = await resumeRun({
      runId,
      config,
      tracesDir,
      signal: interrupt.signal,
      approvals: approvalsFromFlags(flags, { beforeAsk: () => view.release?.() }),
      models: modelSetFor(config.model, {}, activity),
      ...(flags.workspace ? { workspace: path.resolve(flags.workspace) } : {}),
      ...(view.onTasks ? { onTasks: view.onTasks } : {}),
    });
    view.dispose();
    printReport(report, Boolean(flags.json), flags);
    return exitCodeFor(report);
  } finally {
    view.dispose();
    interrupt.dispose();
  }
}

/** --config, else the default config dir, which must be the one the run recorded. */
function resumeConfigDir(flag: string | undefined, recorded: string): string {
  if (flag) return path.resolve(flag);
  const fallback = cliConfigDir();
  if (fs.existsSync(recorded) && realish(recorded) !== realish(fallback)) {
    throw new UsageError(
      `the run used the config directory ${JSON.stringify(recorded)}, not ${JSON.stringify(fallback)}; pass --config ${JSON.stringify(recorded)} to resume with it`,
    );
  }
  return fallback;
}

export interface RunListing {
  runId: string;
  status: string;
  goal: string;
  startedAt: string;
}

/** Every run under traces/runs: its report's status, or `interrupted` when it has none (resume it). */
export async function listRuns(tracesDir: string): Promise<RunListing[]> {
  const dir = path.join(tracesDir, 'runs');
  let ids: string[];
  try {
    ids = (await fsp.readdir(dir)).sort();
  } catch {
    return [];
  }
  const runs: RunListing[] = [];
  for (const runId of ids) {
    const runDir = path.join(dir, runId);
    const meta = await readRunMeta(runDir).catch(() => null);
    const report = await fsp
      .readFile(path.join(runDir, 'report.json'), 'utf8')
      .then((t) => JSON.parse(t) as { status: string; goal: string; timings?: { startedAt: string } })
      .catch(() => null);
    if (!meta && !report) continue;
    runs.push({
      runId,
      status: report?.status ?? 'interrupted',
      goal: meta?.goal ?? report?.goal ?? '',
      startedAt: meta?.startedAt ?? report?.timings?.startedAt ?? '',
    });
  }
  return runs;
}

export async function runsCommand(flags: { traces?: string; json?: boolean }): Promise<number> {
  const runs = await listRuns(path.resolve(flags.traces ?? 'traces'));
  if (flags.json) process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
  else if (!runs.length) process.stdout.write('no runs yet\n');
  else {
    for (const r of runs) {
      const goal = safeText(r.goal.replace(/\s+/g, ' '));
      process.stdout.write(`${r.runId}  ${r.status.padEnd(11)}  ${goal.length > 70 ? `${goal.slice(0, 69)}…` : goal}\n`);
    }
  }
  return 0;
}
