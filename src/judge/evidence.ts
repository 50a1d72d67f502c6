/**
 * Workspace evidence for a rubric's file checks, gathered by code before the
 * judge is asked (a judge model cannot see the workspace). Paths come from
 * rubrics a model may have written, so they go through the workspace sandbox
 * and the protected-path rules like any tool's, and reads are bounded.
 */
import { createProtectedPaths, type ProtectedPaths } from '../tools/protectedPaths.js';
import { realpath } from 'node:fs/promises';
import { openForRead } from '../tools/fileAccess.js';
import { SandboxError } from '../tools/sandbox.js';
import { plainCheckOf, type Rubric } from './rubric.js';

export interface FileEvidence {
  path: string;
  /** exists | missing | refused (sandbox or protected path) | not a file */
  state: 'exists' | 'missing' | 'refused' | 'not-a-file';
  bytes: number;
  /** The file's first bytes as text (bounded). */
  excerpt: string;
  /** For `contains` checks: the 1-based line of the first case-insensitive match, or null. */
  searches: { text: string; line: number | null }[];
  note?: string;
}

export interface EvidenceOptions {
  workspace: string | null;
  protectedPaths?: ProtectedPaths;
  /** Bytes of each file shown to the judge. */
  excerptBytes?: number;
  /** Bytes of each file searched. */
  maxBytes?: number;
}

const MAX_FILES = 20;

export async function gatherEvidence(rubric: Rubric, o: EvidenceOptions): Promise<FileEvidence[]> {
  if (!o.workspace) return [];
  const workspace = await realpath(o.workspace).catch(() => o.workspace!);
  const byPath = new Map<string, string[]>();
  for (const c of rubric) {
    const check = plainCheckOf(c);
    if (check?.kind !== 'file_exists' && check?.kind !== 'file_contains') continue;
    const texts = byPath.get(check.path) ?? [];
    if (check.kind === 'file_contains') texts.push(check.text);
    byPath.set(check.path, texts);
  }
  const guard = o.protectedPaths ?? createProtectedPaths({ workspace });
  const out: FileEvidence[] = [];
  for (const [rel, texts] of [...byPath].slice(0, MAX_FILES)) out.push(await fileEvidence(workspace, rel, texts, guard, o));
  return out;
}

async function fileEvidence(workspace: string, rel: string, texts: string[], guard: ProtectedPaths, o: EvidenceOptions): Promise<FileEvidence> {
  const base = { path: rel, bytes: 0, excerpt: '', searches: texts.map((text) => ({ text, line: null })) };
  // The tools' own contained open: O_NOFOLLOW, the descriptor re-checked, hard links and protected paths refused.
  let opened: Awaited<ReturnType<typeof openForRead>>;
  try {
    opened = await openForRead({ workspace, protectedPaths: guard }, rel, rel);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return { ...base, state: 'missing' };
    if (err instanceof SandboxError) return { ...base, state: 'refused', note: err.message };
    return { ...base, state: 'refused', note: `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
  }
  if (!('handle' in opened)) return { ...base, state: 'not-a-file' };
  const maxBytes = o.maxBytes ?? 1024 * 1024;
  let text: string;
  try {
    const buf = Buffer.alloc(Math.min(opened.size, maxBytes));
    const { bytesRead } = await opened.handle.read(buf, 0, buf.length, 0);
    text = buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await opened.handle.close();
  }
  const lower = text.toLowerCase();
  const searches = texts.map((t) => {
    const at = lower.indexOf(t.toLowerCase());
    return { text: t, line: at < 0 ? null : text.slice(0, at).split('\n').length };
  });
  return {
    path: rel,
    state: 'exists',
    bytes: opened.size,
    excerpt: text.slice(0, o.excerptBytes ?? 3000),
    searches,
    ...(opened.size > maxBytes ? { note: `only the first ${maxBytes} bytes were searched` } : {}),
  };
}

/**
 * The checks part of the evidence (code-written lines the offline judge reads
 * back). It goes into the prompt before anything a model wrote, so file text
 * cannot forge it; the excerpts come last (renderExcerpts).
 */
export function renderChecks(evidence: FileEvidence[]): string {
  if (!evidence.length) return '(no file checks in the rubric, or no workspace)';
  return evidence
    .flatMap((e) => {
      const head =
        e.state === 'exists'
          ? `file ${e.path}: exists, ${e.bytes} bytes`
          : e.state === 'missing'
            ? `file ${e.path}: missing`
            : `file ${e.path}: ${e.state}${e.note ? ` (${e.note})` : ''}`;
      const searches = e.searches.map(
        (s) => `search "${s.text}" in ${e.path}: ${e.state !== 'exists' ? 'not searched' : s.line === null ? 'not found' : `found at line ${s.line}`}`,
      );
      return [head, ...searches];
    })
    .join('\n');
}

export function renderExcerpts(evidence: FileEvidence[]): string {
  const shown = evidence.filter((e) => e.state === 'exists' && e.excerpt);
  if (!shown.length) return '(none)';
  // The whole section is bounded too, so twenty large files cannot crowd out the rest of the prompt.
  let budget = MAX_EXCERPTS_CHARS;
  const parts: string[] = [];
  for (const e of shown) {
    const text = e.excerpt.slice(0, Math.max(0, budget));
    budget -= text.length;
    if (!text) break;
    parts.push(`--- ${e.path} (first ${text.length} characters) ---\n${text}`);
  }
  return parts.join('\n\n');
}

const MAX_EXCERPTS_CHARS = 16000;
