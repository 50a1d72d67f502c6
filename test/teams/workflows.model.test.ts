/**
 * Model-based tests of the team statecharts: xstate/graph walks each one
 * (messaging silenced) for its shortest and simple paths, and every path is
 * replayed on a real actor spawned by a parent, as in a team run: the agent
 * statechart's model and tool calls are settled by hand, and a workflow's
 * steps are real agents whose model calls the test settles. No timers.
 */
import { describe, expect, it } from 'vitest';
import { createActor, getNextSnapshot, setup, spawnChild, type AnyActorLogic, type AnyEventObject } from 'xstate';
import { getShortestPaths, getSimplePaths } from 'xstate/graph';
import { teamAgentMachine, type AgentToolOutcome, type CallModelInput, type CallModelResult, type AgentToolsInput } from '../../machines/teamAgent.js';
import { teamLoopMachine } from '../../machines/teamLoop.js';
import { teamParallelMachine } from '../../machines/teamParallel.js';
import { teamSequentialMachine } from '../../machines/teamSequential.js';
import type { AgentDef, NodeInput, NodeResult, WorkflowNode } from '../../contracts/teams/types.js';
import { deferredLogic, flush, silenced } from '../support/deferred.js';
import { agent, step, USAGE } from './support.js';

/** A parent that spawns `logic` as child "node" and records what it sends up. */
function harness(logic: AnyActorLogic, input: NodeInput) {
  const received: AnyEventObject[] = [];
  const parent = setup({ actors: { child: logic } }).createMachine({
    entry: spawnChild('child', { id: 'node', input }),
    on: { '*': { actions: ({ event }) => received.push(event) } },
  });
  const root = createActor(parent).start();
  const child = root.getSnapshot().children['node']!;
  return { root, child, received };
}

const nodeInput = (node: WorkflowNode, agents: Record<string, AgentDef>): NodeInput => ({ node, agents, input: 'in', state: {}, iteration: null });
/** A step's completion, as its parent hears it. */
const doneEvent = (actorId: string, output: NodeResult) => ({ type: `xstate.done.actor.${actorId}`, output, actorId }) as AnyEventObject;
const DONE = (e: AnyEventObject) => e.type.startsWith('xstate.done.actor.');

const answer = (text: string): CallModelResult => ({ message: { role: 'assistant', content: text }, usage: USAGE, toolCalls: [], answer: text });
const okResult = (agentName: string, output: string, writes: Record<string, string> = {}): NodeResult => ({
  output,
  writes,
  traces: [{ agent: agentName, iteration: null, instruction: '', output, toolCalls: [], stateChanges: [], usage: USAGE, error: null }],
  error: null,
});
const failedResult = (agentName: string): NodeResult => ({ ...okResult(agentName, ''), error: `agent ${agentName}: model call failed: down` });

const stepName = (e: AnyEventObject) => `${(e as any).output.error ? 'failed' : `ok(${(e as any).output.output})`}@${(e as any).actorId}`;

const pathName = (p: { steps: { event: AnyEventObject }[] }) =>
  p.steps
    .map((s) => s.event)
    .filter((e) => e.type !== 'xstate.init')
    .map(stepName)
    .join(' > ') || '(start)';

// ---------------------------------------------------------------------------

