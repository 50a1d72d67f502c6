/**
 * run_command (bundle `shell`): one shell command under bubblewrap. The
 * sandbox has no network (its own empty network namespace), its own PID,
 * IPC and UTS namespaces, the workspace bound read-write, the system's
 * /usr, /etc and friends read-only, a private /tmp, nothing else of the host
 * (no /home, /root, /work, /var), the protected paths masked (read-protected
 * ones hidden, write-protected ones read-only), and a cleared environment.
 * Limits: wall time (the whole process tree is killed), output (kept up to
 * the limit, then the command is stopped), address space per process
 * (prlimit), and the number of processes (a pids cgroup where the host gives
 * one, else RLIMIT_NPROC). Where bubblewrap is missing or may not create
 * namespaces the tool is not offered at all: it never runs unsandboxed.
 */
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, promises as fs, readlinkSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { errorMessage } from '../../../contracts/errors.js';
import { resolveInWorkspace } from '../sandbox.js';
import type { Tool, ToolContext, ToolResult } from '../types.js';
import { DEFAULT_SHELL_LIMITS, type ShellConfig } from '../../config/toolBundlesConfig.js';
import { createPidsCgroup, type PidsCgroup } from './cgroup.js';

export const SHELL_BUNDLE = 'shell';
export const RUN_COMMAND_TOOL = 'run_command';

/** Host files that hold secrets even though their directory is shown read-only. */
const HIDDEN_SYSTEM_FILES = ['/etc/shadow', '/etc/gshadow', '/etc/shadow-', '/etc/gshadow-', '/etc/sudoers', '/etc/ssh', '/etc/ssl/private'];
const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib64', '/lib32', '/etc', '/opt'];
/** Files a process may create at most this big (RLIMIT_FSIZE): a runaway `yes > f` stops here. */
const MAX_FILE_BYTES = 256 * 1024 * 1024;
/** Protected files found by walking the workspace: the walk stops after this many entries. */
const MAX_WALK_ENTRIES = 20_000;

export const runCommandParams = z.object({
  command: z.string().min(1).describe('The command line, run by /bin/sh -c inside the sandbox, e.g. "node --version" or "ls -la src".'),
  cwd: z.string().optional().describe('Directory to run in, relative to the workspace root (default: the root).'),
  timeout_ms: z.number().int().positive().optional().describe('Wall-clock limit in milliseconds; capped by the configured limit.'),
});
export type RunCommandArgs = z.input<typeof runCommandParams>;

export type SandboxProbe = { ok: true; bwrap: string; processLimit: string } | { ok: false; reason: string };

let probeCache: Promise<SandboxProbe> | null = null;

/** Whether bubblewrap is installed and may create the namespaces the tool needs (checked once per process). */
export function probeSandbox(): Promise<SandboxProbe> {
  probeCache ??= probe();
  return probeCache;
}

async function probe(): Promise<SandboxProbe> {
  const bwrap = findBwrap();
  if (!bwrap) return { ok: false, reason: 'bubblewrap (bwrap) is not installed; install the Debian package "bubblewrap" to offer run_command' };
  const args = [...namespaceArgs(), '--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', '--', '/bin/true'];
  const result = await execCapture(bwrap, args, 10_000);
  if (result.code !== 0) {
    const why = result.stderr.trim().split('\n')[0] || (result.timedOut ? 'it did not finish within 10 s' : `exit code ${result.code}`);
    return { ok: false, reason: `bubblewrap may not create namespaces here (${why}); run_command is not offered` };
  }
  const cg = await createPidsCgroup(1);
  const processLimit = cg ? `pids cgroup (${cg.kind})` : 'RLIMIT_NPROC only (not enforced for root; no writable pids cgroup)';
  await cg?.remove();
  return { ok: true, bwrap, processLimit };
}

function findBwrap(): string | null {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    const p = path.join(dir || '.', 'bwrap');
    if (existsSync(p)) return p;
  }
  return null;
}

function namespaceArgs(): string[] {
  // --unshare-all: user, ipc, pid, net, uts, cgroup; the user namespace drops every host capability.
  return ['--unshare-all', '--unshare-user', '--uid', '1000', '--gid', '1000', '--die-with-parent', '--new-session', '--cap-drop', 'ALL'];
}

