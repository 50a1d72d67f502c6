/**
 * What the OpenAI-compatible provider needs from one resolved role, and the
 * URL layout of the server. `api_base` normally ends in `/v1`; vLLM's
 * `/health` and legacy `/generate` live at the server root beside it.
 */
import { ENDPOINTS, type Endpoint, type ResolvedRole } from '../../config/index.js';
import { ModelError } from '../../../contracts/llm.js';

export type OpenAISettings = Pick<
  ResolvedRole,
  | 'provider'
  | 'model'
  | 'api_base'
  | 'api_key'
  | 'endpoint'
  | 'request_timeout'
  | 'request_deadline'
  | 'max_response_bytes'
  | 'max_retries'
  | 'max_concurrency'
  | 'stream'
  | 'temperature'
  | 'top_p'
  | 'max_tokens'
  | 'seed'
  | 'extra_params'
>;

/** The endpoint to call. The seed README put `endpoint` under extra_params; it still works there and wins. */
export function resolveEndpoint(settings: Pick<OpenAISettings, 'endpoint' | 'extra_params'>): Endpoint {
  const legacy = settings.extra_params['endpoint'];
  if (legacy === undefined || legacy === null) return settings.endpoint;
  const normalised = typeof legacy === 'string' ? `/${legacy.trim().replace(/^\/+/, '').replace(/^v1\//, '')}` : '';
  const match = ENDPOINTS.find((e) => e === normalised || e === `/v1${normalised}`);
  if (!match) {
    throw new ModelError(`extra_params.endpoint is ${JSON.stringify(legacy)}; expected one of ${ENDPOINTS.join(', ')}`, 'config');
  }
  return match;
}

/** api_base without a trailing slash. */
export function baseUrl(apiBase: string): string {
  return apiBase.replace(/\/+$/, '');
}

/** The server root: api_base without its trailing `/v1`. */
export function rootUrl(apiBase: string): string {
  return baseUrl(apiBase).replace(/\/v1$/, '');
}

export function endpointUrl(apiBase: string, endpoint: Endpoint): string {
  switch (endpoint) {
    case '/v1/chat/completions':
      return `${baseUrl(apiBase)}/chat/completions`;
    case '/v1/completions':
      return `${baseUrl(apiBase)}/completions`;
    case '/generate':
      return `${rootUrl(apiBase)}/generate`;
  }
}

export function modelsUrl(apiBase: string): string {
  return `${baseUrl(apiBase)}/models`;
}

export function healthUrl(apiBase: string): string {
  return `${rootUrl(apiBase)}/health`;
}
