/**
 * Rubrics as data sets and configs give them; the plain checks themselves are
 * in contracts/judge.ts (the offline model reads them too).
 */
import type { Rubric } from '../../contracts/judge.js';

export { plainCheckOf, type PlainCheck, type Rubric } from '../../contracts/judge.js';

/** A rubric as a data set or config gives it: a list of texts, or one text with one criterion per line. */
export function rubricFrom(value: unknown): Rubric | null {
  const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split('\n') : null;
  if (!list) return null;
  const out = list
    .filter((c): c is string => typeof c === 'string')
    .map((c) => c.trim().replace(/^[-*]\s+|^\d+[.)]\s+/, ''))
    .filter(Boolean);
  return out.length ? out : null;
}

/** The rubric an `expected` answer implies when an example brings no rubric of its own. */
export function rubricFromExpected(expected: string): Rubric {
  return ['run completed', `answer contains "${expected.replace(/"/g, "'")}"`];
}

export function renderRubric(rubric: Rubric): string {
  return rubric.map((c, i) => `${i + 1}. ${c}`).join('\n');
}
