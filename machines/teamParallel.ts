/**
 * A parallel workflow: every branch is spawned at once, all from the same
 * shared state, none seeing the others' writes. When all have finished, their
 * results are joined in branch order (not finishing order, so a run is
 * reproducible). A failed branch ends it at once; the others are stopped.
 *
 *   running --branch done with error--> failed
 *   running --branch done (the last outstanding one)--> done
 *   running --branch done--> running
 */
import { assign, enqueueActions, not, setup } from 'xstate';
import type { TeamNodeEvent } from './teamEvents.js';
import { teamAgentMachine } from './teamAgent.js';
import { childResult, nodeActors, nodeLabel } from './teamNode.js';
import { joinBranches } from '../contracts/teams/results.js';
import type { AgentDef, NodeInput, NodeResult, TeamState, WorkflowNode } from '../contracts/teams/types.js';

export interface ParallelContext {
  branches: WorkflowNode[];
  /** Child id of each branch, in branch order. */
  branchIds: string[];
  agents: Record<string, AgentDef>;
  input: string;
  iteration: number | null;
  state: TeamState;
  /** Results so far, by branch id. */
  results: Record<string, NodeResult>;
  result: NodeResult | null;
}

const branchId = (node: WorkflowNode, i: number) => `branch:${i}:${nodeLabel(node)}`;

export const teamParallelMachine = setup({
  types: {
    context: {} as ParallelContext,
    input: {} as NodeInput,
    events: {} as TeamNodeEvent,
    output: {} as NodeResult,
  },
  actors: nodeActors(teamAgentMachine),
  guards: {
    /** A branch of this node that has not finished before. */
    outstanding: ({ context, event }) => context.branchIds.includes(event.actorId) && !Object.hasOwn(context.results, event.actorId),
    branchFailed: ({ event }) => childResult(event).error !== null,
    allFinished: ({ context }) => Object.keys(context.results).length + 1 >= context.branchIds.length,
  },
  actions: {
    record: assign(({ context, event }) => ({ results: { ...context.results, [event.actorId]: childResult(event) } })),
    join: assign(({ context }) => ({ result: joinBranches(context.branchIds.flatMap((id) => (context.results[id] ? [context.results[id]] : []))) })),
    spawnBranches: enqueueActions(({ context, enqueue }) => {
      context.branches.forEach((node, i) => {
        const input: NodeInput = { node, agents: context.agents, input: context.input, state: context.state, iteration: context.iteration };
        enqueue.spawnChild(node.type, { id: context.branchIds[i]!, input });
      });
    }),
  },
}).createMachine({
  id: 'teamParallel',
  context: ({ input }) => {
    const branches = input.node.type === 'agent' ? [input.node] : input.node.steps;
    return {
      branches,
      branchIds: branches.map(branchId),
      agents: input.agents,
      input: input.input,
      iteration: input.iteration,
      state: input.state,
      results: {},
      result: null,
    };
  },
  initial: 'running',
  states: {
    running: {
      description: 'Runs every branch at once and joins their results.',
      entry: 'spawnBranches',
      on: {
        'xstate.done.actor.*': [
          // A stray or repeated completion changes nothing.
          { guard: not('outstanding') },
          { guard: 'branchFailed', target: 'failed', actions: ['record', 'join'] },
          { guard: 'allFinished', target: 'done', actions: ['record', 'join'] },
          { actions: 'record' },
        ],
        'xstate.error.actor.*': [{ guard: not('outstanding') }, { target: 'failed', actions: ['record', 'join'] }],
      },
    },
    done: { type: 'final', description: 'Finished; the result holds the outputs.' },
    failed: { type: 'final', description: 'A step failed; the result says why.' },
  },
  output: ({ context }) => context.result!,
});
