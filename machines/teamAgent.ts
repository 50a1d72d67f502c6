/**
 * One agent of a team, run once: a model call, or a short ReAct loop when
 * the agent has tool bundles. The loop is the shared one (machines/react.ts):
 * reasoning -> acting -> observing -> reasoning ... until a reply without
 * tool calls, or the step limit (`max_steps` model calls, the rule in
 * react.ts). Its reply goes to shared state under the agent's output_key. It
 * always ends with its result (output, state write, trace) as its output,
 * which its parent receives as its completion; a model error, a reply that
 * breaks the output schema or the step limit end it with `error` set.
 * Effects (`callModel`, `runTools`) are provided by name.
 */
import { assign, fromPromise, setup } from 'xstate';
import { isLastAllowedCall, reactStates } from './react.js';
import { addUsage, ZERO_USAGE, type ChatMessage, type TokenUsage } from '../contracts/llm.js';
import { agentMessages } from '../contracts/teams/prompt.js';
import type { AgentDef, AgentRunTrace, NodeInput, NodeResult, TeamState, ToolCallTrace } from '../contracts/teams/types.js';
import { errorMessage } from '../contracts/errors.js';

export interface AgentToolCall {
  id: string;
  name: string;
  arguments: string;
}

export interface CallModelInput {
  agent: AgentDef;
  messages: ChatMessage[];
  /** 0-based model call index within this run. */
  step: number;
}

export interface CallModelResult {
  /** The assistant message to append to the conversation. */
  message: ChatMessage;
  usage: TokenUsage;
  /** Tool calls to run; empty when the reply is the agent's answer. */
  toolCalls: AgentToolCall[];
  /** The answer (canonical JSON when the agent has an output schema), when there are no tool calls. */
  answer?: string;
  /** Why the answer is unusable (it breaks the output schema). */
  invalid?: string;
}

export interface AgentToolsInput {
  agent: AgentDef;
  calls: AgentToolCall[];
}

export interface AgentToolOutcome extends ToolCallTrace {
  id: string;
}

export interface AgentContext {
  agent: AgentDef | null;
  iteration: number | null;
  /** Shared state as the agent started. */
  state: TeamState;
  messages: ChatMessage[];
  stepCount: number;
  pendingCalls: AgentToolCall[];
  toolCalls: ToolCallTrace[];
  usage: TokenUsage;
  output: string;
  error: string | null;
}

/** The result a finished agent hands its parent: its reply, its state write and its trace. */
export function agentResult(c: AgentContext): NodeResult {
  const name = c.agent?.name ?? '?';
  const ok = c.error === null;
  const key = c.agent?.output_key;
  const writes: TeamState = ok && key ? { [key]: c.output } : {};
  const trace: AgentRunTrace = {
    agent: name,
    iteration: c.iteration,
    instruction: c.messages.find((m) => m.role === 'system')?.content ?? '',
    output: c.output,
    toolCalls: c.toolCalls,
    stateChanges: ok && key ? [{ key, previous: c.state[key] ?? null, value: c.output }] : [],
    usage: c.usage,
    error: c.error === null ? null : `agent ${name}: ${c.error}`,
  };
  return { output: ok ? c.output : '', writes, traces: [trace], error: trace.error };
}

export const teamAgentMachine = setup({
  types: {
    context: {} as AgentContext,
    input: {} as NodeInput,
    output: {} as NodeResult,
  },
  actors: {
    callModel: fromPromise<CallModelResult, CallModelInput>(async () => {
      throw new Error('callModel is not provided: the runtime must supply the agent model call');
    }),
    runTools: fromPromise<AgentToolOutcome[], AgentToolsInput>(async () => {
      throw new Error('runTools is not provided: the runtime must supply tool execution');
    }),
  },
  guards: {
    unknownAgent: ({ context }) => context.agent === null,
    answered: (_, r: CallModelResult) => r.toolCalls.length === 0,
    invalidAnswer: (_, r: CallModelResult) => r.toolCalls.length === 0 && r.invalid !== undefined,
    stepLimitReached: ({ context }) => isLastAllowedCall(context.stepCount, context.agent?.max_steps ?? 1),
  },
  actions: {
    recordCall: assign(({ context }, r: CallModelResult) => ({
      messages: [...context.messages, r.message],
      pendingCalls: r.toolCalls,
      stepCount: context.stepCount + 1,
      usage: addUsage(context.usage, r.usage),
    })),
    recordAnswer: assign((_, r: CallModelResult) => ({ output: r.answer ?? '' })),
    recordObservations: assign(({ context }, outcomes: AgentToolOutcome[]) => ({
      toolCalls: [...context.toolCalls, ...outcomes.map(({ id: _id, ...t }) => t)],
      messages: [...context.messages, ...outcomes.map((o): ChatMessage => ({ role: 'tool', content: o.observation, toolCallId: o.id, name: o.name }))],
      pendingCalls: [],
    })),
    failInvalid: assign((_, r: CallModelResult) => ({ error: r.invalid ?? 'the reply is not a valid answer' })),
    failStepLimit: assign(({ context }) => ({ error: `step limit (${context.agent?.max_steps ?? 1} model calls) reached before a final reply` })),
    failModelCall: assign((_, error: unknown) => ({ error: `model call failed: ${errorMessage(error)}` })),
    failTools: assign((_, error: unknown) => ({ error: `tool execution failed: ${errorMessage(error)}` })),
  },
}).createMachine({
  id: 'teamAgent',
  context: ({ input }) => {
    const name = input.node.type === 'agent' ? input.node.agent : '';
    const agent = Object.hasOwn(input.agents, name) ? input.agents[name]! : null;
    return {
      agent,
      iteration: input.iteration,
      state: input.state,
      messages: agent ? agentMessages(agent, input.state, input.input) : [],
      stepCount: 0,
      pendingCalls: [],
      toolCalls: [],
      usage: ZERO_USAGE,
      output: '',
      error: agent ? null : `no agent named "${name}" in the team`,
    };
  },
  initial: 'starting',
  states: {
    starting: {
      description: 'The agent composes its messages from its prompt template and the team state.',
      always: [{ guard: 'unknownAgent', target: 'failed' }, { target: 'reasoning' }],
    },
    ...reactStates<CallModelResult, AgentToolOutcome[]>()({
      model: {
        src: 'callModel',
        input: ({ context }: { context: AgentContext }): CallModelInput => ({ agent: context.agent!, messages: context.messages, step: context.stepCount }),
      },
      tools: { src: 'runTools', input: ({ context }: { context: AgentContext }): AgentToolsInput => ({ agent: context.agent!, calls: context.pendingCalls }) },
      answered: 'done',
      failed: 'failed',
      rejectAnswer: { guard: 'invalidAnswer', action: 'failInvalid' },
    }),
    done: { type: 'final', description: 'The agent produced its output.' },
    failed: { type: 'final', description: 'The agent failed; the result says why.' },
  },
  output: ({ context }) => agentResult(context),
});
