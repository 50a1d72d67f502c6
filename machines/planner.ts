/**
 * The dynamic planner (AIME §4.1, Eq. 1): (L_{t+1}, g_{t+1}) = LLM(P, goal, L_t, H_t).
 * Each PLANNER.PLAN runs one planning step. Output that fails the schema is
 * re-asked once with the validation errors; a second failure fails the step.
 */
import { assign, fromPromise, sendParent, setup } from 'xstate';
import type { PlannerDecidedEvent, PlannerFailedEvent, PlannerPlanEvent } from './events.js';
import type { PlanStepInput, PlanStepResult } from '../contracts/aime/types.js';
import { addUsage, ZERO_USAGE, type TokenUsage } from '../contracts/llm.js';
import { errorMessage } from '../contracts/errors.js';

export interface PlannerContext {
  request: PlannerPlanEvent | null;
  retry: { raw: string; errors: string[] } | null;
  usage: TokenUsage;
}

export const plannerMachine = setup({
  types: {
    context: {} as PlannerContext,
    events: {} as PlannerPlanEvent,
  },
  actors: {
    planStep: fromPromise<PlanStepResult, PlanStepInput>(async () => {
      throw new Error('planStep is not provided: the runtime must supply the planner model call');
    }),
  },
  actions: {
    announceDecision: sendParent(({ context }, result: PlanStepResult): PlannerDecidedEvent => {
      const out = accepted(result);
      return { type: 'PLANNER.DECIDED', decision: out.decision, usage: addUsage(context.usage, out.usage), raw: out.raw };
    }),
    announceFailure: sendParent(
      ({ context }, failure: { reason: string; usage: TokenUsage; infrastructure?: string }): PlannerFailedEvent => ({
        type: 'PLANNER.FAILED',
        reason: failure.reason,
        usage: addUsage(context.usage, failure.usage),
        ...(failure.infrastructure ? { infrastructure: failure.infrastructure } : {}),
      }),
    ),
    storeRequest: assign(({ event }) => ({ request: event, retry: null, usage: ZERO_USAGE })),
    prepareReask: assign(({ context }, result: PlanStepResult) => {
      const out = rejected(result);
      return { retry: { raw: out.raw, errors: out.errors }, usage: addUsage(context.usage, out.usage) };
    }),
  },
  guards: {
    isValidDecision: (_, result: PlanStepResult) => result.ok,
    canReask: ({ context }) => context.retry === null,
  },
}).createMachine({
  id: 'planner',
  context: { request: null, retry: null, usage: ZERO_USAGE },
  initial: 'idle',
  states: {
    idle: {
      description: 'Waiting for the workflow to ask for the next plan.',
      on: { 'PLANNER.PLAN': { target: 'thinking', actions: 'storeRequest' } },
    },
    thinking: {
      description: 'One model call returns the updated task list and the next action; a reply off the schema is re-asked once.',
      invoke: {
        id: 'planStep',
        src: 'planStep',
        input: ({ context }): PlanStepInput => {
          const r = context.request!;
          return {
            goal: r.goal,
            tasks: r.tasks,
            history: r.history,
            iteration: r.iteration,
            plannerPrompt: r.plannerPrompt,
            ...(context.retry ? { retry: context.retry } : {}),
          };
        },
        onDone: [
          {
            guard: { type: 'isValidDecision', params: ({ event }) => event.output },
            target: 'idle',
            actions: { type: 'announceDecision', params: ({ event }) => event.output },
          },
          {
            guard: 'canReask',
            target: 'thinking',
            reenter: true,
            actions: { type: 'prepareReask', params: ({ event }) => event.output },
          },
          {
            target: 'idle',
            actions: {
              type: 'announceFailure',
              params: ({ event }) => {
                const out = rejected(event.output);
                return { reason: `planner output did not match the schema after one re-ask: ${out.errors.join('; ')}`, usage: out.usage };
              },
            },
          },
        ],
        onError: {
          target: 'idle',
          actions: {
            type: 'announceFailure',
            params: ({ event }) => ({
              reason: `planner model call failed: ${errorMessage(event.error)}`,
              usage: ZERO_USAGE,
              infrastructure: 'planner model call failed',
            }),
          },
        },
      },
    },
  },
});

/** The guards have already told the two outcomes apart; these narrow the type and say so if not. */
function accepted(result: PlanStepResult): Extract<PlanStepResult, { ok: true }> {
  if (!result.ok) throw new Error('planner: a rejected plan reached a path for accepted ones');
  return result;
}

function rejected(result: PlanStepResult): Extract<PlanStepResult, { ok: false }> {
  if (result.ok) throw new Error('planner: an accepted plan reached a path for rejected ones');
  return result;
}
