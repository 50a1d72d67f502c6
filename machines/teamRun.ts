/**
 * The root of a team run (systemId "team"): spawns the top workflow node
 * and ends with its result. Being a parent gives every node, the top one
 * included, the same way to report: its completion.
 *
 *   running --top node done--> done | failed
 */
import { assign, enqueueActions, setup } from 'xstate';
import type { TeamNodeEvent } from './teamEvents.js';
import { teamAgentMachine } from './teamAgent.js';
import { childResult, nodeActors, nodeLabel } from './teamNode.js';
import type { AgentDef, NodeInput, NodeResult, TeamState, WorkflowNode } from '../contracts/teams/types.js';

export interface TeamRunInput {
  workflow: WorkflowNode;
  agents: Record<string, AgentDef>;
  input: string;
  state: TeamState;
}

export interface TeamRunContext extends TeamRunInput {
  result: NodeResult | null;
}

export const teamRunMachine = setup({
  types: {
    context: {} as TeamRunContext,
    input: {} as TeamRunInput,
    events: {} as TeamNodeEvent,
    output: {} as NodeResult,
  },
  actors: nodeActors(teamAgentMachine),
  guards: {
    failed: ({ event }) => childResult(event).error !== null,
  },
  actions: {
    store: assign(({ event }) => ({ result: childResult(event) })),
    spawnTop: enqueueActions(({ context, enqueue }) => {
      const input: NodeInput = { node: context.workflow, agents: context.agents, input: context.input, state: context.state, iteration: null };
      enqueue.spawnChild(context.workflow.type, { id: `team:${nodeLabel(context.workflow)}`, input });
    }),
  },
}).createMachine({
  id: 'team',
  context: ({ input }) => ({ ...input, result: null }),
  initial: 'running',
  states: {
    running: {
      description: "Runs the team's root node.",
      entry: 'spawnTop',
      on: {
        'xstate.done.actor.*': [
          { guard: 'failed', target: 'failed', actions: 'store' },
          { target: 'done', actions: 'store' },
        ],
        'xstate.error.actor.*': { target: 'failed', actions: 'store' },
      },
    },
    done: { type: 'final', description: 'Finished; the result holds the outputs.' },
    failed: { type: 'final', description: 'A step failed; the result says why.' },
  },
  output: ({ context }) => context.result!,
});
