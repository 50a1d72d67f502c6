/** Small helpers shared by the built-in tools. */
import path from 'node:path';
import { describeIoError } from '../ioErrors.js';
import type { ToolResult } from '../types.js';
import { errorMessage } from '../../../contracts/errors.js';

/** Directories listed but never descended into: huge, generated, or not the model's business. */
export const SKIP_DIRS: ReadonlySet<string> = new Set(['node_modules', '.git']);

/** How much of a file's start is checked for NUL bytes (the classic heuristic git and grep use). */
export const BINARY_SNIFF_BYTES = 8000;

export function looksBinary(bytes: Uint8Array): boolean {
  return bytes.includes(0);
}

export function ok(output: string, references?: string[]): ToolResult {
  return references?.length ? { ok: true, output, references } : { ok: true, output };
}

export function fail(tool: string, message: string): ToolResult {
  return { ok: false, output: `${tool}: ${message}` };
}

/** Runs a tool body so that nothing escapes as an exception: the model gets an observation instead. */
export async function guarded(tool: string, shownPath: unknown, body: () => Promise<ToolResult>): Promise<ToolResult> {
  try {
    return await body();
  } catch (err) {
    const shown = typeof shownPath === 'string' ? shownPath : String(shownPath);
    try {
      return fail(tool, describeIoError(err, shown));
    } catch {
      return fail(tool, errorMessage(err));
    }
  }
}

/** The model's relative path, normalised for messages and references ("./a//b/" → "a/b"). */
export function displayPath(relPath: string): string {
  if (typeof relPath !== 'string' || relPath === '') return String(relPath);
  const norm = path.posix.normalize(relPath).replace(/\/+$/, '');
  return norm === '' ? '.' : norm;
}

/** Workspace-relative, "/"-separated form of an absolute path under `root`. */
export function relativeTo(root: string, abs: string): string {
  const rel = path.relative(root, abs).split(path.sep).join('/');
  return rel === '' ? '.' : rel;
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}
