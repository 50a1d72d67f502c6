import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyDecision,
  composite,
  decisionOf,
  failingTraces,
  proposeChallenger as addCandidate,
  TRIAL_DEFAULTS,
  trialVerdict,
  metricsOf,
  mutationReason,
  recordOutcome,
  restoreState,
  seedState,
  type Outcome,
} from '../../contracts/gepa/onlineState.js';
import { historyPath } from '../../src/runtime/learning.js';
import { parseJsonl } from '../../src/util/jsonl.js';

const settings = {
  window: 5,
  recency_decay: 0.5,
  threshold: 0.5,
  every_n_goals: 3,
  pool_size: 3,
  min_outcomes: 2,
  ...TRIAL_DEFAULTS,
  min_trial_goals: 2,
  max_trial_goals: 10,
};
const o = (score: number, outcome: Outcome['outcome'] = 'subtask', candidateId = 'seed'): Outcome => ({
  outcome,
  candidateId,
  components: ['planner'],
  input: 'in',
  output: 'out',
  score,
  feedback: score ? 'ok' : 'bad',
});

describe('online learning state', () => {
  it('weights recent outcomes more in the composite', () => {
    expect(composite([], 0.5)).toBeNull();
    // weights 0.5 (old) and 1 (new)
    expect(composite([o(1), o(0)], 0.5)).toBeCloseTo(1 / 3);
    expect(composite([o(0), o(1)], 0.5)).toBeCloseTo(2 / 3);
  });

  it('keeps the composite between the lowest and highest score (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 30 }),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        (scores, decay) => {
          const c = composite(
            scores.map((s) => o(s)),
            decay,
          )!;
          return c >= Math.min(...scores) - 1e-9 && c <= Math.max(...scores) + 1e-9;
        },
      ),
    );
  });

  it('asks for a mutation below the threshold only with enough fresh evidence, and every N goals', () => {
    let s = recordOutcome(seedState({ planner: 'p' }), o(0), settings);
    expect(mutationReason(s, settings)).toBeNull(); // one outcome < min_outcomes
    s = recordOutcome(s, o(0), settings);
    expect(mutationReason(s, settings)).toMatch(/below threshold/);
    s = addCandidate(s, { id: 'c1', parentId: 'seed', components: { planner: 'q' } }, settings);
    expect(mutationReason(s, settings)).toBeNull(); // a challenger is on trial
    for (const score of [1, 1, 1]) s = recordOutcome(s, o(score, 'goal', 'c1'), settings);
    expect(mutationReason(s, settings)).toBeNull(); // still on trial: no second challenger
    s = { ...s, trial: null };
    expect(mutationReason(s, settings)).toMatch(/3 goals since the last mutation/);
  });

  it('keeps the window bounded and the pool at its size, never dropping the champion or the challenger', () => {
    let s = seedState({ planner: 'p' });
    for (let i = 0; i < 20; i++) s = recordOutcome(s, o(i % 2), settings);
    expect(s.outcomes).toHaveLength(5);
    for (let i = 1; i <= 5; i++) s = addCandidate(s, { id: `c${i}`, parentId: null, components: { planner: `v${i}` } }, settings);
    expect(s.candidates).toHaveLength(3);
    expect(s.candidates.map((c) => c.id)).toEqual(expect.arrayContaining(['seed', 'c5']));
    expect(s.activeId).toBe('seed'); // a proposal never goes live by itself
    expect(s.trial?.challengerId).toBe('c5');
  });

  it('switches only when the trial rule says the challenger is better, on goals of both arms', () => {
    let s = addCandidate(seedState({ planner: 'p' }), { id: 'c1', parentId: 'seed', components: { planner: 'q' } }, settings);
    for (let i = 0; i < 2; i++) s = recordOutcome(s, o(1, 'goal', 'c1'), settings);
    expect(trialVerdict(s, settings)!.verdict).toBe('continue'); // the champion has no goals yet
    for (let i = 0; i < 3; i++) s = recordOutcome(s, o(0, 'goal', 'seed'), settings);
    for (let i = 0; i < 3; i++) s = recordOutcome(s, o(1, 'goal', 'c1'), settings);
    const v = trialVerdict(s, settings)!;
    expect(v.verdict).toBe('switch');
    expect(v.pBetter).toBeGreaterThan(0.95);
    s = applyDecision(s, decisionOf(s, v)!);
    expect(s.activeId).toBe('c1');
    expect(s.trial).toBeNull();
    expect(s.decisions.at(-1)).toMatchObject({ verdict: 'switch', challenger: { successes: 5, failures: 0 }, champion: { successes: 0, failures: 3 } });
    expect(metricsOf(s, settings).candidates).toEqual([
      { id: 'seed', score: 0, active: false, challenger: false },
      { id: 'c1', score: 1, active: true, challenger: false },
    ]);
  });

  it('never scores, counts or reflects on an outcome the infrastructure caused', () => {
    let s = addCandidate(seedState({ planner: 'p' }), { id: 'c1', parentId: 'seed', components: { planner: 'q' } }, settings);
    const refused = { ...o(0, 'goal', 'seed'), feedback: 'connect ECONNREFUSED 127.0.0.1:9', excluded: 'planner model call failed' };
    for (let i = 0; i < 20; i++) s = recordOutcome(s, refused, settings);
    expect(s.outcomes).toHaveLength(0);
    expect(s.trial!.champion).toEqual({ successes: 0, failures: 0 });
    expect(failingTraces(s, 'planner', settings)).toEqual([]);
    expect(composite(s.outcomes, 0.5)).toBeNull();
  });

  it('restores the same state from its history, filling new components from the seed', () => {
    const records = [
      { kind: 'outcome', ts: 't', runId: 'r', ...o(0), composite: 0 },
      { kind: 'candidate', ts: 't', runId: 'r', id: 'r.1', parentId: 'seed', components: { planner: 'evolved' }, reason: 'low' },
      { kind: 'outcome', ts: 't', runId: 'r', ...o(1, 'goal', 'r.1'), composite: 0.5 },
    ] as any;
    const s = restoreState(records, { planner: 'p', 'persona.writer': 'w' }, settings);
    expect(s.activeId).toBe('seed');
    expect(s.trial).toMatchObject({ challengerId: 'r.1', challenger: { successes: 1, failures: 0 } });
    expect(s.candidates.find((c) => c.id === 'r.1')!.components).toEqual({ planner: 'evolved', 'persona.writer': 'w' });
    expect(s.candidates.find((c) => c.id === 'r.1')!.goalScores).toEqual([1]);
    expect(s.outcomes).toHaveLength(2);
    // A decision and a reset in the history replay too.
    const decided = restoreState(
      [
        ...records,
        {
          kind: 'decision',
          ts: 't',
          runId: 'r',
          verdict: 'switch',
          championId: 'seed',
          challengerId: 'r.1',
          champion: { successes: 0, failures: 1 },
          challenger: { successes: 1, failures: 0 },
          pBetter: 0.99,
          reason: 'x',
        },
      ],
      { planner: 'p' },
      settings,
    );
    expect(decided.activeId).toBe('r.1');
    expect(restoreState([...records, { kind: 'reset', ts: 't', runId: 'cli', reason: 'reset' }] as any, { planner: 'p' }, settings)).toEqual(
      seedState({ planner: 'p' }),
    );
  });

  it('tolerates a torn last history line but not a broken line in the middle', () => {
    expect(parseJsonl('{"kind":"outcome"}\n{"kind":"cand', 'h.jsonl')).toEqual({ records: [{ kind: 'outcome' }], lines: [1], tornTail: true });
    expect(() => parseJsonl('{"a":1}\nnot json\n{"b":2}\n', 'h.jsonl')).toThrow(/h\.jsonl:2: not a JSON record/);
  });

  it('puts a traces/-relative history path in the traces directory', () => {
    expect(historyPath('traces/gepa_history.jsonl', '/tmp/t')).toBe('/tmp/t/gepa_history.jsonl');
    expect(historyPath('/abs/h.jsonl', '/tmp/t')).toBe('/abs/h.jsonl');
  });
});
