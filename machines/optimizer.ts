/**
 * The online-learning optimizer (systemId "optimizer"), a child of the workflow
 * that observes it. The workflow tells it plain AIME facts (SUBTASK.FINISHED,
 * GOAL.FINISHED); this machine decides what they mean for learning: which
 * prompt components they are evidence about, their score and feedback, and
 * whether the infrastructure caused them. Each becomes an outcome attributed
 * to the candidate this run plays (its `armId`); it keeps the rolling
 * composite metric, and acts only on evidence:
 *
 * - Outcomes the infrastructure caused (`excluded`) are persisted as such and
 *   never scored, never counted, never shown to reflection.
 * - When the composite falls below the threshold (or every N goals) and no
 *   trial runs, a reflective mutation proposes a challenger. It does not go
 *   live: later runs play it on a share of goals (see contracts/gepa/trialRule.ts).
 * - After each goal the trial rule decides: switch (the challenger becomes the
 *   champion), reject (it is dropped), or continue. Each decision, with the
 *   evidence of both arms, is persisted and reported.
 *
 * Persistence is provided by name (`persist`); the machine does no I/O. What
 * the last goal settled stays in the context (`settled`), for the run's report.
 */
import { assign, enqueueActions, fromPromise, sendParent, setup } from 'xstate';
import type { GoalFinishedEvent, OptimizerInbound, OptimizerPromptsEvent, OptimizerSettledEvent, SubtaskFinishedEvent } from './events.js';
import {
  activeCandidate,
  applyDecision,
  candidateById,
  composite,
  decisionOf,
  metricsOf,
  mutationReason,
  proposeChallenger,
  recordOutcome,
  trialVerdict,
  type OnlineState,
  type Outcome,
} from '../contracts/gepa/onlineState.js';
import type { OnlineSettings } from '../contracts/gepa/settings.js';
import type { DecisionSummary } from '../contracts/gepa/trial.js';
import { errorMessage } from '../contracts/errors.js';
import { PLANNER_COMPONENT, personaComponent } from '../contracts/aime/prompts.js';

export interface OptimizerInput {
  runId: string;
  settings: OnlineSettings;
  state: OnlineState;
  /** The candidate whose prompts this run plays (the champion, or the challenger of a trial); default the champion. */
  armId?: string;
}

export interface ReflectInput {
  state: OnlineState;
  reason: string;
}

/** New component texts (only those that changed), or null when reflection had nothing to offer. */
export type OnlineReflectOutput = { components: Record<string, string> } | null;

/** What the optimizer asks the runtime to persist; the runtime stamps time and run id. */
export type PersistRequest =
  | { kind: 'outcome'; outcome: Outcome; composite: number | null }
  | { kind: 'candidate'; id: string; parentId: string; components: Record<string, string>; reason: string }
  | ({ kind: 'decision' } & DecisionSummary);

export interface OptimizerContext extends Omit<OptimizerInput, 'armId'> {
  armId: string;
  /** A goal outcome is waiting for its SETTLED answer. */
  goalPending: boolean;
  /** Human-readable: what the last judgement changed. */
  change: string | null;
  /** The last decision or new candidate, for persistence. */
  lastChange: Exclude<PersistRequest, { kind: 'outcome' }> | null;
  mutation: number;
  metrics: ReturnType<typeof metricsOf>;
  /** What the last goal settled (the SETTLED answer without its type), null until a goal settles. */
  settled: Omit<OptimizerSettledEvent, 'type'> | null;
}

