/**
 * The workflow: the root actor of a run (systemId "workflow").
 *
 *   running.initializing -> planning -> dispatching -> executing -> evaluating -> refreshing -> planning ...
 *   ... -> done | failed | cancelled
 *
 * It spawns the planner and the progress manager, and one dynamic actor per
 * dispatched subtask (the actor factory composes their specs). It never
 * touches another actor's context: everything goes through the events in
 * events.ts. Limits: iterations, token budget and a wall-clock deadline (on
 * XState's clock, so tests can simulate it). All effects are provided by name.
 *
 * Online learning is not part of this loop: when it is on, the optimizer is a
 * child that observes the run. The workflow tells it two plain facts,
 * SUBTASK.FINISHED and GOAL.FINISHED, and before it ends waits for the
 * optimizer's OPTIMIZER.SETTLED; what the facts mean for learning, and what
 * learning concluded, live in the optimizer (machines/optimizer.ts).
 */
import { and, assertEvent, assign, enqueueActions, fromPromise, not, sendTo, setup } from 'xstate';
import type {
  ActorReportedEvent,
  GoalFinishedEvent,
  PlannerPlanEvent,
  ProgressPlanEvent,
  ProgressReportEvent,
  ProgressUpdateEvent,
  SubtaskFinishedEvent,
  WorkflowEvent,
} from './events.js';
import { actorMachine } from './actor.js';
import { plannerMachine } from './planner.js';
import { optimizerMachine, type OptimizerInput } from './optimizer.js';
import { progressMachine } from './progress.js';
import type { ActorReport, ActorSpec, ActorStep, PlannerDecision } from '../contracts/aime/types.js';
import type { TaskList } from '../contracts/aime/taskList.js';
import { findTask, isDispatchable } from '../contracts/aime/taskListOps.js';
import { addUsage, ZERO_USAGE, type TokenUsage } from '../contracts/llm.js';
import { errorMessage } from '../contracts/errors.js';

export interface WorkflowLimits {
  maxIterations: number;
  maxActorSteps: number;
  maxParallelActors: number;
  /** Total tokens across all model calls; null = unlimited. */
  tokenBudget: number | null;
  /** Wall-clock budget in ms from the start of the run; null = none. */
  deadlineMs: number | null;
}

export interface WorkflowInput {
  goal: string;
  limits: WorkflowLimits;
  /** Prompt components by name: `planner`, `persona.<name>`. */
  prompts: Record<string, string>;
  /** Online learning: the optimizer's start state, or null to run without learning. */
  optimizer: OptimizerInput | null;
}

export interface PlannerRecord {
  iteration: number;
  rationale: string;
  action: PlannerDecision['action'];
}

/** Everything one actor did for one subtask. */
export interface ActorRun {
  taskId: string;
  iteration: number;
  report: ActorReport;
  steps: ActorStep[];
  usage: TokenUsage;
}

export interface ComposeActorsInput {
  goal: string;
  tasks: TaskList;
  taskIds: string[];
  assignments: PlannerDecision['assignments'];
  prompts: Record<string, string>;
  history: ActorReport[];
  maxSteps: number;
  iteration: number;
}

export type WorkflowStatus = 'running' | 'completed' | 'failed' | 'cancelled';

export interface WorkflowContext {
  goal: string;
  limits: WorkflowLimits;
  prompts: Record<string, string>;
  iteration: number;
  tasks: TaskList;
  /** H_t: the actor reports the planner sees. */
  history: ActorReport[];
  plannerLog: PlannerRecord[];
  decision: PlannerDecision | null;
  /** Task ids of the actors running now. */
  inFlight: string[];
  actorRuns: ActorRun[];
  usage: TokenUsage;
  status: WorkflowStatus;
  /** How the goal ended, decided in concluding before the run ends. */
  outcome: 'completed' | 'failed' | null;
  answer: string;
  reason: string;
  /** An optimizer child observes the run (online learning): it hears the FINISHED events, and the run waits for it to settle. */
  observed: boolean;
  /** Which persona the actor factory gave each task. */
  personaOf: Record<string, string>;
  /** Set when the infrastructure or a limit, not the agents, failed the goal (model call, actor factory, iteration limit). */
  infrastructure: string | null;
}

export interface WorkflowOutput {
  status: Exclude<WorkflowStatus, 'running'>;
  answer: string;
  reason: string;
  iterations: number;
  usage: TokenUsage;
}

