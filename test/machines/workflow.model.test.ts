/**
 * Model-based test of the workflow statechart: xstate/graph walks it with
 * messaging silenced; each shortest path is replayed on a real workflow actor
 * whose collaborators (planner, progress, dynamic actors) are recorders and
 * whose effects (initialize, actor factory) the test settles by hand.
 */
import { describe, expect, it } from 'vitest';
import { createActor, fromCallback, SimulatedClock, type AnyEventObject } from 'xstate';
import { getShortestPaths } from 'xstate/graph';
import { workflowMachine, type ComposeActorsInput, type WorkflowInput } from '../../machines/workflow.js';
import type { ActorSpec, PlannerDecision } from '../../contracts/aime/types.js';
import { deferredLogic, flush, silenced } from '../support/deferred.js';
import { spec, task, USAGE } from '../support/fixtures.js';
import { seedState, TRIAL_DEFAULTS } from '../../contracts/gepa/onlineState.js';
import { outcomeOf } from '../../machines/optimizer.js';

const MESSAGING = [
  'spawnCollaborators',
  'askPlanner',
  'startActors',
  'forwardReport',
  'requestRollup',
  'sendPlanToProgress',
  'announceSubtaskFinished',
  'announceGoalFinished',
];

const input: WorkflowInput = {
  goal: 'do the thing',
  limits: { maxIterations: 2, maxActorSteps: 3, maxParallelActors: 1, tokenBudget: 100, deadlineMs: null },
  prompts: { planner: 'plan well' },
  optimizer: null,
};

const decision = (action: PlannerDecision['action']): PlannerDecision => ({ rationale: 'because', tasks: [task('1')], action });

const events = [
  { type: 'xstate.done.actor.initialize', output: { prompts: { planner: 'plan well' } } },
  { type: 'xstate.error.actor.initialize', error: new Error('bad warm start') },
  { type: 'PLANNER.DECIDED', decision: decision({ type: 'dispatch', taskIds: ['1'] }), usage: USAGE, raw: '{}' },
  { type: 'PLANNER.DECIDED', decision: decision({ type: 'finish', answer: 'done it' }), usage: USAGE, raw: '{}' },
  { type: 'PLANNER.DECIDED', decision: decision({ type: 'fail', reason: 'impossible' }), usage: USAGE, raw: '{}' },
  { type: 'PLANNER.FAILED', reason: 'schema twice', usage: USAGE },
  { type: 'PROGRESS.CHANGED', cause: 'plan', revision: 1, tasks: [task('1')] },
  { type: 'PROGRESS.CHANGED', cause: 'plan', revision: 1, tasks: [task('1', 'completed')] },
  { type: 'xstate.done.actor.composeActors', output: [spec('1')] },
  { type: 'xstate.error.actor.composeActors', error: new Error('no such persona') },
  { type: 'ACTOR.REPORTED', report: { taskId: '1', status: 'completed', summary: 'ok', references: [] }, steps: [], usage: USAGE },
  { type: 'PROGRESS.CHANGED', cause: 'rollup', revision: 2, tasks: [task('1', 'completed')] },
  { type: 'ACTOR.USAGE', taskId: '1', usage: { promptTokens: 100, completionTokens: 100, totalTokens: 200 } },
  { type: 'WORKFLOW.CANCEL', reason: 'user' },
] as unknown as AnyEventObject[];

function recorder(log: AnyEventObject[]) {
  return fromCallback<AnyEventObject, any>(({ receive }) => receive((e) => log.push(e)));
}

function sut(overrides: Partial<WorkflowInput> = {}, clock?: SimulatedClock) {
  const initialize = deferredLogic<{ prompts: Record<string, string> }, { prompts: Record<string, string> }>();
  const compose = deferredLogic<ActorSpec[], ComposeActorsInput>();
  const toPlanner: AnyEventObject[] = [];
  const toProgress: AnyEventObject[] = [];
  const machine = workflowMachine.provide({
    actors: {
      planner: recorder(toPlanner) as any,
      progress: recorder(toProgress) as any,
      dynamicActor: fromCallback(() => {}) as any,
      initialize: initialize.logic,
      composeActors: compose.logic,
    },
  });
  const actor = createActor(machine, { input: { ...input, ...overrides }, systemId: 'workflow', ...(clock ? { clock } : {}) });
  actor.start();
  return { actor, initialize, compose, toPlanner, toProgress };
}

