/**
 * The dashboard from the command line:
 *
 *   gepa-aime dashboard [--port N] [--host H] [--traces DIR]   past runs, until Ctrl-C
 *   gepa-aime run "<goal>" --viz [--port N] [--host H]          the run live; the server stays up after it until Ctrl-C
 *   gepa-aime run "<goal>" --inspect stately                     the run in Stately's inspector (the browser needs internet)
 *
 * For `run`, URLs and notices go to stderr, so `--json` keeps stdout to the report.
 * A busy port or a refused host is bad usage (exit 2); after Ctrl-C a run
 * exits with its own code (0, 1, or 130 if the run itself was interrupted).
 */
import path from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { DashboardAsker, newApprovalToken, type DashboardAnswer } from '../dashboard/approvals.js';
import type { Asker } from '../tools/approval.js';
import { DashboardError, DEFAULT_HOST, DEFAULT_PORT, isLoopback } from '../dashboard/bind.js';
import { startDashboardHost, type DashboardHost, type DashboardHostOptions } from '../dashboard/host.js';
import { startDashboard, type Dashboard, type DashboardOptions } from '../dashboard/server.js';
import { checkGoal, checkWorkspace } from '../runtime/runGoal.js';
import { createStatelyBridge, STATELY_INSPECTOR_URL } from '../runtime/stately.js';
import type { RunReport } from '../runtime/report.js';
import { EXIT, loadCliConfig, UsageError } from './common.js';
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
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError(`--port must be a whole number from 0 to 65535 (0 picks a free port), got "${value}"`);
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

/** Where to listen: loopback by default; naming the host on the command line is the explicit consent a non-loopback bind needs. */
function bindOptions(flags: ServeFlags) {
  return { host: flags.host ?? DEFAULT_HOST, port: flags.port ?? DEFAULT_PORT, allowRemote: flags.host !== undefined };
}

/** Starts a server (in this thread, or on a worker for a run), turning bind problems into bad usage (exit 2). */
async function serve<T extends { host: string }>(start: () => Promise<T>): Promise<T> {
  try {
    const served = await start();
    if (!isLoopback(served.host)) warn(`the dashboard listens on ${served.host}: anyone who can reach this machine can watch runs, with no login`);
    return served;
  } catch (err) {
    if (err instanceof DashboardError) throw new UsageError(err.message);
    throw err;
  }
}

function warn(message: string): void {
  process.stderr.write(`gepa-aime: warning: ${message}\n`);
}

/**
 * Ctrl-C (or SIGTERM) that means "stop serving". It listens from the moment it
 * is made, so there is never an instant without a SIGINT listener (which would
 * let the default action kill the process); signals before `arm()` are left
 * to whoever else listens (during a run: the run's own cancel handler).
 *
 * Once armed on a terminal, Ctrl-C is read as a key (raw mode) rather than
 * taken as a signal: a SIGINT from the terminal also reaches the shell that
 * `npx` runs us under, and that shell then exits 130 whatever we exit with.
 */
function stopSignal(): { arm(): Promise<void>; dispose(): void } {
  let armed = false;
  let release: () => void = () => {};
  const stopped = new Promise<void>((resolve) => (release = resolve));
  const stdin = process.stdin;
  const raw = Boolean(stdin.isTTY);
  const onKey = (data: Buffer) => {
    if (data.includes(0x03) || data.includes(0x04)) release(); // Ctrl-C, Ctrl-D
  };
  let signalled = false;
  const dispose = () => {
    // A copy of the Ctrl-C that stopped us may still be on its way (npx sends two at once, and a loaded
    // machine delivers them loop turns apart): once signalled, SIGINT stays ours until the process ends.
    // A signal listener does not keep the process alive.
    if (!signalled) process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (raw && armed) {
      stdin.off('data', onKey);
      stdin.setRawMode(false);
      stdin.pause();
    }
  };
  // Stays listening after the first signal until disposed: a second copy of the same Ctrl-C must not kill us with 130.
  const onSignal = () => {
    if (!armed) return;
    signalled = true;
    release();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    arm() {
      armed = true;
      if (raw) {
        stdin.setRawMode(true);
        stdin.on('data', onKey);
        stdin.resume();
      }
      return stopped;
    },
    dispose,
  };
}

