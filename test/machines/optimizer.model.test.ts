/**
 * Model-based test of the online optimizer statechart, replayed on a real
 * actor under a recording parent, with the reflection call settled by hand.
 */
import { describe, expect, it } from 'vitest';
import { createActor, setup, spawnChild, type AnyEventObject } from 'xstate';
import { getShortestPaths } from 'xstate/graph';
import { optimizerMachine, type OptimizerInput, type PersistRequest, type ReflectInput, type OnlineReflectOutput } from '../../machines/optimizer.js';
import { seedState, TRIAL_DEFAULTS } from '../../contracts/gepa/onlineState.js';
import { deferredLogic, flush, silenced } from '../support/deferred.js';

const settings = {
  window: 10,
  recency_decay: 0.9,
  threshold: 0.5,
  every_n_goals: 0,
  pool_size: 3,
  min_outcomes: 2,
  ...TRIAL_DEFAULTS,
  min_trial_goals: 1,
  max_trial_goals: 4,
};
const input: OptimizerInput = { runId: 'r', settings, state: seedState({ planner: 'plan', 'persona.generalist': 'gen' }) };
const outcome = (kind: 'subtask' | 'goal', score: number) => ({
  type: 'OPTIMIZER.OUTCOME',
  kind,
  components: { planner: 'plan' },
  input: 'i',
  output: 'o',
  score,
  feedback: score ? 'fine' : 'it broke',
});

const events = [
  outcome('subtask', 0),
  outcome('goal', 0),
  outcome('goal', 1),
  { type: 'xstate.done.actor.reflect', output: { components: { planner: 'better plan' } } },
  { type: 'xstate.done.actor.reflect', output: null },
  { type: 'xstate.error.actor.reflect', error: new Error('reflection model down') },
] as AnyEventObject[];

function sut() {
  const reflect = deferredLogic<OnlineReflectOutput, ReflectInput>();
  const persisted: PersistRequest[] = [];
  const toParent: AnyEventObject[] = [];
  const child = optimizerMachine.provide({ actors: { reflect: reflect.logic }, actions: { persist: (_, r: PersistRequest) => persisted.push(r) } });
  const parent = setup({ actors: { child } }).createMachine({
    entry: spawnChild('child', { id: 'child', input }),
    on: { '*': { actions: ({ event }) => toParent.push(event) } },
  });
  const root = createActor(parent).start();
  return { reflect, persisted, toParent, child: root.getSnapshot().children['child'] as any, root };
}

