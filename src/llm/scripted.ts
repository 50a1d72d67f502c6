/**
 * The scripted model: the public test double. It answers from a queue of
 * responses (or functions of the request), records every request, and can
 * assert it was used up. Tests use it instead of ad-hoc fakes.
 */
import { ModelError, type ChatModel, type ChatRequest, type ChatResponse, type TokenUsage } from '../../contracts/llm.js';

/** One scripted reply: a partial response, a function of the request, or an error to throw. */
export type ScriptedReply = Partial<ChatResponse> | ((request: ChatRequest) => Partial<ChatResponse> | Promise<Partial<ChatResponse>>) | Error;

/** The scripted model: answers from a queue of replies (or functions of the request), records every request, and can assert it was used up. */
export class ScriptedModel implements ChatModel {
  readonly id: string;
  readonly requests: ChatRequest[] = [];
  private readonly queue: ScriptedReply[];

  constructor(replies: ScriptedReply[] = [], id = 'scripted') {
    this.queue = [...replies];
    this.id = id;
  }

  push(...replies: ScriptedReply[]): this {
    this.queue.push(...replies);
    return this;
  }

  get remaining(): number {
    return this.queue.length;
  }

  async complete(request: ChatRequest): Promise<ChatResponse> {
    this.requests.push(request);
    const next = this.queue.shift();
    if (next === undefined) {
      throw new ModelError(
        `scripted model "${this.id}" has no reply left for request #${this.requests.length} (${request.purpose ?? 'unknown purpose'})`,
        'exhausted',
      );
    }
    if (next instanceof Error) throw next;
    const partial = typeof next === 'function' ? await next(request) : next;
    return complete(partial, this.id);
  }

  /** Throws when replies were left unused: a test scripted more than the system asked for. */
  assertUsedUp(): void {
    if (this.queue.length) throw new Error(`scripted model "${this.id}" has ${this.queue.length} unused repl${this.queue.length === 1 ? 'y' : 'ies'}`);
  }
}

function complete(partial: Partial<ChatResponse>, model: string): ChatResponse {
  const content = partial.content ?? '';
  return {
    content,
    toolCalls: partial.toolCalls ?? [],
    usage: partial.usage ?? estimateUsage('', content),
    finishReason: partial.finishReason ?? ((partial.toolCalls?.length ?? 0) > 0 ? 'tool_calls' : 'stop'),
    model: partial.model ?? model,
    ...(partial.reasoning !== undefined ? { reasoning: partial.reasoning } : {}),
  };
}

/** Rough token count (4 characters a token) for models that do not count. */
export function estimateUsage(prompt: string, completion: string): TokenUsage {
  const promptTokens = Math.ceil(prompt.length / 4);
  const completionTokens = Math.ceil(completion.length / 4);
  return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens };
}

let callCounter = 0;
/** Reply helpers for scripts. */
export const reply = {
  text: (content: string): Partial<ChatResponse> => ({ content }),
  json: (value: unknown): Partial<ChatResponse> => ({ content: JSON.stringify(value) }),
  toolCall: (name: string, args: unknown, content = ''): Partial<ChatResponse> => ({
    content,
    toolCalls: [{ id: `call_${++callCounter}`, name, arguments: typeof args === 'string' ? args : JSON.stringify(args) }],
  }),
  toolCalls: (calls: { name: string; args: unknown }[], content = ''): Partial<ChatResponse> => ({
    content,
    toolCalls: calls.map((c) => ({ id: `call_${++callCounter}`, name: c.name, arguments: typeof c.args === 'string' ? c.args : JSON.stringify(c.args) })),
  }),
};
