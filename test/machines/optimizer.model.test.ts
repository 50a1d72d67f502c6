/**
 * Model-based test of the online optimizer statechart, replayed on a real
 * actor under a recording parent, with the reflection call settled by hand.
 */
import { describe, expect, it } from 'vitest';
import { createActor, setup, spawnChild, type AnyEventObject } from 'xstate';
import { getShortestPaths } from 'xstate/graph';
import {
  optimizerMachine,
  outcomeOf,
  type OptimizerInput,
  type PersistRequest,
  type ReflectInput,
  type OnlineReflectOutput,
} from '../../machines/optimizer.js';
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
/** The plain facts the workflow tells its optimizer child; a score of 1 is a completed subtask or goal. */
const outcome = (kind: 'subtask' | 'goal', score: number): AnyEventObject =>
  kind === 'subtask'
    ? {
        type: 'SUBTASK.FINISHED',
        goal: 'g',
        task: { title: 't', criteria: 'c' },
        persona: 'generalist',
        report: { taskId: '1', status: score ? 'completed' : 'failed', summary: score ? 'fine' : 'it broke', references: [] },
        prompts: { planner: 'plan' },
      }
    : {
        type: 'GOAL.FINISHED',
        goal: 'g',
        outcome: score ? 'completed' : 'failed',
        answer: 'o',
        reason: 'it broke',
        iterations: 1,
        history: [],
        personas: [],
        prompts: { planner: 'plan' },
        infrastructure: null,
      };
const FINISHED = new Set(['SUBTASK.FINISHED', 'GOAL.FINISHED']);
const label = (e: AnyEventObject) =>
  e.type === 'SUBTASK.FINISHED' ? `subtask:${e['report'].status}` : e.type === 'GOAL.FINISHED' ? `goal:${e['outcome']}` : String(e.type).replace('xstate.', '');

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

  it.each(paths.slice(0, 40).map((p) => [p.steps.map((s) => label(s.event)).join(' > ') || '(start)', p] as const))('replays %s', async (_n, path) => {
    const s = sut();
    for (const st of (path as any).steps) {
      const e = st.event as AnyEventObject;
      if (e.type === 'xstate.init') continue;
      if (FINISHED.has(e.type)) s.child.send(e);
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
    const outcomes = (path as any).steps.filter((x: any) => FINISHED.has(x.event.type));
    expect(s.persisted.filter((p) => p.kind === 'outcome')).toHaveLength(outcomes.length);
    if (s.child.getSnapshot().value === 'listening' && outcomes.some((x: any) => x.event.type === 'GOAL.FINISHED')) {
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
    for (let i = 0; i < 5; i++) s.child.send({ ...outcome('goal', 0), reason: 'connection refused', infrastructure: 'planner model call failed' });
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

  it("decides what the workflow's facts mean: components, score, feedback, and exclusion when the infrastructure failed anywhere", () => {
    const prompts = { planner: 'plan', 'persona.coder': 'code', 'persona.writer': 'write' };
    const report = { taskId: '2', status: 'failed' as const, summary: 'no file', references: [] };
    const sub = outcomeOf('seed', { ...outcome('subtask', 0), persona: 'coder', report, prompts } as any);
    expect(sub).toMatchObject({ outcome: 'subtask', candidateId: 'seed', components: ['planner', 'persona.coder'], score: 0 });
    expect(sub.input).toBe('Goal: g\nSubtask [2] t (done when: c)');
    expect(sub.feedback).toBe('The subtask failed: no file');
    expect(sub.excluded).toBeUndefined();
    const outside = { ...report, taskId: '3', summary: 'model call failed: ECONNREFUSED', infrastructure: 'model call failed' };
    const goal = outcomeOf('seed', { ...outcome('goal', 0), personas: ['coder', 'coder'], prompts, history: [report, outside] } as any);
    expect(goal.components).toEqual(['planner', 'persona.coder']);
    expect(goal.feedback).toBe('The goal failed: it broke. Failed subtasks: [2] no file; [3] model call failed: ECONNREFUSED');
    expect(goal.excluded).toBe('model call failed');
    // A completed goal is evidence even when an actor's model call failed on the way.
    expect(outcomeOf('seed', { ...outcome('goal', 1), history: [outside] } as any)).toMatchObject({
      score: 1,
      feedback: 'The goal was completed in 1 planner iterations.',
    });
    expect(outcomeOf('seed', { ...outcome('goal', 1), history: [outside] } as any).excluded).toBeUndefined();
  });

  it('keeps what the last goal settled in its context, for the run report', async () => {
    const s = sut();
    expect(s.child.getSnapshot().context.settled).toBeNull();
    s.child.send(outcome('goal', 1));
    await flush();
    const { type: _t, ...settled } = s.toParent.find((e) => e.type === 'OPTIMIZER.SETTLED')!;
    expect(s.child.getSnapshot().context.settled).toEqual(settled);
    expect(settled).toMatchObject({ armId: 'seed', activeId: 'seed' });
    s.root.stop();
  });
});
