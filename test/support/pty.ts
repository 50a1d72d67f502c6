/**
 * Runs the built CLI under a pseudo-terminal with `script` from util-linux
 * (installed by .ci/setup-system), so the CLI sees a TTY on stdin and stdout.
 * Tests wait for output patterns, never for time.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { CLI } from './cli.js';
import { REPO_ROOT } from './runtime.js';

export const HAVE_SCRIPT = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

export interface PtySession {
  child: ChildProcess;
  /** Everything the terminal showed so far, raw (escape codes included). */
  output(): string;
  /**
   * Resolves when the output stripped of escape codes, from offset `from` of that stripped text,
   * matches; to the offset just past the match (pass it on to wait for what comes after).
   * Rejects with the output if the process ends first.
   */
  waitFor(pattern: RegExp, from?: number): Promise<number>;
  write(data: string): void;
  done: Promise<{ code: number | null; output: string }>;
}

/** `command` is a shell command line run inside the pty (the CLI is $CLI). */
export function startPty(command: string, opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): PtySession {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(base))
    if (key.startsWith('GEPA_AIME_') || key === 'NO_COLOR' || key === 'FORCE_COLOR' || key === 'OPENAI_API_KEY') delete base[key];
  const env: NodeJS.ProcessEnv = { ...base, TERM: 'xterm-256color', CLI, NODE: process.execPath, ...opts.env };
  const child = spawn('script', ['-qfec', `stty cols 160 rows 50; ${command}`, '/dev/null'], {
    cwd: opts.cwd ?? REPO_ROOT,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString('utf8');
    for (const w of [...waiters]) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  let ended = false;
  const done = new Promise<{ code: number | null; output: string }>((resolve) =>
    child.on('close', (code) => {
      ended = true;
      for (const w of [...waiters]) w();
      resolve({ code, output: out });
    }),
  );
  return {
    child,
    output: () => out,
    write: (data) => child.stdin!.write(data),
    done,
    waitFor(pattern, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const text = stripAnsi(out).slice(from);
          const m = pattern.exec(text);
          if (m) {
            waiters.delete(check);
            resolve(from + m.index + m[0].length);
          } else if (ended) {
            waiters.delete(check);
            reject(new Error(`the process ended before ${pattern} appeared; output:\n${stripAnsi(out)}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
  };
}