describe('workflow statechart, model-based', () => {
  const model = workflowMachine.provide({ actions: silenced(MESSAGING) });
  const paths = getShortestPaths(model, {
    input,
    events,
    serializeState: (s: any) =>
      JSON.stringify([s.value, s.context.iteration, s.context.inFlight.length, s.context.usage.totalTokens > 100, s.context.tasks.map((t: any) => t.status)]),
  } as any);

  it('reaches every state of the workflow', () => {
    const reached = new Set(paths.map((p) => JSON.stringify(p.state.value)));
    for (const v of [
      { running: 'planning' },
      { running: { dispatching: 'awaitingPlan' } },
      { running: { dispatching: 'composing' } },
      { running: 'executing' },
      { running: 'refreshing' },
      { running: 'finishing' },
      'done',
      'failed',
      'cancelled',
    ]) {
      expect(reached).toContain(JSON.stringify(v));
    }
  });

  it.each(paths.map((p) => [p.steps.map((s) => s.event.type.replace('xstate.', '')).join(' > ') || '(start)', p] as const))(
    'replays %s on a real workflow actor',
    async (_name, path) => {
      const s = sut();
      for (const step of (path as any).steps) {
        const e = step.event as AnyEventObject;
        if (e.type === 'xstate.init') continue;
        if (e.type.endsWith('.initialize') || e.type.endsWith('.composeActors')) {
          const d = e.type.endsWith('.initialize') ? s.initialize : s.compose;
          const pending = d.next();
          if (e.type.startsWith('xstate.done')) pending.resolve(e['output']);
          else pending.reject(e['error']);
        } else {
          s.actor.send(e as any);
        }
        await flush();
        const snap = s.actor.getSnapshot();
        expect(snap.value).toEqual(step.state.value);
        expect(snap.context.iteration).toBe(step.state.context.iteration);
      }
      const snap = s.actor.getSnapshot();
      // Every planning step asked the planner exactly once.
      expect(s.toPlanner.filter((e) => e.type === 'PLANNER.PLAN')).toHaveLength(snap.context.iteration);
      if (snap.status === 'done') {
        expect(snap.output!.status).toBe(snap.value === 'done' ? 'completed' : snap.value);
        if (snap.value !== 'done') expect(snap.output!.reason).not.toBe('');
      }
      s.actor.stop();
    },
  );
});