export function createRunCommandTool(limits: Partial<ShellConfig> = {}, hidden: readonly string[] = []): Tool<RunCommandArgs> {
  const lim: ShellConfig = { ...DEFAULT_SHELL_LIMITS, ...limits };
  return {
    name: RUN_COMMAND_TOOL,
    description: [
      'Run a shell command (/bin/sh -c) in a sandbox and get its exit code, stdout and stderr.',
      'The workspace is the working directory and is writable; the rest of the system is read-only or absent; there is no network.',
      `Limits: ${Math.round(lim.timeout_ms / 1000)} s, ${lim.max_output_bytes} bytes of output per stream, ${lim.memory_mb} MiB of memory per process, ${lim.max_processes} processes.`,
    ].join(' '),
    parameters: runCommandParams,
    sideEffect: true,
    defaultApproval: 'ask',
    source: 'built-in (bubblewrap sandbox)',
    run: async (args, ctx) => {
      const sandbox = await probeSandbox();
      if (!sandbox.ok) return { ok: false, output: `run_command: not available: ${sandbox.reason}` };
      let cwd: string;
      try {
        cwd = await resolveInWorkspace(ctx.workspace, args.cwd ?? '.');
      } catch (err) {
        return { ok: false, output: `run_command: cwd: ${errorMessage(err)}` };
      }
      const timeout = Math.min(args.timeout_ms ?? lim.timeout_ms, lim.timeout_ms);
      const bwrapArgs = [...namespaceArgs(), ...(await mountArgs(ctx, hidden)), '--chdir', cwd, '--clearenv', ...envArgs(ctx.workspace), '--'];
      const limitArgs = [
        'prlimit',
        `--data=${lim.memory_mb * 1024 * 1024}`,
        `--nproc=${lim.max_processes}`,
        `--fsize=${MAX_FILE_BYTES}`,
        '--core=0',
        '--',
        '/bin/sh',
        '-c',
        args.command,
      ];
      return runSandboxed(sandbox.bwrap, [...bwrapArgs, ...limitArgs], { ...lim, timeout_ms: timeout }, ctx.signal);
    },
  };
}

function envArgs(workspace: string): string[] {
  const env: Record<string, string> = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/tmp', TMPDIR: '/tmp', LANG: 'C.UTF-8', PWD: workspace, TERM: 'dumb' };
  return Object.entries(env).flatMap(([k, v]) => ['--setenv', k, v]);
}

/** The sandbox's file system: system dirs read-only, private /tmp, the workspace read-write, protected paths masked. */
async function mountArgs(ctx: ToolContext, hidden: readonly string[]): Promise<string[]> {
  const args: string[] = [];
  for (const dir of SYSTEM_DIRS) {
    let st;
    try {
      st = lstatSync(dir);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) args.push('--symlink', readlinkSync(dir), dir);
    else if (st.isDirectory()) args.push('--ro-bind', dir, dir);
  }
  args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--tmpfs', '/run');
  for (const f of HIDDEN_SYSTEM_FILES) if (existsSync(f)) args.push(...hide(f));
  args.push('--bind', ctx.workspace, ctx.workspace);
  const masks = new Map<string, 'read' | 'write'>();
  for (const m of ctx.protectedPaths?.masks() ?? []) masks.set(m.path, m.deny);
  for (const h of hidden) masks.set(path.resolve(h), 'read');
  for (const f of await protectedFiles(ctx)) masks.set(f, 'read');
  // Parents first, so a mask inside a masked directory is not bound over a hidden one.
  for (const [p, deny] of [...masks].sort((a, b) => a[0].length - b[0].length)) {
    // A protected path that does not exist (a workspace without .git) has nothing to protect; a mount point would create it on the host.
    if (!existsSync(p)) continue;
    args.push(...(deny === 'read' ? hide(p) : ['--ro-bind', p, p]));
  }
  return args;
}

function hide(p: string): string[] {
  try {
    return lstatSync(p).isDirectory() ? ['--tmpfs', p, '--remount-ro', p] : ['--ro-bind', '/dev/null', p];
  } catch {
    return [];
  }
}