async function serveTraces(flags: ServeFlags): Promise<number> {
  const tracesDir = path.resolve(flags.traces ?? 'traces');
  const stop = stopSignal();
  try {
    const dashboard: Dashboard = await serve(() => startDashboard({ ...bindOptions(flags), tracesDir } satisfies DashboardOptions));
    // Armed before saying so: a Ctrl-C pressed on reading the line is already taken as a key.
    const stopped = stop.arm();
    process.stdout.write(`dashboard: ${dashboard.url} (runs in ${tracesDir}); press Ctrl-C to stop\n`);
    await stopped;
    await dashboard.close();
    return EXIT.ok;
  } finally {
    stop.dispose();
  }
}

export async function runWithDashboard(goalWords: string[], flags: VizFlags): Promise<number> {
  // Bad input fails before a server starts (the run checks again; these are cheap).
  const goal = checkGoal(goalWords.join(' '));
  await checkWorkspace(path.resolve(flags.workspace ?? '.'));
  await loadCliConfig(flags);
  const tracesDir = path.resolve(flags.traces ?? 'traces');

  // The server, the replay buffer and inspect.jsonl live on a worker thread; this one only converts and posts.
  // The runtime names the run: the server learns which run it follows when the run starts.
  // Pending approvals show on the live page; answers are taken only with this run's token.
  const asker = flags.viz ? new DashboardAsker() : null;
  const hostOptions: DashboardHostOptions = {
    ...bindOptions(flags),
    ...(asker ? { approvals: { token: newApprovalToken(), onAnswer: (key: string, answer: DashboardAnswer) => asker.answer(key, answer) } } : {}),
    tracesDir,
    ...(flags.viz ? { live: true as const } : {}),
    ...(flags.inspect === 'stately' ? { stately: true } : {}),
    onWarning: warn,
  };
  const stop = stopSignal();
  try {
    const dashboard: DashboardHost = await serve(() => startDashboardHost(hostOptions));
    asker?.connect((pending) => dashboard.publishApprovals(pending));
    const report = await runServed(goal, flags, dashboard, asker ? [asker] : []);
    const stopped = stop.arm();
    process.stderr.write(`dashboard: ${dashboard.url} still serving this run; press Ctrl-C to exit\n`);
    await stopped;
    await dashboard.close();
    return exitCodeFor(report);
  } finally {
    stop.dispose();
  }
}

/** The run itself, its event stream posted to the dashboard (whose worker writes inspect.jsonl); prints the report. */
async function runServed(goal: string, flags: VizFlags, dashboard: DashboardHost, askers: Asker[]): Promise<RunReport> {
  const stately = flags.inspect === 'stately' ? createStatelyBridge({ onError: warn, forward: (events) => dashboard.forward('stately', events) }) : null;
  if (stately) process.stderr.write(`Stately inspector: ${dashboard.url}stately (needs internet: the page loads ${STATELY_INSPECTOR_URL})\n`);
  const hooks: Parameters<typeof executeGoal>[2] = {
    ...(stately ? { inspect: stately.inspect } : {}),
    ...(flags.viz
      ? {
          eventStream: { forward: (records) => dashboard.forward('live', records) },
          onRunStarted: (run) => {
            if (run.inspectFile) dashboard.startLive({ runId: run.runId, file: run.inspectFile });
            process.stderr.write(`dashboard: ${dashboard.url}\n`);
          },
        }
      : {}),
  };
  let report: RunReport;
  try {
    report = await executeGoal(goal, flags, hooks, askers);
  } catch (err) {
    stately?.stop();
    await dashboard.close();
    throw err;
  }
  stately?.stop();
  printReport(report, Boolean(flags.json));
  return report;
}
