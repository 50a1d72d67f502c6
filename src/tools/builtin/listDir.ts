/**
 * list_dir: an indented tree of a workspace directory. Output format (parsed
 * by the offline model too): a header line ending in ":", then one entry per
 * line, two spaces of indent per level, "/" after directories, "(size)" after
 * files, and notes in [brackets].
 */
import type { Dirent } from 'node:fs';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { describeIoError } from '../ioErrors.js';
import { checkProtected } from '../fileAccess.js';
import { resolveInWorkspace } from '../sandbox.js';
import type { Tool } from '../types.js';
import { SKIP_DIRS, displayPath, fail, formatSize, guarded, ok } from './common.js';

export const MAX_LIST_DEPTH = 4;
/** Enough to see a project's shape, small enough not to flood the context. */
export const MAX_LIST_ENTRIES = 500;

export const listDirParams = z.object({
  path: z.string().default('.').describe('Directory relative to the workspace root; "." (default) is the root.'),
  depth: z.number().int().min(1).max(MAX_LIST_DEPTH).default(1).describe(`How many levels to show (1 = only direct entries, max ${MAX_LIST_DEPTH}).`),
  include_hidden: z.boolean().default(false).describe('Also show entries whose name starts with "." (default false).'),
});
export type ListDirArgs = z.input<typeof listDirParams>;

export function createListDirTool(options: { maxEntries?: number } = {}): Tool<ListDirArgs> {
  const maxEntries = options.maxEntries ?? MAX_LIST_ENTRIES;
  return {
    name: 'list_dir',
    description: [
      'List a workspace directory as an indented tree: directories end with "/", files show their size.',
      `depth controls how many levels are shown (default 1, max ${MAX_LIST_DEPTH}); hidden entries are left out unless include_hidden is true.`,
      `node_modules and .git are listed but not expanded; at most ${maxEntries} entries are shown.`,
    ].join(' '),
    parameters: listDirParams,
    sideEffect: false,
    run: (args, ctx) =>
      guarded('list_dir', args?.path ?? '.', async () => {
        const rel = args.path ?? '.';
        const depth = Math.min(Math.max(1, Math.trunc(args.depth ?? 1)), MAX_LIST_DEPTH);
        const shown = displayPath(rel);
        const abs = await resolveInWorkspace(ctx.workspace, rel);
        checkProtected(ctx, abs, 'read', shown);
        const stat = await fs.stat(abs);
        if (!stat.isDirectory()) return fail('list_dir', `${JSON.stringify(shown)} is a file, not a directory; use read_file to read it`);

        const lines: string[] = [];
        const state = { count: 0, truncated: false };
        await walk(abs, 0, { depth, hidden: args.include_hidden ?? false, maxEntries, shown }, lines, state);
        const header = `Contents of ${JSON.stringify(shown)} (depth ${depth}):`;
        if (lines.length === 0) return ok(`${header}\n[empty directory${args.include_hidden ? '' : ' (hidden entries not shown)'}]`, [shown]);
        if (state.truncated) {
          lines.push(`[listing truncated after ${maxEntries} entries; list a subdirectory or use a smaller depth to see the rest]`);
        }
        return ok(`${header}\n${lines.join('\n')}`, [shown]);
      }),
  };
}

export const listDirTool = createListDirTool();

interface WalkOptions {
  depth: number;
  hidden: boolean;
  maxEntries: number;
  shown: string;
}

async function walk(dir: string, level: number, opts: WalkOptions, lines: string[], state: { count: number; truncated: boolean }): Promise<void> {
  const indent = '  '.repeat(level);
  let entries: Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    // A child we cannot open is noted in place; the rest of the listing is still useful.
    if (level === 0) throw err;
    lines.push(`${indent}(cannot list: ${describeIoError(err, path.basename(dir))})`);
    return;
  }
  // Directories first, then files; plain code-unit order so the output is stable everywhere.
  const visible = entries
    .filter((e) => opts.hidden || !e.name.startsWith('.'))
    .sort((a, b) => Number(b.isDirectory()) - Number(a.isDirectory()) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of visible) {
    if (state.count >= opts.maxEntries) {
      state.truncated = true;
      return;
    }
    state.count++;
    const full = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) {
      // Not followed: a link may lead outside the workspace or into a cycle.
      lines.push(`${indent}${entry.name} (symlink)`);
    } else if (entry.isDirectory()) {
      if (SKIP_DIRS.has(entry.name)) {
        lines.push(`${indent}${entry.name}/ (not expanded)`);
      } else {
        lines.push(`${indent}${entry.name}/`);
        if (level + 1 < opts.depth) await walk(full, level + 1, opts, lines, state);
      }
    } else if (entry.isFile()) {
      const size = await fs.stat(full).then(
        (s) => formatSize(s.size),
        () => '?',
      );
      lines.push(`${indent}${entry.name} (${size})`);
    } else {
      lines.push(`${indent}${entry.name} (special file)`);
    }
  }
}
