/**
 * The shared ReAct loop (machines/react.ts). A probe machine made of nothing
 * but the loop is walked by xstate/graph and every simple path is replayed on
 * a real actor; then a fast-check property drives the two real users of the
 * loop, the AIME actor and a team agent, with random model scripts and checks
 * that both obey the one step-limit rule: never more than N model calls, no
 * tool run for the last allowed call, and always an end.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assign, createActor, fromPromise, setup, toPromise, type AnyEventObject } from 'xstate';
import { getSimplePaths } from 'xstate/graph';
import { isLastAllowedCall, reactMove, reactStates } from '../../machines/react.js';
import { actorMachine, type ActorToolOutcome, type ActorToolsInput } from '../../machines/actor.js';
import { teamAgentMachine, type AgentToolOutcome, type AgentToolsInput, type CallModelInput, type CallModelResult } from '../../machines/teamAgent.js';
import type { ThinkInput, ThinkResult } from '../../contracts/aime/types.js';
import { deferredLogic, flush, silenced } from '../support/deferred.js';
import { spec, thinkWithTool, toolOutcomes, USAGE } from '../support/fixtures.js';
import { agent, step } from '../teams/support.js';

// ---- a probe: the loop and nothing else --------------------------------------

type ProbeReply = { tools: number; invalid?: boolean };
interface ProbeContext {
  maxSteps: number;
  stepCount: number;
  pending: number;
  toolRuns: number;
  answer: boolean;
  error: string | null;
}

const probe = setup({
  types: { context: {} as ProbeContext, input: {} as { maxSteps: number } },
  actors: {
    model: fromPromise<ProbeReply, { step: number }>(async () => ({ tools: 0 })),
    tools: fromPromise<number, { calls: number }>(async ({ input }) => input.calls),
  },
  guards: {
    answered: (_, r: ProbeReply) => r.tools === 0,
    invalidAnswer: (_, r: ProbeReply) => r.tools === 0 && r.invalid === true,
    stepLimitReached: ({ context }) => isLastAllowedCall(context.stepCount, context.maxSteps),
  },
  actions: {
    recordCall: assign(({ context }, r: ProbeReply) => ({ stepCount: context.stepCount + 1, pending: r.tools })),
    recordAnswer: assign({ answer: true }),
    recordObservations: assign(({ context }) => ({ toolRuns: context.toolRuns + 1, pending: 0 })),
    failInvalid: assign({ error: 'invalid' }),
    failStepLimit: assign({ error: 'step limit' }),
    failModelCall: assign({ error: 'model' }),
    failTools: assign({ error: 'tools' }),
  },
}).createMachine({
  id: 'probe',
  context: ({ input }) => ({ maxSteps: input.maxSteps, stepCount: 0, pending: 0, toolRuns: 0, answer: false, error: null }),
  initial: 'reasoning',
  states: {
    ...reactStates<ProbeReply, number>()({
      model: { src: 'model', input: ({ context }: { context: ProbeContext }) => ({ step: context.stepCount }) },
      tools: { src: 'tools', input: ({ context }: { context: ProbeContext }) => ({ calls: context.pending }) },
      answered: 'answered',
      failed: 'failed',
      rejectAnswer: { guard: 'invalidAnswer', action: 'failInvalid' },
    }),
    answered: { type: 'final', description: 'The model answered.' },
    failed: { type: 'final', description: 'The loop failed; the context says why.' },
  },
});

const MAX = 3;
const probeEvents = [
  { type: 'xstate.done.actor.model', output: { tools: 1 } },
  { type: 'xstate.done.actor.model', output: { tools: 0 } },
  { type: 'xstate.done.actor.model', output: { tools: 0, invalid: true } },
  { type: 'xstate.error.actor.model', error: new Error('model down') },
  { type: 'xstate.done.actor.tools', output: 1 },
  { type: 'xstate.error.actor.tools', error: new Error('runtime broke') },
] as unknown as AnyEventObject[];

describe('ReAct loop, model-based (a probe machine made of the loop)', () => {
  const paths = getSimplePaths(probe, {
    input: { maxSteps: MAX },
    events: probeEvents,
    serializeState: (s: any) => JSON.stringify([s.value, s.context.stepCount, s.context.toolRuns, s.context.error]),
  } as any);

  it('reaches reasoning, acting and both ends, and ends every way the rule names', () => {
    const reached = new Set(paths.map((p) => JSON.stringify(p.state.value)));
    for (const v of ['reasoning', 'acting', 'answered', 'failed']) expect(reached).toContain(JSON.stringify(v));
    const errors = new Set(paths.map((p) => p.state.context.error).filter((e) => e !== null));
    expect([...errors].sort()).toEqual(['invalid', 'model', 'step limit', 'tools']);
  });

  it('never makes more than maxSteps model calls; a step-limit end made exactly maxSteps and ran tools for all but the last', () => {
    for (const p of paths) {
      const c = p.state.context as ProbeContext;
      expect(c.stepCount).toBeLessThanOrEqual(MAX);
      if (c.error === 'step limit') {
        expect(c.stepCount).toBe(MAX);
        expect(c.toolRuns).toBe(MAX - 1);
      }
    }
  });

  it.each(paths.map((p) => [p.steps.map((s) => s.event.type.replace('xstate.', '')).join(' > ') || '(start)', p] as const))(
    'replays %s on a real actor',
    async (_name, path) => {
      const model = deferredLogic<ProbeReply, { step: number }>();
      const tools = deferredLogic<number, { calls: number }>();
      const actor = createActor(probe.provide({ actors: { model: model.logic, tools: tools.logic } }), { input: { maxSteps: MAX } }).start();
      for (const st of (path as any).steps) {
        const e = st.event as AnyEventObject;
        if (e.type === 'xstate.init') continue;
        const d = e.type.endsWith('.model') ? model : tools;
        const pending = (d as typeof model).next();
        if (e.type.startsWith('xstate.done')) pending.resolve(e['output']);
        else pending.reject(e['error']);
        await flush();
        expect(actor.getSnapshot().value).toEqual(st.state.value);
        expect(actor.getSnapshot().context.stepCount).toBe(st.state.context.stepCount);
      }
      // Nothing is left waiting on a finished loop.
      if (actor.getSnapshot().status === 'done') expect(model.pending.length + tools.pending.length).toBe(0);
      actor.stop();
    },
  );
});

describe('the step-limit rule', () => {
  it('reactMove: an answer always ends; tools on the Nth call (or later) are the limit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: -2, max: 50 }), fc.boolean(), (calls, max, wantsTools) => {
        const move = reactMove(calls, max, wantsTools);
        if (!wantsTools) expect(move).toBe('answer');
        else expect(move).toBe(calls >= Math.max(1, max) ? 'stepLimit' : 'act');
      }),
    );
  });
});

// ---- the two users of the loop obey the same rule ----------------------------

type Move = 'tool' | 'answer' | 'modelFails' | 'toolsFail';
type End = 'answer' | 'stepLimit' | 'model' | 'tools';

/** What the rule says a script leads to: the end, the model calls made and the tool runs. */
function expected(script: Move[], maxSteps: number): { end: End; calls: number; toolRuns: number } {
  let toolRuns = 0;
  for (let i = 0; ; i++) {
    const move = script[i] ?? 'tool';
    const calls = i + 1;
    if (move === 'modelFails') return { end: 'model', calls, toolRuns };
    if (move === 'answer') return { end: 'answer', calls, toolRuns };
    if (calls >= Math.max(1, maxSteps)) return { end: 'stepLimit', calls, toolRuns };
    toolRuns++;
    if (move === 'toolsFail') return { end: 'tools', calls, toolRuns };
  }
}

