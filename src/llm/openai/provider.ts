/**
 * The OpenAI-compatible chat model (`provider: vllm` and `provider: openai`).
 * Each call: map the request to the endpoint's body, take a slot of the
 * endpoint's concurrency cap, send, read (streamed or whole), and retry
 * transient failures with backoff. Every failure is a one-line ModelError.
 */
import { DEFAULT_RETRY, withRetries, type RetryPolicy, type Sleep } from '../retry.js';
import type { ChatModel, ChatRequest, ChatResponse, ModelError } from '../../../contracts/llm.js';
import { sharedEndpoints, type EndpointRegistry, type EndpointSlot } from './endpoints.js';
import { httpError, mentionsModel, oneLine, ProviderError } from './errors.js';
import { Attempt, forEachChunk, readText, RequestDeadline, send, type HttpResponse } from './http.js';
import { planRequest, type WirePlan } from './requestBody.js';
import { parseCompletion, parseGenerate, parseJsonBody, StreamReader } from './responses.js';
import { parseRetryAfter } from '../retry.js';
import { endpointUrl, modelsUrl, resolveEndpoint, type OpenAISettings } from './settings.js';
import { isObject } from './toolCalls.js';
import { activeSpanEvent, errorType, redactText, traceHeaders } from '../../util/tracing.js';

export interface OpenAIProviderOptions {
  /** Injected for tests: waits between retries. */
  sleep?: Sleep;
  /** Injected for tests: the jitter source, uniform in [0, 1). */
  random?: () => number;
  /** Injected for tests: the wall clock, for Retry-After dates. */
  now?: () => number;
  /** Pools and concurrency caps; the process-wide registry by default. */
  endpoints?: EndpointRegistry;
  retry?: Partial<Omit<RetryPolicy, 'maxRetries'>>;
  /** Called before each retry wait. */
  onRetry?: (info: { attempt: number; delayMs: number; error: ModelError }) => void;
}

export class OpenAICompatibleModel implements ChatModel {
  readonly id: string;
  private readonly slot: EndpointSlot;
  private readonly policy: RetryPolicy;

  constructor(
    readonly settings: OpenAISettings,
    private readonly options: OpenAIProviderOptions = {},
  ) {
    resolveEndpoint(settings); // a bad extra_params.endpoint is a config error now, not on the first call
    this.id = `${settings.provider}:${settings.model}@${settings.api_base}`;
    this.slot = (options.endpoints ?? sharedEndpoints).get(settings.api_base, settings.max_concurrency);
    this.policy = { ...DEFAULT_RETRY, ...options.retry, maxRetries: settings.max_retries };
  }

  async complete(outerRequest: ChatRequest): Promise<ChatResponse> {
    const plan = planRequest(this.settings, outerRequest);
    // request_deadline bounds the whole request, retries included; request_timeout only idleness.
    const deadline = new RequestDeadline(Math.max(1, Math.round(this.settings.request_deadline * 1000)), outerRequest.signal);
    const request = { ...outerRequest, signal: deadline.signal };
    try {
      return await withRetries(
        async () => {
          const release = await this.slot.limiter.acquire(request.signal);
          try {
            return await this.attempt(plan, request);
          } finally {
            release();
          }
        },
        {
          policy: this.policy,
          ...(this.options.sleep ? { sleep: this.options.sleep } : {}),
          ...(this.options.random ? { random: this.options.random } : {}),
          signal: request.signal,
          onRetry: (info) => {
            // One event per retry on the call's span (the chat span when tracing is on).
            activeSpanEvent('retry', {
              'retry.attempt': info.attempt,
              'retry.delay_ms': info.delayMs,
              'error.type': errorType(info.error),
              'retry.reason': redactText(info.error.message),
            });
            this.options.onRetry?.(info);
          },
        },
      );
    } catch (err) {
      if (deadline.expired && !outerRequest.signal?.aborted) {
        throw new ProviderError(
          `${this.settings.provider} model "${this.settings.model}": no complete reply within request_deadline (${this.settings.request_deadline} s)`,
          'timeout',
          false,
        );
      }
      throw err;
    } finally {
      deadline.end();
    }
  }

