/**
 * The champion/challenger rule: the exact posterior probability against a
 * Monte Carlo estimate, and a simulated stream of goals in which a planted
 * better (or worse) prompt is tried, over 100 seeds.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/gepa/rng.js';
import { judgeTrial, playsChallenger, probBetter, type Trial, type TrialRule } from '../../src/gepa/online/trial.js';

const RULE: TrialRule = { confidence: 0.95, minGoals: 10, maxGoals: 80 };

function betaSample(rng: Rng, a: number, b: number): number {
  const g = (k: number) => {
    let s = 0;
    for (let i = 0; i < k; i++) s -= Math.log(1 - rng.next());
    return s;
  };
  const x = g(a);
  return x / (x + g(b));
}

/** One trial on a stream of goals: each goal runs the challenger with probability `share`. */
export function simulateTrial(seed: number, pChampion: number, pChallenger: number, share = 0.5, rule = RULE) {
  const rng = new Rng(seed * 7919 + 1);
  const trial: Trial = { championId: 'champ', challengerId: 'chall', champion: { successes: 0, failures: 0 }, challenger: { successes: 0, failures: 0 } };
  for (let goal = 1; ; goal++) {
    const challenger = rng.next() < share;
    const p = challenger ? pChallenger : pChampion;
    const arm = challenger ? trial.challenger : trial.champion;
    if (rng.next() < p) arm.successes++;
    else arm.failures++;
    const d = judgeTrial(trial, rule);
    if (d.verdict !== 'continue') return { verdict: d.verdict, goals: goal };
  }
}

describe('champion/challenger rule', () => {
  it('computes P(challenger better) exactly (checked against Monte Carlo)', () => {
    expect(probBetter({ successes: 5, failures: 5 }, { successes: 5, failures: 5 })).toBeCloseTo(0.5, 10);
    expect(probBetter({ successes: 0, failures: 0 }, { successes: 0, failures: 0 })).toBeCloseTo(0.5, 10);
    const rng = new Rng(3);
    const [a, b] = [{ successes: 4, failures: 6 }, { successes: 7, failures: 3 }];
    let hits = 0;
    const n = 40_000;
    for (let i = 0; i < n; i++) if (betaSample(rng, 1 + b.successes, 1 + b.failures) > betaSample(rng, 1 + a.successes, 1 + a.failures)) hits++;
    expect(Math.abs(hits / n - probBetter(a, b))).toBeLessThan(0.01);
    expect(probBetter(b, a)).toBeCloseTo(1 - probBetter(a, b), 10);
  });

  it('needs the minimum of goals on each arm before deciding', () => {
    const trial: Trial = { championId: 'a', challengerId: 'b', champion: { successes: 0, failures: 9 }, challenger: { successes: 30, failures: 0 } };
    expect(judgeTrial(trial, RULE).verdict).toBe('continue');
    expect(judgeTrial({ ...trial, champion: { successes: 0, failures: 10 } }, RULE).verdict).toBe('switch');
  });

  it('assigns runs to the challenger by their id, in about the configured share', () => {
    const ids = Array.from({ length: 2000 }, (_, i) => `run-${i}`);
    const share = ids.filter((id) => playsChallenger(id, 0.3)).length / ids.length;
    expect(Math.abs(share - 0.3)).toBeLessThan(0.04);
    expect(playsChallenger('run-7', 0.3)).toBe(playsChallenger('run-7', 0.3));
  });

  it('on a simulated goal stream: switches to a planted better prompt within a bounded number of goals, and to a worse one in at most 5% of 100 seeds', () => {
    const better = Array.from({ length: 100 }, (_, s) => simulateTrial(s, 0.5, 0.8));
    const worse = Array.from({ length: 100 }, (_, s) => simulateTrial(s, 0.6, 0.45));
    const equal = Array.from({ length: 100 }, (_, s) => simulateTrial(s, 0.6, 0.6));
    const switched = (xs: { verdict: string }[]) => xs.filter((x) => x.verdict === 'switch').length;
    const goalsToSwitch = better.filter((x) => x.verdict === 'switch').map((x) => x.goals).sort((a, b) => a - b);
    // Every trial ends within max_trial_goals: the bound on goals.
    for (const x of [...better, ...worse, ...equal]) expect(x.goals).toBeLessThanOrEqual(RULE.maxGoals);
    console.log(
      `simulated stream (100 seeds, share 0.5, confidence 0.95, min 10 goals per arm, max 80): ` +
        `better (0.8 vs 0.5) switched in ${switched(better)}/100, median ${goalsToSwitch[Math.floor(goalsToSwitch.length / 2)]} goals, max ${goalsToSwitch.at(-1)}; ` +
        `worse (0.45 vs 0.6) switched in ${switched(worse)}/100; equal (0.6 vs 0.6) switched in ${switched(equal)}/100`,
    );
    expect(switched(better)).toBeGreaterThanOrEqual(90);
    expect(switched(worse)).toBeLessThanOrEqual(5);
  });
});
