/**
 * The chat-model interface every provider implements. It is provider-neutral:
 * the OpenAI-compatible HTTP provider, the embedded offline model, the scripted
 * test model and record/replay all speak exactly this.
 */
import { AppError, type ErrorCategory } from './errors.js';

/** Who a chat message is from. */
export type Role = 'system' | 'user' | 'assistant' | 'tool';

/** A tool call the model asked for. */
export interface ToolCall {
  /** Provider-assigned id; echoed back on the tool message that answers it. */
  id: string;
  name: string;
  /** Raw JSON text as the model produced it. It is untrusted and may not parse. */
  arguments: string;
}

/** One message of a conversation. */
export interface ChatMessage {
  role: Role;
  content: string;
  /** Assistant messages: the tools the model asked to call. */
  toolCalls?: ToolCall[];
  /** Tool messages: the call this message answers. */
  toolCallId?: string;
  /** Tool messages: the tool's name. */
  name?: string;
}

/** A tool as the model sees it: name, description and JSON Schema parameters. */
export interface ToolSpec {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

/** Structured output: the reply must be JSON matching this schema. */
export interface ResponseFormat {
  name: string;
  schema: Record<string, unknown>;
  strict?: boolean;
}

/** Sampling settings of a request. */
export interface SamplingSettings {
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  seed?: number;
  stop?: string[];
}

/** One model request: messages, tools, structured output, sampling, and an abort signal. */
export interface ChatRequest {
  messages: ChatMessage[];
  tools?: ToolSpec[];
  toolChoice?: 'auto' | 'none' | 'required' | { name: string };
  responseFormat?: ResponseFormat;
  sampling?: SamplingSettings;
  /** Which part of the system is asking: planner, actor, reflection... Used for routing and records. */
  purpose?: string;
  /** A stable identity of this call within a run (e.g. `actor:2@3#1`), so a journal can find it again cheaply. */
  callId?: string;
  /** Streaming callback for text as it arrives; providers without streaming never call it. */
  onTextDelta?: (text: string) => void;
  signal?: AbortSignal;
}

/** Tokens of one call (or a sum of calls). */
export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

/** One model reply: text, tool calls, usage. */
export interface ChatResponse {
  content: string;
  toolCalls: ToolCall[];
  /** Reasoning text when the server returns it separately (vLLM `reasoning` / `reasoning_content`). */
  reasoning?: string;
  usage: TokenUsage;
  finishReason: string;
  model: string;
}

/** A chat model: every provider, the offline model and the scripted model implement this. */
export interface ChatModel {
  /** Human-readable identity, e.g. `offline:gepa-aime-offline` or `vllm:qwen3@http://...`. */
  readonly id: string;
  complete(request: ChatRequest): Promise<ChatResponse>;
}

export const ZERO_USAGE: TokenUsage = Object.freeze({ promptTokens: 0, completionTokens: 0, totalTokens: 0 });

export function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return {
    promptTokens: a.promptTokens + b.promptTokens,
    completionTokens: a.completionTokens + b.completionTokens,
    totalTokens: a.totalTokens + b.totalTokens,
  };
}

/** A model-side failure that should be reported, not thrown as a crash. */
export class ModelError extends AppError {
  constructor(
    message: string,
    readonly kind: 'timeout' | 'http' | 'network' | 'protocol' | 'no-recording' | 'exhausted' | 'aborted' | 'config',
    readonly status?: number,
  ) {
    super(message);
  }

  /** A model that cannot be built (missing replay file, bad extra_params.endpoint) is bad input. */
  get category(): ErrorCategory {
    return this.kind === 'config' ? 'input' : 'run';
  }
}
