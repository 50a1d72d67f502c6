/**
 * The champion/challenger rule: the exact posterior probability against a
 * Monte Carlo estimate, and a simulated stream of goals in which a planted
 * better (or worse) prompt is tried, over 100 seeds.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../contracts/gepa/rng.js';
import { applyDecision, decisionOf, proposeChallenger, recordOutcome, seedState, trialVerdict } from '../../contracts/gepa/onlineState.js';
import { judgeTrial, playsChallenger, probBetter, type TrialRule } from '../../contracts/gepa/trialRule.js';
import type { Trial } from '../../contracts/gepa/trial.js';

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

const SETTINGS = {
  window: 20,
  recency_decay: 0.85,
  threshold: 0.5,
  every_n_goals: 0,
  pool_size: 4,
  min_outcomes: 3,
  success_score: 1,
  challenger_share: 0.5,
  confidence: RULE.confidence,
  min_trial_goals: RULE.minGoals,
  max_trial_goals: RULE.maxGoals,
};

/**
 * One trial on a stream of goals, through the optimizer's own state rules:
 * each goal's run id assigns it to the challenger (share 0.5) or the champion,
 * its outcome is recorded, and the trial rule judges after every goal.
 */
function simulateTrial(seed: number, pChampion: number, pChallenger: number) {
  const rng = new Rng(seed * 7919 + 1);
  let state = proposeChallenger(seedState({ planner: 'p' }), { id: 'chall', parentId: 'seed', components: { planner: 'q' } }, SETTINGS);
  for (let goal = 1; ; goal++) {
    const runId = `s${seed}-g${goal}`;
    const arm = playsChallenger(runId, SETTINGS.challenger_share) ? 'chall' : 'seed';
    const score = rng.next() < (arm === 'chall' ? pChallenger : pChampion) ? 1 : 0;
    state = recordOutcome(state, { outcome: 'goal', candidateId: arm, components: ['planner'], input: runId, output: '', score, feedback: '' }, SETTINGS);
    const v = trialVerdict(state, SETTINGS)!;
    if (v.verdict !== 'continue') {
      state = applyDecision(state, decisionOf(state, v)!);
      return { verdict: v.verdict, goals: goal, inForce: state.activeId };
    }
  }
}

describe('champion/challenger rule', () => {
  it('computes P(challenger better) exactly (checked against Monte Carlo)', () => {
    expect(probBetter({ successes: 5, failures: 5 }, { successes: 5, failures: 5 })).toBeCloseTo(0.5, 10);
    expect(probBetter({ successes: 0, failures: 0 }, { successes: 0, failures: 0 })).toBeCloseTo(0.5, 10);
    const rng = new Rng(3);
    const [a, b] = [
      { successes: 4, failures: 6 },
      { successes: 7, failures: 3 },
    ];
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
    const goalsToSwitch = better
      .filter((x) => x.verdict === 'switch')
      .map((x) => x.goals)
      .sort((a, b) => a - b);
    // Every trial ends within max_trial_goals: the bound on goals.
    for (const x of [...better, ...worse, ...equal]) expect(x.goals).toBeLessThanOrEqual(RULE.maxGoals);
    console.log(
      `simulated stream (100 seeds, share 0.5, confidence 0.95, min 10 goals per arm, max 80): ` +
        `better (0.8 vs 0.5) switched in ${switched(better)}/100, median ${goalsToSwitch[Math.floor(goalsToSwitch.length / 2)]} goals, max ${goalsToSwitch.at(-1)}; ` +
        `worse (0.45 vs 0.6) switched in ${switched(worse)}/100; equal (0.6 vs 0.6) switched in ${switched(equal)}/100`,
    );
    expect(better.filter((x) => x.verdict === 'switch').every((x) => x.inForce === 'chall')).toBe(true);
    expect(switched(better)).toBeGreaterThanOrEqual(90);
    expect(switched(worse)).toBeLessThanOrEqual(5);
  });
});