describe('workflow with online learning', () => {
  const learningInput = {
    ...input,
    optimizer: {
      runId: 'r',
      settings: { window: 5, recency_decay: 0.9, threshold: 0.5, every_n_goals: 0, pool_size: 2, min_outcomes: 2, ...TRIAL_DEFAULTS },
      state: seedState({ planner: 'plan well' }),
    },
  };
  const learningEvents = [
    ...events,
    { type: 'OPTIMIZER.PROMPTS', prompts: { planner: 'evolved' }, candidateId: 'r.1', reason: 'low' },
    { type: 'OPTIMIZER.SETTLED', activeId: 'r.1', composite: 0.2, change: 'new candidate r.1' },
  ] as unknown as AnyEventObject[];
  const paths = getShortestPaths(workflowMachine.provide({ actions: silenced(MESSAGING) }), {
    input: learningInput,
    events: learningEvents,
    serializeState: (s: any) => JSON.stringify([s.value, s.context.iteration, s.context.inFlight.length, s.context.outcome, s.context.prompts.planner]),
  } as any);

  it('waits in concluding for the optimizer to settle before ending', () => {
    const concluding = paths.find((p) => JSON.stringify(p.state.value) === JSON.stringify({ running: 'concluding' }));
    expect(concluding).toBeDefined();
    const ends = paths.filter((p) => p.state.value === 'done' || p.state.value === 'failed');
    for (const p of ends) {
      const types = p.steps.map((s) => s.event.type);
      // Planner-driven endings pass through OPTIMIZER.SETTLED; only the token budget (or deadline) cuts learning short.
      if (p.state.context.outcome && !/token budget/.test(p.state.context.reason)) expect(types).toContain('OPTIMIZER.SETTLED');
    }
  });

  it.each(paths.map((p) => [p.steps.map((s) => s.event.type.replace('xstate.', '')).join(' > ') || '(start)', p] as const))(
    'replays %s with an observer: one SUBTASK.FINISHED per report, one GOAL.FINISHED once the outcome is decided',
    async (_name, path) => {
      const toOptimizer: AnyEventObject[] = [];
      const initialize = deferredLogic<{ prompts: Record<string, string> }, { prompts: Record<string, string> }>();
      const compose = deferredLogic<ActorSpec[], ComposeActorsInput>();
      const machine = workflowMachine.provide({
        actors: {
          planner: recorder([]) as any,
          progress: recorder([]) as any,
          optimizer: recorder(toOptimizer) as any,
          dynamicActor: fromCallback(() => {}) as any,
          initialize: initialize.logic,
          composeActors: compose.logic,
        },
      });
      const actor = createActor(machine, { input: learningInput, systemId: 'workflow' }).start();
      let concluded = false;
      for (const step of (path as any).steps) {
        const e = step.event as AnyEventObject;
        if (e.type === 'xstate.init') continue;
        if (e.type.endsWith('.initialize') || e.type.endsWith('.composeActors')) {
          const pending = (e.type.endsWith('.initialize') ? initialize : compose).next() as { resolve(v: unknown): void; reject(e: unknown): void };
          if (e.type.startsWith('xstate.done')) pending.resolve(e['output']);
          else pending.reject(e['error']);
        } else actor.send(e as any);
        await flush();
        expect(actor.getSnapshot().value).toEqual(step.state.value);
        concluded ||= JSON.stringify(step.state.value) === JSON.stringify({ running: 'concluding' });
      }
      // A report counts when it came while actors ran (executing).
      const steps = (path as any).steps as { event: AnyEventObject; state: any }[];
      const executing = JSON.stringify({ running: 'executing' });
      const reports = steps.filter((s, i) => s.event.type === 'ACTOR.REPORTED' && i > 0 && JSON.stringify(steps[i - 1]!.state.value) === executing).length;
      expect(toOptimizer.filter((e) => e.type === 'SUBTASK.FINISHED')).toHaveLength(reports);
      expect(toOptimizer.filter((e) => e.type === 'GOAL.FINISHED')).toHaveLength(concluded ? 1 : 0);
      actor.stop();
    },
  );

  it('tells the optimizer each finished subtask and the finished goal, and takes its new prompts', async () => {
    const toOptimizer: AnyEventObject[] = [];
    const initialize = deferredLogic<{ prompts: Record<string, string> }, { prompts: Record<string, string> }>();
    const compose = deferredLogic<ActorSpec[], ComposeActorsInput>();
    const toPlanner: AnyEventObject[] = [];
    const machine = workflowMachine.provide({
      actors: {
        planner: recorder(toPlanner) as any,
        progress: recorder([]) as any,
        optimizer: recorder(toOptimizer) as any,
        dynamicActor: fromCallback(() => {}) as any,
        initialize: initialize.logic,
        composeActors: compose.logic,
      },
    });
    const actor = createActor(machine, { input: learningInput, systemId: 'workflow' }).start();
    initialize.next().resolve({ prompts: { planner: 'plan well' } });
    await flush();
    actor.send({ type: 'PLANNER.DECIDED', decision: decision({ type: 'dispatch', taskIds: ['1'] }), usage: USAGE, raw: '' });
    actor.send({ type: 'PROGRESS.CHANGED', cause: 'plan', revision: 1, tasks: [task('1')] });
    await flush();
    compose.next().resolve([spec('1')]);
    await flush();
    actor.send({ type: 'OPTIMIZER.PROMPTS', prompts: { planner: 'evolved' }, candidateId: 'r.1', reason: 'low' });
    actor.send({ type: 'ACTOR.REPORTED', report: { taskId: '1', status: 'failed', summary: 'broke', references: [] }, steps: [], usage: USAGE });
    actor.send({ type: 'PROGRESS.CHANGED', cause: 'rollup', revision: 2, tasks: [task('1', 'failed')] });
    await flush();
    expect(toPlanner.at(-1)!['plannerPrompt']).toBe('evolved');
    actor.send({ type: 'PLANNER.DECIDED', decision: decision({ type: 'fail', reason: 'cannot' }), usage: USAGE, raw: '' });
    await flush();
    expect(actor.getSnapshot().value).toEqual({ running: 'concluding' });
    // Plain AIME facts go to the child; it alone turns them into scored outcomes.
    expect(toOptimizer.map((e) => e.type)).toEqual(['SUBTASK.FINISHED', 'GOAL.FINISHED']);
    expect(toOptimizer[0]).toMatchObject({ goal: 'do the thing', task: { title: 'Task 1' }, persona: 'generalist', report: { status: 'failed' } });
    expect(toOptimizer[1]).toMatchObject({
      outcome: 'failed',
      reason: 'planner gave up: cannot',
      iterations: 2,
      personas: ['generalist'],
      infrastructure: null,
    });
    const [subtask, goal] = toOptimizer.map((e) => outcomeOf('r.1', e as any));
    expect(subtask).toMatchObject({ outcome: 'subtask', score: 0, components: ['planner'] });
    expect(goal!.feedback).toMatch(/The goal failed: planner gave up: cannot\. Failed subtasks: \[1\] broke/);
    actor.send({ type: 'OPTIMIZER.SETTLED', activeId: 'r.1', composite: 0, change: 'nothing', armId: 'r.1', trial: null, decision: null });
    expect(actor.getSnapshot().output).toMatchObject({ status: 'failed' });
  });

  it("marks outcomes the infrastructure caused as excluded (a failed model call, the planner's connection)", async () => {
    const toOptimizer: AnyEventObject[] = [];
    const initialize = deferredLogic<{ prompts: Record<string, string> }, { prompts: Record<string, string> }>();
    const compose = deferredLogic<ActorSpec[], ComposeActorsInput>();
    const machine = workflowMachine.provide({
      actors: {
        planner: recorder([]) as any,
        progress: recorder([]) as any,
        optimizer: recorder(toOptimizer) as any,
        dynamicActor: fromCallback(() => {}) as any,
        initialize: initialize.logic,
        composeActors: compose.logic,
      },
    });
    const actor = createActor(machine, { input: learningInput, systemId: 'workflow' }).start();
    initialize.next().resolve({ prompts: { planner: 'plan well' } });
    await flush();
    actor.send({ type: 'PLANNER.DECIDED', decision: decision({ type: 'dispatch', taskIds: ['1'] }), usage: USAGE, raw: '' });
    actor.send({ type: 'PROGRESS.CHANGED', cause: 'plan', revision: 1, tasks: [task('1')] });
    await flush();
    compose.next().resolve([spec('1')]);
    await flush();
    const report = {
      taskId: '1',
      status: 'failed' as const,
      summary: 'model call failed: connect ECONNREFUSED',
      references: [],
      infrastructure: 'model call failed',
    };
    actor.send({ type: 'ACTOR.REPORTED', report, steps: [], usage: USAGE });
    actor.send({ type: 'PROGRESS.CHANGED', cause: 'rollup', revision: 2, tasks: [task('1', 'failed')] });
    await flush();
    actor.send({
      type: 'PLANNER.FAILED',
      reason: 'planner model call failed: connect ECONNREFUSED',
      usage: USAGE,
      infrastructure: 'planner model call failed',
    });
    await flush();
    expect(toOptimizer.map((e) => [e.type, outcomeOf('seed', e as any).excluded])).toEqual([
      ['SUBTASK.FINISHED', 'model call failed'],
      ['GOAL.FINISHED', 'planner model call failed'],
    ]);
  });
});

