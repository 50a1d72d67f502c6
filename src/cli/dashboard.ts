/**
 * The dashboard from the command line:
 *
 *   gepa-aime dashboard [--port N] [--host H] [--traces DIR]   past runs, until Ctrl-C
 *   gepa-aime run "<goal>" --viz [--port N] [--host H]          the run live; the server stays up after it until Ctrl-C
 *   gepa-aime run "<goal>" --inspect stately                     the run in Stately's inspector (the browser needs internet)
 *
 * URLs and notices go to stderr, so `--json` keeps stdout to the report.
 * A busy port or a refused host is bad usage (exit 2); after Ctrl-C a run
 * exits with its own code (0, 1, or 130 if the run itself was interrupted).
 */
import path from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { DashboardError, DEFAULT_HOST, DEFAULT_PORT, isLoopback } from '../dashboard/bind.js';
import { startDashboard, type Dashboard, type DashboardOptions } from '../dashboard/server.js';
import { InspectionStream, INSPECT_FILE } from '../runtime/inspection.js';
import { checkGoal, checkWorkspace, newRunId } from '../runtime/runGoal.js';
import { createStatelyBridge, STATELY_INSPECTOR_URL } from '../runtime/stately.js';
import type { RunReport } from '../runtime/report.js';
import { EXIT, UsageError } from './common.js';
import { executeGoal, exitCodeFor, printReport, type RunFlags } from './run.js';

export interface ServeFlags {
  port?: number;
  host?: string;
  traces?: string;
}

export interface VizFlags extends RunFlags, ServeFlags {
  viz?: boolean;
  inspect?: 'stately';
}

export function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`--port must be a whole number from 0 to 65535 (0 picks a free port), got "${value}"`);
  return n;
}

function serveOptions(cmd: Command): Command {
  return cmd
    .option('--port <n>', `dashboard port (default ${DEFAULT_PORT}; 0 picks a free one)`, parsePort)
    .option('--host <host>', `dashboard address (default ${DEFAULT_HOST}); anything but loopback exposes runs to the network, with no login`);
}

/** `run`'s dashboard options. */
export function vizOptions(cmd: Command): Command {
  return serveOptions(cmd.option('--viz', 'serve a live dashboard of the run; it stays up after the run until Ctrl-C')).addOption(
    new Option('--inspect <inspector>', "also show the run in Stately's inspector (its page needs internet)").choices(['stately']),
  );
}

/** Registers `gepa-aime dashboard`. */
export function dashboardCommand(program: Command): Command {
  return serveOptions(program.command('dashboard').description('serve the dashboard for past runs in traces/runs (replay with a time slider)'))
    .option('--traces <dir>', 'where runs are recorded (default: ./traces)')
    .action(async (flags: ServeFlags) => {
      process.exitCode = await serveTraces(flags);
    });
}

/** Whether `run` needs the server; --port/--host without it is a mistake worth saying. */
export function wantsServer(flags: VizFlags): boolean {
  const wanted = Boolean(flags.viz || flags.inspect);
  if (!wanted && (flags.port !== undefined || flags.host !== undefined)) throw new UsageError('--port and --host only apply with --viz or --inspect stately');
  return wanted;
}

async function serve(flags: ServeFlags, opts: Omit<DashboardOptions, 'host' | 'port' | 'allowRemote'>): Promise<Dashboard> {
  try {
    const dashboard = await startDashboard({
      ...opts,
      host: flags.host ?? DEFAULT_HOST,
      port: flags.port ?? DEFAULT_PORT,
      // Naming the host on the command line is the explicit consent a non-loopback bind needs.
      allowRemote: flags.host !== undefined,
    });
    if (!isLoopback(dashboard.host)) warn(`the dashboard listens on ${dashboard.host}: anyone who can reach this machine can watch runs, with no login`);
    return dashboard;
  } catch (err) {
    if (err instanceof DashboardError) throw new UsageError(err.message);
    throw err;
  }
}

function warn(message: string): void {
  process.stderr.write(`gepa-aime: warning: ${message}\n`);
}

/** Resolves on Ctrl-C (or SIGTERM); the open server keeps the process alive until then. */
function untilInterrupted(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}

async function serveTraces(flags: ServeFlags): Promise<number> {
  const tracesDir = path.resolve(flags.traces ?? 'traces');
  const dashboard = await serve(flags, { tracesDir });
  process.stdout.write(`dashboard: ${dashboard.url} (runs in ${tracesDir}); press Ctrl-C to stop\n`);
  await untilInterrupted();
  await dashboard.close();
  return EXIT.ok;
}

export async function runWithDashboard(goalWords: string[], flags: VizFlags): Promise<number> {
  // Bad input fails before a server starts (runGoal checks again; these are cheap).
  const goal = await checkGoal(goalWords.join(' '));
  await checkWorkspace(path.resolve(flags.workspace ?? '.'));
  const tracesDir = path.resolve(flags.traces ?? 'traces');
  const runId = newRunId(new Date());

  const stream = flags.viz ? new InspectionStream({ file: path.join(tracesDir, 'runs', runId, INSPECT_FILE), onError: warn }) : null;
  stream?.begin({ runId, goal });
  const stately = flags.inspect === 'stately' ? createStatelyBridge({ onError: warn }) : null;
  const dashboard = await serve(flags, { tracesDir, ...(stream ? { live: { runId, source: stream } } : {}), ...(stately ? { stately } : {}) });
  if (stream) process.stderr.write(`dashboard: ${dashboard.url}\n`);
  if (stately) process.stderr.write(`Stately inspector: ${dashboard.url}stately (needs internet: the page loads ${STATELY_INSPECTOR_URL})\n`);

  const observers = [stream?.inspect, stately?.inspect].filter((f) => f !== undefined);
  let report: RunReport;
  try {
    report = await executeGoal(goal, flags, { runId, inspect: (ev) => observers.forEach((f) => f(ev)) });
  } catch (err) {
    await stream?.close();
    await dashboard.close();
    throw err;
  }
  stream?.end({ runId, status: report.status, reason: report.reason });
  await stream?.close();
  stately?.stop();
  printReport(report, Boolean(flags.json));
  process.stderr.write(`dashboard: ${dashboard.url} still serving this run; press Ctrl-C to exit\n`);
  await untilInterrupted();
  await dashboard.close();
  return exitCodeFor(report);
}
