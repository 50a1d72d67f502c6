/**
 * web_search: real results from the HTTP search provider configured in
 * config/tool_bundles.json. Without one it says so; it never makes results
 * up. Every failure (HTTP status, timeout, bad JSON) becomes an observation.
 */
import { z } from 'zod';
import type { Tool, ToolResult } from '../types.js';
import { errorMessage } from '../../../contracts/errors.js';
import { fail, ok } from './common.js';
import { buildRequest, parseHits, type SearchHit } from './searchProviders.js';
import type { WebSearchConfig } from '../../config/toolBundlesConfig.js';

export const DEFAULT_WEB_TIMEOUT_MS = 15_000;
export const MAX_WEB_RESULTS = 20;
const SNIPPET_CHARS = 300;

export const NOT_CONFIGURED = 'web_search is not configured: set "web_search" in config/tool_bundles.json (providers: searxng, brave, tavily)';

export const webSearchParams = z.object({
  query: z.string().min(1).describe('What to search the web for.'),
  max_results: z.number().int().min(1).max(MAX_WEB_RESULTS).default(5).describe('How many results to return (default 5).'),
});
export type WebSearchArgs = z.input<typeof webSearchParams>;

export function createWebSearchTool(config: WebSearchConfig | null): Tool<WebSearchArgs> {
  return {
    name: 'web_search',
    description: [
      'Search the web. Returns a numbered list of results, each with title, URL and a short snippet.',
      'Snippets are only previews: cite the URLs, and do not treat a snippet as the full page.',
      config ? '' : '(Not configured in this installation: calls will fail.)',
    ]
      .filter(Boolean)
      .join(' '),
    parameters: webSearchParams,
    sideEffect: false,
    run: async (args, ctx) => {
      if (!config) return { ok: false, output: NOT_CONFIGURED };
      try {
        return await search(config, args, ctx.signal);
      } catch (err) {
        return fail('web_search', errorMessage(err));
      }
    },
  };
}

async function search(config: WebSearchConfig, args: WebSearchArgs, outer?: AbortSignal): Promise<ToolResult> {
  const query = typeof args?.query === 'string' ? args.query.trim() : '';
  if (!query) return fail('web_search', 'query must be a non-empty string');
  const cap = Math.min(config.max_results ?? MAX_WEB_RESULTS, MAX_WEB_RESULTS);
  const count = Math.max(1, Math.min(Math.trunc(args.max_results ?? 5), cap));
  const apiKey = config.api_key ?? (config.api_key_env ? process.env[config.api_key_env] : undefined);
  let req;
  try {
    req = buildRequest(config, apiKey || undefined, query, count);
  } catch (err) {
    return fail('web_search', `misconfigured (${errorMessage(err)}); fix "web_search" in config/tool_bundles.json`);
  }

  const timeoutMs = config.timeout_ms ?? DEFAULT_WEB_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = outer ? AbortSignal.any([timeout, outer]) : timeout;
  const who = config.provider;
  let status: number;
  let text: string;
  try {
    const res = await fetch(req.url, { ...req.init, signal });
    status = res.status;
    text = await res.text();
    if (!res.ok) return fail('web_search', `${who} answered HTTP ${status} ${res.statusText}${text ? `: ${oneLine(text, 200)}` : ''}`);
  } catch (err) {
    if (timeout.aborted) return fail('web_search', `${who} did not answer within ${timeoutMs} ms; try again later or with a simpler query`);
    if (outer?.aborted) return fail('web_search', 'the search was cancelled');
    return fail('web_search', `could not reach ${who} (${networkReason(err)})`);
  }

  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return fail('web_search', `${who} answered HTTP ${status} with something that is not JSON: ${oneLine(text, 200)}`);
  }
  const hits = parseHits(who, body);
  if (!hits) return fail('web_search', `${who} answered with JSON of an unexpected shape (no results list)`);
  return render(query, who, hits.slice(0, count));
}

function render(query: string, provider: string, hits: SearchHit[]): ToolResult {
  if (hits.length === 0) return ok(`No web results for ${JSON.stringify(query)} (${provider}).`);
  const lines = [`Web results for ${JSON.stringify(query)} (${provider}, ${hits.length}):`];
  hits.forEach((h, i) => {
    lines.push(`${i + 1}. ${h.title}`, `   ${h.url}`);
    if (h.snippet) lines.push(`   ${oneLine(h.snippet, SNIPPET_CHARS)}`);
  });
  return ok(lines.join('\n'), [...new Set(hits.map((h) => h.url))]);
}

/** fetch hides the real network error (ECONNREFUSED, ENOTFOUND...) in `cause`. */
function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message;
  return errorMessage(err);
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
