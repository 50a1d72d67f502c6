/**
 * Model-based tests of the planner (one re-ask on schema failure) and the
 * progress manager (single writer of the task list), replayed on real actors
 * spawned by a recording parent.
 */
import { describe, expect, it } from 'vitest';
import { createActor, setup, spawnChild, type AnyEventObject } from 'xstate';
import { getShortestPaths, getSimplePaths } from 'xstate/graph';
import { plannerMachine } from '../../machines/planner.js';
import { progressMachine } from '../../machines/progress.js';
import type { PlanStepInput, PlanStepResult } from '../../contracts/aime/types.js';
import { deferredLogic, flush, silenced } from '../support/deferred.js';
import { task, USAGE } from '../support/fixtures.js';

const plan = { type: 'PLANNER.PLAN', goal: 'g', tasks: [], history: [], iteration: 1, plannerPrompt: 'p' };
const ok: PlanStepResult = {
  ok: true,
  decision: { rationale: 'r', tasks: [task('1')], action: { type: 'dispatch', taskIds: ['1'] } },
  usage: USAGE,
  raw: '{}',
};
const bad: PlanStepResult = { ok: false, errors: ['action: Required'], usage: USAGE, raw: 'oops' };

function withParent(child: any, input?: unknown) {
  const received: AnyEventObject[] = [];
  const parent = setup({ actors: { child } }).createMachine({
    entry: spawnChild('child', { id: 'child', ...(input ? { input } : {}) }),
    on: { '*': { actions: ({ event }) => received.push(event) } },
  });
  const root = createActor(parent).start();
  return { root, child: root.getSnapshot().children['child'] as any, received };
}

describe('planner statechart, model-based', () => {
  const events = [
    plan,
    { type: 'xstate.done.actor.planStep', output: ok },
    { type: 'xstate.done.actor.planStep', output: bad },
    { type: 'xstate.error.actor.planStep', error: new Error('503') },
  ] as AnyEventObject[];
  const paths = getSimplePaths(plannerMachine.provide({ actions: silenced(['announceDecision', 'announceFailure']) }), {
    events,
    serializeState: (s: any) => JSON.stringify([s.value, s.context.retry !== null, s.context.request !== null]),
  } as any);

  it.each(paths.map((p) => [p.steps.map((s) => s.event.type.replace('xstate.', '')).join(' > ') || '(start)', p] as const))('replays %s', async (_n, path) => {
    const step = deferredLogic<PlanStepResult, PlanStepInput>();
    const s = withParent(plannerMachine.provide({ actors: { planStep: step.logic } }));
    const inputs: PlanStepInput[] = [];
    for (const st of (path as any).steps) {
      const e = st.event as AnyEventObject;
      if (e.type === 'xstate.init') continue;
      if (e.type === 'PLANNER.PLAN') s.child.send(e);
      else {
        const p = step.next();
        inputs.push(p.input);
        if (e.type.startsWith('xstate.done')) p.resolve(e['output']);
        else p.reject(e['error']);
      }
      await flush();
      expect(s.child.getSnapshot().value).toEqual(st.state.value);
    }
    // The first ask of a PLAN carries no errors; a re-ask carries the validation errors.
    for (const input of inputs) if (input.retry) expect(input.retry.errors).toEqual(['action: Required']);
    expect(inputs[0]?.retry).toBeUndefined();
    s.root.stop();
  });

  it('fails the step after one re-ask, counting the tokens of both attempts', async () => {
    const step = deferredLogic<PlanStepResult, PlanStepInput>();
    const s = withParent(plannerMachine.provide({ actors: { planStep: step.logic } }));
    s.child.send(plan as any);
    step.next().resolve(bad);
    await flush();
    const second = step.next();
    expect(second.input.retry).toEqual({ raw: 'oops', errors: ['action: Required'] });
    second.resolve(bad);
    await flush();
    const failed = s.received.find((e) => e.type === 'PLANNER.FAILED')!;
    expect(failed['reason']).toMatch(/did not match the schema after one re-ask: action: Required/);
    expect(failed['usage'].totalTokens).toBe(2 * USAGE.totalTokens);
    expect(step.pending).toHaveLength(0);
  });
});

describe('progress statechart', () => {
  const tasks = [task('1'), task('2', 'pending', [task('2.1')])];
  const events = [
    { type: 'PROGRESS.PLAN', tasks },
    { type: 'PROGRESS.UPDATE', taskId: '2.1', status: 'in_progress', message: 'on it', from: 'actor:2.1' },
    { type: 'PROGRESS.UPDATE', taskId: '9', status: 'completed', message: 'invented', from: 'actor:9' },
    { type: 'PROGRESS.REPORT', report: { taskId: '2.1', status: 'completed', summary: 'done', references: [] } },
    { type: 'PROGRESS.ROLLUP' },
  ] as AnyEventObject[];

  it('walks its shortest paths and tells the parent after every accepted change', async () => {
    const paths = getShortestPaths(progressMachine.provide({ actions: silenced(['notifyChanged']) }), {
      input: {},
      events,
      serializeState: (s: any) => JSON.stringify([s.value, s.context.tasks]),
    } as any);
    expect(paths.length).toBeGreaterThan(3);
    for (const path of paths) {
      const s = withParent(progressMachine, {});
      let accepted = 0;
      for (const st of path.steps) {
        if ((st.event.type as string) === 'xstate.init') continue;
        const before = (s.child.getSnapshot() as any).context.revision;
        s.child.send(st.event);
        await flush();
        const ctx = (s.child.getSnapshot() as any).context;
        expect(ctx.tasks).toEqual((st.state as any).context.tasks);
        if (ctx.revision > before) accepted++;
      }
      expect(s.received.filter((e) => e.type === 'PROGRESS.CHANGED')).toHaveLength(accepted);
      s.root.stop();
    }
  });

  it('ignores updates for tasks it does not hold, and maps blocked to in progress with a note', async () => {
    const s = withParent(progressMachine, { tasks });
    s.child.send({ type: 'PROGRESS.UPDATE', taskId: '9', status: 'completed', message: 'x', from: 'actor:9' });
    s.child.send({ type: 'PROGRESS.UPDATE', taskId: '1', status: 'blocked', message: 'no access', from: 'actor:1' });
    await flush();
    const ctx = (s.child.getSnapshot() as any).context;
    expect(ctx.revision).toBe(1);
    expect(ctx.tasks[0]).toMatchObject({ status: 'in_progress', note: 'blocked: no access' });
  });

  it('rolls a parent up to completed once all its children are done', async () => {
    const s = withParent(progressMachine, { tasks });
    s.child.send({ type: 'PROGRESS.REPORT', report: { taskId: '2.1', status: 'completed', summary: 'ok', references: [] } });
    s.child.send({ type: 'PROGRESS.ROLLUP' });
    await flush();
    const last = s.received.filter((e) => e.type === 'PROGRESS.CHANGED').at(-1)!;
    expect(last['cause']).toBe('rollup');
    expect(last['tasks'][1].status).toBe('completed');
  });
});
