/**
 * Scoring a team's primary output. A scorer returns a score, or a score with
 * metadata (feedback text, per-dimension scores, actionable guidance) that
 * reflection reads; a [score, metadata] pair is accepted too, as in the seed.
 * Without a scorer, the output must equal the example's `expected` exactly
 * (no expected: 0).
 */
import { AppError } from '../../contracts/errors.js';
import { importScoreFunction } from '../gepa/scoreModule.js';

export interface ScoreMetadata {
  feedback?: string;
  dimension_scores?: Record<string, number>;
  actionable_guidance?: string;
  [key: string]: unknown;
}

/** A team scorer's answer: a score with optional feedback, per-dimension scores and guidance. */
export interface ScoreResult {
  score: number;
  metadata: ScoreMetadata | null;
}

/** One example of a team data set: the input and the expected output. */
export interface TeamExample {
  input: string;
  expected?: string;
  /** Other fields stay for scorers. */
  [key: string]: unknown;
}

export type ScorerValue = number | ({ score: number } & ScoreMetadata) | [number, ScoreMetadata?];
/** Scores a team's primary output for one example. */
export type Scorer = (input: string, output: string, expected: string | undefined, example: TeamExample) => ScorerValue | Promise<ScorerValue>;

export class ScorerError extends AppError {
  readonly category = 'input';
  constructor(message: string) {
    super(message);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function metadataOf(v: Record<string, unknown>): ScoreMetadata | null {
  const { score: _score, ...rest } = v;
  const meta: ScoreMetadata = {};
  for (const [k, x] of Object.entries(rest)) if (x !== undefined) meta[k] = x;
  if (meta.feedback !== undefined && typeof meta.feedback !== 'string') meta.feedback = JSON.stringify(meta.feedback);
  return Object.keys(meta).length ? meta : null;
}

export function normalizeScore(value: unknown, source: string): ScoreResult {
  if (typeof value === 'number' && Number.isFinite(value)) return { score: value, metadata: null };
  if (Array.isArray(value) && typeof value[0] === 'number' && Number.isFinite(value[0])) {
    return { score: value[0], metadata: isObject(value[1]) ? metadataOf(value[1]) : null };
  }
  if (isObject(value) && typeof value['score'] === 'number' && Number.isFinite(value['score'])) {
    return { score: value['score'], metadata: metadataOf(value) };
  }
  throw new ScorerError(
    `${source} must return a finite number, {score, feedback?, dimension_scores?, actionable_guidance?} or [score, metadata]; it returned ${JSON.stringify(value) ?? String(value)}`,
  );
}

/** The fallback: exact match against `expected`. The feedback is ours (the seed has none): reflection needs words. */
export function exactMatch(output: string, expected: string | undefined): ScoreResult {
  if (expected === undefined) return { score: 0, metadata: { feedback: 'The example has no expected output, so the output cannot be judged (score 0).' } };
  if (output === expected) return { score: 1, metadata: { feedback: 'The output equals the expected output.' } };
  return { score: 0, metadata: { feedback: `The output must be exactly ${JSON.stringify(expected)}; it was ${JSON.stringify(output.slice(0, 500))}.` } };
}

/**
 * A scorer module: its default export (a function, or an object with a
 * `score` method) or a named `score` export, called as
 * (input, output, expected, example).
 */
export async function loadScorer(modulePath: string): Promise<Scorer> {
  return (await importScoreFunction(modulePath, 'scorer', '(input, output, expected, example) => score | {score, feedback, ...}', ScorerError)) as Scorer;
}
