/**
 * `gepa-aime resume <runId>` finishes a run that a crash or kill cut short,
 * from its snapshot and journal; `gepa-aime runs` lists the runs and where
 * each one stands.
 */
import fs from 'node:fs';
import path from 'node:path';
import { resumeRun } from '../runtime/runGoal.js';
import { RunStore } from '../runtime/runStore.js';
import { realish } from '../tools/protectedPaths.js';
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

export async function resumeCommand(runId: string, flags: ResumeFlags): Promise<number> {
  const tracesDir = path.resolve(flags.traces ?? 'traces');
  const store = new RunStore(tracesDir);
  const meta = await store.readMeta(runId);
  // A finished run (it has a report, any status) is left exactly as it is: resuming it would rerun and rewrite it.
  const finished = await store.readReportSummary(runId);
  if (finished) {
    const status = finished.status ?? 'unknown';
    if (flags.json) process.stdout.write(`${JSON.stringify({ runId, status, alreadyFinished: true, report: finished.file })}\n`);
    else
      process.stdout.write(
        `run ${runId} has already finished (status: ${paint(process.stdout, statusColour(status), status)}); nothing to resume\nreport: ${finished.file}\n`,
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

/** Every run in the store, oldest first: its report's status, or `interrupted` when it has none (resume it); and why a file was not used. */
export async function runListing(tracesDir: string): Promise<{ runs: RunListing[]; problems: string[] }> {
  const runs: RunListing[] = [];
  const problems: string[] = [];
  for (const { runId, meta, report, problems: found } of await new RunStore(tracesDir).list()) {
    problems.push(...found);
    if (!meta && !report) continue;
    runs.push({
      runId,
      status: report?.status ?? 'interrupted',
      goal: meta?.goal ?? report?.goal ?? '',
      startedAt: meta?.startedAt ?? report?.startedAt ?? '',
    });
  }
  return { runs, problems };
}

export async function runsCommand(flags: { traces?: string; json?: boolean }): Promise<number> {
  const { runs, problems } = await runListing(path.resolve(flags.traces ?? 'traces'));
  // A file that failed its schema is not used, and not hidden either.
  for (const p of problems) process.stderr.write(`gepa-aime: warning: ${safeText(p)}\n`);
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
