/**
 * The one switch every layer reads to decide whether to trace, and the small
 * helpers they share. Only `@opentelemetry/api` is imported here (a no-op
 * facade until an SDK registers); the SDK itself is loaded by
 * src/runtime/telemetry only when telemetry is on. Callers check `tracingOn()`
 * first, so a run with telemetry off creates no span objects at all.
 */
import { context, propagation, SpanStatusCode, trace, type Attributes, type Context, type Span, type SpanKind } from '@opentelemetry/api';

export type { Attributes, Context, Span };

interface TracingState {
  on: boolean;
  /** Message content and tool arguments on spans (opt-in). */
  content: boolean;
  /** Applied to every free text put on a span (error messages, opt-in content). */
  redact: (text: string) => string;
}

const state: TracingState = { on: false, content: false, redact: (t) => t };

export function tracingOn(): boolean {
  return state.on;
}

export function captureContent(): boolean {
  return state.on && state.content;
}

/** Set by the telemetry starter once the SDK is registered, cleared at shutdown. */
export function configureTracing(next: Partial<TracingState>): void {
  Object.assign(state, next);
}

export function redactText(text: string): string {
  return state.redact(text);
}

/** A short value the model or a server chose (a tool name, a response model): redacted and bounded, so it cannot flood a span. */
export function shortText(text: string, max = 200): string {
  const clean = state.redact(text);
  return clean.length <= max ? clean : `${clean.slice(0, max)}…`;
}

export function tracer() {
  return trace.getTracer('gepa-aime');
}

export function activeContext(): Context {
  return context.active();
}

export function contextWithSpan(span: Span, parent: Context = context.active()): Context {
  return trace.setSpan(parent, span);
}

export function withContext<T>(ctx: Context, fn: () => T): T {
  return context.with(ctx, fn);
}

export function startSpan(name: string, attributes: Attributes, parent: Context = context.active(), kind?: SpanKind): Span {
  return tracer().startSpan(name, { attributes, ...(kind !== undefined ? { kind } : {}) }, parent);
}

/** Marks a span failed: `error.type` (a short class, never free text) and a redacted status message. */
export function markError(span: Span, errorType: string, message?: string): void {
  span.setAttribute('error.type', errorType);
  span.setStatus({ code: SpanStatusCode.ERROR, ...(message ? { message: redactText(message).slice(0, 500) } : {}) });
}

/** The error's class for `error.type`: an HTTP status, else a ModelError's kind, else the constructor name. */
export function errorType(err: unknown): string {
  if (err && typeof err === 'object') {
    const status = (err as { status?: unknown }).status;
    if (typeof status === 'number') return String(status);
    const kind = (err as { kind?: unknown }).kind;
    if (typeof kind === 'string') return kind;
    const name = (err as { name?: unknown }).name;
    if (typeof name === 'string' && name) return name;
  }
  return '_OTHER';
}

/** Marks a span failed by a thrown value: its class as `error.type`, its message (redacted) as the status. */
export function failSpan(span: Span, err: unknown): void {
  markError(span, errorType(err), err instanceof Error ? err.message : String(err));
}

/**
 * Runs `fn` as the body of `span`: the span is active (under `parent`) while
 * it runs, `done` records the result on it, a throw marks it failed and
 * propagates, and the span ends either way.
 */
export async function spanBody<T>(span: Span, parent: Context, fn: () => Promise<T>, done?: (out: T) => void): Promise<T> {
  try {
    const out = await context.with(trace.setSpan(parent, span), fn);
    done?.(out);
    return out;
  } catch (err) {
    failSpan(span, err);
    throw err;
  } finally {
    span.end();
  }
}

/** Runs `fn` inside a new child span of `parent` (the active context by default). With tracing off it only runs `fn`. */
export async function inSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span | undefined) => Promise<T>,
  parent: Context = context.active(),
): Promise<T> {
  if (!state.on) return fn(undefined);
  const span = startSpan(name, attributes, parent);
  return spanBody(span, parent, () => fn(span));
}

/** A GenAI operation's span, named `<operation> <target>` as the conventions ask, with `gen_ai.operation.name` set. */
export function startOperationSpan(operation: string, target: string, attributes: Attributes, parent: Context = context.active()): Span {
  return startSpan(`${operation} ${target}`, { [GEN_AI.operationName]: operation, ...attributes }, parent);
}

/** An `execute_tool <name>` span for a call the model made: its name and id are bounded and redacted, its arguments kept only with content on. */
export function startToolSpan(call: { id: string; name: string; arguments: string }, parent: Context, extra: Attributes = {}): Span {
  const name = shortText(call.name);
  return startOperationSpan(
    GEN_AI_OPERATION.executeTool,
    name,
    {
      [GEN_AI.toolName]: name,
      [GEN_AI.toolCallId]: shortText(call.id),
      [GEN_AI.toolType]: 'function',
      ...extra,
      ...(captureContent() ? { [GEN_AI.toolCallArguments]: redactText(call.arguments) } : {}),
    },
    parent,
  );
}

