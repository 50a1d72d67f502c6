/**
 * Scoring, one concept. A `Scorer` scores one output and answers a `ScoreValue`; one
 * normaliser (`toScoreResult`) turns that into the one `ScoreResult` every adapter reads
 * (default, agent team, AIME goals). Two argument lists are kept for the functions and
 * modules users already have: (example, output) for `--metric` and the default adapter
 * (`MetricArgs`), (input, output, expected, example) for `--scorer`, agent teams and AIME
 * goals (`TeamScorerArgs`). One loader (`loadScorer`) serves both: a module's default
 * export, the default export's `score` method, or a named `score` export.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { AppError, errorMessage } from '../../contracts/errors.js';
import { hashText } from '../../contracts/gepa/hash.js';
import type { TeamExample } from '../../contracts/teams/types.js';
import type { DefaultExample } from './dataset.js';

/** What a scorer may say besides the score: feedback, per-dimension scores, guidance, anything else. */
export interface ScoreMetadata {
  feedback?: string;
  dimension_scores?: Record<string, number>;
  actionable_guidance?: string;
  [key: string]: unknown;
}

/** What a scorer may return: a score, a score with metadata, or a [score, metadata] pair (as in the seed). */
export type ScoreValue = number | ({ score: number } & ScoreMetadata) | [number, ScoreMetadata?];

/** The one result shape: the score, the feedback reflection reads (never empty of meaning), and the rest the scorer said. */
export interface ScoreResult {
  score: number;
  feedback: string;
  metadata: ScoreMetadata | null;
}

/** Scores one output; `A` is its argument list (`MetricArgs` or `TeamScorerArgs`). */
export type Scorer<A extends unknown[] = MetricArgs> = (...args: A) => ScoreValue | Promise<ScoreValue>;
/** `--metric` and the default adapter: the example and the task model's output. */
export type MetricArgs<E = DefaultExample> = [example: E, output: string];
/** `--scorer`, agent teams and AIME goals: the input, the output, the expected output, the whole example. */
export type TeamScorerArgs = [input: string, output: string, expected: string | undefined, example: TeamExample];

/** A scorer that cannot serve: bad input (exit 2), naming the module or function. */
export class ScorerError extends AppError {
  readonly category = 'input';
}

/** Feedback for a value that brings none (`bare`: a plain number). */
export type FeedbackFallback = (score: number, bare: boolean) => string;
const plainFeedback: FeedbackFallback = (score) => `The output scored ${score}.`;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function metadataOf(v: Record<string, unknown>): ScoreMetadata | null {
  const { score: _score, ...rest } = v;
  const meta: ScoreMetadata = {};
  for (const [k, x] of Object.entries(rest)) if (x !== undefined) meta[k] = x;
  if (meta.feedback !== undefined && typeof meta.feedback !== 'string') meta.feedback = JSON.stringify(meta.feedback);
  return Object.keys(meta).length ? meta : null;
}

function withMetadata(score: number, metadata: ScoreMetadata | null, fallback: FeedbackFallback): ScoreResult {
  return { score, feedback: typeof metadata?.feedback === 'string' ? metadata.feedback : fallback(score, false), metadata };
}

/** The one normaliser: any scorer's answer as a ScoreResult; anything else is a ScorerError naming `source`. */
export function toScoreResult(value: unknown, source: string, fallback: FeedbackFallback = plainFeedback): ScoreResult {
  if (typeof value === 'number' && Number.isFinite(value)) return { score: value, feedback: fallback(value, true), metadata: null };
  if (Array.isArray(value) && typeof value[0] === 'number' && Number.isFinite(value[0])) {
    return withMetadata(value[0], isObject(value[1]) ? metadataOf(value[1]) : null, fallback);
  }
  if (isObject(value) && typeof value['score'] === 'number' && Number.isFinite(value['score']))
    return withMetadata(value['score'], metadataOf(value), fallback);
  throw new ScorerError(
    `${source} must return a finite number, {score, feedback?, dimension_scores?, actionable_guidance?} or [score, metadata]; it returned ${JSON.stringify(value) ?? String(value)}`,
  );
}

/** How each argument list is named in messages. */
const CONVENTIONS = {
  metric: '(example, output) => number | {score, feedback}',
  scorer: '(input, output, expected, example) => score | {score, feedback, ...}',
} as const;

/**
 * The one loader of scoring modules (paths relative to the working directory). `kind` picks
 * the argument list: 'metric' (MetricArgs) or 'scorer' (TeamScorerArgs). The loaded scorer
 * names its module when it throws or returns something no ScoreResult can be made of.
 */
export async function loadScorer(modulePath: string, kind: 'metric'): Promise<Scorer<MetricArgs>>;
export async function loadScorer(modulePath: string, kind: 'scorer'): Promise<Scorer<TeamScorerArgs>>;
export async function loadScorer(modulePath: string, kind: keyof typeof CONVENTIONS): Promise<Scorer<unknown[]>> {
  const fn = await importScoreFunction(modulePath, kind, CONVENTIONS[kind]);
  const source = `the ${kind} in ${modulePath}`;
  return async (...args: unknown[]) => {
    let value: unknown;
    try {
      value = await fn(...args);
    } catch (err) {
      throw new ScorerError(`${source} threw: ${errorMessage(err)}`);
    }
    toScoreResult(value, source); // checked here, where the module can be named
    return value as ScoreValue;
  };
}

/** A scoring module's identity for cache keys: its absolute path and a hash of its text (an edit changes it). */
export async function scorerIdentity(modulePath: string): Promise<string> {
  const abs = path.resolve(modulePath);
  let text: string;
  try {
    text = await fsp.readFile(abs, 'utf8');
  } catch (err) {
    throw new ScorerError(`cannot read the module ${modulePath}: ${errorMessage(err)}`);
  }
  return `module:${abs}#${hashText(text)}`;
}

async function importScoreFunction(modulePath: string, kind: string, signature: string): Promise<(...args: unknown[]) => unknown> {
  const abs = path.resolve(modulePath);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
  } catch (err) {
    throw new ScorerError(`cannot load the ${kind} module ${modulePath}: ${errorMessage(err)}`);
  }
  const d = mod['default'];
  const isObj = d !== null && typeof d === 'object';
  if (typeof d === 'function') return d as (...args: unknown[]) => unknown;
  if (isObj && typeof (d as Record<string, unknown>)['score'] === 'function') {
    const method = (d as Record<string, (...args: unknown[]) => unknown>)['score']!;
    return method.bind(d);
  }
  if (typeof mod['score'] === 'function') return mod['score'] as (...args: unknown[]) => unknown;
  const found = d === undefined ? 'it has no default export' : `its default export is ${typeof d}`;
  throw new ScorerError(
    `the ${kind} module ${modulePath} must export a function ${signature}: as its default export, as the default export's score method, or as "score"; ${found}`,
  );
}