describe('team agent statechart, model-based', () => {
  const MAX_STEPS = 2;
  const def = agent('a', 'Say {x}', { output_key: 'out', tools: ['notes'], max_steps: MAX_STEPS });
  const input = { ...nodeInput(step('a'), { a: def }), state: { x: 'hi' } };
  const toolCall = { id: 'c1', name: 'note', arguments: '{"text":"t"}' };
  const events = [
    { type: 'xstate.done.actor.callModel', output: answer('done') },
    {
      type: 'xstate.done.actor.callModel',
      output: { message: { role: 'assistant', content: '', toolCalls: [toolCall] }, usage: USAGE, toolCalls: [toolCall] },
    },
    {
      type: 'xstate.done.actor.callModel',
      output: { message: { role: 'assistant', content: 'nope' }, usage: USAGE, toolCalls: [], invalid: 'the reply does not match the output schema' },
    },
    { type: 'xstate.error.actor.callModel', error: new Error('model down') },
    { type: 'xstate.done.actor.runTools', output: [{ ...toolCall, ok: true, observation: 'noted: t' }] },
    { type: 'xstate.error.actor.runTools', error: new Error('runtime broke') },
  ] as unknown as AnyEventObject[];
  const traversal = {
    input,
    events,
    serializeState: (s: any) => JSON.stringify([s.value, s.context.stepCount, s.context.toolCalls.length, s.context.error !== null]),
  } as any;
  const machine = teamAgentMachine;
  const simple = getSimplePaths(machine, traversal);
  const shortest = getShortestPaths(machine, traversal);

  it('reaches reasoning, acting, done and failed', () => {
    const reached = new Set(simple.map((p) => JSON.stringify(p.state.value)));
    for (const s of ['reasoning', 'acting', 'done', 'failed']) expect(reached).toContain(JSON.stringify(s));
    expect(shortest.length).toBeGreaterThanOrEqual(4);
  });

  const label = (e: AnyEventObject) => {
    if (e.type === 'xstate.init') return null;
    if (e.type.startsWith('xstate.error')) return `${e.type.split('.').pop()} throws`;
    if (e.type.endsWith('.runTools')) return 'tools ran';
    const o = (e as any).output as CallModelResult;
    return o.toolCalls.length ? 'model calls a tool' : o.invalid ? 'model breaks the schema' : 'model answers';
  };
  const agentPathName = (p: { steps: { event: AnyEventObject }[] }) =>
    p.steps
      .map((s) => label(s.event))
      .filter(Boolean)
      .join(' > ') || '(start)';

  it.each(simple.map((p) => [agentPathName(p as any), p] as const))('replays %s on a real actor', async (_n, path) => {
    const callModel = deferredLogic<CallModelResult, CallModelInput>();
    const runTools = deferredLogic<AgentToolOutcome[], AgentToolsInput>();
    const h = harness(teamAgentMachine.provide({ actors: { callModel: callModel.logic, runTools: runTools.logic } }), input);
    for (const s of (path as any).steps as { event: AnyEventObject; state: any }[]) {
      const { type } = s.event;
      if (type === 'xstate.init') continue;
      const pending = (type.endsWith('.callModel') ? callModel : runTools).next();
      if (type.startsWith('xstate.done')) pending.resolve((s.event as any).output);
      else pending.reject((s.event as any).error);
      await flush();
      const snap = h.child.getSnapshot() as any;
      expect(snap.value).toEqual(s.state.value);
      expect(snap.context.stepCount).toBe(s.state.context.stepCount);
    }
    const snap = h.child.getSnapshot() as any;
    if (snap.status === 'done') {
      // The parent hears the agent's completion, its result as output.
      const done = h.received.filter(DONE);
      expect(done).toHaveLength(1);
      expect(done[0]!['output']).toEqual(snap.output);
      const r = snap.output as NodeResult;
      expect(r.writes).toEqual(r.error === null ? { out: 'done' } : {});
      expect(r.traces[0]!.usage.totalTokens).toBe(USAGE.totalTokens * snap.context.stepCount);
      expect(r.traces[0]!.instruction).toBe('Say hi');
    }
    h.root.stop();
  });

  it('fails at the step limit when the model keeps calling tools', async () => {
    const callModel = deferredLogic<CallModelResult, CallModelInput>();
    const runTools = deferredLogic<AgentToolOutcome[], AgentToolsInput>();
    const h = harness(teamAgentMachine.provide({ actors: { callModel: callModel.logic, runTools: runTools.logic } }), input);
    const calling = events[1]!['output'];
    callModel.next().resolve(calling);
    await flush();
    runTools.next().resolve([{ ...toolCall, ok: true, observation: 'noted' }]);
    await flush();
    callModel.next().resolve(calling);
    await flush();
    expect((h.child.getSnapshot() as any).output.error).toMatch(/step limit \(2 model calls\)/);
  });
});

// ---------------------------------------------------------------------------

/** Real agents as steps, their model calls settled by the test in the order they were made. */
function workflowHarness(machine: any, input: NodeInput) {
  const callModel = deferredLogic<CallModelResult, CallModelInput>();
  const agentLogic = teamAgentMachine.provide({ actors: { callModel: callModel.logic } });
  const h = harness(machine.provide({ actors: { agent: agentLogic } }), input);
  return { ...h, callModel };
}

/** Settle the model call of the agent the event names (by key, or the oldest pending one). */
function settle(callModel: ReturnType<typeof deferredLogic<CallModelResult, CallModelInput>>, event: AnyEventObject) {
  const result = (event as any).output as NodeResult;
  const who = result.traces[0]?.agent;
  const i = Math.max(
    0,
    callModel.pending.findIndex((p) => p.input.agent.name === who),
  );
  const [pending] = callModel.pending.splice(i, 1);
  if (!pending) throw new Error('no model call is waiting');
  if (result.error) pending.reject(new Error('down'));
  else pending.resolve(answer(result.output));
}

