/**
 * A dynamic actor (AIME §4.3): one per subtask, built by the actor factory.
 * Its ReAct loop is the shared one (machines/react.ts): reasoning (model
 * call) -> acting (tool calls) -> observing -> reasoning ... until the model
 * ends with its report o_t, or the step limit (`spec.maxSteps` model calls,
 * the rule in react.ts) is reached. Tool errors are observations, not
 * failures. The update_progress system tool becomes a PROGRESS.UPDATE event
 * to the progress manager.
 */
import { assign, enqueueActions, fromPromise, sendParent, setup } from 'xstate';
import { isLastAllowedCall, reactStates } from './react.js';
import type { ActorReportedEvent, ActorStepEvent, ActorUsageEvent, ProgressUpdateEvent } from './events.js';
import type { ActorReport, ActorSpec, ActorStep, ThinkInput, ThinkResult, ToolCallOutcome, ToolCallRequest } from '../contracts/aime/types.js';
import { addUsage, ZERO_USAGE, type ChatMessage, type TokenUsage } from '../contracts/llm.js';
import { errorMessage } from '../contracts/errors.js';

export interface ActorContext {
  spec: ActorSpec;
  messages: ChatMessage[];
  steps: ActorStep[];
  /** Model calls made so far: the ReAct step count the limit applies to. */
  stepCount: number;
  thought: string;
  pendingCalls: ToolCallRequest[];
  usage: TokenUsage;
  report: ActorReport | null;
}

/** A tool outcome may carry a progress update for the system tool update_progress. */
export type ActorToolOutcome = ToolCallOutcome & {
  progress?: { status: ProgressUpdateEvent['status']; message: string };
};

export interface ActorToolsInput {
  spec: ActorSpec;
  calls: ToolCallRequest[];
  stepIndex: number;
}

function failedReport(taskId: string, summary: string, infrastructure?: string): ActorReport {
  return { taskId, status: 'failed', summary, references: [], ...(infrastructure ? { infrastructure } : {}) };
}

export const actorMachine = setup({
  types: {
    context: {} as ActorContext,
    input: {} as { spec: ActorSpec },
    output: {} as ActorReport,
  },
  actors: {
    think: fromPromise<ThinkResult, ThinkInput>(async () => {
      throw new Error('think is not provided: the runtime must supply the actor model call');
    }),
    runTools: fromPromise<ActorToolOutcome[], ActorToolsInput>(async () => {
      throw new Error('runTools is not provided: the runtime must supply tool execution');
    }),
  },
  guards: {
    answered: (_, result: ThinkResult) => result.final !== undefined,
    stepLimitReached: ({ context }) => isLastAllowedCall(context.stepCount, context.spec.maxSteps),
  },
  actions: {
    recordCall: assign(({ context }, result: ThinkResult) => ({
      messages: [...context.messages, result.message],
      thought: result.message.content || result.reasoning || '',
      pendingCalls: (result.message.toolCalls ?? []).map((c) => ({ id: c.id, name: c.name, arguments: c.arguments })),
      stepCount: context.stepCount + 1,
      usage: addUsage(context.usage, result.usage),
    })),
    recordAnswer: assign(({ context }, result: ThinkResult) => {
      const report = { ...result.final!, taskId: context.spec.taskId };
      const step: ActorStep = {
        index: context.steps.length,
        thought: context.thought,
        action: { tool: 'finish', arguments: JSON.stringify({ status: report.status }) },
        observation: report.summary,
        ok: report.status === 'completed',
      };
      return { report, steps: [...context.steps, step] };
    }),
    recordObservations: assign(({ context }, outcomes: ActorToolOutcome[]) => {
      const steps: ActorStep[] = outcomes.map((o, i) => ({
        index: context.steps.length + i,
        thought: i === 0 ? context.thought : '',
        action: { tool: o.name, arguments: o.arguments },
        observation: o.observation,
        ok: o.ok,
      }));
      const toolMessages: ChatMessage[] = outcomes.map((o) => ({ role: 'tool', content: o.observation, toolCallId: o.id, name: o.name }));
      return { steps: [...context.steps, ...steps], messages: [...context.messages, ...toolMessages], pendingCalls: [] };
    }),
    // Failures of the infrastructure or a limit: reported, but no evidence about the prompts (`infrastructure` set).
    failModelCall: assign(({ context }, error: unknown) => ({
      report: failedReport(context.spec.taskId, `model call failed: ${errorMessage(error)}`, 'model call failed'),
    })),
    failTools: assign(({ context }, error: unknown) => ({
      report: failedReport(context.spec.taskId, `tool execution failed: ${errorMessage(error)}`, 'tool runtime failed'),
    })),
    failStepLimit: assign(({ context }) => ({
      report: failedReport(
        context.spec.taskId,
        `step limit (${context.spec.maxSteps} model calls) reached before the completion criteria were met; last observation: ${
          context.steps.at(-1)?.observation.slice(0, 300) ?? 'none'
        }`,
        'step limit reached',
      ),
    })),
    // ---- messages to other actors ----
    reportUsage: sendParent(
      ({ context }, result: ThinkResult): ActorUsageEvent => ({
        type: 'ACTOR.USAGE',
        taskId: context.spec.taskId,
        usage: result.usage,
      }),
    ),
    forwardProgress: enqueueActions(({ context, enqueue }, outcomes: ActorToolOutcome[]) => {
      for (const o of outcomes) {
        if (!o.progress) continue;
        const update: ProgressUpdateEvent = {
          type: 'PROGRESS.UPDATE',
          taskId: context.spec.taskId,
          status: o.progress.status,
          message: o.progress.message,
          from: `actor:${context.spec.taskId}`,
        };
        enqueue.sendTo(({ system }) => system.get('progress'), update);
      }
    }),
    announceSteps: enqueueActions(({ context, enqueue }, outcomes: ActorToolOutcome[]) => {
      for (const step of context.steps.slice(-outcomes.length)) {
        enqueue.sendParent({ type: 'ACTOR.STEP', taskId: context.spec.taskId, step } satisfies ActorStepEvent);
      }
    }),
    deliverReport: sendParent(
      ({ context }): ActorReportedEvent => ({
        type: 'ACTOR.REPORTED',
        report: context.report!,
        steps: context.steps,
        usage: context.usage,
      }),
    ),
  },
}).createMachine({
  id: 'actor',
  context: ({ input }) => ({
    spec: input.spec,
    messages: [
      { role: 'system', content: input.spec.systemPrompt },
      { role: 'user', content: input.spec.taskPrompt },
    ],
    steps: [],
    stepCount: 0,
    thought: '',
    pendingCalls: [],
    usage: ZERO_USAGE,
    report: null,
  }),
  initial: 'reasoning',
  states: {
    ...reactStates<ThinkResult, ActorToolOutcome[]>()({
      model: {
        src: 'think',
        input: ({ context }: { context: ActorContext }): ThinkInput => ({ spec: context.spec, messages: context.messages, stepIndex: context.stepCount }),
      },
      tools: {
        src: 'runTools',
        input: ({ context }: { context: ActorContext }): ActorToolsInput => ({ spec: context.spec, calls: context.pendingCalls, stepIndex: context.stepCount }),
      },
      answered: 'reporting',
      failed: 'reporting',
      onReply: ['reportUsage'],
      onObserved: ['forwardProgress', 'announceSteps'],
    }),
    reporting: {
      description: 'The subtask ends with a structured report: status, summary, references.',
      entry: 'deliverReport',
      always: { target: 'done' },
    },
    done: {
      description: 'The report went to the workflow.',
      type: 'final',
    },
  },
  output: ({ context }) => context.report!,
});