/** A run's trace: what `runTraced` needs of the GEPA, team and AIME tracers. */
export interface RunTracer<T> {
  run<X>(fn: () => Promise<X>): Promise<X>;
  end(result: T | null, err?: unknown): void;
}

/**
 * Runs `fn` inside `trace` (when tracing is on) and ends the trace with the
 * result, or with the error and what `partial` recovers from it.
 */
export async function runTraced<T, R extends RunTracer<T>>(
  trace: R | null,
  fn: (trace: R | null) => Promise<T>,
  partial: (err: unknown) => T | null = () => null,
): Promise<T> {
  if (!trace) return fn(null);
  try {
    const result = await trace.run(() => fn(trace));
    trace.end(result);
    return result;
  } catch (err) {
    trace.end(partial(err), err);
    throw err;
  }
}

/** An event on the active span (a model call's retry, say); nothing when tracing is off. */
export function activeSpanEvent(name: string, attributes: Attributes): void {
  if (state.on) trace.getActiveSpan()?.addEvent(name, attributes);
}

/** The W3C trace context of the active span as headers (`traceparent`, `tracestate`); empty when tracing is off. */
export function traceHeaders(ctx: Context = context.active()): Record<string, string> {
  if (!state.on) return {};
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

/**
 * Context that crosses process boundaries in a plain object (a job's data, a
 * file): `injectTraceContext` writes the active span's `traceparent` (and
 * `tracestate`) into it, `extractTraceContext` turns such an object back into
 * a Context to parent spans on. Unknown or malformed values are ignored.
 */
export function injectTraceContext(carrier: Record<string, string> = {}, ctx: Context = context.active()): Record<string, string> {
  propagation.inject(ctx, carrier);
  return carrier;
}

export function extractTraceContext(carrier: unknown, base: Context = context.active()): Context {
  if (!carrier || typeof carrier !== 'object') return base;
  const clean: Record<string, string> = {};
  for (const key of ['traceparent', 'tracestate']) {
    const value = (carrier as Record<string, unknown>)[key];
    if (typeof value === 'string' && value.length <= 512) clean[key] = value;
  }
  return propagation.extract(base, clean);
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/** A well-formed W3C traceparent (version 00, non-zero ids), else null: run state from disk is not trusted. */
export function parseTraceparent(value: unknown): { traceId: string; spanId: string } | null {
  if (typeof value !== 'string') return null;
  const m = TRACEPARENT.exec(value);
  if (!m || /^0+$/.test(m[1]!) || /^0+$/.test(m[2]!)) return null;
  return { traceId: m[1]!, spanId: m[2]! };
}

export function traceparentOf(span: Span): string {
  const c = span.spanContext();
  return `00-${c.traceId}-${c.spanId}-${(c.traceFlags & 1).toString(16).padStart(2, '0')}`;
}

/**
 * The GenAI semantic-convention names we use (semconv 1.45, `incubating`).
 * Spelled out here so the off path never loads the conventions package;
 * test/telemetry/names.test.ts checks each one against
 * `@opentelemetry/semantic-conventions/incubating`.
 */
export const GEN_AI = {
  operationName: 'gen_ai.operation.name',
  providerName: 'gen_ai.provider.name',
  requestModel: 'gen_ai.request.model',
  requestTemperature: 'gen_ai.request.temperature',
  requestTopP: 'gen_ai.request.top_p',
  requestMaxTokens: 'gen_ai.request.max_tokens',
  requestSeed: 'gen_ai.request.seed',
  requestStopSequences: 'gen_ai.request.stop_sequences',
  requestStream: 'gen_ai.request.stream',
  responseModel: 'gen_ai.response.model',
  responseFinishReasons: 'gen_ai.response.finish_reasons',
  usageInputTokens: 'gen_ai.usage.input_tokens',
  usageOutputTokens: 'gen_ai.usage.output_tokens',
  outputType: 'gen_ai.output.type',
  inputMessages: 'gen_ai.input.messages',
  outputMessages: 'gen_ai.output.messages',
  agentName: 'gen_ai.agent.name',
  agentId: 'gen_ai.agent.id',
  agentDescription: 'gen_ai.agent.description',
  workflowName: 'gen_ai.workflow.name',
  conversationId: 'gen_ai.conversation.id',
  toolName: 'gen_ai.tool.name',
  toolCallId: 'gen_ai.tool.call.id',
  toolType: 'gen_ai.tool.type',
  toolCallArguments: 'gen_ai.tool.call.arguments',
  toolCallResult: 'gen_ai.tool.call.result',
  evaluationName: 'gen_ai.evaluation.name',
  evaluationScoreValue: 'gen_ai.evaluation.score.value',
} as const;

export const GEN_AI_OPERATION = {
  chat: 'chat',
  invokeAgent: 'invoke_agent',
  invokeWorkflow: 'invoke_workflow',
  executeTool: 'execute_tool',
} as const;

/** Stable (non-GenAI) names. */
export const ATTR = { serverAddress: 'server.address', serverPort: 'server.port', errorType: 'error.type' } as const;
