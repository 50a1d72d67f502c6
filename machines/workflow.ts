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
 */
import { and, assign, enqueueActions, fromPromise, not, sendTo, setup } from 'xstate';
import type {
  ActorReportedEvent,
  OptimizerOutcomeEvent,
  PlannerDecidedEvent,
  PlannerPlanEvent,
  ProgressPlanEvent,
  ProgressReportEvent,
  ProgressUpdateEvent,
  WorkflowEvent,
} from './events.js';
import { actorMachine } from './actor.js';
import { plannerMachine } from './planner.js';
import { optimizerMachine, type OptimizerInput } from './optimizer.js';
import { progressMachine } from './progress.js';
import { PLANNER_COMPONENT, personaComponent } from '../contracts/aime/prompts.js';
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
  /** Online GEPA: the optimizer's start state, or null to run without learning. */
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
  /** How the goal ended, decided before learning from it (concluding). */
  outcome: 'completed' | 'failed' | null;
  answer: string;
  reason: string;
  /** Online GEPA: the optimizer's start state when it is on (null = no learning). */
  optimizerInput: OptimizerInput | null;
  /** Which persona ran each task, for attributing outcomes to prompt components. */
  personaOf: Record<string, string>;
  /** The prompt candidate in use, and what the optimizer changed after this goal. */
  candidateId: string | null;
  learningNote: string | null;
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
    isLearning: ({ context }) => context.optimizerInput !== null,
    goalCompleted: ({ context }) => context.outcome === 'completed',
    tokenBudgetExceeded: ({ context }) =>
      context.limits.tokenBudget !== null && context.usage.totalTokens > context.limits.tokenBudget,
  },
  actions: {
    storeTasks: assign(({ event }) => (event.type === 'PROGRESS.CHANGED' ? { tasks: event.tasks } : {})),
    addUsage: assign(({ context, event }) =>
      'usage' in event ? { usage: addUsage(context.usage, event.usage) } : {},
    ),
    // ---- messages to other actors ----
    spawnCollaborators: enqueueActions(({ enqueue }, optimizer: OptimizerInput | null) => {
      enqueue.spawnChild('progress', { id: 'progress', systemId: 'progress', input: {} });
      enqueue.spawnChild('planner', { id: 'planner', systemId: 'planner' });
      if (optimizer) enqueue.spawnChild('optimizer', { id: 'optimizer', systemId: 'optimizer', input: optimizer });
    }),
    reportSubtaskOutcome: sendTo('optimizer', ({ context }, report: ActorReport): OptimizerOutcomeEvent => {
      const persona = context.personaOf[report.taskId] ?? '';
      const task = findTask(context.tasks, report.taskId);
      return {
        type: 'OPTIMIZER.OUTCOME',
        kind: 'subtask',
        components: pick(context.prompts, [PLANNER_COMPONENT, personaComponent(persona)]),
        input: `Goal: ${context.goal}\nSubtask [${report.taskId}] ${task?.title ?? ''} (done when: ${task?.criteria ?? ''})`,
        output: report.summary,
        score: report.status === 'completed' ? 1 : 0,
        feedback: report.status === 'completed' ? 'The subtask was completed.' : `The subtask failed: ${report.summary}`,
      };
    }),
    reportGoalOutcome: sendTo('optimizer', ({ context }): OptimizerOutcomeEvent => {
      const personas = [...new Set(Object.values(context.personaOf))].map(personaComponent);
      const failures = context.history.filter((r) => r.status === 'failed').map((r) => `[${r.taskId}] ${r.summary}`);
      return {
        type: 'OPTIMIZER.OUTCOME',
        kind: 'goal',
        components: pick(context.prompts, [PLANNER_COMPONENT, ...personas]),
        input: `Goal: ${context.goal}`,
        output: context.outcome === 'completed' ? context.answer : context.reason,
        score: context.outcome === 'completed' ? 1 : 0,
        feedback:
          context.outcome === 'completed'
            ? `The goal was completed in ${context.iteration} planner iterations.`
            : `The goal failed: ${context.reason}.${failures.length ? ` Failed subtasks: ${failures.join('; ')}` : ''}`,
      };
    }),
    askPlanner: sendTo('planner', ({ context }): PlannerPlanEvent => ({
      type: 'PLANNER.PLAN',
      goal: context.goal,
      tasks: context.tasks,
      history: context.history,
      iteration: context.iteration,
      plannerPrompt: context.prompts['planner'] ?? '',
    })),
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
    sendPlanToProgress: sendTo('progress', ({ context }): ProgressPlanEvent => ({
      type: 'PROGRESS.PLAN',
      tasks: context.decision!.tasks,
    })),
    deadlinePassed: assign(({ context }) => ({ reason: `deadline of ${context.limits.deadlineMs} ms exceeded` })),
    recordLearning: assign(({ event }) =>
      event.type === 'OPTIMIZER.SETTLED' ? { candidateId: event.activeId, learningNote: event.change } : {},
    ),
    recordDecision: assign(({ context, event }) => {
      const { decision } = event as PlannerDecidedEvent;
      return {
        decision,
        plannerLog: [...context.plannerLog, { iteration: context.iteration, rationale: decision.rationale, action: decision.action }],
      };
    }),
  },
}).createMachine({
  id: 'workflow',
  context: ({ input }) => ({
    goal: input.goal,
    limits: input.limits,
    prompts: input.prompts,
    optimizerInput: input.optimizer,
    candidateId: input.optimizer?.state.activeId ?? null,
    learningNote: null,
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
  entry: { type: 'spawnCollaborators', params: ({ context }) => context.optimizerInput },
  initial: 'running',
  states: {
    running: {
      after: {
        deadline: { guard: 'hasDeadline', target: 'failed', actions: 'deadlinePassed' },
      },
      on: {
        'WORKFLOW.DEADLINE': { target: 'failed', actions: 'deadlinePassed' },
        'WORKFLOW.CANCEL': {
          target: 'cancelled',
          actions: assign(({ event }) => ({ reason: event.reason ?? 'cancelled by the user' })),
        },
        'PROGRESS.CHANGED': { actions: 'storeTasks' },
        'ACTOR.USAGE': { actions: 'addUsage' },
        'ACTOR.STEP': {},
        'OPTIMIZER.PROMPTS': {
          actions: assign(({ context, event }) => ({ prompts: { ...context.prompts, ...event.prompts }, candidateId: event.candidateId })),
        },
      },
      always: {
        guard: 'tokenBudgetExceeded',
        target: 'failed',
        actions: assign(({ context }) => ({
          reason: `token budget of ${context.limits.tokenBudget} exceeded (${context.usage.totalTokens} used)`,
        })),
      },
      initial: 'initializing',
      states: {
        initializing: {
          invoke: {
            id: 'initialize',
            src: 'initialize',
            input: ({ context }) => ({ prompts: context.prompts }),
            onDone: { target: 'planning', actions: assign(({ event }) => ({ prompts: event.output.prompts })) },
            onError: {
              target: '#workflow.failed',
              actions: assign(({ event }) => ({ reason: `initialization failed: ${errorMessage(event.error)}` })),
            },
          },
        },
        planning: {
          entry: [assign(({ context }) => ({ iteration: context.iteration + 1 })), 'askPlanner'],
          on: {
            'PLANNER.DECIDED': [
              {
                guard: 'decidedFinish',
                target: 'finishing',
                actions: [
                  'addUsage',
                  'recordDecision',
                  'sendPlanToProgress',
                  assign(({ event }) => ({ answer: actionField(event.decision, 'answer') })),
                ],
              },
              {
                guard: 'decidedFail',
                target: 'concluding',
                actions: [
                  'addUsage',
                  'recordDecision',
                  'sendPlanToProgress',
                  assign(({ event }) => ({ outcome: 'failed' as const, reason: `planner gave up: ${actionField(event.decision, 'reason')}` })),
                ],
              },
              { target: 'dispatching', actions: ['addUsage', 'recordDecision', 'sendPlanToProgress'] },
            ],
            'PLANNER.FAILED': {
              target: 'concluding',
              actions: ['addUsage', assign(({ event }) => ({ outcome: 'failed' as const, reason: event.reason }))],
            },
          },
        },
        finishing: {
          // Wait until the progress manager has the final list, so the report shows it.
          on: {
            'PROGRESS.CHANGED': { guard: 'isPlanAck', target: 'concluding', actions: ['storeTasks', assign({ outcome: 'completed' as const })] },
          },
        },
        concluding: {
          // Online GEPA learns from the goal's outcome before the run ends.
          entry: enqueueActions(({ context, enqueue }) => {
            if (context.optimizerInput) enqueue('reportGoalOutcome');
          }),
          always: [
            { guard: and([not('isLearning'), 'goalCompleted']), target: '#workflow.done' },
            { guard: not('isLearning'), target: '#workflow.failed' },
          ],
          on: {
            'OPTIMIZER.SETTLED': [
              { guard: 'goalCompleted', target: '#workflow.done', actions: 'recordLearning' },
              { target: '#workflow.failed', actions: 'recordLearning' },
            ],
          },
        },
        dispatching: {
          initial: 'awaitingPlan',
          states: {
            awaitingPlan: {
              on: { 'PROGRESS.CHANGED': { guard: 'isPlanAck', target: 'composing', actions: 'storeTasks' } },
            },
            composing: {
              always: {
                guard: 'nothingToDispatch',
                target: '#workflow.running.evaluating',
                actions: assign(({ context }) => ({
                  // Tell the planner, through H_t, why nothing ran.
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
                    assign(({ context, event }) => ({
                      inFlight: event.output.map((s) => s.taskId),
                      personaOf: { ...context.personaOf, ...Object.fromEntries(event.output.map((s) => [s.taskId, s.persona])) },
                    })),
                    { type: 'startActors', params: ({ event }) => event.output },
                  ],
                },
                onError: {
                  target: '#workflow.running.concluding',
                  actions: assign(({ event }) => ({ outcome: 'failed' as const, reason: `actor factory failed: ${errorMessage(event.error)}` })),
                },
              },
            },
          },
        },
        executing: {
          on: {
            'ACTOR.REPORTED': {
              // Usage already arrived step by step as ACTOR.USAGE; the report's total is kept per run only.
              actions: [
                assign(({ context, event }) => ({
                  inFlight: context.inFlight.filter((id) => id !== event.report.taskId),
                  history: [...context.history, event.report],
                  actorRuns: [...context.actorRuns, toActorRun(event, context.iteration)],
                })),
                { type: 'forwardReport', params: ({ event }) => event.report },
                enqueueActions(({ context, event, enqueue }) => {
                  if (context.optimizerInput) enqueue({ type: 'reportSubtaskOutcome', params: event.report });
                }),
              ],
            },
          },
          always: { guard: 'allReported', target: 'evaluating' },
        },
        evaluating: {
          always: [
            {
              guard: 'iterationLimitReached',
              target: 'concluding',
              actions: assign(({ context }) => ({
                outcome: 'failed' as const,
                reason: `iteration limit (${context.limits.maxIterations}) reached before the planner finished`,
              })),
            },
            { target: 'refreshing' },
          ],
        },
        refreshing: {
          entry: 'requestRollup',
          on: { 'PROGRESS.CHANGED': { guard: 'isRollupAck', target: 'planning', actions: 'storeTasks' } },
        },
      },
    },
    done: { type: 'final', entry: assign({ status: 'completed' }) },
    failed: { type: 'final', entry: assign({ status: 'failed' }) },
    cancelled: { type: 'final', entry: assign({ status: 'cancelled' }) },
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

function pick(prompts: Record<string, string>, names: string[]): Record<string, string> {
  return Object.fromEntries(names.filter((n) => prompts[n] !== undefined).map((n) => [n, prompts[n]!]));
}

function toActorRun(event: ActorReportedEvent, iteration: number): ActorRun {
  return { taskId: event.report.taskId, iteration, report: event.report, steps: event.steps, usage: event.usage };
}
