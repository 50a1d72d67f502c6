/**
 * The identity of a model request for record/replay: a SHA-256 over a
 * canonical JSON of what the model is asked (messages, tools, response
 * format), never of callbacks or signals. Timestamps inside message text are
 * masked because the actor's environment section states the current time,
 * which would otherwise make every replayed run miss its recording.
 */
import crypto from 'node:crypto';
import type { ChatMessage, ChatRequest, ResponseFormat, ToolSpec } from '../../contracts/llm.js';

const ISO_TIMESTAMP = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?/g;

/** What is recorded of a request and what its hash covers (plus sampling and purpose, which are kept but not hashed). */
export interface RecordedRequest {
  messages: ChatMessage[];
  tools?: ToolSpec[];
  toolChoice?: ChatRequest['toolChoice'];
  responseFormat?: ResponseFormat;
  sampling?: ChatRequest['sampling'];
  purpose?: string;
  /** The call's place in the run (`planner#2`, `actor:1@1#0`): how replay matches a request that drifted. Not hashed. */
  callId?: string;
}

/** A plain-data copy of a request without its callbacks and signal. */
export function recordedRequest(request: ChatRequest): RecordedRequest {
  return {
    messages: request.messages.map((m) => ({
      role: m.role,
      content: m.content,
      ...(m.toolCalls?.length ? { toolCalls: m.toolCalls.map((c) => ({ id: c.id, name: c.name, arguments: c.arguments })) } : {}),
      ...(m.toolCallId !== undefined ? { toolCallId: m.toolCallId } : {}),
      ...(m.name !== undefined ? { name: m.name } : {}),
    })),
    ...(request.tools?.length ? { tools: request.tools } : {}),
    ...(request.toolChoice !== undefined ? { toolChoice: request.toolChoice } : {}),
    ...(request.responseFormat ? { responseFormat: request.responseFormat } : {}),
    ...(request.sampling ? { sampling: request.sampling } : {}),
    ...(request.purpose !== undefined ? { purpose: request.purpose } : {}),
    ...(request.callId !== undefined ? { callId: request.callId } : {}),
  };
}

export function requestHash(request: Pick<ChatRequest, 'messages' | 'tools' | 'responseFormat'>): string {
  const key = {
    messages: request.messages.map((m) => ({
      role: m.role,
      content: m.content.replace(ISO_TIMESTAMP, '<time>'),
      toolCalls: m.toolCalls?.length ? m.toolCalls.map((c) => ({ id: c.id, name: c.name, arguments: c.arguments })) : undefined,
      toolCallId: m.toolCallId,
      name: m.name,
    })),
    tools: request.tools?.length ? request.tools : undefined,
    responseFormat: request.responseFormat,
  };
  return crypto.createHash('sha256').update(stableJson(key)).digest('hex');
}

/** JSON with object keys sorted and undefined members left out, so equal values hash equal. */
export function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : stableJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined && typeof v !== 'function')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
}

/** "purpose, last message (role): first words…" — how a request is named in messages. */
export function describeRequest(request: Pick<ChatRequest, 'messages' | 'purpose'>): string {
  const last = request.messages[request.messages.length - 1];
  const words = last ? last.content.replace(/\s+/g, ' ').trim().slice(0, 80) : '';
  return `${request.purpose ?? 'unlabelled'} request, last message (${last?.role ?? 'none'}): "${words}${last && last.content.length > 80 ? '…' : ''}"`;
}
