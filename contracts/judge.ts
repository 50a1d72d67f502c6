/**
 * The judge's shared contract: the names of its structured-output schemas
 * (the offline model answers by them) and the rubric's plain checks. A
 * rubric is a list of criteria in plain words; a criterion may also be a
 * plain check the code can gather evidence for (and the offline judge can settle):
 *   file PATH exists            file PATH contains "TEXT"
 *   answer contains "TEXT"      run completed
 * (PATH may be in backticks; "the" in front and case do not matter.) Other
 * criteria are for a real judge model to weigh.
 */

export const VERDICT_SCHEMA_NAME = 'judge_verdict';
export const RUBRIC_SCHEMA_NAME = 'judge_rubric';
export const GENERATOR_SCHEMA_NAME = 'generated_goals';
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
