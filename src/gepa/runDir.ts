/**
 * The run directory of an optimisation. Everything that grows is appended:
 *
 *   evals.jsonl       one line per metric call, in the order paid: content key, score, output, trace
 *   candidates.jsonl  one line per candidate added to the pool (texts, parents, validation scores)
 *   iterations.jsonl  one line per iteration: what was tried, the scores, accepted or not
 *   state.json        the small mutable rest (PRNG, sampler, counters, merge bookkeeping,
 *                     round-robin pointers; no cache, no candidates): replaced atomically
 *   result.json       the final result, when the run ends
 *
 * Each iteration appends its evaluations, candidates and line first, then
 * replaces state.json. A crash in between leaves lines the state does not
 * cover; resume truncates them away (and a torn last line), so the files end
 * up exactly as an uninterrupted run would have written them. The frontier is
 * not stored: it is rebuilt from the candidates' validation scores.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { parseJsonl, writeFileAtomic } from '../util/jsonl.js';
import { frontierVector } from '../../contracts/gepa/frontierType.js';
import { addToFrontier, emptyFrontier } from '../../contracts/gepa/pareto.js';
import type { EvalOutput } from '../../contracts/gepa/state.js';
import type { CandidateRecord, EvalRecord, GepaRunState, IterationRecord } from '../../contracts/gepa/types.js';
import { AppError } from '../../contracts/errors.js';

export const STATE_FILE = 'state.json';
export const ITERATIONS_FILE = 'iterations.jsonl';
export const EVALS_FILE = 'evals.jsonl';
export const CANDIDATES_FILE = 'candidates.jsonl';
export const RESULT_FILE = 'result.json';
const FORMAT = 'gepa-aime/gepa-run-state';
const VERSION = 2;

/** A line of iterations.jsonl: the iteration's record plus the run's wall time when it was saved. */
export type IterationLine = IterationRecord & { elapsed_s: number };

/** A line of evals.jsonl. `key` is the result's content key: score identity, candidate and example. */
export interface EvalLine {
  n: number;
  key: string;
  candidate: string;
  example: string;
  record: EvalRecord;
}

type StoredCandidate = Omit<CandidateRecord, 'rrNext'>;

/** state.json's `state`: the run state without what the jsonl files hold. */
type StoredState = Omit<GepaRunState, 'cache' | 'candidates' | 'frontier'> & { candidateCount: number; rrNext: number[] };

export interface SavedRun {
  state: GepaRunState;
  /** Wall time of all sessions so far, for wall_s and max_wall_s across resumes. */
  wallMs: number;
}

export class RunDirError extends AppError {
  readonly category = 'input';
}

export async function ensureRunDir(dir: string): Promise<void> {
  await fsp.mkdir(dir, { recursive: true });
}

export const contentKey = (scoreKey: string, candidateHash: string, exampleId: string): string => `${scoreKey}:${candidateHash}:${exampleId}`;

async function readText(file: string): Promise<string | null> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new RunDirError(`cannot read ${file}: ${(err as Error).message}`);
  }
}

/**
 * The first `count` records of a JSONL file; lines past them (a crash after
 * appending, before state.json was replaced) are cut off the file.
 */
async function keepFirst<T>(file: string, count: number, what: string): Promise<T[]> {
  const text = (await readText(file)) ?? '';
  let records: T[];
  try {
    records = parseJsonl<T>(text, file).records;
  } catch (err) {
    throw new RunDirError((err as Error).message);
  }
  if (records.length < count) throw new RunDirError(`${file} holds ${records.length} ${what}, but state.json says ${count}: the run directory is incomplete`);
  if (records.length > count || !text.endsWith('\n')) {
    let bytes = 0;
    let lines = 0;
    for (const line of text.split('\n')) {
      if (lines === count) break;
      bytes += Buffer.byteLength(line, 'utf8') + 1;
      if (line.trim()) lines++;
    }
    await fsp.truncate(file, Math.min(bytes, Buffer.byteLength(text, 'utf8')));
  }
  return records.slice(0, count);
}

