/**
 * A pids cgroup per command, where the host lets us make one (cgroup v2 with
 * the pids controller, or v1's pids hierarchy, writable: we run as root in
 * CI). It caps the processes of the whole sandbox, which RLIMIT_NPROC cannot
 * do for root. Absent, the caller falls back to RLIMIT_NPROC.
 */
import crypto from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';

export interface PidsCgroup {
  kind: 'v1' | 'v2';
  /** Write a pid here to move it into the group. */
  procsFile: string;
  /** True when a fork was refused for the limit. */
  limitHit(): Promise<boolean>;
  killAll(): Promise<void>;
  remove(): Promise<void>;
}

const ROOTS: Array<{ kind: 'v1' | 'v2'; dir: string }> = [
  { kind: 'v2', dir: '/sys/fs/cgroup' },
  { kind: 'v1', dir: '/sys/fs/cgroup/pids' },
];

export async function createPidsCgroup(maxPids: number): Promise<PidsCgroup | null> {
  for (const root of ROOTS) {
    if (root.kind === 'v2' && !(await hasV2Pids(root.dir))) continue;
    if (root.kind === 'v1' && !existsSync(path.join(root.dir, 'cgroup.procs'))) continue;
    const dir = path.join(root.dir, `gepa-aime-${process.pid}-${crypto.randomBytes(4).toString('hex')}`);
    try {
      await fs.mkdir(dir);
      await fs.writeFile(path.join(dir, 'pids.max'), String(maxPids));
    } catch {
      await fs.rmdir(dir).catch(() => undefined);
      continue;
    }
    return group(root.kind, dir);
  }
  return null;
}

async function hasV2Pids(dir: string): Promise<boolean> {
  try {
    const controllers = await fs.readFile(path.join(dir, 'cgroup.subtree_control'), 'utf8');
    return controllers.split(/\s+/).includes('pids');
  } catch {
    return false;
  }
}

function group(kind: 'v1' | 'v2', dir: string): PidsCgroup {
  const procs = path.join(dir, 'cgroup.procs');
  const killAll = async () => {
    const text = await fs.readFile(procs, 'utf8').catch(() => '');
    for (const pid of text.split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  };
  return {
    kind,
    procsFile: procs,
    async limitHit() {
      const events = await fs.readFile(path.join(dir, 'pids.events'), 'utf8').catch(() => '');
      const m = /max\s+(\d+)/.exec(events);
      return m ? Number(m[1]) > 0 : false;
    },
    killAll,
    async remove() {
      // The group can only go once it is empty; processes killed a moment ago may still be exiting.
      for (let i = 0; i < 250; i++) {
        try {
          await fs.rmdir(dir);
          return;
        } catch {
          await killAll();
          await new Promise((r) => setTimeout(r, 2));
        }
      }
    },
  };
}
