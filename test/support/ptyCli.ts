/**
 * The built CLI on a pseudo-terminal, through util-linux `script` (no native
 * module, no download): stdin, stdout and stderr of the CLI are the pty, so
 * it sees a terminal. `waitFor` resolves when the output matches (no sleeps);
 * `write` types into the terminal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI } from './cli.js';
import { REPO_ROOT } from './runtime.js';

export interface PtySession {
  child: ChildProcess;
  output(): string;
  waitFor(pattern: RegExp, from?: number): Promise<number>;
  write(text: string): void;
  done: Promise<number | null>;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function startPty(args: string[], env: NodeJS.ProcessEnv = {}): PtySession {
  const command = [process.execPath, CLI, ...args].map(quote).join(' ');
  const clean = { ...process.env };
  for (const key of Object.keys(clean)) if (key.startsWith('GEPA_AIME_')) delete clean[key];
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd: REPO_ROOT,
    env: { ...clean, TERM: 'dumb', COLUMNS: '200', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters: Array<{ pattern: RegExp; from: number; resolve: (i: number) => void }> = [];
  const check = () => {
    for (const w of [...waiters]) {
      const m = w.pattern.exec(out.slice(w.from));
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(w.from + m.index + m[0].length);
      }
    }
  };
  child.stdout!.on('data', (d) => {
    out += d;
    check();
  });
  child.stderr!.on('data', (d) => {
    out += d;
    check();
  });
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    waitFor: (pattern, from = 0) =>
      new Promise<number>((resolve, reject) => {
        waiters.push({ pattern, from, resolve });
        check();
        void done.then(() => {
          if (waiters.some((w) => w.pattern === pattern)) reject(new Error(`the CLI ended before printing ${pattern}; output:\n${out}`));
        });
      }),
    write: (text) => child.stdin!.write(text),
    done,
  };
}
