/**
 * Scoring a team's primary output: a `Scorer<TeamScorerArgs>` (src/gepa/scorer.ts, the one
 * scoring concept) when the team or `--scorer` names one. Without a scorer, the output must
 * equal the example's `expected` exactly (no expected: 0).
 */
import type { ScoreResult } from '../gepa/scorer.js';

/** The fallback: exact match against `expected`. The feedback is ours (the seed has none): reflection needs words. */
export function exactMatch(output: string, expected: string | undefined): ScoreResult {
  const result = (score: number, feedback: string): ScoreResult => ({ score, feedback, metadata: { feedback } });
  if (expected === undefined) return result(0, 'The example has no expected output, so the output cannot be judged (score 0).');
  if (output === expected) return result(1, 'The output equals the expected output.');
  return result(0, `The output must be exactly ${JSON.stringify(expected)}; it was ${JSON.stringify(output.slice(0, 500))}.`);
}
