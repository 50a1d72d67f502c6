/**
 * The workspace sandbox: every path a model supplies is resolved here before
 * any file tool touches the disk. Lexical checks first (cheap, and they give
 * the model a precise reason), then a real-path check so symlinks cannot be
 * used to leave the workspace.
 *
 * The check alone does not stop something swapping a directory for a
 * symlink between the check and the use: fileAccess.ts closes that race
 * (O_NOFOLLOW opens, checked descriptors) and adds the protected paths.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { AppError } from '../../contracts/errors.js';

export class SandboxError extends AppError {
  readonly category = 'run';
}

export interface ResolveOptions {
  /** The caller will create or modify the path: the workspace root itself is refused. */
  forWrite?: boolean;
}

const ALLOWED = 'use a path relative to the workspace root with "/" separators, e.g. "src/index.ts" ("." is the root itself)';
/** Symlink hops before we give up; matches the usual kernel limit. */
const MAX_LINK_HOPS = 40;

/**
 * The absolute path `relPath` names inside `workspace`, with symlinks in its
 * existing part resolved (so callers read and write the real target).
 * Throws SandboxError, and only SandboxError, when the path is not allowed.
 */
export async function resolveInWorkspace(workspace: string, relPath: string, options: ResolveOptions = {}): Promise<string> {
  checkLexically(relPath);
  let root: string;
  try {
    root = await fs.realpath(workspace);
  } catch (err) {
    throw new SandboxError(`the workspace ${JSON.stringify(workspace)} is not accessible (${codeOf(err)})`);
  }
  const real = await realpathLoose(path.resolve(root, relPath), 0);
  if (!isInside(root, real)) {
    throw new SandboxError(`path ${show(relPath)} resolves through a symlink to a location outside the workspace; only files inside the workspace are allowed`);
  }
  if (options.forWrite && real === root) {
    throw new SandboxError(`path ${show(relPath)} is the workspace root, which is a directory; name a file inside it, e.g. "notes.md"`);
  }
  return real;
}

/** True when `candidate` is `root` or below it (both absolute and normalised). */
export function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

function checkLexically(relPath: unknown): asserts relPath is string {
  if (typeof relPath !== 'string') throw new SandboxError(`path must be a string; ${ALLOWED}`);
  if (relPath.includes('\0')) throw new SandboxError(`path ${show(relPath)} contains a NUL byte; ${ALLOWED}`);
  if (relPath.trim() === '') throw new SandboxError(`path is empty; ${ALLOWED}`);
  if (/^[a-zA-Z]:/.test(relPath)) throw new SandboxError(`path ${show(relPath)} is a Windows drive path; ${ALLOWED}`);
  if (relPath.startsWith('\\\\') || relPath.startsWith('//')) {
    throw new SandboxError(`path ${show(relPath)} is a network (UNC) path; ${ALLOWED}`);
  }
  if (relPath.startsWith('/') || path.isAbsolute(relPath)) {
    throw new SandboxError(`path ${show(relPath)} is absolute; ${ALLOWED}`);
  }
  // On POSIX a backslash is a legal name character, but a model writing one almost
  // always means a Windows separator ("..\\x"): refuse instead of guessing.
  if (relPath.includes('\\')) throw new SandboxError(`path ${show(relPath)} contains a backslash; ${ALLOWED}`);
  if (relPath.split('/').includes('..')) {
    throw new SandboxError(`path ${show(relPath)} contains a ".." segment, which is not allowed; ${ALLOWED}`);
  }
  if (relPath === '~' || relPath.startsWith('~/')) {
    throw new SandboxError(`path ${show(relPath)} starts with "~", which is not expanded here; ${ALLOWED}`);
  }
}

/**
 * Like realpath, but for paths that do not (fully) exist yet: the existing
 * part is resolved and the missing tail appended. Dangling symlinks are
 * followed by hand, since writing to one would create its target.
 */
async function realpathLoose(p: string, hops: number): Promise<string> {
  try {
    return await fs.realpath(p);
  } catch (err) {
    if (codeOf(err) === 'ELOOP') throw new SandboxError('the path goes through a symlink loop');
    if (!MISSING.has(codeOf(err))) throw new SandboxError(`cannot check where the path leads (${codeOf(err)})`);
  }
  const stat = await fs.lstat(p).catch(() => null);
  const parent = path.dirname(p);
  if (stat?.isSymbolicLink()) {
    if (hops >= MAX_LINK_HOPS) throw new SandboxError('the path goes through too many symlinks');
    const target = await fs.readlink(p).catch((err: unknown) => {
      throw new SandboxError(`cannot read a symlink on the path (${codeOf(err)})`);
    });
    return realpathLoose(path.resolve(await realpathLoose(parent, hops + 1), target), hops + 1);
  }
  if (parent === p) return p;
  return path.join(await realpathLoose(parent, hops), path.basename(p));
}

/** Errors that mean "this part does not exist (as a directory)": the tool will report it on use. */
const MISSING = new Set(['ENOENT', 'ENOTDIR', 'ENAMETOOLONG']);

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'unknown error';
}

/** The path as quoted in messages: escaped, and short enough not to flood the observation. */
function show(p: string): string {
  const quoted = JSON.stringify(p);
  return quoted.length > 200 ? `${quoted.slice(0, 200)}…"` : quoted;
}