export const optimizerMachine = setup({
  types: {
    context: {} as OptimizerContext,
    events: {} as OptimizerInbound,
    input: {} as OptimizerInput,
  },
  actors: {
    reflect: fromPromise<OnlineReflectOutput, ReflectInput>(async () => {
      throw new Error('reflect is not provided: the runtime must supply the reflection model call');
    }),
  },
  guards: {
    shouldMutate: ({ context }) => mutationReason(context.state, context.settings) !== null,
    trialDecided: ({ context }) => context.goalPending && (trialVerdict(context.state, context.settings)?.verdict ?? 'continue') !== 'continue',
  },
  actions: {
    persist: (_, _request: PersistRequest) => {},
    record: assign(({ context, event }) => {
      const state = recordOutcome(context.state, outcomeOf(context.armId, event), context.settings);
      return { state, goalPending: context.goalPending || event.type === 'GOAL.FINISHED', metrics: metricsOf(state, context.settings) };
    }),
    decide: assign(({ context }) => {
      const d = decisionOf(context.state, trialVerdict(context.state, context.settings)!)!;
      const state = applyDecision(context.state, d);
      const change = d.verdict === 'switch' ? `switched to ${d.challengerId}: ${d.reason}` : `rejected challenger ${d.challengerId}: ${d.reason}`;
      return { state, change, lastChange: { kind: 'decision' as const, ...d }, metrics: metricsOf(state, context.settings) };
    }),
    adoptChallenger: assign(({ context }, proposal: { components: Record<string, string> }) => {
      const parent = activeCandidate(context.state);
      const id = `${context.runId}.${context.mutation + 1}`;
      const components = { ...parent.components, ...proposal.components };
      const reason = mutationReason(context.state, context.settings)!;
      const state = proposeChallenger(context.state, { id, parentId: parent.id, components }, context.settings);
      return {
        state,
        mutation: context.mutation + 1,
        change: `new challenger ${id} (${Object.keys(proposal.components).join(', ')}) on trial against ${parent.id}: ${reason}`,
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
    /** After a switch: the new champion's prompts (a longer session, e.g. chat, uses them from its next goal). */
    announcePrompts: sendParent(({ context }): OptimizerPromptsEvent => {
      const active = activeCandidate(context.state);
      return { type: 'OPTIMIZER.PROMPTS', prompts: active.components, candidateId: active.id, reason: context.change ?? '' };
    }),
    settle: enqueueActions(({ context, enqueue }) => {
      if (!context.goalPending) return;
      const d = context.lastChange?.kind === 'decision' ? context.lastChange : null;
      const settled: Omit<OptimizerSettledEvent, 'type'> = {
        activeId: context.state.activeId,
        composite: composite(context.state.outcomes, context.settings.recency_decay),
        change: context.change,
        armId: context.armId,
        trial: context.state.trial,
        decision: d
          ? {
              verdict: d.verdict,
              championId: d.championId,
              challengerId: d.challengerId,
              champion: d.champion,
              challenger: d.challenger,
              pBetter: d.pBetter,
              reason: d.reason,
            }
          : null,
      };
      enqueue.sendParent({ type: 'OPTIMIZER.SETTLED', ...settled } satisfies OptimizerSettledEvent);
      enqueue.assign({ goalPending: false, change: null, settled });
    }),
  },
}).createMachine({
  id: 'optimizer',
  context: ({ input }) => ({
    runId: input.runId,
    settings: input.settings,
    state: input.state,
    // A run plays a candidate of the pool; an unknown id (pruned meanwhile) plays the champion.
    armId: input.armId && candidateById(input.state, input.armId) ? input.armId : input.state.activeId,
    goalPending: false,
    change: null,
    lastChange: null,
    mutation: 0,
    metrics: metricsOf(input.state, input.settings),
    settled: null,
  }),
  initial: 'listening',
  states: {
    listening: {
      description: 'Waiting for subtask and goal outcomes, each recorded in the history as it comes.',
      on: {
        'SUBTASK.FINISHED': { target: 'judging', actions: ['record', { type: 'persist', params: lastOutcome }] },
        'GOAL.FINISHED': { target: 'judging', actions: ['record', { type: 'persist', params: lastOutcome }] },
      },
    },
    judging: {
      description: 'After an outcome: decide a finished trial (switch or reject), or ask for a new challenger when failures call for one.',
      always: [
        {
          guard: 'trialDecided',
          target: 'listening',
          actions: ['decide', { type: 'persist', params: ({ context }) => context.lastChange! }, 'announcePrompts', 'settle'],
        },
        { guard: 'shouldMutate', target: 'mutating' },
        { target: 'listening', actions: 'settle' },
      ],
    },
    mutating: {
      description: 'The reflection model proposes a challenger from failing traces.',
      // Outcomes keep coming from parallel actors while the reflection model thinks.
      on: {
        'SUBTASK.FINISHED': { actions: ['record', { type: 'persist', params: lastOutcome }] },
        'GOAL.FINISHED': { actions: ['record', { type: 'persist', params: lastOutcome }] },
      },
      invoke: {
        id: 'reflect',
        src: 'reflect',
        input: ({ context }) => ({ state: context.state, reason: mutationReason(context.state, context.settings)! }),
        onDone: [
          {
            guard: ({ event }) => event.output !== null,
            target: 'listening',
            actions: [
              { type: 'adoptChallenger', params: ({ event }) => event.output! },
              { type: 'persist', params: ({ context }) => context.lastChange! },
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

function lastOutcome({ context, event }: { context: OptimizerContext; event: OptimizerInbound }): PersistRequest {
  // The outcome as received (excluded ones are not in the window, but are in the history).
  return { kind: 'outcome', outcome: outcomeOf(context.armId, event), composite: composite(context.state.outcomes, context.settings.recency_decay) };
}

/** What a finished subtask or goal means for learning: the components it is evidence about, its score and feedback. */
export function outcomeOf(candidateId: string, event: OptimizerInbound): Outcome {
  const { outcome, components, ...rest } = event.type === 'SUBTASK.FINISHED' ? subtaskOutcome(event) : goalOutcome(event);
  return { outcome, candidateId, components: Object.keys(components), ...rest };
}

type Judged = Omit<Outcome, 'candidateId' | 'components'> & { components: Record<string, string> };

/** A subtask is evidence about the planner (it chose and worded it) and the persona that worked on it. */
function subtaskOutcome({ goal, task, persona, report, prompts }: SubtaskFinishedEvent): Judged {
  const completed = report.status === 'completed';
  return {
    outcome: 'subtask',
    components: pick(prompts, [PLANNER_COMPONENT, personaComponent(persona)]),
    input: `Goal: ${goal}\nSubtask [${report.taskId}] ${task?.title ?? ''} (done when: ${task?.criteria ?? ''})`,
    output: report.summary,
    score: completed ? 1 : 0,
    feedback: completed ? 'The subtask was completed.' : `The subtask failed: ${report.summary}`,
    ...(!completed && report.infrastructure ? { excluded: report.infrastructure } : {}),
  };
}

/** A goal is evidence about the planner and every persona that ran; a failure the infrastructure caused anywhere is none. */
function goalOutcome(e: GoalFinishedEvent): Judged {
  const completed = e.outcome === 'completed';
  const failures = e.history.filter((r) => r.status === 'failed').map((r) => `[${r.taskId}] ${r.summary}`);
  const outside = e.infrastructure ?? e.history.find((r) => r.status === 'failed' && r.infrastructure)?.infrastructure ?? null;
  return {
    outcome: 'goal',
    components: pick(e.prompts, [PLANNER_COMPONENT, ...new Set(e.personas.map(personaComponent))]),
    input: `Goal: ${e.goal}`,
    output: completed ? e.answer : e.reason,
    score: completed ? 1 : 0,
    feedback: completed
      ? `The goal was completed in ${e.iterations} planner iterations.`
      : `The goal failed: ${e.reason}.${failures.length ? ` Failed subtasks: ${failures.join('; ')}` : ''}`,
    ...(!completed && outside ? { excluded: outside } : {}),
  };
}

function pick(prompts: Record<string, string>, names: string[]): Record<string, string> {
  return Object.fromEntries(names.filter((n) => prompts[n] !== undefined).map((n) => [n, prompts[n]!]));
}