  /** Model ids the server lists at GET {api_base}/models. */
  async listModels(signal?: AbortSignal): Promise<string[]> {
    const url = modelsUrl(this.settings.api_base);
    const { status, text } = await this.get(url, signal);
    const where = `${this.settings.provider} GET ${url}`;
    if (status !== 200) throw httpError(where, status, text);
    const body = parseJsonBody(text, where);
    const data = Array.isArray(body.data) ? body.data : [];
    return data.flatMap((m: unknown) => (isObject(m) && typeof m.id === 'string' ? [m.id] : []));
  }

  /** A GET outside the concurrency cap (model lists, health checks), read whole. */
  async get(url: string, signal?: AbortSignal): Promise<{ status: number; text: string }> {
    const attempt = new Attempt(`${this.settings.provider} GET ${url}`, this.timeoutMs(), signal);
    try {
      const res = await send(this.slot.pool, { method: 'GET', url, headers: this.authHeaders() }, attempt);
      return { status: res.statusCode, text: await readText(res, attempt) };
    } finally {
      attempt.end();
    }
  }

  private async attempt(plan: WirePlan, request: ChatRequest): Promise<ChatResponse> {
    const url = endpointUrl(this.settings.api_base, plan.endpoint);
    const attempt = new Attempt(`${this.settings.provider} model "${this.settings.model}" at ${url}`, this.timeoutMs(), request.signal);
    try {
      // traceparent: a server exporting its own traces joins the caller's trace.
      const res = await send(this.slot.pool, { method: 'POST', url, headers: { ...this.authHeaders(), ...traceHeaders() }, body: plan.body }, attempt);
      if (res.statusCode !== 200) throw await this.statusError(res, attempt, request.signal);
      return await this.read(res, plan, request, attempt);
    } finally {
      attempt.end();
    }
  }

  private async read(res: HttpResponse, plan: WirePlan, request: ChatRequest, attempt: Attempt): Promise<ChatResponse> {
    const { where } = attempt;
    const fallback = { model: this.settings.model, prompt: plan.prompt ?? request.messages.map((m) => m.content).join('\n') };
    const contentType = String(res.headers['content-type'] ?? '');
    if (plan.stream && contentType.includes('text/event-stream')) {
      const reader = new StreamReader(plan.endpoint === '/v1/chat/completions' ? 'chat' : 'completions', where, request.onTextDelta);
      await forEachChunk(res, attempt, (chunk) => reader.push(chunk), this.settings.max_response_bytes);
      return reader.finish(fallback);
    }
    // A server may ignore stream:true and answer whole; read whatever came.
    const body = parseJsonBody(await readText(res, attempt, this.settings.max_response_bytes), where);
    if (plan.endpoint === '/generate') return parseGenerate(body, plan.prompt ?? '', where, this.settings.model);
    const response = parseCompletion(body, plan.endpoint === '/v1/chat/completions' ? 'chat' : 'completions', where, fallback);
    if (response.content) request.onTextDelta?.(response.content);
    return response;
  }

  private async statusError(res: HttpResponse, attempt: Attempt, signal?: AbortSignal): Promise<ProviderError> {
    const text = await readText(res, attempt).catch(() => '');
    const retryAfterMs = parseRetryAfter(res.headers['retry-after'], (this.options.now ?? Date.now)());
    let models: string[] | string | undefined;
    if (mentionsModel(res.statusCode, text, this.settings.model)) {
      models = await this.listModels(signal).catch((err: unknown) => oneLine(err instanceof Error ? err.message : String(err), 200));
    }
    return httpError(attempt.where, res.statusCode, text, {
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      ...(models !== undefined ? { models } : {}),
    });
  }

  private authHeaders(): Record<string, string> {
    return this.settings.api_key ? { authorization: `Bearer ${this.settings.api_key}` } : {};
  }

  private timeoutMs(): number {
    return Math.max(1, Math.round(this.settings.request_timeout * 1000));
  }
}
