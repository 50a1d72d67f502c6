/**
 * File access for the model's tools, contained at the file-system level.
 * `resolveInWorkspace` gives a path's real location; between that check and
 * the use, something else (a shell tool, another process) could swap a part of
 * the path for a symlink. So:
 *
 * - the final component is opened with O_NOFOLLOW, and the opened descriptor's
 *   own real path (/proc/self/fd/N) is checked again before a byte moves;
 * - writes walk the parent directories one O_NOFOLLOW descriptor at a time
 *   and create, append or rename through `/proc/self/fd/<dir>/<name>`, so the
 *   file lands in the very directory that was checked;
 * - files with more than one hard link are refused: a link can make a file
 *   outside the workspace (or a protected one) look like a workspace file;
 * - protected paths (config, traces, VCS metadata, `.env*`, user globs) are
 *   refused with the rule that applied.
 *
 * Without /proc (not Linux) the descriptor checks fall back to comparing the
 * opened file's identity with the checked path's.
 */
import { constants, promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { createProtectedPaths, type Access, type ProtectedPaths } from './protectedPaths.js';
import { isInside, resolveInWorkspace, SandboxError } from './sandbox.js';
import type { ToolContext } from './types.js';

const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const DIRECTORY = constants.O_DIRECTORY ?? 0;
const NONBLOCK = constants.O_NONBLOCK ?? 0;

let procFd: boolean | null = null;
async function hasProcFd(): Promise<boolean> {
  if (procFd === null)
    procFd = await fs.readlink('/proc/self/fd/0').then(
      () => true,
      () => process.platform === 'linux',
    );
  return procFd;
}

/** The protected paths in force: the context's, else the defaults for its workspace (VCS metadata, `.env*`). */
export function protectedPathsOf(ctx: ToolContext): ProtectedPaths {
  return ctx.protectedPaths ?? defaultsFor(ctx.workspace);
}
const defaults = new Map<string, ProtectedPaths>();
function defaultsFor(workspace: string): ProtectedPaths {
  let p = defaults.get(workspace);
  if (!p) defaults.set(workspace, (p = createProtectedPaths({ workspace })));
  return p;
}

export function checkProtected(ctx: ToolContext, abs: string, access: Access, shown: string): void {
  const why = protectedPathsOf(ctx).refusal(abs, access);
  if (why) throw new SandboxError(`refused: ${JSON.stringify(shown)} ${why}; nothing was ${access === 'write' ? 'written' : 'read'}`);
}

/** The real path behind an open descriptor. */
async function descriptorPath(fd: number): Promise<string | null> {
  if (!(await hasProcFd())) return null;
  return fs.readlink(`/proc/self/fd/${fd}`).catch(() => null);
}

function raced(shown: string): SandboxError {
  return new SandboxError(`refused: ${JSON.stringify(shown)} changed while it was being opened (a symlink appeared on the path); nothing was touched`);
}

function hardLinked(shown: string, links: number): SandboxError {
  return new SandboxError(
    `refused: ${JSON.stringify(shown)} has ${links} hard links; a file with more than one link may be shared with a file outside the workspace, so it is neither read nor written`,
  );
}

/** After open: the descriptor must be the checked file, inside the workspace, not protected, with one link. */
async function verifyOpened(handle: FileHandle, expected: string, root: string, ctx: ToolContext, access: Access, shown: string) {
  const real = await descriptorPath(handle.fd);
  const stat = await handle.stat();
  if (real !== null) {
    if (!isInside(root, real)) throw raced(shown);
    checkProtected(ctx, real, access, shown);
  } else {
    const there = await fs.lstat(expected).catch(() => null);
    if (!there || there.dev !== stat.dev || there.ino !== stat.ino) throw raced(shown);
  }
  if (stat.isFile() && stat.nlink > 1) throw hardLinked(shown, stat.nlink);
  return stat;
}

export interface OpenedForRead {
  handle: FileHandle;
  abs: string;
  size: number;
}

/**
 * Opens a workspace file for reading: null when it is a directory (the caller
 * says so in its own words); throws SandboxError when it is not allowed.
 */
export async function openForRead(ctx: ToolContext, relPath: string, shown: string): Promise<OpenedForRead | { directory: true } | { special: true }> {
  const abs = await resolveInWorkspace(ctx.workspace, relPath);
  checkProtected(ctx, abs, 'read', shown);
  const root = await fs.realpath(ctx.workspace);
  let handle: FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO must not block; it is refused below as not a regular file.
    handle = await fs.open(abs, constants.O_RDONLY | NOFOLLOW | NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw raced(shown);
    throw err;
  }
  try {
    const stat = await verifyOpened(handle, abs, root, ctx, 'read', shown);
    if (stat.isDirectory()) {
      await handle.close();
      return { directory: true };
    }
    if (!stat.isFile()) {
      await handle.close();
      return { special: true };
    }
    return { handle, abs, size: stat.size };
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
}

/**
 * Reads a file found by walking the workspace (search): O_NOFOLLOW, checked
 * descriptor, one link, not protected from reading. Null when it must be skipped.
 */
export async function readWalkedFile(ctx: ToolContext, root: string, abs: string, maxBytes: number): Promise<Buffer | 'protected' | 'large' | null> {
  if (protectedPathsOf(ctx).refusal(abs, 'read')) return 'protected';
  let handle: FileHandle;
  try {
    handle = await fs.open(abs, constants.O_RDONLY | NOFOLLOW | NONBLOCK);
  } catch {
    return null;
  }
  try {
    const stat = await verifyOpened(handle, abs, root, ctx, 'read', abs).catch(() => null);
    if (!stat?.isFile()) return null;
    if (stat.size > maxBytes) return 'large';
    return await handle.readFile();
  } catch {
    return null;
  } finally {
    await handle.close().catch(() => undefined);
  }
}

export type WriteMode = 'overwrite' | 'append' | 'create';

export type WriteOutcome = { ok: true; size?: number } | { ok: false; reason: 'exists' | 'directory' | 'not-a-directory' };

/**
 * Writes `content` to a workspace file, race-free: parents opened one
 * O_NOFOLLOW descriptor at a time (created when missing), the file created,
 * appended or replaced (temp + rename) inside the checked directory.
 */
export async function writeContained(ctx: ToolContext, relPath: string, shown: string, content: string, mode: WriteMode): Promise<WriteOutcome> {
  const abs = await resolveInWorkspace(ctx.workspace, relPath, { forWrite: true });
  checkProtected(ctx, abs, 'write', shown);
  const root = await fs.realpath(ctx.workspace);
  const dir = await openDirChain(root, path.relative(root, path.dirname(abs)), ctx, shown);
  if ('notDir' in dir) return { ok: false, reason: 'not-a-directory' };
  try {
    const base = (await hasProcFd()) ? `/proc/self/fd/${dir.handle.fd}` : path.dirname(abs);
    const name = path.basename(abs);
    const target = `${base}/${name}`;
    const existing = await fs.lstat(target).catch(() => null);
    if (existing?.isSymbolicLink()) throw raced(shown);
    if (existing?.isDirectory()) return { ok: false, reason: 'directory' };
    if (existing && existing.nlink > 1) throw hardLinked(shown, existing.nlink);
    if (mode === 'create' && existing) return { ok: false, reason: 'exists' };

    if (mode === 'overwrite') {
      const temp = `${base}/.${name.slice(0, 100)}.${process.pid}.${Math.random().toString(16).slice(2, 10)}.tmp`;
      const fileMode = existing ? existing.mode & 0o7777 : 0o666;
      try {
        const h = await fs.open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW, fileMode);
        try {
          await h.writeFile(content);
        } finally {
          await h.close();
        }
        await fs.rename(temp, target);
      } catch (err) {
        await fs.rm(temp, { force: true }).catch(() => undefined);
        throw err;
      }
      return { ok: true };
    }

    const flags = mode === 'create' ? constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL : constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT;
    let handle: FileHandle;
    try {
      handle = await fs.open(target, flags | NOFOLLOW | NONBLOCK, 0o666);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return { ok: false, reason: 'exists' };
      if (code === 'ELOOP') throw raced(shown);
      throw err;
    }
    try {
      const stat = await verifyOpened(handle, abs, root, ctx, 'write', shown);
      if (!stat.isFile()) throw new SandboxError(`${JSON.stringify(shown)} is not a regular file`);
      await handle.writeFile(content);
      return { ok: true, size: (await handle.stat()).size };
    } finally {
      await handle.close().catch(() => undefined);
    }
  } finally {
    await dir.handle.close().catch(() => undefined);
  }
}

/**
 * Opens `rel` (a real, symlink-free path under `root`) one component at a
 * time with O_NOFOLLOW, creating missing directories inside the directory
 * just opened. A symlink met here appeared after the check: refused.
 */
async function openDirChain(root: string, rel: string, ctx: ToolContext, shown: string): Promise<{ handle: FileHandle } | { notDir: true }> {
  const proc = await hasProcFd();
  let handle = await fs.open(root, constants.O_RDONLY | DIRECTORY);
  let current = root;
  const parts = rel === '' ? [] : rel.split(path.sep);
  try {
    for (const part of parts) {
      const next = proc ? `/proc/self/fd/${handle.fd}/${part}` : path.join(current, part);
      let child: FileHandle | null = null;
      for (let attempt = 0; attempt < 2 && !child; attempt++) {
        try {
          child = await fs.open(next, constants.O_RDONLY | DIRECTORY | NOFOLLOW);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ELOOP') throw raced(shown);
          if (code === 'ENOTDIR') {
            await handle.close();
            return { notDir: true };
          }
          if (code !== 'ENOENT' || attempt > 0) throw err;
          await fs.mkdir(next).catch((e: NodeJS.ErrnoException) => {
            if (e.code !== 'EEXIST') throw e;
          });
        }
      }
      await handle.close();
      handle = child!;
      current = path.join(current, part);
      const real = await descriptorPath(handle.fd);
      if (real !== null && !isInside(root, real)) throw raced(shown);
      if (real !== null) checkProtected(ctx, real, 'write', shown);
    }
    return { handle };
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
}
