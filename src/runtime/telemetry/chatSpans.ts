/**
 * `chat <model>` spans: a wrapper around any ChatModel that opens a CLIENT
 * span per call with the GenAI attributes (operation, provider, models,
 * request parameters, server address, usage, finish reasons, error.type) and
 * makes it the active span while the call runs, so the provider's retries
 * land on it as events and its `traceparent` header names it. Message content
 * is added only when opted in, and always redacted.
 */
import { SpanKind } from '@opentelemetry/api';
import type { ChatMessage, ChatModel, ChatRequest, ChatResponse } from '../../../contracts/llm.js';
import * as otel from '../../util/tracing.js';
import { ATTR, GEN_AI, GEN_AI_OPERATION, type Attributes } from '../../util/tracing.js';

/** Role settings the span reports as request parameters (defaults the request itself may override). */
export interface ModelDefaults {
  temperature?: number | null;
  top_p?: number | null;
  max_tokens?: number | null;
  seed?: number | null;
  stream?: boolean;
}

const tracedModels = new WeakSet<ChatModel>();
/** One wrapper per model: role lookups (`actorFor`) ask for it on every step, and the journal caches by identity. */
const wrappers = new WeakMap<ChatModel, ChatModel>();

/** The model with chat spans; itself when tracing is off or it is already traced. */
export function traceModel(model: ChatModel, defaults: ModelDefaults = {}): ChatModel {
  if (!otel.tracingOn() || tracedModels.has(model)) return model;
  const known = wrappers.get(model);
  if (known) return known;
  const fixed = identityAttributes(model.id);
  const modelName = String(fixed[GEN_AI.requestModel]);
  const traced: ChatModel = {
    id: model.id,
    complete: (request) => {
      const parent = otel.activeContext();
      const span = otel.startSpan(`chat ${modelName}`, { ...fixed, ...requestAttributes(request, defaults) }, parent, SpanKind.CLIENT);
      return otel.spanBody(
        span,
        parent,
        () => model.complete(request),
        (response) => span.setAttributes(responseAttributes(response)),
      );
    },
  };
  tracedModels.add(traced);
  wrappers.set(model, traced);
  return traced;
}

/** From a model id like `vllm:Qwen/Qwen3-8B@http://127.0.0.1:8000/v1` or `offline:gepa-aime-offline`. */
export function identityAttributes(id: string): Attributes {
  const colon = id.indexOf(':');
  const provider = colon > 0 ? id.slice(0, colon) : id || 'unknown'; // a bare id (the scripted model's) names both
  let rest = colon > 0 ? id.slice(colon + 1) : id;
  const attrs: Attributes = { [GEN_AI.operationName]: GEN_AI_OPERATION.chat, [GEN_AI.providerName]: provider };
  const at = rest.search(/@https?:\/\//);
  if (at >= 0) {
    try {
      const url = new URL(rest.slice(at + 1));
      attrs[ATTR.serverAddress] = url.hostname;
      attrs[ATTR.serverPort] = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    } catch {
      // not a URL after all: keep the whole as the model name
    }
    rest = rest.slice(0, at);
  }
  attrs[GEN_AI.requestModel] = rest || 'unknown';
  return attrs;
}

function requestAttributes(request: ChatRequest, d: ModelDefaults): Attributes {
  const s = request.sampling ?? {};
  const attrs: Attributes = { [GEN_AI.outputType]: request.responseFormat ? 'json' : 'text' };
  const put = (key: string, value: number | null | undefined) => {
    if (typeof value === 'number') attrs[key] = value;
  };
  put(GEN_AI.requestTemperature, s.temperature ?? d.temperature);
  put(GEN_AI.requestTopP, s.topP ?? d.top_p);
  put(GEN_AI.requestMaxTokens, s.maxTokens ?? d.max_tokens);
  put(GEN_AI.requestSeed, s.seed ?? d.seed);
  if (s.stop?.length) attrs[GEN_AI.requestStopSequences] = s.stop;
  if (d.stream !== undefined) attrs[GEN_AI.requestStream] = d.stream;
  if (request.purpose) attrs['gepa_aime.purpose'] = request.purpose;
  if (request.callId) attrs['gepa_aime.call_id'] = request.callId;
  if (request.tools?.length) attrs['gepa_aime.request.tool_count'] = request.tools.length;
  if (otel.captureContent()) attrs[GEN_AI.inputMessages] = otel.redactText(JSON.stringify(request.messages.map(messageParts)));
  return attrs;
}

function responseAttributes(r: ChatResponse): Attributes {
  const attrs: Attributes = {
    // What the server says is untrusted too: bounded.
    [GEN_AI.responseModel]: otel.shortText(r.model),
    [GEN_AI.responseFinishReasons]: [otel.shortText(r.finishReason, 64)],
    [GEN_AI.usageInputTokens]: r.usage.promptTokens,
    [GEN_AI.usageOutputTokens]: r.usage.completionTokens,
  };
  if (otel.captureContent()) {
    attrs[GEN_AI.outputMessages] = otel.redactText(
      JSON.stringify([{ ...messageParts({ role: 'assistant', content: r.content, toolCalls: r.toolCalls }), finish_reason: r.finishReason }]),
    );
  }
  return attrs;
}

/** The conventions' message shape: a role and typed parts. */
function messageParts(m: ChatMessage): { role: string; parts: Record<string, unknown>[] } {
  const parts: Record<string, unknown>[] = [];
  if (m.role === 'tool') parts.push({ type: 'tool_call_response', id: m.toolCallId ?? null, response: m.content });
  else if (m.content) parts.push({ type: 'text', content: m.content });
  for (const c of m.toolCalls ?? []) parts.push({ type: 'tool_call', id: c.id, name: c.name, arguments: c.arguments });
  return { role: m.role, parts };
}
