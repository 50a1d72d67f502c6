/**
 * Instance, objective and hybrid frontiers. The Pareto frontier is kept over
 * a vector of scores per candidate: one per validation instance (the paper's
 * instance frontier), one per objective (the mean of each named objective
 * score the adapter reports; a candidate best on some objective stays in
 * play), or both at once (hybrid). The frontier's dimensions are fixed by the
 * first candidate (the seed), so every candidate's vector lines up.
 */
import type { FrontierType } from './settings.js';
import type { EvalRecord } from './types.js';
import { AppError } from '../errors.js';

/** Bad input (exit 2): the chosen frontier needs objective scores the adapter does not give. */
export class FrontierTypeError extends AppError {
  readonly category = 'input';
}

/** Mean per objective over the records (an objective missing from a record counts 0 there). */
export function objectiveMeans(records: readonly EvalRecord[]): Record<string, number> {
  const names = [...new Set(records.flatMap((r) => Object.keys(r.objectiveScores ?? {})))].sort();
  return Object.fromEntries(names.map((n) => [n, records.reduce((a, r) => a + (r.objectiveScores?.[n] ?? 0), 0) / Math.max(1, records.length)]));
}

export function frontierKeys(type: FrontierType, valSize: number, objectives: Record<string, number>): string[] {
  const instances = Array.from({ length: valSize }, (_, i) => `i:${i}`);
  const names = Object.keys(objectives).map((n) => `o:${n}`);
  if (type !== 'instance' && !names.length) {
    throw new FrontierTypeError(
      `frontier_type "${type}" needs objective scores, but the adapter returned none for the seed candidate (use frontier_type "instance", or a metric that returns objective scores)`,
    );
  }
  return type === 'instance' ? instances : type === 'objective' ? names : [...instances, ...names];
}

/** A candidate's scores along the frontier's keys. */
export function frontierVector(keys: readonly string[], valScores: readonly number[], objectives: Record<string, number>): number[] {
  return keys.map((k) => (k.startsWith('i:') ? valScores[Number(k.slice(2))]! : (objectives[k.slice(2)] ?? 0)));
}
