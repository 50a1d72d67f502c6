/**
 * The online GEPA optimizer (systemId "optimizer"). It receives every subtask
 * and goal outcome of a run, keeps the rolling composite metric, and when the
 * composite falls below the threshold (or every N goals) runs a reflective
 * mutation of the prompt components that failed; the new candidate goes live
 * at once. After each goal it switches to the best candidate of the pool and
 * answers OPTIMIZER.SETTLED. Persistence is provided by name (`persist`).
 */
import { assign, enqueueActions, fromPromise, sendParent, setup } from 'xstate';
import type { OptimizerInbound, OptimizerPromptsEvent, OptimizerSettledEvent } from './events.js';
import {
  activeCandidate,
  addCandidate,
  bestSwitch,
  composite,
  metricsOf,
  mutationReason,
  recordOutcome,
  type OnlineSettings,
  type OnlineState,
  type Outcome,
} from '../src/gepa/online/state.js';
import { errorMessage } from '../contracts/errors.js';

export interface OptimizerInput {
  runId: string;
  settings: OnlineSettings;
  state: OnlineState;
}

export interface ReflectInput {
  state: OnlineState;
  reason: string;
}

/** New component texts (only those that changed), or null when reflection had nothing to offer. */
export type ReflectOutput = { components: Record<string, string> } | null;

/** What the optimizer asks the runtime to persist; the runtime stamps time and run id. */
export type PersistRequest =
  | { kind: 'outcome'; outcome: Outcome; composite: number }
  | { kind: 'candidate'; id: string; parentId: string; components: Record<string, string>; reason: string }
  | { kind: 'switch'; from: string; to: string; reason: string };

export interface OptimizerContext extends OptimizerInput {
  /** A goal outcome is waiting for its SETTLED answer. */
  goalPending: boolean;
  /** Human-readable: what the last judgement changed. */
  change: string | null;
  /** The last switch or new candidate, for persistence. */
  lastChange: Exclude<PersistRequest, { kind: 'outcome' }> | null;
  mutation: number;
  metrics: ReturnType<typeof metricsOf>;
}

export const optimizerMachine = setup({
  types: {
    context: {} as OptimizerContext,
    events: {} as OptimizerInbound,
    input: {} as OptimizerInput,
  },
  actors: {
    reflect: fromPromise<ReflectOutput, ReflectInput>(async () => {
      throw new Error('reflect is not provided: the runtime must supply the reflection model call');
    }),
  },
  guards: {
    shouldMutate: ({ context }) => mutationReason(context.state, context.settings) !== null,
    canSwitch: ({ context }) => context.goalPending && bestSwitch(context.state) !== null,
  },
  actions: {
    persist: (_, _request: PersistRequest) => {},
    record: assign(({ context, event }) => {
      const outcome: Outcome = {
        outcome: event.kind,
        candidateId: context.state.activeId,
        components: Object.keys(event.components),
        input: event.input,
        output: event.output,
        score: event.score,
        feedback: event.feedback,
      };
      const state = recordOutcome(context.state, outcome, context.settings);
      return { state, goalPending: context.goalPending || event.kind === 'goal', metrics: metricsOf(state, context.settings) };
    }),
    switchToBest: assign(({ context }) => {
      const sw = bestSwitch(context.state)!;
      const state = { ...context.state, activeId: sw.to };
      return {
        state,
        change: `switched to ${sw.to}: ${sw.reason}`,
        lastChange: { kind: 'switch' as const, from: context.state.activeId, to: sw.to, reason: sw.reason },
        metrics: metricsOf(state, context.settings),
      };
    }),
    adoptCandidate: assign(({ context }, proposal: { components: Record<string, string> }) => {
      const parent = activeCandidate(context.state);
      const id = `${context.runId}.${context.mutation + 1}`;
      const components = { ...parent.components, ...proposal.components };
      const reason = mutationReason(context.state, context.settings)!;
      const state = addCandidate(context.state, { id, parentId: parent.id, components }, context.settings);
      return {
        state,
        mutation: context.mutation + 1,
        change: `new candidate ${id} (${Object.keys(proposal.components).join(', ')}): ${reason}`,
        lastChange: { kind: 'candidate' as const, id, parentId: parent.id, components, reason },
        metrics: metricsOf(state, context.settings),
      };
    }),
    /** A mutation round that produced nothing still counts, so it is not retried at once. */
    skipMutation: assign(({ context }, why: string) => ({
      state: { ...context.state, outcomesSinceMutation: 0, goalsSinceMutation: 0 },
      change: why,
    })),
    // ---- messages to other actors ----
    announcePrompts: sendParent(({ context }): OptimizerPromptsEvent => {
      const active = activeCandidate(context.state);
      return { type: 'OPTIMIZER.PROMPTS', prompts: active.components, candidateId: active.id, reason: context.change ?? '' };
    }),
    settle: enqueueActions(({ context, enqueue }) => {
      if (!context.goalPending) return;
      enqueue.sendParent({
        type: 'OPTIMIZER.SETTLED',
        activeId: context.state.activeId,
        composite: composite(context.state.outcomes, context.settings.recency_decay),
        change: context.change,
      } satisfies OptimizerSettledEvent);
      enqueue.assign({ goalPending: false, change: null });
    }),
  },
}).createMachine({
  id: 'optimizer',
  context: ({ input }) => ({ ...input, goalPending: false, change: null, lastChange: null, mutation: 0, metrics: metricsOf(input.state, input.settings) }),
  initial: 'listening',
  states: {
    listening: {
      on: { 'OPTIMIZER.OUTCOME': { target: 'judging', actions: ['record', { type: 'persist', params: lastOutcome }] } },
    },
    judging: {
      always: [
        { guard: 'shouldMutate', target: 'mutating' },
        {
          guard: 'canSwitch',
          target: 'listening',
          actions: ['switchToBest', { type: 'persist', params: ({ context }) => context.lastChange! }, 'announcePrompts', 'settle'],
        },
        { target: 'listening', actions: 'settle' },
      ],
    },
    mutating: {
      // Outcomes keep coming from parallel actors while the reflection model thinks.
      on: { 'OPTIMIZER.OUTCOME': { actions: ['record', { type: 'persist', params: lastOutcome }] } },
      invoke: {
        id: 'reflect',
        src: 'reflect',
        input: ({ context }) => ({ state: context.state, reason: mutationReason(context.state, context.settings)! }),
        onDone: [
          {
            guard: ({ event }) => event.output !== null,
            target: 'listening',
            actions: [
              { type: 'adoptCandidate', params: ({ event }) => event.output! },
              { type: 'persist', params: ({ context }) => context.lastChange! },
              'announcePrompts',
              'settle',
            ],
          },
          { target: 'listening', actions: [{ type: 'skipMutation', params: 'reflection proposed no change' }, 'settle'] },
        ],
        onError: {
          target: 'listening',
          actions: [{ type: 'skipMutation', params: ({ event }) => `reflection failed: ${errorMessage(event.error)}` }, 'settle'],
        },
      },
    },
  },
});

function lastOutcome({ context }: { context: OptimizerContext }): PersistRequest {
  return { kind: 'outcome', outcome: context.state.outcomes.at(-1)!, composite: composite(context.state.outcomes, context.settings.recency_decay)! };
}
