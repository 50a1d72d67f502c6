/**
 * search_files: grep-like text search over workspace files, in pure Node.
 * Output lines are `path:line: text` with workspace-relative paths, so the
 * model can pass them straight to read_file.
 */
import type { Dirent } from 'node:fs';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { globMatcher } from '../glob.js';
import { lineMatcher, type LineMatch } from '../lineMatch.js';
import { checkProtected, protectedPathsOf, readWalkedFile } from '../fileAccess.js';
import { resolveInWorkspace } from '../sandbox.js';
import { errorMessage } from '../../../contracts/errors.js';
import type { Tool, ToolContext } from '../types.js';
import { BINARY_SNIFF_BYTES, SKIP_DIRS, displayPath, fail, guarded, looksBinary, ok, relativeTo } from './common.js';

/** Bigger files are almost always generated or data; skipping them keeps a search fast. */
export const MAX_SEARCH_FILE_BYTES = 1_048_576;
/** Stop walking huge trees; the model can narrow `path` or `glob`. */
export const MAX_FILES_SCANNED = 20_000;
export const MAX_LINE_CHARS = 200;
/** Per-file budget for a model-supplied regex (see lineMatch.ts). */
export const REGEX_TIMEOUT_MS = 2_000;

export const searchFilesParams = z.object({
  query: z.string().min(1).describe('Text to look for, or a JavaScript regular expression when regex is true.'),
  path: z.string().default('.').describe('Directory (or single file) to search, relative to the workspace root; default "." (everything).'),
  regex: z.boolean().default(false).describe('Treat query as a regular expression (JavaScript syntax) instead of plain text.'),
  case_sensitive: z.boolean().default(false).describe('Match upper/lower case exactly (default false).'),
  max_results: z.number().int().min(1).max(500).default(50).describe('Maximum number of matching lines to return (default 50).'),
  glob: z
    .string()
    .optional()
    .describe('Only search files matching this glob, e.g. "*.ts" (matched against the file name) or "src/**/*.md" (matched against the path).'),
});
export type SearchFilesArgs = z.input<typeof searchFilesParams>;

export function createSearchFilesTool(): Tool<SearchFilesArgs> {
  return {
    name: 'search_files',
    description: [
      'Search the text of workspace files for a string or regular expression, like grep.',
      'Returns matching lines as "path:line: text" (paths relative to the workspace root, ready for read_file).',
      'Case-insensitive unless case_sensitive is true; skips node_modules, .git, binary files and files over 1 MiB.',
    ].join(' '),
    parameters: searchFilesParams,
    sideEffect: false,
    run: (args, ctx) =>
      guarded('search_files', args?.path ?? '.', async () => {
        const query = args.query;
        if (typeof query !== 'string' || query === '') return fail('search_files', 'query must be a non-empty string');
        const maxResults = Math.max(1, Math.trunc(args.max_results ?? 50));
        const flags = args.case_sensitive ? '' : 'i';
        let re: RegExp;
        try {
          re = new RegExp(args.regex ? query : escapeRegExp(query), flags);
        } catch (err) {
          return fail(
            'search_files',
            `invalid regular expression ${JSON.stringify(query)}: ${errorMessage(err)}; fix it, or set regex to false to search for the literal text`,
          );
        }
        let include: ((p: string) => boolean) | null = null;
        if (args.glob) {
          try {
            include = globMatcher(args.glob);
          } catch (err) {
            return fail('search_files', `invalid glob ${JSON.stringify(args.glob)}: ${errorMessage(err)}`);
          }
        }

        const root = await fs.realpath(ctx.workspace);
        const start = await resolveInWorkspace(ctx.workspace, args.path ?? '.');
        checkProtected(ctx, start, 'read', displayPath(args.path ?? '.'));
        const guard = protectedPathsOf(ctx);
        const match = lineMatcher(re, args.regex ? REGEX_TIMEOUT_MS : null);
        const hits: string[] = [];
        const files = new Set<string>();
        const skipped = { binary: 0, large: 0, protected: 0 };
        let scanned = 0;
        let more = false;
        for await (const file of walkFiles(start, (dir) => guard.refusal(dir, 'read') === undefined)) {
          if (++scanned > MAX_FILES_SCANNED) break;
          const rel = relativeTo(root, file);
          if (include && !include(rel)) continue;
          const text = await readText(ctx, root, file, skipped);
          if (text === null) continue;
          for (const m of match(text, maxResults - hits.length + 1)) {
            if (hits.length >= maxResults) {
              more = true;
              break;
            }
            hits.push(`${rel}:${m.line}: ${snippet(m)}`);
            files.add(rel);
          }
          if (more) break;
        }
        return ok(
          render(query, displayPath(args.path ?? '.'), hits, files.size, { maxResults, more, skipped, capped: scanned > MAX_FILES_SCANNED }),
          [...files].slice(0, 20),
        );
      }),
  };
}

