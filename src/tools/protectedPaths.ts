/**
 * Paths the model's tools may never touch: what runs the agents (the config
 * directory in use, the traces directory with run state and learning history),
 * VCS metadata, and user-listed globs (default `.env*`). Every side-effecting
 * tool asks `refusal(path, 'write')`; reads of secrets-holding paths (config,
 * `.env*`) ask `refusal(path, 'read')`. A process sandbox (the shell tool) masks
 * `masks()` instead of checking each path.
 *
 * Contract shared by the file tools, the shell tool and MCP tools. Paths are
 * compared in real form (the directories given here are resolved through
 * symlinks once, at creation), VCS names and globs case-insensitively (a
 * case-insensitive file system must not turn `.GIT/config` into a way round).
 * A glob protects what it matches and everything below it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { globToRegExp } from './glob.js';
import { isInside } from './sandbox.js';
import { DEFAULT_PROTECTED } from '../config/toolBundlesConfig.js';

export type Access = 'read' | 'write';

export interface ProtectedPaths {
  /** Why `absPath` (absolute, real) may not be accessed this way, or undefined when it may. */
  refusal(absPath: string, access: Access): string | undefined;
  /** Absolute paths inside (or equal to) the workspace that a process sandbox must hide: [path, access denied]. */
  masks(): Array<{ path: string; deny: Access }>;
  /** The protected globs in force (relative to the workspace), for sandboxes that match names themselves (always set by createProtectedPaths). */
  readonly globs?: readonly string[];
}

export interface ProtectedPathsOptions {
  /** Absolute, real path of the workspace root. */
  workspace: string;
  /** Absolute path of the config directory in use. */
  configDir?: string;
  /** Absolute path of the traces directory in use. */
  tracesDir?: string;
  /** Globs relative to the workspace (`protected:` in tool_bundles.json). */
  globs?: readonly string[];
  /** More paths that run the agents (e.g. a learning history outside the traces dir): never written. */
  files?: readonly string[];
}

export const VCS_DIRS = ['.git', '.hg', '.svn'] as const;

interface DirRule {
  dir: string;
  rule: string;
  /** 'read' denies reads and writes; 'write' denies writes only. */
  deny: Access;
}

export function createProtectedPaths(options: ProtectedPathsOptions): ProtectedPaths {
  const workspace = realish(options.workspace);
  const dirs: DirRule[] = [];
  if (options.configDir) dirs.push({ dir: realish(options.configDir), rule: 'the config directory (it decides what runs, and holds keys)', deny: 'read' });
  if (options.tracesDir) dirs.push({ dir: realish(options.tracesDir), rule: 'the traces directory (run state and learning history)', deny: 'write' });
  for (const f of options.files ?? []) dirs.push({ dir: realish(f), rule: 'a file the runtime owns (learning history)', deny: 'write' });
  const globList = [...(options.globs ?? DEFAULT_PROTECTED)];
  const globs = globList.map((g) => {
    const pattern = g.replace(/^\.\//, '').replace(/\/+$/, '');
    // Case-insensitive: refusing `.ENV` on a case-sensitive disk costs nothing; missing it on another is a leak.
    return { glob: g, re: new RegExp(globToRegExp(pattern).source, 'i'), byName: !pattern.includes('/') };
  });

  return {
    globs: globList,
    refusal(absPath, access) {
      const target = path.resolve(absPath);
      for (const d of dirs) {
        if (isInside(d.dir, target) && (access === 'write' || d.deny === 'read')) {
          return `${target === d.dir ? 'is' : 'is inside'} ${d.rule}, which tools may not ${access === 'write' ? 'change' : 'read'}`;
        }
      }
      if (!isInside(workspace, target) || target === workspace) return undefined; // outside: the sandbox refuses it on its own terms
      const segments = path.relative(workspace, target).split(path.sep);
      if (access === 'write') {
        const vcs = segments.find((s) => VCS_DIRS.some((v) => v === s.toLowerCase()));
        if (vcs) return `is inside VCS metadata (${vcs}), which tools may not change`;
      }
      // A glob protects the paths it matches and everything below them.
      for (let i = 0; i < segments.length; i++) {
        const prefix = segments.slice(0, i + 1).join('/');
        const hit = globs.find((g) => (g.byName ? g.re.test(segments[i]!) : g.re.test(prefix)));
        if (hit)
          return `matches the protected pattern ${JSON.stringify(hit.glob)} (protected in tool_bundles.json), which tools may not ${access === 'write' ? 'change' : 'read'}`;
      }
      return undefined;
    },
    masks() {
      const out: Array<{ path: string; deny: Access }> = dirs.filter((d) => isInside(workspace, d.dir)).map((d) => ({ path: d.dir, deny: d.deny }));
      for (const v of VCS_DIRS) out.push({ path: path.join(workspace, v), deny: 'write' });
      return out;
    },
  };
}

/** The real path of `p`, or of its nearest existing ancestor with the rest appended (the dir may not exist yet). */
export function realish(p: string): string {
  const abs = path.resolve(p);
  try {
    return fs.realpathSync.native(abs);
  } catch {
    const parent = path.dirname(abs);
    return parent === abs ? abs : path.join(realish(parent), path.basename(abs));
  }
}