describe('sequential workflow statechart, model-based', () => {
  const agents = { a: agent('a', 'A', { output_key: 'x' }), b: agent('b', 'B sees {x}', { output_key: 'y' }), c: agent('c', 'C sees {y}') };
  const node: WorkflowNode = { type: 'sequential', steps: [step('a'), step('b'), step('c')] };
  const input = nodeInput(node, agents);
  // Traversal events carry the agent the replay settles: the step the machine is on.
  const names = ['a', 'b', 'c'];
  const traversal = {
    input,
    // The step the machine is on finishes, well or not.
    events: (s: any) => {
      if (s.status !== 'active') return [];
      const n = names[s.context.index]!;
      const id = `step:${s.context.index}:${n}`;
      return [doneEvent(id, okResult(n, `${n}-out`)), doneEvent(id, failedResult(n))];
    },
    serializeState: (s: any) => JSON.stringify([s.value, s.context.index]),
  } as any;
  const machine = teamSequentialMachine.provide({ actions: silenced(['spawnStep']) });
  const simple = getSimplePaths(machine, traversal);

  it('reaches done after every step, and failed from any step', () => {
    expect(simple.filter((p) => p.state.value === 'done')).toHaveLength(1);
    expect(simple.filter((p) => p.state.value === 'failed')).toHaveLength(3);
    expect(getShortestPaths(machine, traversal).length).toBe(simple.length); // a line: one path to each state
  });

  it.each(simple.map((p) => [pathName(p as any), p as any] as const))('replays %s on real agents', async (_n, path) => {
    const h = workflowHarness(teamSequentialMachine, input);
    for (const s of (path as any).steps as { event: AnyEventObject; state: any }[]) {
      if (s.event.type === 'xstate.init') continue;
      settle(h.callModel, s.event);
      await flush();
      const snap = h.child.getSnapshot() as any;
      expect(snap.value).toEqual(s.state.value);
      expect(snap.context.index).toBe(s.state.context.index);
    }
    const snap = h.child.getSnapshot() as any;
    const done = h.received.filter(DONE);
    if (snap.status !== 'done') {
      // Still running: nothing reported, and exactly the current step's agent is waiting on its model.
      expect(done).toHaveLength(0);
      expect(h.callModel.pending.map((p) => p.input.agent.name)).toEqual([['a', 'b', 'c'][snap.context.index]]);
      h.root.stop();
      return;
    }
    expect(done).toHaveLength(1);
    const r = done[0]!['output'] as NodeResult;
    if (snap.value === 'done') {
      // Each step read what the one before wrote.
      expect(r.traces.map((t) => t.instruction)).toEqual(['A', 'B sees a-out', 'C sees b-out']);
      expect(r).toMatchObject({ output: 'c-out', writes: { x: 'a-out', y: 'b-out' }, error: null });
    } else {
      expect(r.error).toMatch(/model call failed/);
      expect(h.callModel.pending).toHaveLength(0); // nothing ran after the failure
    }
    h.root.stop();
  });
});

describe('loop workflow statechart, model-based', () => {
  // Both agents write `verdict`; the loop stops once it contains STOP.
  const agents = { a: agent('a', 'A {verdict?}', { output_key: 'verdict' }), b: agent('b', 'B {verdict}', { output_key: 'verdict' }) };
  const node: WorkflowNode = { type: 'loop', max_iterations: 2, until: { key: 'verdict', contains: 'STOP' }, steps: [step('a'), step('b')] };
  const input = nodeInput(node, agents);
  const traversal = {
    input,
    events: (s: any) => {
      if (s.status !== 'active') return [];
      const n = ['a', 'b'][s.context.index]!;
      const id = `iter${s.context.iteration}:step:${s.context.index}:${n}`;
      return [doneEvent(id, okResult(n, 'go', { verdict: 'go' })), doneEvent(id, okResult(n, 'STOP', { verdict: 'STOP' })), doneEvent(id, failedResult(n))];
    },
    serializeState: (s: any) => JSON.stringify([s.value, s.context.iteration, s.context.index, s.context.exit]),
  } as any;
  const machine = teamLoopMachine.provide({ actions: silenced(['spawnStep']) });
  const simple = getSimplePaths(machine, traversal);

  it('ends on the exit condition after any step, on the round limit, or on a failure', () => {
    const ends = simple.map((p) => `${p.state.value}:${p.state.context.exit}`);
    expect(ends.filter((e) => e === 'done:condition')).toHaveLength(4); // STOP after each of the 4 steps of 2 rounds
    expect(ends.filter((e) => e === 'done:max_iterations')).toHaveLength(1);
    expect(ends.filter((e) => e.startsWith('failed'))).toHaveLength(4);
  });

  it.each(simple.map((p) => [pathName(p as any), p as any] as const))('replays %s on real agents', async (_n, path) => {
    const h = workflowHarness(teamLoopMachine, input);
    for (const s of (path as any).steps as { event: AnyEventObject; state: any }[]) {
      if (s.event.type === 'xstate.init') continue;
      settle(h.callModel, s.event);
      await flush();
      const snap = h.child.getSnapshot() as any;
      expect(snap.value).toEqual(s.state.value);
      expect([snap.context.iteration, snap.context.index, snap.context.exit]).toEqual([s.state.context.iteration, s.state.context.index, s.state.context.exit]);
    }
    const snap = h.child.getSnapshot() as any;
    const done = h.received.filter(DONE);
    if (snap.status !== 'done') {
      expect(done).toHaveLength(0);
      expect(h.callModel.pending.map((p) => p.input.agent.name)).toEqual([['a', 'b'][snap.context.index]]);
      h.root.stop();
      return;
    }
    expect(done).toHaveLength(1);
    const r = done[0]!['output'] as NodeResult;
    const settled = (path as any).steps.length - 1;
    expect(r.traces).toHaveLength(settled);
    // Every run is labelled with its round.
    expect(r.traces.map((t) => t.iteration)).toEqual(r.traces.map((_, i) => Math.floor(i / 2) + 1));
    h.root.stop();
  });
});