/** setTimeout cannot take more than 2^31-1 ms; with no deadline the guard keeps the timer inert. */
const NO_DEADLINE_MS = 2 ** 31 - 1;

export const workflowMachine = setup({
  types: {
    context: {} as WorkflowContext,
    events: {} as WorkflowEvent,
    input: {} as WorkflowInput,
    output: {} as WorkflowOutput,
  },
  actors: {
    planner: plannerMachine,
    optimizer: optimizerMachine,
    progress: progressMachine,
    dynamicActor: actorMachine,
    // A hook for a runtime to prepare the run's prompts before the first plan (the collaborators
    // are spawned on entry). The default keeps them as given: warm start already happened in input.
    initialize: fromPromise<{ prompts: Record<string, string> }, { prompts: Record<string, string> }>(async ({ input }) => ({
      prompts: input.prompts,
    })),
    composeActors: fromPromise<ActorSpec[], ComposeActorsInput>(async () => {
      throw new Error('composeActors is not provided: the runtime must supply the actor factory');
    }),
  },
  delays: {
    deadline: ({ context }) => context.limits.deadlineMs ?? NO_DEADLINE_MS,
  },
  guards: {
    hasDeadline: ({ context }) => context.limits.deadlineMs !== null,
    decidedFinish: ({ event }) => event.type === 'PLANNER.DECIDED' && event.decision.action.type === 'finish',
    decidedFail: ({ event }) => event.type === 'PLANNER.DECIDED' && event.decision.action.type === 'fail',
    isPlanAck: ({ event }) => event.type === 'PROGRESS.CHANGED' && event.cause === 'plan',
    isRollupAck: ({ event }) => event.type === 'PROGRESS.CHANGED' && event.cause === 'rollup',
    nothingToDispatch: ({ context }) => selectTasks(context).length === 0,
    allReported: ({ context }) => context.inFlight.length === 0,
    iterationLimitReached: ({ context }) => context.iteration >= context.limits.maxIterations,
    isObserved: ({ context }) => context.observed,
    goalCompleted: ({ context }) => context.outcome === 'completed',
    tokenBudgetExceeded: ({ context }) => context.limits.tokenBudget !== null && context.usage.totalTokens > context.limits.tokenBudget,
  },
  actions: {
    storeTasks: assign(({ event }) => (event.type === 'PROGRESS.CHANGED' ? { tasks: event.tasks } : {})),
    addUsage: assign(({ context, event }) => ('usage' in event ? { usage: addUsage(context.usage, event.usage) } : {})),
    // ---- messages to other actors ----
    spawnCollaborators: enqueueActions(({ enqueue }, optimizer: OptimizerInput | null) => {
      enqueue.spawnChild('progress', { id: 'progress', systemId: 'progress', input: {} });
      enqueue.spawnChild('planner', { id: 'planner', systemId: 'planner' });
      if (optimizer) enqueue.spawnChild('optimizer', { id: 'optimizer', systemId: 'optimizer', input: optimizer });
    }),
    // The observer hears plain facts; only it knows what they mean for learning.
    announceSubtaskFinished: enqueueActions(({ context, enqueue }, report: ActorReport) => {
      if (!context.observed) return;
      const task = findTask(context.tasks, report.taskId);
      enqueue.sendTo('optimizer', {
        type: 'SUBTASK.FINISHED',
        goal: context.goal,
        task: task ? { title: task.title, criteria: task.criteria } : null,
        persona: context.personaOf[report.taskId] ?? '',
        report,
        prompts: context.prompts,
      } satisfies SubtaskFinishedEvent);
    }),
    announceGoalFinished: enqueueActions(({ context, enqueue }) => {
      if (!context.observed) return;
      enqueue.sendTo('optimizer', {
        type: 'GOAL.FINISHED',
        goal: context.goal,
        outcome: context.outcome ?? 'failed',
        answer: context.answer,
        reason: context.reason,
        iterations: context.iteration,
        history: context.history,
        personas: [...new Set(Object.values(context.personaOf))],
        prompts: context.prompts,
        infrastructure: context.infrastructure,
      } satisfies GoalFinishedEvent);
    }),
    askPlanner: sendTo(
      'planner',
      ({ context }): PlannerPlanEvent => ({
        type: 'PLANNER.PLAN',
        goal: context.goal,
        tasks: context.tasks,
        history: context.history,
        iteration: context.iteration,
        plannerPrompt: context.prompts['planner'] ?? '',
      }),
    ),
    startActors: enqueueActions(({ enqueue }, specs: ActorSpec[]) => {
      for (const spec of specs) {
        enqueue.spawnChild('dynamicActor', { id: `actor:${spec.taskId}`, systemId: `actor:${spec.taskId}`, input: { spec } });
        enqueue.sendTo('progress', {
          type: 'PROGRESS.UPDATE',
          taskId: spec.taskId,
          status: 'in_progress',
          message: `dispatched to a ${spec.persona} actor`,
          from: 'workflow',
        } satisfies ProgressUpdateEvent);
      }
    }),
    forwardReport: sendTo('progress', (_, report: ActorReport): ProgressReportEvent => ({ type: 'PROGRESS.REPORT', report })),
    requestRollup: sendTo('progress', { type: 'PROGRESS.ROLLUP' }),
    sendPlanToProgress: sendTo(
      'progress',
      ({ context }): ProgressPlanEvent => ({
        type: 'PROGRESS.PLAN',
        tasks: context.decision!.tasks,
      }),
    ),
    deadlinePassed: assign(({ context }) => ({ reason: `deadline of ${context.limits.deadlineMs} ms exceeded` })),
    recordDecision: assign(({ context, event }) => {
      assertEvent(event, 'PLANNER.DECIDED');
      const { decision } = event;
      return {
        decision,
        plannerLog: [...context.plannerLog, { iteration: context.iteration, rationale: decision.rationale, action: decision.action }],
      };
    }),
    // ---- the run's own bookkeeping ----
    recordCancel: assign(({ event }) => {
      assertEvent(event, 'WORKFLOW.CANCEL');
      return { reason: event.reason ?? 'cancelled by the user' };
    }),
    applyPrompts: assign(({ context, event }) => {
      assertEvent(event, 'OPTIMIZER.PROMPTS');
      return { prompts: { ...context.prompts, ...event.prompts } };
    }),
    storePrompts: assign((_, prompts: Record<string, string>) => ({ prompts })),
    nextIteration: assign(({ context }) => ({ iteration: context.iteration + 1 })),
    recordAnswer: assign(({ event }) => {
      assertEvent(event, 'PLANNER.DECIDED');
      return { answer: actionField(event.decision, 'answer') };
    }),
    recordPlannerGaveUp: assign(({ event }) => {
      assertEvent(event, 'PLANNER.DECIDED');
      return { outcome: 'failed' as const, reason: `planner gave up: ${actionField(event.decision, 'reason')}` };
    }),
    recordPlannerFailure: assign(({ event }) => {
      assertEvent(event, 'PLANNER.FAILED');
      // A failed planner model call is no evidence about the prompts; a reply that failed its schema is.
      return { outcome: 'failed' as const, reason: event.reason, infrastructure: event.infrastructure ?? null };
    }),
    /** Why the run stops at once (a limit or a broken effect); no outcome, so nothing is learnt from it. */
    stopBecause: assign((_, reason: string) => ({ reason })),
    /** The goal failed: the outcome goes to concluding (and to an observer, if any). */
    failGoal: assign((_, reason: string) => ({ outcome: 'failed' as const, reason })),
    /** The goal failed because of the infrastructure or a limit, not the agents. */
    failGoalOutside: assign((_, f: { reason: string; cause: string }) => ({ outcome: 'failed' as const, reason: f.reason, infrastructure: f.cause })),
    markCompleted: assign({ outcome: 'completed' as const }),
    // Tell the planner, through H_t, why nothing ran.
    noteNothingDispatched: assign(({ context }) => ({
      history: [
        ...context.history,
        {
          taskId: '-',
          status: 'failed' as const,
          summary: `none of the tasks the planner dispatched (${dispatchIds(context).join(', ') || 'none'}) is pending with all subtasks done; dispatch pending leaf tasks by id`,
          references: [],
        },
      ],
    })),
    trackActors: assign(({ context }, specs: ActorSpec[]) => ({
      inFlight: specs.map((s) => s.taskId),
      personaOf: { ...context.personaOf, ...Object.fromEntries(specs.map((s) => [s.taskId, s.persona])) },
    })),
    // Usage already arrived step by step as ACTOR.USAGE; the report's total is kept per run only.
    recordReport: assign(({ context, event }) => {
      assertEvent(event, 'ACTOR.REPORTED');
      return {
        inFlight: context.inFlight.filter((id) => id !== event.report.taskId),
        history: [...context.history, event.report],
        actorRuns: [...context.actorRuns, toActorRun(event, context.iteration)],
      };
    }),
    setStatus: assign((_, status: Exclude<WorkflowStatus, 'running'>) => ({ status })),
  },
}).createMachine({
  id: 'workflow',
  context: ({ input }) => ({
    goal: input.goal,
    limits: input.limits,
    prompts: input.prompts,
    observed: input.optimizer !== null,
    infrastructure: null,
    personaOf: {},
    outcome: null,
    iteration: 0,
    tasks: [],
    history: [],
    plannerLog: [],
    decision: null,
    inFlight: [],
    actorRuns: [],
    usage: ZERO_USAGE,
    status: 'running',
    answer: '',
    reason: '',
  }),
  entry: { type: 'spawnCollaborators', params: ({ event }) => optimizerInputOf(event) },
  initial: 'running',
  states: {
    running: {
      description: 'A goal in progress; a deadline, the token budget or a cancel ends it from any substate.',
      after: {
        deadline: { guard: 'hasDeadline', target: 'failed', actions: 'deadlinePassed' },
      },
      on: {
        'WORKFLOW.DEADLINE': { target: 'failed', actions: 'deadlinePassed' },
        'WORKFLOW.CANCEL': { target: 'cancelled', actions: 'recordCancel' },
        'PROGRESS.CHANGED': { actions: 'storeTasks' },
        'ACTOR.USAGE': { actions: 'addUsage' },
        'ACTOR.STEP': {},
        'OPTIMIZER.PROMPTS': { actions: 'applyPrompts' },
      },
      always: {
        guard: 'tokenBudgetExceeded',
        target: 'failed',
        actions: {
          type: 'stopBecause',
          params: ({ context }) => `token budget of ${context.limits.tokenBudget} exceeded (${context.usage.totalTokens} used)`,
        },
      },
      initial: 'initializing',
      states: {
        initializing: {
          description: "The runtime prepares the run's prompts before the first plan.",
          invoke: {
            id: 'initialize',
            src: 'initialize',
            input: ({ context }) => ({ prompts: context.prompts }),
            onDone: { target: 'planning', actions: { type: 'storePrompts', params: ({ event }) => event.output.prompts } },
            onError: {
              target: '#workflow.failed',
              actions: { type: 'stopBecause', params: ({ event }) => `initialization failed: ${errorMessage(event.error)}` },
            },
          },
        },
        planning: {
          description: 'The planner updates the task list and picks the next action (AIME Eq. 1).',
          entry: ['nextIteration', 'askPlanner'],
          on: {
            'PLANNER.DECIDED': [
              {
                guard: 'decidedFinish',
                target: 'finishing',
                actions: ['addUsage', 'recordDecision', 'sendPlanToProgress', 'recordAnswer'],
              },
              {
                guard: 'decidedFail',
                target: 'concluding',
                actions: ['addUsage', 'recordDecision', 'sendPlanToProgress', 'recordPlannerGaveUp'],
              },
              { target: 'dispatching', actions: ['addUsage', 'recordDecision', 'sendPlanToProgress'] },
            ],
            'PLANNER.FAILED': { target: 'concluding', actions: ['addUsage', 'recordPlannerFailure'] },
          },
        },
        finishing: {
          description: 'The planner finished: wait until the progress manager has the final list, so the report shows it.',
          on: {
            'PROGRESS.CHANGED': { guard: 'isPlanAck', target: 'concluding', actions: ['storeTasks', 'markCompleted'] },
          },
        },
        concluding: {
          description: 'The outcome is decided; an observer (online learning, when on) hears GOAL.FINISHED and the run waits for it to settle.',
          entry: 'announceGoalFinished',
          always: [
            { guard: and([not('isObserved'), 'goalCompleted']), target: '#workflow.done' },
            { guard: not('isObserved'), target: '#workflow.failed' },
          ],
          on: {
            'OPTIMIZER.SETTLED': [{ guard: 'goalCompleted', target: '#workflow.done' }, { target: '#workflow.failed' }],
          },
        },
        dispatching: {
          description: 'The planner dispatched tasks: the actor factory builds one actor per runnable task.',
          initial: 'awaitingPlan',
          states: {
            awaitingPlan: {
              description: 'Wait for the progress manager to hold the new plan.',
              on: { 'PROGRESS.CHANGED': { guard: 'isPlanAck', target: 'composing', actions: 'storeTasks' } },
            },
            composing: {
              description: 'The actor factory composes each actor (persona, tools, knowledge, environment, format).',
              always: {
                guard: 'nothingToDispatch',
                target: '#workflow.running.evaluating',
                actions: 'noteNothingDispatched',
              },
              invoke: {
                id: 'composeActors',
                src: 'composeActors',
                input: ({ context }): ComposeActorsInput => ({
                  goal: context.goal,
                  tasks: context.tasks,
                  taskIds: selectTasks(context),
                  assignments: context.decision?.assignments,
                  prompts: context.prompts,
                  history: context.history,
                  maxSteps: context.limits.maxActorSteps,
                  iteration: context.iteration,
                }),
                onDone: {
                  target: '#workflow.running.executing',
                  actions: [
                    { type: 'trackActors', params: ({ event }) => event.output },
                    { type: 'startActors', params: ({ event }) => event.output },
                  ],
                },
                onError: {
                  target: '#workflow.running.concluding',
                  actions: {
                    type: 'failGoalOutside',
                    params: ({ event }) => ({ reason: `actor factory failed: ${errorMessage(event.error)}`, cause: 'actor factory failed' }),
                  },
                },
              },
            },
          },
        },
        executing: {
          description: 'Dynamic actors work on their subtasks; each ends with a report.',
          on: {
            'ACTOR.REPORTED': {
              actions: [
                'recordReport',
                { type: 'forwardReport', params: ({ event }) => event.report },
                { type: 'announceSubtaskFinished', params: ({ event }) => event.report },
              ],
            },
          },
          always: { guard: 'allReported', target: 'evaluating' },
        },
        evaluating: {
          description: 'Every dispatched actor reported: stop at the iteration limit, else refresh the list.',
          always: [
            {
              guard: 'iterationLimitReached',
              target: 'concluding',
              actions: {
                type: 'failGoalOutside',
                params: ({ context }) => ({
                  reason: `iteration limit (${context.limits.maxIterations}) reached before the planner finished`,
                  cause: 'iteration limit reached',
                }),
              },
            },
            { target: 'refreshing' },
          ],
        },
        refreshing: {
          description: 'The progress manager rolls statuses up the task tree before the next plan.',
          entry: 'requestRollup',
          on: { 'PROGRESS.CHANGED': { guard: 'isRollupAck', target: 'planning', actions: 'storeTasks' } },
        },
      },
    },
    done: { type: 'final', description: 'The goal was completed.', entry: { type: 'setStatus', params: 'completed' } },
    failed: { type: 'final', description: 'The goal failed; the reason says why.', entry: { type: 'setStatus', params: 'failed' } },
    cancelled: { type: 'final', description: 'The run was cancelled.', entry: { type: 'setStatus', params: 'cancelled' } },
  },
  output: ({ context }) => ({
    status: context.status === 'running' ? 'failed' : context.status,
    answer: context.answer,
    reason: context.reason,
    iterations: context.iteration,
    usage: context.usage,
  }),
});

function actionField(decision: PlannerDecision, key: 'answer' | 'reason'): string {
  const action = decision.action as Record<string, unknown>;
  return typeof action[key] === 'string' ? (action[key] as string) : '';
}

function dispatchIds(context: WorkflowContext): string[] {
  const action = context.decision?.action;
  return action?.type === 'dispatch' ? action.taskIds : [];
}

/** The planner's chosen tasks that can run now, capped at the parallelism limit (paper default: one). */
function selectTasks(context: WorkflowContext): string[] {
  const unique = [...new Set(dispatchIds(context))];
  return unique
    .filter((id) => findTask(context.tasks, id) !== undefined && isDispatchable(context.tasks, id))
    .slice(0, Math.max(1, context.limits.maxParallelActors));
}

/** The root's entry runs on XState's init event, which carries the input: the optimizer's start state, if learning is on. */
function optimizerInputOf(event: { type: string }): OptimizerInput | null {
  return event.type === 'xstate.init' ? ((event as { input?: Partial<WorkflowInput> }).input?.optimizer ?? null) : null;
}

function toActorRun(event: ActorReportedEvent, iteration: number): ActorRun {
  return { taskId: event.report.taskId, iteration, report: event.report, steps: event.steps, usage: event.usage };
}
