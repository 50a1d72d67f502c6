/**
 * How the offline model learns what a workspace holds, honestly: it lists one
 * directory level at a time (every directory, dot-directories included), reads
 * the root .gitignore and leaves out what it ignores, and never counts its own
 * output (gepa-aime-output/, the traces of runs, the goal's output file).
 * Everything comes from real tool observations; the state of the crawl is
 * rebuilt from them at each step, so the policy stays a pure function.
 */
import ignore, { type Ignore } from 'ignore';
import { parseListing } from './workspaceFacts.js';

export interface Observed {
  tool: string;
  arguments: Record<string, unknown>;
  output: string;
}

export interface Crawl {
  /** Files and directories found, workspace-relative, not ignored. */
  files: string[];
  dirs: string[];
  /** Directories (and files) left out, by the .gitignore or as our own output; top-most only. */
  ignored: string[];
  /** Directories found but not listed yet. */
  pending: string[];
  /** Directories whose listing was cut at the tool's entry limit. */
  truncated: string[];
  /** Directories the tool refused to list (protected paths, unreadable): seen, not counted. */
  refused: string[];
  gitignore: string | null;
  /** Whether the root listing and the .gitignore read have happened. */
  started: boolean;
}

/** Never evidence: what GEPA-AIME itself writes, and VCS metadata. */
const OWN_OUTPUT = ['/.git', '/gepa-aime-output/', '/traces/runs/', '/traces/gepa_history.jsonl'];

export function ignoreRules(gitignore: string | null, outputFile?: string): Ignore {
  const rules = ignore().add(OWN_OUTPUT);
  if (outputFile) rules.add(`/${outputFile}`);
  if (gitignore) rules.add(gitignore);
  return rules;
}

/** A listing the tool produced; `list_dir: …` is a refusal, anything else (a call the step cap did not run) is no answer yet. */
const listed = (o: Observed) => o.tool === 'list_dir' && o.output.startsWith('Contents of ');
const refusedListing = (o: Observed) => o.tool === 'list_dir' && o.output.startsWith('list_dir:');

/** Below the runtime's cap on tool calls per step, with room for a progress note. */
export const MAX_CALLS_PER_STEP = 12;

export function crawlState(observations: Observed[], outputFile?: string): Crawl {
  const gitignoreRead = observations.find((o) => o.tool === 'read_file' && o.arguments['path'] === '.gitignore');
  const gitignore = gitignoreRead && !/^read_file:/.test(gitignoreRead.output) ? stripReadNotes(gitignoreRead.output) : null;
  const rules = ignoreRules(gitignore, outputFile);
  const listings = new Map<string, string>();
  for (const o of observations) if (listed(o)) listings.set(normalise(String(o.arguments['path'] ?? '.')), o.output);
  const refusedDirs = new Set(observations.filter(refusedListing).map((o) => normalise(String(o.arguments['path'] ?? '.'))));

  const files: string[] = [];
  const dirs: string[] = [];
  const ignored: string[] = [];
  const pending: string[] = [];
  const truncated: string[] = [];
  const refused: string[] = [];
  const visit = (dir: string) => {
    const out = listings.get(dir);
    if (out === undefined && refusedDirs.has(dir)) {
      refused.push(`${dir}/`);
      return;
    }
    if (out === undefined) {
      pending.push(dir);
      return;
    }
    if (/\[listing truncated after/.test(out)) truncated.push(dir);
    for (const entry of parseListing(out)) {
      if (entry.path.includes('/')) continue; // depth-1 listings only; deeper lines would be a different call
      const name = entry.path.replace(/ \((?:not expanded|symlink|special file)\)$/, '');
      const rel = dir === '.' ? name : `${dir}/${name}`;
      if (rules.ignores(entry.dir ? `${rel}/` : rel)) {
        ignored.push(entry.dir ? `${rel}/` : rel);
        continue;
      }
      if (entry.dir) {
        visit(rel);
        if (!refused.includes(`${rel}/`)) dirs.push(rel);
      } else files.push(rel);
    }
  };
  const started = listings.has('.') && (gitignoreRead !== undefined || !hasRootGitignore(listings.get('.')));
  if (listings.has('.')) visit('.');
  else pending.push('.');
  return { files, dirs, ignored, pending, truncated, refused, gitignore, started };
}

function hasRootGitignore(listing: string | undefined): boolean {
  return listing !== undefined && parseListing(listing).some((e) => !e.dir && e.path === '.gitignore');
}

function normalise(p: string): string {
  const trimmed = p.replace(/^\.\/+/, '').replace(/\/+$/, '');
  return trimmed === '' ? '.' : trimmed;
}

/** read_file adds notes in [brackets] (sizes, truncation); a .gitignore line never starts with "[". */
function stripReadNotes(text: string): string {
  return text
    .split('\n')
    .filter((l) => !/^\[.*\]$/.test(l.trim()))
    .join('\n');
}

/** The next tool calls of a crawl, or null when it is complete. */
export function nextCrawlCalls(observations: Observed[], outputFile?: string): { name: string; args: Record<string, unknown> }[] | null {
  const state = crawlState(observations, outputFile);
  const calls: { name: string; args: Record<string, unknown> }[] = [];
  const root = observations.find((o) => listed(o) && normalise(String(o.arguments['path'] ?? '.')) === '.');
  if (!root) return [{ name: 'list_dir', args: { path: '.', depth: 1, include_hidden: true } }];
  if (!state.started) return [{ name: 'read_file', args: { path: '.gitignore', max_bytes: 20000 } }];
  for (const dir of state.pending.slice(0, MAX_CALLS_PER_STEP)) calls.push({ name: 'list_dir', args: { path: dir, depth: 1, include_hidden: true } });
  return calls.length ? calls : null;
}

/** A TODO/FIXME note as people write them: the word, an optional (who), then a colon. */
export const MARKER = /\b(TODO|FIXME)\b(\([^)]*\))?:/;

/** Keeps `path:line: text` search hits that are real evidence: not ignored, not our own output, not inside a hash. */
export function evidenceHits(lines: string[], rules: Ignore): string[] {
  return lines.filter((line) => {
    const m = /^([^\s:][^:]*):(\d+):\s?(.*)$/.exec(line);
    if (!m || rules.ignores(m[1]!)) return false;
    const text = m[3]!;
    const hit = MARKER.exec(text);
    if (!hit) return false;
    // Inside a run of base64/hex (an integrity hash, a key) it is a coincidence, not a note.
    if (/[A-Za-z0-9+/=]/.test(text.charAt(hit.index - 1))) return false;
    // Inside a string literal (a test fixture, a pattern, a message) it is data, not a note.
    const quotes = text.slice(0, hit.index).match(/['"`]/g)?.length ?? 0;
    return quotes % 2 === 0;
  });
}
