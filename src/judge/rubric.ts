/**
 * Rubrics: a list of criteria in plain words. A criterion may also be a plain
 * check the code can gather evidence for (and the offline judge can settle):
 *   file PATH exists            file PATH contains "TEXT"
 *   answer contains "TEXT"      run completed
 * (PATH may be in backticks; "the" in front and case do not matter.) Other
 * criteria are for a real judge model to weigh.
 */

export type PlainCheck =
  | { kind: 'file_exists'; path: string }
  | { kind: 'file_contains'; path: string; text: string }
  | { kind: 'answer_contains'; text: string }
  | { kind: 'completed' };

export type Rubric = string[];

const PATH = '`?([\\w./-]+)`?';
const QUOTED = '"([^"]+)"';
const FILE_EXISTS = new RegExp(`^(?:the )?file ${PATH} exists\\.?$`, 'i');
const FILE_CONTAINS = new RegExp(`^(?:the )?file ${PATH} (?:contains|mentions) ${QUOTED}\\.?$`, 'i');
const ANSWER_CONTAINS = new RegExp(`^(?:the )?answer (?:contains|mentions) ${QUOTED}\\.?$`, 'i');
const COMPLETED = /^(?:the )?run (?:completed|completes)\.?$/i;

export function plainCheckOf(criterion: string): PlainCheck | null {
  const c = criterion.trim();
  let m = FILE_EXISTS.exec(c);
  if (m) return { kind: 'file_exists', path: m[1]! };
  m = FILE_CONTAINS.exec(c);
  if (m) return { kind: 'file_contains', path: m[1]!, text: m[2]! };
  m = ANSWER_CONTAINS.exec(c);
  if (m) return { kind: 'answer_contains', text: m[1]! };
  if (COMPLETED.test(c)) return { kind: 'completed' };
  return null;
}

/** A rubric as a data set or config gives it: a list of texts, or one text with one criterion per line. */
export function rubricFrom(value: unknown): Rubric | null {
  const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split('\n') : null;
  if (!list) return null;
  const out = list.filter((c): c is string => typeof c === 'string').map((c) => c.trim().replace(/^[-*]\s+|^\d+[.)]\s+/, '')).filter(Boolean);
  return out.length ? out : null;
}

/** The rubric an `expected` answer implies when an example brings no rubric of its own. */
export function rubricFromExpected(expected: string): Rubric {
  return ['run completed', `answer contains "${expected.replace(/"/g, "'")}"`];
}

export function renderRubric(rubric: Rubric): string {
  return rubric.map((c, i) => `${i + 1}. ${c}`).join('\n');
}
