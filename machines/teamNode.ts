/**
 * What the workflow-kind statecharts share: readable child ids, and the
 * stand-in for nested workflows. Workflow kinds nest inside each other (a loop
 * inside a sequence inside a loop), so no statechart module can import the
 * others; each declares `sequential`, `loop` and `parallel` as this stand-in
 * and the runtime ties the real ones together (src/teams/wiring.ts).
 */
import { setup } from 'xstate';
import type { TeamNodeEvent, TeamNodeDoneEvent, TeamNodeErrorEvent } from './teamEvents.js';
import { crashResult } from '../contracts/teams/results.js';
import type { NodeInput, NodeResult, WorkflowNode } from '../contracts/teams/types.js';

/** For child ids the inspector shows: `step:1:critic`, `iter2:step:0:writer`, `branch:0:loop`. */
export function nodeLabel(node: WorkflowNode): string {
  return node.type === 'agent' ? node.agent : node.type;
}

/** A nested workflow nobody provided: it ends at once with an error, so its parent never hangs. */
export const nestedWorkflowStandIn = setup({
  types: { input: {} as NodeInput, context: {} as { kind: string }, output: {} as NodeResult },
}).createMachine({
  id: 'nestedWorkflowStandIn',
  context: ({ input }) => ({ kind: input.node.type }),
  initial: 'done',
  states: { done: { type: 'final' } },
  output: ({ context }) => ({
    output: '',
    writes: {},
    traces: [],
    error: `nested ${context.kind} workflows are not provided: run teams through src/team (provideTeam)`,
  }),
});

/** The child logic every workflow kind declares: agents, and stand-ins for the nested kinds. */
export function nodeActors<Agent>(agent: Agent) {
  return { agent, sequential: nestedWorkflowStandIn, loop: nestedWorkflowStandIn, parallel: nestedWorkflowStandIn };
}

/** What a finished child hands over: its output, or, if it crashed, a failed result that says so. */
export function childResult(event: TeamNodeEvent): NodeResult {
  return event.type.startsWith('xstate.done.actor.') ? (event as TeamNodeDoneEvent).output : crashResult(event.actorId, (event as TeamNodeErrorEvent).error);
}
