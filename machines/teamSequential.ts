/**
 * A sequential workflow: its steps run one after another, each as a spawned
 * actor (an agent or a nested workflow) that starts from the shared state as
 * the previous steps left it. The first failed step ends it.
 *
 *   running --step done (more steps)--> running (next step spawned)
 *   running --step done (last step)--> done
 *   running --step done with error--> failed
 */
import { assign, enqueueActions, setup } from 'xstate';
import type { TeamNodeEvent } from './teamEvents.js';
import { teamAgentMachine } from './teamAgent.js';
import { childResult, nodeActors, nodeLabel } from './teamNode.js';
import { EMPTY_RESULT, foldStep } from '../contracts/teams/results.js';
import type { AgentDef, NodeInput, NodeResult, TeamState, WorkflowNode } from '../contracts/teams/types.js';

export interface SequentialContext {
  steps: WorkflowNode[];
  agents: Record<string, AgentDef>;
  input: string;
  iteration: number | null;
  /** Shared state now: the start state plus every write so far. */
  state: TeamState;
  index: number;
  result: NodeResult;
}

export const teamSequentialMachine = setup({
  types: {
    context: {} as SequentialContext,
    input: {} as NodeInput,
    events: {} as TeamNodeEvent,
    output: {} as NodeResult,
  },
  actors: nodeActors(teamAgentMachine),
  guards: {
    stepFailed: ({ event }) => childResult(event).error !== null,
    lastStep: ({ context }) => context.index + 1 >= context.steps.length,
  },
  actions: {
    absorb: assign(({ context, event }) => {
      const step = childResult(event);
      return { result: foldStep(context.result, step), state: { ...context.state, ...step.writes } };
    }),
    advance: assign(({ context }) => ({ index: context.index + 1 })),
    spawnStep: enqueueActions(({ context, enqueue }) => {
      const node = context.steps[context.index]!;
      const input: NodeInput = { node, agents: context.agents, input: context.input, state: context.state, iteration: context.iteration };
      enqueue.spawnChild(node.type, { id: `step:${context.index}:${nodeLabel(node)}`, input });
    }),
  },
}).createMachine({
  id: 'teamSequential',
  context: ({ input }) => ({
    steps: input.node.type === 'agent' ? [input.node] : input.node.steps,
    agents: input.agents,
    input: input.input,
    iteration: input.iteration,
    state: input.state,
    index: 0,
    result: EMPTY_RESULT,
  }),
  initial: 'running',
  states: {
    running: {
      description: 'Runs the steps one after another, each seeing the state the previous left.',
      entry: 'spawnStep',
      on: {
        'xstate.done.actor.*': [
          { guard: 'stepFailed', target: 'failed', actions: 'absorb' },
          { guard: 'lastStep', target: 'done', actions: 'absorb' },
          { actions: ['absorb', 'advance', 'spawnStep'] },
        ],
        'xstate.error.actor.*': { target: 'failed', actions: 'absorb' },
      },
    },
    done: { type: 'final', description: 'Finished; the result holds the outputs.' },
    failed: { type: 'final', description: 'A step failed; the result says why.' },
  },
  output: ({ context }) => context.result,
});
