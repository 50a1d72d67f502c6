/**
 * The run directory of an optimisation:
 *
 *   state.json        the whole run state after the last finished iteration (atomic: temp + rename)
 *   iterations.jsonl  one line per iteration: what was tried, the scores, accepted or not
 *   result.json       the final result, when the run ends
 *
 * Each iteration appends its line first, then replaces state.json. A crash in
 * between leaves a line for an iteration the state does not contain; resume
 * drops such lines (and a torn last line) before continuing, so the file ends
 * up exactly as an uninterrupted run would have written it.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { readJsonl, writeFileAtomic } from '../util/jsonl.js';
import type { GepaRunState, IterationRecord } from './types.js';
import { AppError } from '../../contracts/errors.js';

export const STATE_FILE = 'state.json';
export const ITERATIONS_FILE = 'iterations.jsonl';
export const RESULT_FILE = 'result.json';
const FORMAT = 'gepa-aime/gepa-run-state';

/** A line of iterations.jsonl: the iteration's record plus the run's wall time when it was saved. */
export type IterationLine = IterationRecord & { elapsed_s: number };

export interface SavedRun {
  state: GepaRunState;
  /** Wall time of all sessions so far, for wall_s and max_wall_s across resumes. */
  wallMs: number;
}

export class RunDirError extends AppError {
  readonly category = 'input';
  constructor(message: string) {
    super(message);
  }
}

export async function ensureRunDir(dir: string): Promise<void> {
  await fsp.mkdir(dir, { recursive: true });
}

export async function loadRun(dir: string): Promise<SavedRun | null> {
  const file = path.join(dir, STATE_FILE);
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new RunDirError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let saved: { format?: unknown; wall_ms?: unknown; state?: Partial<GepaRunState> };
  try {
    saved = JSON.parse(text);
  } catch (err) {
    throw new RunDirError(`${file} is not valid JSON (${(err as Error).message}); it was not written by this version, or was edited`);
  }
  const s = saved?.state;
  const ok =
    saved?.format === FORMAT &&
    s?.version === 1 &&
    Array.isArray(s.candidates) &&
    Array.isArray(s.exampleIds?.train) &&
    Array.isArray(s.exampleIds?.val) &&
    typeof s.metricCalls === 'number' &&
    typeof s.iteration === 'number' &&
    typeof s.rng === 'number' &&
    typeof s.cache === 'object';
  if (!ok) throw new RunDirError(`${file} is not a GEPA run state this version can resume (expected format "${FORMAT}", version 1)`);
  return { state: s as GepaRunState, wallMs: typeof saved.wall_ms === 'number' ? saved.wall_ms : 0 };
}

export async function saveRun(dir: string, run: SavedRun): Promise<void> {
  await writeFileAtomic(path.join(dir, STATE_FILE), `${JSON.stringify({ format: FORMAT, wall_ms: run.wallMs, state: run.state })}\n`);
}

export async function appendIteration(dir: string, record: IterationLine): Promise<void> {
  await fsp.appendFile(path.join(dir, ITERATIONS_FILE), `${JSON.stringify(record)}\n`);
}

export async function readIterations(dir: string): Promise<IterationLine[]> {
  return (await readJsonl<IterationLine>(path.join(dir, ITERATIONS_FILE))).records;
}

/** Keep only the lines of iterations the saved state contains (none for a fresh run). */
export async function trimIterations(dir: string, upTo: number | null): Promise<void> {
  const file = path.join(dir, ITERATIONS_FILE);
  const kept = upTo === null ? [] : (await readIterations(dir)).filter((r) => r.iteration <= upTo);
  await writeFileAtomic(file, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
}

export async function writeResult(dir: string, json: unknown): Promise<void> {
  await writeFileAtomic(path.join(dir, RESULT_FILE), `${JSON.stringify(json, null, 2)}\n`);
}
