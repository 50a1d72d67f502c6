/**
 * One writer per run: `run` and `resume` hold traces/runs/<id>/lock, a file
 * created exclusively (O_EXCL) that holds the pid, host and start time of the
 * process driving the run. A second process finds it and stops (exit 2,
 * naming the holder), so no model call is paid twice and no write happens
 * twice. A lock left by a process that died (same host, pid gone) is taken
 * over, with a message. A lock from another host cannot be checked: it is
 * honoured until someone removes it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppError } from '../../contracts/errors.js';

export const LOCK_FILE = 'lock';

export class RunLockedError extends AppError {
  readonly category = 'usage';
}

export interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;
}

export interface RunLock {
  readonly file: string;
  release(): void;
}

export interface LockOptions {
  /** Told when a stale lock is taken over. */
  onWarning?: (message: string) => void;
  /** Is a process with this pid alive on this host? (injectable for tests) */
  isAlive?: (pid: number) => boolean;
}

export function acquireRunLock(runDir: string, runId: string, opts: LockOptions = {}): RunLock {
  const file = path.join(runDir, LOCK_FILE);
  const me: LockHolder = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() };
  const body = `${JSON.stringify(me)}\n`;
  const isAlive = opts.isAlive ?? pidAlive;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | (fs.constants.O_NOFOLLOW ?? 0), 0o644);
      try {
        fs.writeSync(fd, body);
      } finally {
        fs.closeSync(fd);
      }
      return {
        file,
        release() {
          // Only our own lock is removed: never one a later process took over.
          try {
            if (fs.readFileSync(file, 'utf8') === body) fs.unlinkSync(file);
          } catch {
            /* already gone */
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue; // released between our open and read: try again
    }
    const holder = parseHolder(text);
    const who = holder ? `pid ${holder.pid} on ${holder.host}, since ${holder.startedAt}` : 'an unknown process (the lock file is unreadable)';
    if (holder && holder.host === me.host && !isAlive(holder.pid)) {
      opts.onWarning?.(
        `run ${runId} was locked by pid ${holder.pid} on ${holder.host} (since ${holder.startedAt}), which is no longer running; taking the lock over`,
      );
      // Remove the stale lock only if it is still the one we read (another taker may have replaced it).
      try {
        if (fs.readFileSync(file, 'utf8') === text) fs.unlinkSync(file);
      } catch {
        /* gone already */
      }
      continue;
    }
    throw new RunLockedError(
      `run ${runId} is already being driven by ${who} (lock file ${file}); wait for it to finish, or stop that process. If that host is gone, remove the lock file.`,
    );
  }
  throw new RunLockedError(`run ${runId}: could not take the lock ${file} (it keeps changing hands)`);
}

function parseHolder(text: string): LockHolder | null {
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    if (Number.isInteger(v.pid) && typeof v.host === 'string' && typeof v.startedAt === 'string') return v as LockHolder;
  } catch {
    /* unreadable */
  }
  return null;
}

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
