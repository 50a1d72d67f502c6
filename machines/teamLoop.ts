/**
 * A loop workflow: its steps run in order, again and again, each as a
 * spawned actor, until the exit condition holds after some step (a state key
 * equals / contains a value, or an agent's reply contains a marker) or
 * max_iterations rounds are done. The first failed step ends it.
 *
 *   running --step done with error--> failed
 *   running --step done (exit condition | last step of last round)--> done
 *   running --step done (last step)--> running (next round, step 0)
 *   running --step done--> running (next step)
 */
import { and, assign, enqueueActions, setup } from 'xstate';
import type { TeamNodeEvent } from './teamEvents.js';
import { teamAgentMachine } from './teamAgent.js';
import { childResult, nodeActors, nodeLabel } from './teamNode.js';
import { EMPTY_RESULT, exitConditionMet, foldStep } from '../contracts/teams/results.js';
import type { AgentDef, ExitCondition, NodeInput, NodeResult, TeamState, WorkflowNode } from '../contracts/teams/types.js';

export interface LoopContext {
  steps: WorkflowNode[];
  maxIterations: number;
  until: ExitCondition | undefined;
  agents: Record<string, AgentDef>;
  input: string;
  state: TeamState;
  /** 1-based round. */
  iteration: number;
  index: number;
  result: NodeResult;
  /** Why the loop ended: the exit condition, or the round limit. */
  exit: 'condition' | 'max_iterations' | null;
}

export const teamLoopMachine = setup({
  types: {
    context: {} as LoopContext,
    input: {} as NodeInput,
    events: {} as TeamNodeEvent,
    output: {} as NodeResult,
  },
  actors: nodeActors(teamAgentMachine),
  guards: {
    stepFailed: ({ event }) => childResult(event).error !== null,
    exitConditionMet: ({ context, event }) => {
      const step = childResult(event);
      return exitConditionMet(context.until, { ...context.state, ...step.writes }, step);
    },
    lastStep: ({ context }) => context.index + 1 >= context.steps.length,
    lastRound: ({ context }) => context.iteration >= context.maxIterations,
  },
  actions: {
    absorb: assign(({ context, event }) => {
      const step = childResult(event);
      return { result: foldStep(context.result, step), state: { ...context.state, ...step.writes } };
    }),
    advance: assign(({ context }) => ({ index: context.index + 1 })),
    nextRound: assign(({ context }) => ({ index: 0, iteration: context.iteration + 1 })),
    spawnStep: enqueueActions(({ context, enqueue }) => {
      const node = context.steps[context.index]!;
      const input: NodeInput = { node, agents: context.agents, input: context.input, state: context.state, iteration: context.iteration };
      enqueue.spawnChild(node.type, { id: `iter${context.iteration}:step:${context.index}:${nodeLabel(node)}`, input });
    }),
  },
}).createMachine({
  id: 'teamLoop',
  context: ({ input }) => {
    const node = input.node;
    return {
      steps: node.type === 'loop' ? node.steps : [],
      maxIterations: node.type === 'loop' ? node.max_iterations : 1,
      until: node.type === 'loop' ? node.until : undefined,
      agents: input.agents,
      input: input.input,
      state: input.state,
      iteration: 1,
      index: 0,
      result: EMPTY_RESULT,
      exit: null,
    };
  },
  initial: 'running',
  states: {
    running: {
      description: 'Runs the body again until the exit condition holds or the iteration limit is reached.',
      entry: 'spawnStep',
      on: {
        'xstate.done.actor.*': [
          { guard: 'stepFailed', target: 'failed', actions: 'absorb' },
          { guard: 'exitConditionMet', target: 'done', actions: ['absorb', assign({ exit: 'condition' as const })] },
          { guard: and(['lastStep', 'lastRound']), target: 'done', actions: ['absorb', assign({ exit: 'max_iterations' as const })] },
          { guard: 'lastStep', actions: ['absorb', 'nextRound', 'spawnStep'] },
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
