/**
 * Reading replies: whole JSON bodies and SSE chunk streams, for chat,
 * completions and /generate. Pure functions and a small accumulator, so each
 * wire shape is tested without a socket. Malformed bodies become
 * ModelError('protocol'); an error object inside a 200 stream becomes an
 * HTTP-kind error with the code it carries.
 */
import { estimateUsage } from '../scripted.js';
import type { ChatResponse, TokenUsage } from '../../../contracts/llm.js';
import { isRetryableStatus, messageIn, oneLine, ProviderError } from './errors.js';
import { SseDecoder } from './sse.js';
import { isObject, ToolCallAssembler, toolCallsFromMessage } from './toolCalls.js';

export type Shape = 'chat' | 'completions';

export function parseJsonBody(text: string, where: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // A truncated body is what a proxy or a restarting server leaves: worth another attempt.
    throw new ProviderError(`${where}: the reply is not JSON: ${oneLine(text, 120) || '(empty body)'}`, 'protocol', true);
  }
  if (!isObject(value)) throw new ProviderError(`${where}: the reply is not a JSON object`, 'protocol', false);
  return value;
}

export function parseUsage(value: unknown): TokenUsage | undefined {
  if (!isObject(value)) return undefined;
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  const promptTokens = n(value.prompt_tokens);
  const completionTokens = n(value.completion_tokens);
  return { promptTokens, completionTokens, totalTokens: n(value.total_tokens) || promptTokens + completionTokens };
}

/** vLLM's `reasoning`, or the older `reasoning_content`. */
export function reasoningOf(message: Record<string, unknown>): string | undefined {
  const r = message.reasoning ?? message.reasoning_content;
  return typeof r === 'string' && r ? r : undefined;
}

/** An error object sent where a reply was expected (vLLM streams `{"error": {...}}`). */
export function errorIn(value: Record<string, unknown>, where: string): ProviderError | undefined {
  const error = value.error ?? (value.object === 'error' ? value : undefined);
  if (error === undefined || error === null) return undefined;
  const code = isObject(error) && typeof error.code === 'number' ? error.code : undefined;
  const text = oneLine(messageIn(error) ?? JSON.stringify(error), 300);
  return new ProviderError(
    `${where}: the server reported an error${code ? ` (${code})` : ''}: ${text}`,
    'http',
    code !== undefined && isRetryableStatus(code),
    code,
  );
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** A whole (non-streamed) reply of chat or completions. */
export function parseCompletion(body: Record<string, unknown>, shape: Shape, where: string, fallback: { model: string; prompt: string }): ChatResponse {
  const error = errorIn(body, where);
  if (error) throw error;
  const choice = Array.isArray(body.choices) && isObject(body.choices[0]) ? body.choices[0] : undefined;
  if (!choice) throw new ProviderError(`${where}: the reply has no choices[0]`, 'protocol', false);
  const message = shape === 'chat' ? (isObject(choice.message) ? choice.message : undefined) : choice;
  if (!message) throw new ProviderError(`${where}: the reply has no choices[0].message`, 'protocol', false);
  const content = shape === 'chat' ? text(message.content) : text(choice.text);
  const toolCalls = shape === 'chat' ? toolCallsFromMessage(message.tool_calls) : [];
  const reasoning = reasoningOf(message);
  return {
    content,
    toolCalls,
    ...(reasoning ? { reasoning } : {}),
    usage: parseUsage(body.usage) ?? estimateUsage(fallback.prompt, content),
    finishReason: text(choice.finish_reason) || (toolCalls.length ? 'tool_calls' : 'stop'),
    model: text(body.model) || fallback.model,
  };
}

/** vLLM's /generate: `{text: [prompt + completion]}`; the echoed prompt is stripped. */
export function parseGenerate(body: Record<string, unknown>, prompt: string, where: string, model: string): ChatResponse {
  const error = errorIn(body, where);
  if (error) throw error;
  const first = Array.isArray(body.text) ? body.text[0] : body.text;
  if (typeof first !== 'string') throw new ProviderError(`${where}: the reply has no "text" (expected {"text": ["..."]})`, 'protocol', false);
  const content = first.startsWith(prompt) ? first.slice(prompt.length) : first;
  return { content, toolCalls: [], usage: estimateUsage(prompt, content), finishReason: 'stop', model };
}

/**
 * Consumes an SSE byte stream of chat or completion chunks. `push` takes raw
 * bytes; `finish` returns the assembled reply, or throws a retryable network
 * error when the stream stopped before `[DONE]`.
 */
export class StreamReader {
  private readonly sse = new SseDecoder();
  private readonly tools = new ToolCallAssembler();
  private readonly content: string[] = [];
  private readonly reasoning: string[] = [];
  private usage: TokenUsage | undefined;
  private finishReason = '';
  private model = '';
  done = false;

  constructor(
    private readonly shape: Shape,
    private readonly where: string,
    private readonly onTextDelta?: (text: string) => void,
  ) {}

  /** Feeds bytes; true when they completed at least one event (keep-alive comments are not progress). */
  push(chunk: Uint8Array): boolean {
    if (this.done) return true;
    const events = this.sse.push(chunk);
    for (const event of events) this.event(event.data);
    return events.length > 0;
  }

  finish(fallback: { model: string; prompt: string }): ChatResponse {
    if (!this.done) for (const event of this.sse.end()) this.event(event.data);
    if (!this.done) throw new ProviderError(`${this.where}: the stream ended before [DONE] (connection cut mid-reply)`, 'network', true);
    const content = this.content.join('');
    const toolCalls = this.tools.result();
    const reasoning = this.reasoning.join('');
    return {
      content,
      toolCalls,
      ...(reasoning ? { reasoning } : {}),
      usage: this.usage ?? estimateUsage(fallback.prompt, content + toolCalls.map((c) => c.arguments).join('')),
      finishReason: this.finishReason || (toolCalls.length ? 'tool_calls' : 'stop'),
      model: this.model || fallback.model,
    };
  }

  private event(data: string): void {
    if (this.done) return;
    if (data.trim() === '[DONE]') {
      this.done = true;
      return;
    }
    let chunk: unknown;
    try {
      chunk = JSON.parse(data);
    } catch {
      throw new ProviderError(`${this.where}: a stream event is not JSON: ${oneLine(data, 120)}`, 'protocol', true);
    }
    if (!isObject(chunk)) throw new ProviderError(`${this.where}: a stream event is not a JSON object`, 'protocol', false);
    const error = errorIn(chunk, this.where);
    if (error) throw error;
    if (typeof chunk.model === 'string' && chunk.model) this.model = chunk.model;
    // The usage chunk (stream_options.include_usage) comes last, with empty choices.
    const usage = parseUsage(chunk.usage);
    if (usage) this.usage = usage;
    const choice = Array.isArray(chunk.choices) && isObject(chunk.choices[0]) ? chunk.choices[0] : undefined;
    if (!choice) return;
    if (typeof choice.finish_reason === 'string' && choice.finish_reason) this.finishReason = choice.finish_reason;
    const delta = this.shape === 'chat' ? (isObject(choice.delta) ? choice.delta : {}) : choice;
    const piece = this.shape === 'chat' ? text(delta.content) : text(choice.text);
    if (piece) {
      this.content.push(piece);
      this.onTextDelta?.(piece);
    }
    const reasoning = reasoningOf(delta);
    if (reasoning) this.reasoning.push(reasoning);
    if (this.shape === 'chat') this.tools.add(delta.tool_calls);
  }
}