export const searchFilesTool = createSearchFilesTool();

interface RenderInfo {
  maxResults: number;
  more: boolean;
  skipped: { binary: number; large: number; protected: number };
  capped: boolean;
}

function render(query: string, where: string, hits: string[], fileCount: number, info: RenderInfo): string {
  const scope = where === '.' ? '' : ` under ${JSON.stringify(where)}`;
  const lines = hits.length
    ? [`Found ${hits.length}${info.more ? '+' : ''} matching lines in ${fileCount} files for ${JSON.stringify(query)}${scope}:`, ...hits]
    : [`No matches for ${JSON.stringify(query)}${scope}.`];
  if (info.more) lines.push(`[stopped at max_results=${info.maxResults}; there are more matches: narrow the query, path or glob]`);
  if (info.capped) lines.push(`[stopped after scanning ${MAX_FILES_SCANNED} files; narrow path or glob to search the rest]`);
  if (info.skipped.binary || info.skipped.large) {
    lines.push(`[skipped ${info.skipped.binary} binary files and ${info.skipped.large} files over 1 MiB]`);
  }
  if (info.skipped.protected) lines.push(`[skipped ${info.skipped.protected} protected files (config, .env*, protected globs), which tools may not read]`);
  return lines.join('\n');
}

/** Files under `start` in stable order; symlinks are not followed (they could leave the workspace or loop). */
async function* walkFiles(start: string, enter: (dir: string) => boolean): AsyncGenerator<string> {
  const stat = await fs.stat(start);
  if (stat.isFile()) yield start;
  else if (stat.isDirectory()) yield* walkDir(start, true, enter);
}

async function* walkDir(dir: string, isStart: boolean, enter: (dir: string) => boolean): AsyncGenerator<string> {
  let entries: Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (isStart) throw err; // the model should hear that its directory is unreadable
    return; // an unreadable subdirectory only loses its own matches
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name) && enter(full)) yield* walkDir(full, false, enter);
    } else if (entry.isFile()) {
      yield full;
    }
  }
}

async function readText(ctx: ToolContext, root: string, file: string, skipped: { binary: number; large: number; protected: number }): Promise<string | null> {
  // O_NOFOLLOW, checked descriptor, one hard link, not protected: see fileAccess.ts.
  const bytes = await readWalkedFile(ctx, root, file, MAX_SEARCH_FILE_BYTES);
  if (bytes === 'protected') {
    skipped.protected++;
    return null;
  }
  if (bytes === 'large') {
    skipped.large++;
    return null;
  }
  if (bytes === null) return null; // vanished, unreadable or not allowed: not worth failing the whole search
  if (looksBinary(bytes.subarray(0, BINARY_SNIFF_BYTES))) {
    skipped.binary++;
    return null;
  }
  return bytes.toString('utf8');
}

/** The matched line, trimmed, and cut to MAX_LINE_CHARS around the match. */
function snippet(m: LineMatch): string {
  const lead = m.text.length - m.text.trimStart().length;
  const text = m.text.trim();
  if (text.length <= MAX_LINE_CHARS) return text;
  const col = Math.max(0, m.column - lead);
  const from = col < MAX_LINE_CHARS / 2 ? 0 : Math.min(col - 40, text.length - MAX_LINE_CHARS);
  return `${from > 0 ? '…' : ''}${text.slice(from, from + MAX_LINE_CHARS)}${from + MAX_LINE_CHARS < text.length ? '…' : ''}`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
