/**
 * Champion and challenger: a proposed prompt does not go live unproven. While
 * a trial runs, a share of goals (`challenger_share`) runs the challenger and
 * the rest the champion, on the same stream of goals over the same period.
 * The stated rule, over the goals of the trial only:
 *
 *   success rates p_champion, p_challenger with Beta(1 + successes, 1 + failures) posteriors (uniform prior);
 *   once each arm has at least `min_trial_goals` scored goals:
 *     switch  when P(p_challenger > p_champion) > confidence
 *     reject  when P(p_challenger > p_champion) < 1 - confidence
 *   reject when the trial reaches `max_trial_goals` goals without a switch.
 *
 * P(p_b > p_a) is computed exactly (integer Beta parameters, Evan Miller's
 * closed form), not sampled, so a decision is a pure function of the counts.
 */
import type { ArmEvidence, Trial } from './trial.js';
import { hashText } from './hash.js';

export interface TrialRule {
  confidence: number;
  minGoals: number;
  maxGoals: number;
}

export type Verdict = 'switch' | 'reject' | 'continue';

export interface TrialDecision {
  verdict: Verdict;
  /** P(p_challenger > p_champion) under the posteriors. */
  pBetter: number;
  champion: ArmEvidence;
  challenger: ArmEvidence;
  reason: string;
}

// Lanczos approximation (g = 7, n = 9): ln Γ(x) for x > 0, accurate to ~1e-15 relative.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
  9.9843695780195716e-6, 1.5056327351493116e-7,
];

export function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

const lnBeta = (a: number, b: number) => lnGamma(a) + lnGamma(b) - lnGamma(a + b);

/** P(p_b > p_a) for p_a ~ Beta(1 + a.successes, 1 + a.failures), p_b likewise. */
export function probBetter(a: ArmEvidence, b: ArmEvidence): number {
  const [aA, bA, aB, bB] = [1 + a.successes, 1 + a.failures, 1 + b.successes, 1 + b.failures];
  let total = 0;
  for (let i = 0; i < aB; i++) total += Math.exp(lnBeta(aA + i, bA + bB) - Math.log(bB + i) - lnBeta(1 + i, bB) - lnBeta(aA, bA));
  return Math.min(1, Math.max(0, total));
}

const goals = (e: ArmEvidence) => e.successes + e.failures;

export function judgeTrial(trial: Trial, rule: TrialRule): TrialDecision {
  const pBetter = probBetter(trial.champion, trial.challenger);
  const base = { pBetter, champion: trial.champion, challenger: trial.challenger };
  const rates = `${trial.challengerId} ${trial.challenger.successes}/${goals(trial.challenger)}, ${trial.championId} ${trial.champion.successes}/${goals(trial.champion)}, P(better) ${pBetter.toFixed(3)}`;
  if (goals(trial.champion) >= rule.minGoals && goals(trial.challenger) >= rule.minGoals) {
    if (pBetter > rule.confidence) return { ...base, verdict: 'switch', reason: `${rates} > ${rule.confidence}` };
    if (pBetter < 1 - rule.confidence) return { ...base, verdict: 'reject', reason: `${rates} < ${(1 - rule.confidence).toFixed(3)}` };
  }
  if (goals(trial.champion) + goals(trial.challenger) >= rule.maxGoals) {
    return { ...base, verdict: 'reject', reason: `${rates}: not shown better within ${rule.maxGoals} goals` };
  }
  return { ...base, verdict: 'continue', reason: rates };
}

/** Which arm a run plays, from its id: deterministic, so a resumed run plays the same one. */
export function playsChallenger(runId: string, share: number): boolean {
  const h = parseInt(hashText(runId).slice(2, 14), 16) / 2 ** 48; // 48 low bits of the first 53-bit lane
  return h < share;
}
