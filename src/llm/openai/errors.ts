/**
 * Turning every way a call can fail into a one-line ModelError: HTTP statuses
 * with the server's own message and a hint where we know the fix, and
 * undici/socket errors by code. Nothing raw from undici reaches the caller.
 */
import { ModelError } from '../../../contracts/llm.js';
import { isObject } from './toolCalls.js';

/** A ModelError that also says whether trying again may help. */
export class ProviderError extends ModelError {
  constructor(
    message: string,
    kind: ModelError['kind'],
    readonly retryable: boolean,
    status?: number,
    /** The server's Retry-After, in ms. */
    readonly retryAfterMs?: number,
  ) {
    super(message, kind, status);
  }
}

/** 429 and 5xx may pass; 408 is a timeout by name. Every other 4xx will fail the same way again. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}

/** The message inside an error body: vLLM/OpenAI `{message}` / `{error:{message}}`, FastAPI `{detail}`, or text. */
export function serverMessage(body: string): string {
  let text = body;
  try {
    const parsed: unknown = JSON.parse(body);
    const found = messageIn(parsed);
    if (found) text = found;
  } catch {
    /* not JSON: use the text */
  }
  return oneLine(text, 300);
}

export function messageIn(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (!isObject(value)) return undefined;
  if (typeof value.message === 'string') return value.message;
  if (value.error !== undefined) return messageIn(value.error);
  if (value.detail !== undefined) return typeof value.detail === 'string' ? value.detail : JSON.stringify(value.detail);
  return undefined;
}

export function oneLine(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

export const AUTO_TOOL_CHOICE_HINT =
  'vLLM needs tool calling switched on: start it with --enable-auto-tool-choice --tool-call-parser <parser> (e.g. hermes for Qwen, llama3_json for Llama 3.x, mistral for Mistral)';

/** A hint for statuses whose fix we know. `models` is what /v1/models listed, when it was asked. */
export function hintFor(status: number, message: string, models?: string[] | string): string | undefined {
  if (status === 400 && /"?auto"? tool choice|enable-auto-tool-choice/i.test(message)) return AUTO_TOOL_CHOICE_HINT;
  if (status === 401 || status === 403) return 'check api_key (or GEPA_AIME_API_KEY / OPENAI_API_KEY, or --api-key)';
  if (status === 404 && models !== undefined) {
    if (typeof models === 'string') return `could not list the server's models: ${models}`;
    return models.length ? `the server has: ${models.join(', ')} (set model: in model_config.yaml or pass --model)` : 'the server lists no models';
  }
  if (status === 404) return 'check api_base (it normally ends in /v1) and endpoint';
  return undefined;
}

/** Does a 404 talk about the model (vLLM: "The model `x` does not exist.")? */
export function mentionsModel(status: number, message: string, model: string): boolean {
  return status === 404 && (message.includes(model) || /\bmodel\b/i.test(message));
}

export function httpError(where: string, status: number, body: string, opts: { retryAfterMs?: number; models?: string[] | string } = {}): ProviderError {
  const message = serverMessage(body) || '(empty body)';
  const hint = hintFor(status, message, opts.models);
  return new ProviderError(`${where}: HTTP ${status}: ${message}${hint ? ` — ${hint}` : ''}`, 'http', isRetryableStatus(status), status, opts.retryAfterMs);
}

const NETWORK_CODES: Record<string, { text: string; retryable: boolean }> = {
  ECONNREFUSED: { text: 'connection refused (is the server running?)', retryable: true },
  ECONNRESET: { text: 'connection reset by the server', retryable: true },
  EPIPE: { text: 'connection closed while sending', retryable: true },
  ETIMEDOUT: { text: 'connection timed out', retryable: true },
  EHOSTUNREACH: { text: 'host unreachable', retryable: true },
  ENETUNREACH: { text: 'network unreachable', retryable: true },
  EAI_AGAIN: { text: 'temporary DNS failure', retryable: true },
  ENOTFOUND: { text: 'unknown host (check api_base)', retryable: false },
  UND_ERR_SOCKET: { text: 'the server closed the connection', retryable: true },
  UND_ERR_CLOSED: { text: 'the connection was closed', retryable: true },
  UND_ERR_CONNECT_TIMEOUT: { text: 'connecting timed out', retryable: true },
  UND_ERR_HEADERS_TIMEOUT: { text: 'no response within request_timeout', retryable: true },
  UND_ERR_BODY_TIMEOUT: { text: 'the response stalled longer than request_timeout', retryable: true },
  UND_ERR_INVALID_ARG: { text: 'invalid request', retryable: false },
};

/** Any error from sending or reading, as a ProviderError. Our own errors pass through. */
export function transportError(where: string, err: unknown): ModelError {
  if (err instanceof ModelError) return err;
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    const known = typeof code === 'string' ? NETWORK_CODES[code] : undefined;
    if (known) {
      const kind = code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' ? 'timeout' : 'network';
      return new ProviderError(`${where}: ${known.text}`, kind, known.retryable);
    }
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ProviderError(`${where}: ${oneLine(message, 200)}`, 'network', true);
}

export function isRetryable(err: unknown): boolean {
  return err instanceof ProviderError && err.retryable;
}
