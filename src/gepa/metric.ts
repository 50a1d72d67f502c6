/**
 * Metrics for the default adapter: the built-in "answer is contained in the
 * output" check, and custom metrics loaded from a module whose default export
 * is `(example, output) => number | {score, feedback}` (sync or async).
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { errorMessage, AppError } from '../../contracts/errors.js';
import type { DefaultExample } from './dataset.js';
import { hashText } from '../../contracts/gepa/hash.js';
import { importScoreFunction } from './scoreModule.js';

/** A score with the feedback the reflection model reads. */
export interface MetricResult {
  score: number;
  feedback: string;
}

/** What a metric may return: a score, or a score with feedback. */
export type MetricValue = number | { score: number; feedback?: string };
/** Scores one output of the task model against its example. */
export type Metric<E = DefaultExample> = (example: E, output: string) => MetricValue | Promise<MetricValue>;

export class MetricError extends AppError {
  readonly category = 'input';
  constructor(message: string) {
    super(message);
  }
}

function contextLines(example: DefaultExample): string {
  return Object.entries(example.additional_context ?? {})
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');
}

/** Score 1 when the expected answer appears in the output (case-insensitive, trimmed), else 0. */
export function containsAnswer(example: DefaultExample, output: string): MetricResult {
  const answer = example.answer.trim();
  if (output.toLowerCase().includes(answer.toLowerCase())) {
    return { score: 1, feedback: `The response is correct: it contains the expected answer '${answer}'.` };
  }
  const ctx = contextLines(example);
  return {
    score: 0,
    feedback:
      `The response is incorrect. The correct answer is '${answer}'. Make sure the response contains the correct answer exactly as written.` +
      (ctx ? ` Here is some additional context that may help:\n${ctx}` : ''),
  };
}

/** A bare number gets feedback built from the example, so reflection still learns the expected answer. */
export function normalizeMetricValue(value: unknown, example: DefaultExample, source: string): MetricResult {
  if (typeof value === 'number' && Number.isFinite(value)) {
    const ctx = contextLines(example);
    return { score: value, feedback: `The response scored ${value}. The expected answer is '${example.answer}'.${ctx ? `\n${ctx}` : ''}` };
  }
  if (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { score?: unknown }).score === 'number' &&
    Number.isFinite((value as { score: number }).score)
  ) {
    const v = value as { score: number; feedback?: unknown };
    return { score: v.score, feedback: typeof v.feedback === 'string' ? v.feedback : `The response scored ${v.score}.` };
  }
  throw new MetricError(`${source} must return a finite number or {score: number, feedback?: string}; it returned ${JSON.stringify(value) ?? String(value)}`);
}

/** The metric's identity for the cache key: its absolute path and a hash of its text (an edit changes it). */
export async function metricIdentity(modulePath: string): Promise<string> {
  const abs = path.resolve(modulePath);
  let text: string;
  try {
    text = await fsp.readFile(abs, 'utf8');
  } catch (err) {
    throw new MetricError(`cannot read the metric module ${modulePath}: ${errorMessage(err)}`);
  }
  return `module:${abs}#${hashText(text)}`;
}

/** Load a metric module (see scoreModule.ts), called as (example, output); paths are relative to the working directory. */
export async function loadMetric(modulePath: string): Promise<(example: DefaultExample, output: string) => Promise<MetricResult>> {
  const fn = await importScoreFunction(modulePath, 'metric', '(example, output) => number | {score, feedback}', MetricError);
  const source = `the metric in ${modulePath}`;
  return async (example, output) => {
    let value: unknown;
    try {
      value = await (fn as Metric)(example, output);
    } catch (err) {
      throw new MetricError(`${source} threw: ${errorMessage(err)}`);
    }
    return normalizeMetricValue(value, example, source);
  };
}