export async function loadRun(dir: string): Promise<SavedRun | null> {
  const file = path.join(dir, STATE_FILE);
  const text = await readText(file);
  if (text === null) return null;
  let saved: { format?: unknown; wall_ms?: unknown; state?: Omit<Partial<StoredState>, 'version'> & { version?: unknown } };
  try {
    saved = JSON.parse(text);
  } catch (err) {
    throw new RunDirError(`${file} is not valid JSON (${(err as Error).message}); it was not written by this version, or was edited`);
  }
  const s = saved?.state;
  if (saved?.format === FORMAT && s?.version === 1) {
    throw new RunDirError(`${file} was written by an older version (format 1: the evaluation cache had no score identity); start a new --run-dir`);
  }
  const ok =
    saved?.format === FORMAT &&
    s?.version === VERSION &&
    typeof s.candidateCount === 'number' &&
    Array.isArray(s.rrNext) &&
    Array.isArray(s.exampleIds?.train) &&
    Array.isArray(s.exampleIds?.val) &&
    typeof s.metricCalls === 'number' &&
    typeof s.iteration === 'number' &&
    typeof s.rng === 'number' &&
    typeof s.scoreKey === 'string';
  if (!ok) throw new RunDirError(`${file} is not a GEPA run state this version can resume (expected format "${FORMAT}", version ${VERSION})`);
  const stored = s as StoredState;
  const [evals, candidates] = await Promise.all([
    keepFirst<EvalLine>(path.join(dir, EVALS_FILE), stored.metricCalls, 'evaluations'),
    keepFirst<StoredCandidate>(path.join(dir, CANDIDATES_FILE), stored.candidateCount, 'candidates'),
  ]);
  const cache: GepaRunState['cache'] = {};
  for (const e of evals) {
    cache[e.candidate] ??= {};
    cache[e.candidate]![e.example] = e.record;
  }
  let frontier = emptyFrontier();
  const keys = stored.frontierKeys;
  for (const c of candidates) frontier = addToFrontier(frontier, c.id, keys ? frontierVector(keys, c.valScores, c.objectiveScores ?? {}) : c.valScores);
  const { candidateCount: _n, rrNext, ...rest } = stored;
  const state: GepaRunState = { ...rest, cache, frontier, candidates: candidates.map((c, i) => ({ ...c, rrNext: rrNext[i] ?? 0 })) };
  return { state, wallMs: typeof saved.wall_ms === 'number' ? saved.wall_ms : 0 };
}

/**
 * Appends what an iteration added and replaces the small state file. Knows
 * how many candidates are on disk, so each is written once.
 */
export class RunDirWriter {
  constructor(
    readonly dir: string,
    private savedCandidates: number,
  ) {}

  async save(run: SavedRun, evaluations: readonly EvalOutput[], record: IterationLine): Promise<void> {
    const { state } = run;
    let n = state.metricCalls - evaluations.reduce((a, e) => a + e.entries.length, 0);
    const ids = state.exampleIds;
    const evalLines = evaluations.flatMap((e) =>
      e.entries.map(({ index, record: r }) => {
        const example = ids[e.split][index]!;
        return JSON.stringify({ n: ++n, key: contentKey(state.scoreKey, e.hash, example), candidate: e.hash, example, record: r } satisfies EvalLine);
      }),
    );
    if (evalLines.length) await fsp.appendFile(path.join(this.dir, EVALS_FILE), `${evalLines.join('\n')}\n`);
    const fresh = state.candidates.slice(this.savedCandidates).map(({ rrNext: _r, ...c }) => JSON.stringify(c));
    if (fresh.length) await fsp.appendFile(path.join(this.dir, CANDIDATES_FILE), `${fresh.join('\n')}\n`);
    await fsp.appendFile(path.join(this.dir, ITERATIONS_FILE), `${JSON.stringify(record)}\n`);
    const { cache: _c, candidates, frontier: _f, ...rest } = state;
    const stored: StoredState = { ...rest, candidateCount: candidates.length, rrNext: candidates.map((c) => c.rrNext) };
    await writeFileAtomic(path.join(this.dir, STATE_FILE), `${JSON.stringify({ format: FORMAT, wall_ms: run.wallMs, state: stored })}\n`);
    this.savedCandidates = candidates.length;
  }
}

export async function readIterations(dir: string): Promise<IterationLine[]> {
  const file = path.join(dir, ITERATIONS_FILE);
  const text = await readText(file);
  return text === null ? [] : parseJsonl<IterationLine>(text, file).records;
}

/** Keep only the lines of iterations the saved state contains (none for a fresh run). */
export async function trimIterations(dir: string, upTo: number | null): Promise<void> {
  const file = path.join(dir, ITERATIONS_FILE);
  if (upTo === null) {
    // A fresh run: nothing of an earlier attempt that never saved a state survives.
    await Promise.all([ITERATIONS_FILE, EVALS_FILE, CANDIDATES_FILE].map((f) => fsp.rm(path.join(dir, f), { force: true })));
    return;
  }
  const kept = (await readIterations(dir)).filter((r) => r.iteration <= upTo);
  await writeFileAtomic(file, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
}

export async function writeResult(dir: string, json: unknown): Promise<void> {
  await writeFileAtomic(path.join(dir, RESULT_FILE), `${JSON.stringify(json, null, 2)}\n`);
}
