/**
 * Maps a provider-neutral ChatRequest to the JSON body of each endpoint.
 * Pure, so the wire format is tested without a server.
 *
 * Structured output goes as `response_format: json_schema`. vLLM removed the
 * top-level `guided_*` fields in v0.12 and silently ignores them, so they are
 * never sent: the ones with a `structured_outputs` equivalent are translated,
 * the rest dropped. Other extra_params pass through untouched.
 */
import type { ChatMessage, ChatRequest, ResponseFormat, ToolSpec } from '../../../contracts/llm.js';
import { resolveEndpoint, type OpenAISettings } from './settings.js';

type Body = Record<string, unknown>;

/** guided_* (removed in vLLM 0.12) -> the key it became inside `structured_outputs`. */
const GUIDED_TO_STRUCTURED: Record<string, string> = {
  guided_json: 'json',
  guided_regex: 'regex',
  guided_choice: 'choice',
  guided_grammar: 'grammar',
};

/** extra_params as they go on the wire: no `endpoint` (it is ours), no `guided_*`. */
export function passThroughParams(extra: Record<string, unknown>): Body {
  const out: Body = {};
  const structured: Body = {};
  for (const [key, value] of Object.entries(extra)) {
    if (key === 'endpoint') continue;
    if (key.startsWith('guided_')) {
      const target = GUIDED_TO_STRUCTURED[key];
      if (target && value !== undefined && value !== null) structured[target] = value;
      continue;
    }
    out[key] = value;
  }
  if (Object.keys(structured).length && out['structured_outputs'] === undefined) out['structured_outputs'] = structured;
  return out;
}

/** temperature/top_p/max_tokens/seed/stop: the request's own values over the role's; nulls are left out. */
export function samplingParams(settings: OpenAISettings, request: Pick<ChatRequest, 'sampling'>): Body {
  const s = request.sampling ?? {};
  const pick = (value: unknown, fallback: unknown) => (value !== undefined ? value : fallback);
  const out: Body = {
    temperature: pick(s.temperature, settings.temperature),
    top_p: pick(s.topP, settings.top_p),
    max_tokens: pick(s.maxTokens, settings.max_tokens),
    seed: pick(s.seed, settings.seed),
    stop: s.stop?.length ? s.stop : undefined,
  };
  for (const key of Object.keys(out)) if (out[key] === undefined || out[key] === null) delete out[key];
  return out;
}

export function wireMessage(message: ChatMessage): Body {
  if (message.role === 'assistant' && message.toolCalls?.length) {
    return {
      role: 'assistant',
      content: message.content,
      tool_calls: message.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })),
    };
  }
  if (message.role === 'tool') {
    return { role: 'tool', content: message.content, tool_call_id: message.toolCallId ?? '', ...(message.name ? { name: message.name } : {}) };
  }
  return { role: message.role, content: message.content };
}

export function wireTools(tools: ToolSpec[]): Body[] {
  return tools.map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.parameters } }));
}

export function wireToolChoice(choice: NonNullable<ChatRequest['toolChoice']>): unknown {
  return typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } };
}

export function wireResponseFormat(format: ResponseFormat): Body {
  return { type: 'json_schema', json_schema: { name: format.name, schema: format.schema, strict: format.strict ?? false } };
}

/** Body of POST /v1/chat/completions. */
export function chatBody(settings: OpenAISettings, request: ChatRequest, stream: boolean): Body {
  const body: Body = {
    ...passThroughParams(settings.extra_params),
    model: settings.model,
    messages: request.messages.map(wireMessage),
    ...samplingParams(settings, request),
    stream,
  };
  if (stream) body['stream_options'] = { include_usage: true };
  if (request.tools?.length) {
    body['tools'] = wireTools(request.tools);
    if (request.toolChoice) body['tool_choice'] = wireToolChoice(request.toolChoice);
  }
  if (request.responseFormat) body['response_format'] = wireResponseFormat(request.responseFormat);
  return body;
}

/**
 * A plain transcript for servers without a chat template (/v1/completions,
 * /generate). Tools cannot be called natively there, so tool results are shown
 * as text; the chat endpoint is the one to use for agents.
 */
export function messagesToPrompt(messages: ChatMessage[]): string {
  const parts = messages.map((m) => {
    if (m.role === 'tool') return `### Tool result${m.name ? ` (${m.name})` : ''}\n${m.content}`;
    const calls = m.toolCalls?.length ? `\n${m.toolCalls.map((c) => `[call ${c.name} ${c.arguments}]`).join('\n')}` : '';
    return `### ${m.role[0]!.toUpperCase()}${m.role.slice(1)}\n${m.content}${calls}`;
  });
  return `${parts.join('\n\n')}\n\n### Assistant\n`;
}

/** Body of POST /v1/completions. */
export function completionsBody(settings: OpenAISettings, request: ChatRequest, prompt: string, stream: boolean): Body {
  const body: Body = { ...passThroughParams(settings.extra_params), model: settings.model, prompt, ...samplingParams(settings, request), stream };
  if (stream) body['stream_options'] = { include_usage: true };
  if (request.responseFormat) body['response_format'] = wireResponseFormat(request.responseFormat);
  return body;
}

/** Body of vLLM's legacy demo POST /generate: the prompt plus SamplingParams; always answered whole. */
export function generateBody(settings: OpenAISettings, request: ChatRequest, prompt: string): Body {
  return { ...passThroughParams(settings.extra_params), prompt, ...samplingParams(settings, request), stream: false };
}

export interface WirePlan {
  endpoint: ReturnType<typeof resolveEndpoint>;
  body: Body;
  stream: boolean;
  /** The prompt text sent (completions, generate): /generate echoes it and it is stripped. */
  prompt?: string;
}

export function planRequest(settings: OpenAISettings, request: ChatRequest): WirePlan {
  const endpoint = resolveEndpoint(settings);
  if (endpoint === '/v1/chat/completions') return { endpoint, body: chatBody(settings, request, settings.stream), stream: settings.stream };
  const prompt = messagesToPrompt(request.messages);
  if (endpoint === '/v1/completions') return { endpoint, body: completionsBody(settings, request, prompt, settings.stream), stream: settings.stream, prompt };
  return { endpoint, body: generateBody(settings, request, prompt), stream: false, prompt };
}