describe('optimizer statechart, model-based', () => {
  const paths = getShortestPaths(optimizerMachine.provide({ actions: silenced(['persist', 'announcePrompts', 'settle']) }), {
    input,
    events,
    serializeState: (s: any) => JSON.stringify([s.value, s.context.state.outcomes.length, s.context.state.activeId, s.context.goalPending]),
    limit: 2000,
    stopWhen: (s: any) => s.context.state.outcomes.length > 4,
  } as any);

  it('reaches listening and mutating', () => {
    const reached = new Set(paths.map((p) => JSON.stringify(p.state.value)));
    expect(reached).toContain('"mutating"');
    expect(reached).toContain('"listening"');
  });

  it.each(
    paths
      .slice(0, 40)
      .map(
        (p) =>
          [
            p.steps
              .map((s) => (s.event.type === 'OPTIMIZER.OUTCOME' ? `${s.event['kind']}:${s.event['score']}` : String(s.event.type).replace('xstate.', '')))
              .join(' > ') || '(start)',
            p,
          ] as const,
      ),
  )('replays %s', async (_n, path) => {
    const s = sut();
    for (const st of (path as any).steps) {
      const e = st.event as AnyEventObject;
      if (e.type === 'xstate.init') continue;
      if (e.type === 'OPTIMIZER.OUTCOME') s.child.send(e);
      else {
        const p = s.reflect.next();
        if (e.type.startsWith('xstate.done')) p.resolve(e['output']);
        else p.reject(e['error']);
      }
      await flush();
      expect(s.child.getSnapshot().value).toEqual(st.state.value);
      expect(s.child.getSnapshot().context.state.activeId).toBe(st.state.context.state.activeId);
    }
    // Every outcome was persisted, and every goal got exactly one SETTLED once the optimizer is back to listening.
    const outcomes = (path as any).steps.filter((x: any) => x.event.type === 'OPTIMIZER.OUTCOME');
    expect(s.persisted.filter((p) => p.kind === 'outcome')).toHaveLength(outcomes.length);
    if (s.child.getSnapshot().value === 'listening' && outcomes.some((x: any) => x.event.kind === 'goal')) {
      expect(s.toParent.filter((e) => e.type === 'OPTIMIZER.SETTLED').length).toBeGreaterThanOrEqual(1);
    }
    s.root.stop();
  });

  it('puts a new candidate on trial without making it live, and persists it with its parent id', async () => {
    const s = sut();
    s.child.send(outcome('subtask', 0));
    s.child.send(outcome('goal', 0));
    await flush();
    expect(s.child.getSnapshot().value).toBe('mutating');
    expect(s.reflect.pending[0]!.input.reason).toMatch(/below threshold/);
    s.reflect.next().resolve({ components: { planner: 'better plan' } });
    await flush();
    expect(s.toParent.find((e) => e.type === 'OPTIMIZER.PROMPTS')).toBeUndefined();
    expect(s.persisted.find((p) => p.kind === 'candidate')).toMatchObject({ id: 'r.1', parentId: 'seed' });
    const settled = s.toParent.find((e) => e.type === 'OPTIMIZER.SETTLED')!;
    expect(settled['activeId']).toBe('seed');
    expect(settled['trial']).toMatchObject({ championId: 'seed', challengerId: 'r.1' });
    expect(settled['change']).toMatch(/new challenger r\.1 \(planner\) on trial against seed/);
  });

  it('persists an infrastructure failure as excluded and never mutates on it', async () => {
    const s = sut();
    for (let i = 0; i < 5; i++) s.child.send({ ...outcome('goal', 0), feedback: 'connection refused', excluded: 'planner model call failed' });
    await flush();
    expect(s.child.getSnapshot().value).toBe('listening');
    expect(s.reflect.pending).toHaveLength(0);
    expect(s.persisted.filter((p) => p.kind === 'outcome').every((p) => p.kind === 'outcome' && p.outcome.excluded === 'planner model call failed')).toBe(true);
    expect(s.child.getSnapshot().context.state.outcomes).toHaveLength(0);
  });

  it('decides a trial on goal evidence: a switch is persisted with both arms and announced', async () => {
    const trialState = {
      ...seedState({ planner: 'plan' }),
      candidates: [...seedState({ planner: 'plan' }).candidates, { id: 'c1', parentId: 'seed', components: { planner: 'p2' }, goalScores: [] }],
    };
    const start = {
      ...trialState,
      trial: { championId: 'seed', challengerId: 'c1', champion: { successes: 0, failures: 3 }, challenger: { successes: 3, failures: 0 } },
    };
    const child = optimizerMachine.provide({
      actors: { reflect: deferredLogic<OnlineReflectOutput, ReflectInput>().logic },
      actions: { persist: (_, r: PersistRequest) => persisted.push(r) },
    });
    const persisted: PersistRequest[] = [];
    const toParent: AnyEventObject[] = [];
    const parent = setup({ actors: { child } }).createMachine({
      entry: spawnChild('child', { id: 'child', input: { ...input, state: start, armId: 'c1' } }),
      on: { '*': { actions: ({ event }) => toParent.push(event) } },
    });
    const root = createActor(parent).start();
    (root.getSnapshot().children['child'] as any).send(outcome('goal', 1));
    await flush();
    const decision = persisted.find((p) => p.kind === 'decision')!;
    expect(decision).toMatchObject({
      verdict: 'switch',
      challengerId: 'c1',
      challenger: { successes: 4, failures: 0 },
      champion: { successes: 0, failures: 3 },
    });
    expect(toParent.find((e) => e.type === 'OPTIMIZER.PROMPTS')).toMatchObject({ candidateId: 'c1' });
    expect(toParent.find((e) => e.type === 'OPTIMIZER.SETTLED')).toMatchObject({ activeId: 'c1', armId: 'c1', decision: { verdict: 'switch' } });
    root.stop();
  });
});