/** Files in the workspace the protected-path rules refuse to read (e.g. `.env*`): bound to /dev/null in the sandbox. */
async function protectedFiles(ctx: ToolContext): Promise<string[]> {
  const rules = ctx.protectedPaths;
  if (!rules) return [];
  const found: string[] = [];
  let seen = 0;
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (++seen > MAX_WALK_ENTRIES) return;
      const abs = path.join(dir, e.name);
      if (rules.refusal(abs, 'read')) {
        found.push(abs);
        continue;
      }
      if (e.isDirectory() && e.name !== 'node_modules' && e.name !== '.git') await walk(abs);
    }
  };
  await walk(ctx.workspace);
  return found;
}

interface Captured {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

function execCapture(cmd: string, args: string[], timeoutMs: number): Promise<Captured> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => (stdout = (stdout + d.toString()).slice(-4000)));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: -1, signal: null, stdout, stderr: errorMessage(err), timedOut });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** Runs bwrap in its own process group inside a pids cgroup (when there is one), and collects the observation. */
async function runSandboxed(bwrap: string, args: string[], lim: ShellConfig, signal?: AbortSignal): Promise<ToolResult> {
  const cgroup: PidsCgroup | null = await createPidsCgroup(lim.max_processes + 4);
  // A fixed launcher joins the cgroup before exec'ing bwrap, so every process of the command is counted from the start.
  const [cmd, cmdArgs] = cgroup ? ['/bin/sh', ['-c', 'echo $$ > "$0" && exec "$@"', cgroup.procsFile, bwrap, ...args]] : [bwrap, args];
  const started = Date.now();
  const out = new Capped(lim.max_output_bytes);
  const err = new Capped(lim.max_output_bytes);
  let stopped: string | null = null;
  const result = await new Promise<{ code: number | null; signal: NodeJS.Signals | null } | { spawnError: string }>((resolve) => {
    const child = spawn(cmd, cmdArgs as string[], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const killAll = (why: string) => {
      stopped ??= why;
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      void cgroup?.killAll();
    };
    const timer = setTimeout(() => killAll(`it ran longer than the limit of ${lim.timeout_ms} ms and was killed`), lim.timeout_ms);
    const onAbort = () => killAll('the run was cancelled');
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (d: Buffer) => {
      if (!out.add(d)) killAll(`it printed more than ${lim.max_output_bytes} bytes on stdout and was stopped`);
    });
    child.stderr.on('data', (d: Buffer) => {
      if (!err.add(d)) killAll(`it printed more than ${lim.max_output_bytes} bytes on stderr and was stopped`);
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve({ spawnError: errorMessage(e) });
    });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve({ code, signal: sig });
    });
  });
  const hitProcessLimit = cgroup ? await cgroup.limitHit() : false;
  await cgroup?.remove();
  if ('spawnError' in result) return { ok: false, output: `run_command: the sandbox did not start: ${result.spawnError}` };
  const ms = Date.now() - started;
  const lines = [
    stopped ? `exit code: none (${stopped})` : `exit code: ${result.code ?? `killed by ${result.signal}`}`,
    ...(hitProcessLimit ? [`note: the command hit the limit of ${lim.max_processes} processes; forks beyond it failed`] : []),
    `time: ${ms} ms`,
    `stdout:\n${out.text() || '(empty)'}`,
    `stderr:\n${err.text() || '(empty)'}`,
  ];
  return { ok: !stopped && result.code === 0, output: lines.join('\n') };
}

/** Keeps the first `limit` bytes of a stream; `add` says false once the limit is passed. */
class Capped {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private over = false;
  constructor(private readonly limit: number) {}
  add(chunk: Buffer): boolean {
    if (this.over) return false;
    const room = this.limit - this.size;
    if (chunk.length > room) {
      this.chunks.push(chunk.subarray(0, room));
      this.size = this.limit;
      this.over = true;
      return false;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    return true;
  }
  text(): string {
    const s = Buffer.concat(this.chunks).toString('utf8');
    return this.over ? `${s}\n[cut at ${this.limit} bytes]` : s;
  }
}