describe('workflow limits', () => {
  it('fails when the wall-clock deadline passes, on the simulated clock', async () => {
    const clock = new SimulatedClock();
    const s = sut({ limits: { ...input.limits, deadlineMs: 5_000 } }, clock);
    s.initialize.next().resolve({ prompts: {} });
    await flush();
    expect(s.actor.getSnapshot().value).toEqual({ running: 'planning' });
    clock.increment(4_999);
    expect(s.actor.getSnapshot().status).toBe('active');
    clock.increment(1);
    const snap = s.actor.getSnapshot();
    expect(snap.value).toBe('failed');
    expect(snap.output!.reason).toBe('deadline of 5000 ms exceeded');
  });

  it('never fires the deadline timer when no deadline is set', async () => {
    const clock = new SimulatedClock();
    const s = sut({}, clock);
    s.initialize.next().resolve({ prompts: {} });
    await flush();
    clock.increment(2 ** 31);
    expect(s.actor.getSnapshot().value).toEqual({ running: 'planning' });
  });

  it('fails as soon as the token budget is exceeded', async () => {
    const s = sut();
    s.initialize.next().resolve({ prompts: {} });
    await flush();
    s.actor.send({ type: 'ACTOR.USAGE', taskId: '1', usage: { promptTokens: 60, completionTokens: 41, totalTokens: 101 } });
    const snap = s.actor.getSnapshot();
    expect(snap.value).toBe('failed');
    expect(snap.output!.reason).toBe('token budget of 100 exceeded (101 used)');
  });

  it('dispatches at most max_parallel_actors dispatchable tasks at once', async () => {
    const s = sut({ limits: { ...input.limits, maxParallelActors: 2 } });
    s.initialize.next().resolve({ prompts: {} });
    await flush();
    const tasks = [task('1'), task('2'), task('3'), task('4', 'completed')];
    s.actor.send({
      type: 'PLANNER.DECIDED',
      decision: { rationale: 'r', tasks, action: { type: 'dispatch', taskIds: ['4', '1', '2', '3'] } },
      usage: USAGE,
      raw: '',
    });
    s.actor.send({ type: 'PROGRESS.CHANGED', cause: 'plan', revision: 1, tasks });
    await flush();
    // Task 4 is already completed; 1 and 2 fill the two slots.
    expect(s.compose.next().input.taskIds).toEqual(['1', '2']);
  });
});