const scripts = fc.record({
  maxSteps: fc.integer({ min: 1, max: 6 }),
  // Past its end the model keeps asking for tools: it never finishes on its own.
  script: fc.array(fc.constantFrom<Move>('tool', 'tool', 'answer', 'modelFails', 'toolsFail'), { maxLength: 8 }),
});

async function runActor(script: Move[], maxSteps: number) {
  let calls = 0;
  let toolRuns = 0;
  const machine = actorMachine.provide({
    actions: silenced(['reportUsage', 'forwardProgress', 'announceSteps', 'deliverReport']),
    actors: {
      think: fromPromise<ThinkResult, ThinkInput>(async () => {
        const move = script[calls++] ?? 'tool';
        if (move === 'modelFails') throw new Error('HTTP 500');
        if (move === 'answer')
          return { message: { role: 'assistant', content: 'done' }, usage: USAGE, final: { taskId: '1', status: 'completed', summary: 'ok', references: [] } };
        // Which tool call fails is the tool runner's business: mark it on the call.
        return { ...thinkWithTool, message: { ...thinkWithTool.message, content: move } };
      }),
      runTools: fromPromise<ActorToolOutcome[], ActorToolsInput>(async () => {
        toolRuns++;
        if (script[calls - 1] === 'toolsFail') throw new Error('runtime broke');
        return toolOutcomes;
      }),
    },
  });
  const report = await toPromise(createActor(machine, { input: { spec: spec('1', maxSteps) } }).start());
  const end: End =
    report.status === 'completed'
      ? 'answer'
      : report.infrastructure === 'step limit reached'
        ? 'stepLimit'
        : report.infrastructure === 'model call failed'
          ? 'model'
          : 'tools';
  return { end, calls, toolRuns };
}

