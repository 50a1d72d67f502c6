/**
 * Model-based test of the dynamic actor: xstate/graph walks the statechart
 * (with messaging silenced) to get every shortest and simple path; each path
 * is then replayed on a real actor, spawned by a parent like the workflow
 * does, whose model and tool calls the test settles by hand.
 */
import { describe, expect, it } from 'vitest';
import { createActor, fromCallback, setup, spawnChild, type AnyEventObject } from 'xstate';
import { getShortestPaths, getSimplePaths } from 'xstate/graph';
import { actorMachine, type ActorToolOutcome, type ActorToolsInput } from '../../machines/actor.js';
import type { ThinkInput, ThinkResult } from '../../contracts/aime/types.js';
import { deferredLogic, flush, silenced } from '../support/deferred.js';
import { progressOutcomes, spec, thinkFinal, thinkWithProgress, thinkWithTool, toolOutcomes } from '../support/fixtures.js';

const MESSAGING = ['reportUsage', 'forwardProgress', 'announceSteps', 'deliverReport'];
const MAX_STEPS = 3;

const modelEvents = [
  { type: 'xstate.done.actor.think', output: thinkWithTool },
  { type: 'xstate.done.actor.think', output: thinkWithProgress },
  { type: 'xstate.done.actor.think', output: thinkFinal },
  { type: 'xstate.error.actor.think', error: new Error('model down') },
  { type: 'xstate.done.actor.runTools', output: toolOutcomes },
  { type: 'xstate.done.actor.runTools', output: progressOutcomes },
  { type: 'xstate.error.actor.runTools', error: new Error('runtime broke') },
] as unknown as AnyEventObject[];

const traversal = {
  input: { spec: spec('1', MAX_STEPS) },
  events: modelEvents,
  serializeState: (s: any) => JSON.stringify([s.value, s.context.stepCount, s.context.steps.length, s.context.report?.status ?? null]),
} as any;

function sut() {
  const think = deferredLogic<ThinkResult, ThinkInput>();
  const runTools = deferredLogic<ActorToolOutcome[], ActorToolsInput>();
  const toParent: AnyEventObject[] = [];
  const toProgress: AnyEventObject[] = [];
  const parent = setup({
    actors: {
      child: actorMachine.provide({ actors: { think: think.logic, runTools: runTools.logic } }),
      progress: fromCallback<AnyEventObject>(({ receive }) => receive((e) => toProgress.push(e))),
    },
  }).createMachine({
    entry: [spawnChild('progress', { systemId: 'progress' }), spawnChild('child', { id: 'child', input: { spec: spec('1', MAX_STEPS) } })],
    on: { '*': { actions: ({ event }) => toParent.push(event) } },
  });
  const root = createActor(parent).start();
  const child = root.getSnapshot().children['child']!;
  return { think, runTools, toParent, toProgress, child, root };
}

async function replay(path: { steps: { event: AnyEventObject; state: any }[]; state: any }) {
  const s = sut();
  for (const step of path.steps) {
    const { type } = step.event;
    if (type === 'xstate.init') continue;
    const target = type.endsWith('.think') ? s.think : s.runTools;
    const pending = target.next();
    if (type.startsWith('xstate.done')) pending.resolve((step.event as any).output);
    else pending.reject((step.event as any).error);
    await flush();
    const snap = s.child.getSnapshot() as any;
    expect(snap.value).toEqual(step.state.value);
    expect(snap.context.stepCount).toBe(step.state.context.stepCount);
    expect(snap.context.steps.length).toBe(step.state.context.steps.length);
  }
  return s;
}

describe('actor statechart, model-based', () => {
  const machine = actorMachine.provide({ actions: silenced(MESSAGING) });
  const shortest = getShortestPaths(machine, traversal);
  const simple = getSimplePaths(machine, traversal);

  it('reaches every ReAct substate and the final state', () => {
    const reached = new Set(simple.map((p) => JSON.stringify(p.state.value)));
    for (const state of ['reasoning', 'acting', 'done']) expect(reached).toContain(JSON.stringify(state));
    expect(shortest.length).toBeGreaterThanOrEqual(4);
  });

  it.each(simple.map((p) => [p.steps.map((s) => s.event.type.replace('xstate.', '')).join(' > ') || '(start)', p] as const))(
    'replays %s on a real actor',
    async (_name, path) => {
      const s = await replay(path as any);
      const snap = s.child.getSnapshot() as any;
      if (snap.status === 'done') {
        // A finished actor always delivered exactly one report to its parent, and it is the actor's output.
        const reports = s.toParent.filter((e) => e.type === 'ACTOR.REPORTED');
        expect(reports).toHaveLength(1);
        expect(reports[0]!['report']).toEqual(snap.output);
        expect(reports[0]!['steps']).toEqual(snap.context.steps);
        // Usage reported step by step adds up to the report's total.
        const usage = s.toParent.filter((e) => e.type === 'ACTOR.USAGE').reduce((n, e) => n + e['usage'].totalTokens, 0);
        expect(usage).toBe(reports[0]!['usage'].totalTokens);
      }
      // update_progress calls reached the progress manager, and nothing else did.
      const progressCalls = snap.context.steps.filter((st: any) => st.action?.tool === 'update_progress').length;
      expect(s.toProgress).toHaveLength(progressCalls);
      s.root.stop();
    },
  );

  it("fails with the step limit in the report when the model never finishes, without running the last call's tools", async () => {
    const s = sut();
    for (let i = 1; i < MAX_STEPS; i++) {
      s.think.next().resolve(thinkWithTool);
      await flush();
      s.runTools.next().resolve(toolOutcomes);
      await flush();
    }
    // The last allowed call still asks for a tool: it is not run, no model call would read its result.
    s.think.next().resolve(thinkWithTool);
    await flush();
    const snap = s.child.getSnapshot() as any;
    expect(snap.status).toBe('done');
    expect(snap.output).toMatchObject({ status: 'failed', infrastructure: 'step limit reached' });
    expect(snap.output.summary).toMatch(new RegExp(`step limit \\(${MAX_STEPS} model calls\\)`));
    expect(snap.context.stepCount).toBe(MAX_STEPS);
    expect(s.think.pending).toHaveLength(0);
    expect(s.runTools.pending).toHaveLength(0);
  });

  it('turns a model error into a failed report, not a crash', async () => {
    const s = sut();
    s.think.next().reject(new Error('HTTP 500 from server'));
    await flush();
    const snap = s.child.getSnapshot() as any;
    expect(snap.output).toMatchObject({ status: 'failed', summary: 'model call failed: HTTP 500 from server' });
  });
});
