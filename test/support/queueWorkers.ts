/**
 * `gepa-aime worker` processes for tests: each one a child process of the
 * built CLI, started and awaited until it says it is ready.
 */
import type { ChildProcess } from 'node:child_process';
import { startCli, type CliResult } from './cli.js';

export interface WorkerProcess {
  child: ChildProcess;
  done: Promise<CliResult>;
  /** Everything it wrote on stderr so far. */
  stderr(): string;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<CliResult>;
}

export async function startWorkerProcess(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<WorkerProcess> {
  const { child, done } = startCli(['worker', ...args], opts);
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  await new Promise<void>((resolve, reject) => {
    const onData = () => {
      if (/: ready on /.test(err)) {
        child.stderr!.off('data', onData);
        resolve();
      }
    };
    child.stderr!.on('data', onData);
    void done.then((r) => reject(new Error(`worker exited (${r.code}) before it was ready: ${r.stderr}`)));
  });
  return {
    child,
    done,
    stderr: () => err,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return done;
    },
  };
}

/** Wait for a condition another process brings about (polled; nothing is ordered by sleeping). */
export async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
