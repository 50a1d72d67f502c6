/**
 * Calibration: run the judge on examples that carry a known score and measure
 * agreement — accuracy within a tolerance, Spearman rank correlation (ties
 * get average ranks), mean absolute error — so a user can see whether a judge
 * prompt deserves trust before optimizing against it.
 *
 * A labelled example is one JSON line:
 *   {"input": goal, "answer": the run's answer, "label": 0..1, "status"?: "completed",
 *    "rubric"?: [...], "expected"?: text, "trajectory"?: text, "workspace"?: dir (relative to the file)}
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { AppError } from '../../contracts/errors.js';
import { parseJsonl } from '../util/jsonl.js';
import { judgeRun, type JudgeScoring } from './scorers.js';

export class LabelledDataError extends AppError {
  readonly category = 'input';
}

const labelledSchema = z.looseObject({
  input: z.string().min(1, { error: 'a non-empty goal' }),
  answer: z.string({ error: 'the run answer (text)' }),
  label: z.number({ error: 'a known score from 0 to 1' }).min(0).max(1),
  status: z.string().optional(),
  rubric: z.union([z.array(z.string()), z.string()]).optional(),
  expected: z.string().optional(),
  trajectory: z.string().optional(),
  workspace: z.string().optional(),
});
export type LabelledExample = z.output<typeof labelledSchema>;

export async function loadLabelled(file: string): Promise<LabelledExample[]> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    throw new LabelledDataError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let records: unknown[];
  try {
    records = parseJsonl(text, file).records;
  } catch (err) {
    throw new LabelledDataError((err as Error).message);
  }
  const lineOf = lineNumbers(text);
  const dir = path.dirname(path.resolve(file));
  const out: LabelledExample[] = [];
  records.forEach((r, i) => {
    const parsed = labelledSchema.safeParse(r);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new LabelledDataError(`${file}:${lineOf[i]}: ${issue.path.join('.') || '(record)'}: ${issue.message}`);
    }
    const e = parsed.data;
    out.push(e.workspace ? { ...e, workspace: path.resolve(dir, e.workspace) } : e);
  });
  if (!out.length) throw new LabelledDataError(`${file}: no labelled examples`);
  return out;
}

/** The 1-based line of each non-blank line, in order. */
function lineNumbers(text: string): number[] {
  const out: number[] = [];
  text.split('\n').forEach((l, i) => {
    if (l.trim()) out.push(i + 1);
  });
  return out;
}

export interface CheckRow {
  input: string;
  label: number;
  score: number;
  feedback: string;
  agrees: boolean;
}

export interface CheckResult {
  rows: CheckRow[];
  n: number;
  tolerance: number;
  accuracy: number;
  spearman: number | null;
  meanAbsError: number;
  judge: string;
}

export async function checkJudge(s: JudgeScoring, examples: LabelledExample[], tolerance: number, signal?: AbortSignal): Promise<CheckResult> {
  const rows: CheckRow[] = [];
  for (const e of examples) {
    const r = await judgeRun(
      s,
      e,
      { status: e.status ?? 'completed', answer: e.answer },
      { ...(e.trajectory ? { trajectory: e.trajectory } : {}), workspace: e.workspace ?? null, ...(signal ? { signal } : {}) },
    );
    rows.push({
      input: e.input,
      label: e.label,
      score: r.score,
      feedback: r.feedback,
      agrees: Math.abs(r.score - e.label) <= tolerance + 1e-9,
    });
  }
  return {
    rows,
    n: rows.length,
    tolerance,
    accuracy: rows.filter((r) => r.agrees).length / rows.length,
    spearman: spearman(
      rows.map((r) => r.score),
      rows.map((r) => r.label),
    ),
    meanAbsError: rows.reduce((a, r) => a + Math.abs(r.score - r.label), 0) / rows.length,
    judge: s.judge.identity,
  };
}

/** Average ranks (1-based), ties sharing the mean of their positions. */
export function ranks(xs: readonly number[]): number[] {
  const order = xs.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(xs.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) out[order[k]![1]] = r;
    i = j + 1;
  }
  return out;
}

/** Spearman's rho as the Pearson correlation of average ranks; null when either side is constant (undefined). */
export function spearman(a: readonly number[], b: readonly number[]): number | null {
  if (a.length !== b.length || a.length < 2) return null;
  const ra = ranks(a);
  const rb = ranks(b);
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const ma = mean(ra);
  const mb = mean(rb);
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < ra.length; i++) {
    num += (ra[i]! - ma) * (rb[i]! - mb);
    da += (ra[i]! - ma) ** 2;
    db += (rb[i]! - mb) ** 2;
  }
  if (da === 0 || db === 0) return null;
  return num / Math.sqrt(da * db);
}