async function runTeamAgent(script: Move[], maxSteps: number) {
  let calls = 0;
  let toolRuns = 0;
  const toolCall = { id: 'c1', name: 'note', arguments: '{}' };
  const machine = teamAgentMachine.provide({
    actors: {
      callModel: fromPromise<CallModelResult, CallModelInput>(async () => {
        const move = script[calls++] ?? 'tool';
        if (move === 'modelFails') throw new Error('HTTP 500');
        if (move === 'answer') return { message: { role: 'assistant', content: 'done' }, usage: USAGE, toolCalls: [], answer: 'done' };
        return { message: { role: 'assistant', content: '', toolCalls: [toolCall] }, usage: USAGE, toolCalls: [toolCall] };
      }),
      runTools: fromPromise<AgentToolOutcome[], AgentToolsInput>(async () => {
        toolRuns++;
        if (script[calls - 1] === 'toolsFail') throw new Error('runtime broke');
        return [{ ...toolCall, ok: true, observation: 'noted' }];
      }),
    },
  });
  const def = agent('a', 'Say hi', { output_key: 'out', tools: ['notes'], max_steps: maxSteps });
  const result = await toPromise(createActor(machine, { input: { node: step('a'), agents: { a: def }, input: 'in', state: {}, iteration: null } }).start());
  const end: End =
    result.error === null ? 'answer' : /step limit/.test(result.error) ? 'stepLimit' : /model call failed/.test(result.error) ? 'model' : 'tools';
  return { end, calls, toolRuns };
}

describe('the AIME actor and a team agent share the rule (fast-check)', () => {
  it('never more than N model calls, no tools for the last allowed call, always an end, the same end for both', async () => {
    await fc.assert(
      fc.asyncProperty(scripts, async ({ maxSteps, script }) => {
        const want = expected(script, maxSteps);
        const actor = await runActor(script, maxSteps);
        const team = await runTeamAgent(script, maxSteps);
        expect(actor).toEqual(want);
        expect(team).toEqual(want);
        expect(want.calls).toBeLessThanOrEqual(maxSteps);
        // Tools ran for every call but the last, unless the last call's tools were what broke.
        expect(want.toolRuns).toBe(want.calls - (want.end === 'tools' ? 0 : 1));
      }),
      { numRuns: 200 },
    );
  });
});
