/**
 * Paths the model's tools may never touch: what runs the agents (the config
 * directory in use, the traces directory with run state and learning history),
 * VCS metadata, and user-listed globs (default `.env*`). Every side-effecting
 * tool asks `refusal(path, 'write')`; reads of secrets-holding paths (config,
 * `.env*`) ask `refusal(path, 'read')`. A process sandbox (the shell tool) masks
 * `masks()` instead of checking each path.
 *
 * Contract shared by the file tools, the shell tool and MCP tools; issue 10
 * owns the hardening (real-path checks, hard links, budgets).
 */
import path from 'node:path';
import { globToRegExp } from './glob.js';
import { isInside } from './sandbox.js';

export type Access = 'read' | 'write';

export interface ProtectedPathsOptions {
  /** Absolute, real path of the workspace root. */
  workspace: string;
  /** Absolute path of the config directory in use. */
  configDir?: string;
  /** Absolute path of the traces directory in use. */
  tracesDir?: string;
  /** Globs relative to the workspace (`protected:` in tool_bundles.json). */
  globs?: readonly string[];
}

export const VCS_DIRS = ['.git', '.hg', '.svn'] as const;
export const DEFAULT_PROTECTED_GLOBS = ['.env', '.env.*', '**/.env', '**/.env.*'] as const;

export interface ProtectedPaths {
  /** Why `absPath` (absolute, real) may not be accessed this way, or undefined when it may. */
  refusal(absPath: string, access: Access): string | undefined;
  /** Absolute paths inside (or equal to) the workspace that a process sandbox must hide: [path, access denied]. */
  masks(): Array<{ path: string; deny: Access }>;
}

export function createProtectedPaths(options: ProtectedPathsOptions): ProtectedPaths {
  const workspace = path.resolve(options.workspace);
  const dirs: Array<{ dir: string; rule: string; deny: Access }> = [];
  if (options.configDir) dirs.push({ dir: path.resolve(options.configDir), rule: 'the config directory', deny: 'read' });
  if (options.tracesDir) dirs.push({ dir: path.resolve(options.tracesDir), rule: 'the traces directory (run state and learning history)', deny: 'write' });
  const globs = (options.globs ?? DEFAULT_PROTECTED_GLOBS).map((g) => ({ glob: g, re: globToRegExp(g) }));

  return {
    refusal(absPath, access) {
      for (const d of dirs) {
        if (isInside(d.dir, absPath) && (access === 'write' || d.deny === 'read')) return `${absPath === d.dir ? 'is' : 'is inside'} ${d.rule}, which tools may not ${access}`;
      }
      if (!isInside(workspace, absPath)) return undefined; // the sandbox refuses it on its own terms
      const rel = path.relative(workspace, absPath).split(path.sep).join('/');
      const segments = rel.split('/');
      const vcs = VCS_DIRS.find((v) => segments.includes(v));
      if (vcs && access === 'write') return `is inside VCS metadata (${vcs}), which tools may not write`;
      const hit = globs.find((g) => g.re.test(rel) || g.re.test(segments[segments.length - 1] ?? ''));
      if (hit) return `matches the protected pattern ${JSON.stringify(hit.glob)}, which tools may not ${access}`;
      return undefined;
    },
    masks() {
      const out: Array<{ path: string; deny: Access }> = dirs.filter((d) => isInside(workspace, d.dir)).map((d) => ({ path: d.dir, deny: d.deny }));
      for (const v of VCS_DIRS) out.push({ path: path.join(workspace, v), deny: 'write' });
      return out;
    },
  };
}