describe('parallel workflow statechart, model-based', () => {
  const agents = { a: agent('a', 'A {x?}', { output_key: 'x' }), b: agent('b', 'B {x?}', { output_key: 'y' }) };
  const node: WorkflowNode = { type: 'parallel', steps: [step('a'), step('b')] };
  const input = nodeInput(node, agents);
  const ids = { a: 'branch:0:a', b: 'branch:1:b' } as const;
  const events = (['a', 'b'] as const).flatMap((n) => [
    doneEvent(ids[n], okResult(n, `${n}-out`, { [n === 'a' ? 'x' : 'y']: `${n}-out` })),
    doneEvent(ids[n], failedResult(n)),
  ]);
  const traversal = {
    input,
    events,
    serializeState: (s: any) => JSON.stringify([s.value, Object.keys(s.context.results).sort()]),
  } as any;
  const machine = teamParallelMachine.provide({ actions: silenced(['spawnBranches']) });
  const simple = getSimplePaths(machine, traversal);

  it('finishes in either order, fails on any branch, and ignores repeated reports', () => {
    expect(simple.filter((p) => p.state.value === 'done')).toHaveLength(2);
    expect(simple.filter((p) => p.state.value === 'failed').length).toBeGreaterThanOrEqual(2);
    const actor = createActor(machine, { input });
    const ev = events as any[];
    const first = getNextSnapshot(machine, actor.getSnapshot(), ev[0]);
    const again = getNextSnapshot(machine, first, ev[0]);
    const stray = getNextSnapshot(machine, first, doneEvent('branch:9:zz', ev[2].output) as any);
    for (const snap of [again, stray]) {
      expect(snap.value).toBe('running');
      expect(Object.keys(snap.context.results)).toEqual(['branch:0:a']);
    }
  });

  it.each(simple.map((p) => [pathName(p as any), p as any] as const))('replays %s on real agents', async (_n, path) => {
    const h = workflowHarness(teamParallelMachine, input);
    await flush();
    // Both branches started at once, from the same state.
    expect(h.callModel.pending.map((p) => p.input.messages[0]!.content)).toEqual(['A ', 'B ']);
    for (const s of (path as any).steps as { event: AnyEventObject; state: any }[]) {
      if (s.event.type === 'xstate.init') continue;
      settle(h.callModel, s.event);
      await flush();
      const snap = h.child.getSnapshot() as any;
      expect(snap.value).toEqual(s.state.value);
      expect(Object.keys(snap.context.results).sort()).toEqual(Object.keys(s.state.context.results).sort());
    }
    const snap = h.child.getSnapshot() as any;
    const done = h.received.filter(DONE);
    if (snap.status !== 'done') {
      expect(done).toHaveLength(0);
      h.root.stop();
      return;
    }
    expect(done).toHaveLength(1);
    const r = done[0]!['output'] as NodeResult;
    if (snap.value === 'done') {
      // Joined in branch order, whatever order they finished in.
      expect(r).toMatchObject({ output: 'a-out\n\nb-out', writes: { x: 'a-out', y: 'b-out' }, error: null });
      expect(r.traces.map((t) => t.agent)).toEqual(['a', 'b']);
    } else {
      expect(r.error).toMatch(/model call failed/);
    }
    h.root.stop();
  });
});
