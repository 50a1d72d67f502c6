/**
 * The HTTP search providers web_search can use: how to ask each one and how
 * to read its answer. Pure: no I/O here, so the shapes are easy to test.
 */
import { z } from 'zod';
import type { WebSearchConfig, WebSearchProvider } from '../../config/toolBundlesConfig.js';

export interface SearchHit {
  title: string;
  url: string;
  snippet: string;
}

export interface ProviderRequest {
  url: string;
  init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string };
}

export const DEFAULT_ENDPOINTS: Record<WebSearchProvider, string | undefined> = {
  searxng: undefined, // self-hosted: there is no public default
  brave: 'https://api.search.brave.com/res/v1/web/search',
  tavily: 'https://api.tavily.com/search',
};

/** Builds the request; throws Error with a config-facing message when something required is missing. */
export function buildRequest(config: WebSearchConfig, apiKey: string | undefined, query: string, count: number): ProviderRequest {
  const endpoint = config.url ?? DEFAULT_ENDPOINTS[config.provider];
  if (!endpoint) throw new Error(`provider "${config.provider}" needs "url" (the search endpoint, e.g. "http://localhost:8080/search")`);
  const url = new URL(endpoint); // throws TypeError "Invalid URL" for a bad config value
  const accept = { accept: 'application/json' };
  switch (config.provider) {
    case 'searxng':
      url.searchParams.set('q', query);
      url.searchParams.set('format', 'json');
      return { url: url.toString(), init: { method: 'GET', headers: accept } };
    case 'brave':
      url.searchParams.set('q', query);
      url.searchParams.set('count', String(count));
      return { url: url.toString(), init: { method: 'GET', headers: { ...accept, 'x-subscription-token': requireKey(config, apiKey) } } };
    case 'tavily':
      return {
        url: url.toString(),
        init: {
          method: 'POST',
          headers: { ...accept, 'content-type': 'application/json' },
          body: JSON.stringify({ api_key: requireKey(config, apiKey), query, max_results: count }),
        },
      };
  }
}

function requireKey(config: WebSearchConfig, apiKey: string | undefined): string {
  if (apiKey) return apiKey;
  const where = config.api_key_env ? `the environment variable ${config.api_key_env} is not set` : 'neither "api_key" nor "api_key_env" is set';
  throw new Error(`provider "${config.provider}" needs an API key, but ${where}`);
}

// Lenient shapes: providers add fields freely; we only need these, and skip entries without a URL.
const hit = z.object({ title: z.unknown().optional(), url: z.unknown().optional(), content: z.unknown().optional(), description: z.unknown().optional() });
const resultsShape = z.object({ results: z.array(hit) });
const braveShape = z.object({ web: z.object({ results: z.array(hit) }).optional() });

/** The hits in a provider's JSON answer, or null when the JSON is not the expected shape. */
export function parseHits(provider: WebSearchProvider, body: unknown): SearchHit[] | null {
  let raw: z.infer<typeof hit>[];
  if (provider === 'brave') {
    const parsed = braveShape.safeParse(body);
    if (!parsed.success) return null;
    raw = parsed.data.web?.results ?? []; // Brave omits "web" when nothing was found
  } else {
    const parsed = resultsShape.safeParse(body);
    if (!parsed.success) return null;
    raw = parsed.data.results;
  }
  const hits: SearchHit[] = [];
  for (const r of raw) {
    if (typeof r.url !== 'string' || !/^https?:\/\//i.test(r.url)) continue;
    const snippet = provider === 'brave' ? r.description : r.content;
    hits.push({ url: r.url, title: clean(r.title) || r.url, snippet: clean(snippet) });
  }
  return hits;
}

/** Plain one-line text: providers put <strong> tags and entities in snippets. */
function clean(value: unknown): string {
  if (typeof value !== 'string') return '';
  return value
    .replace(/<[^>]{0,200}>/g, '')
    .replace(/&(amp|lt|gt|quot|#39|apos|nbsp);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", apos: "'", nbsp: ' ' })[e] ?? '')
    .replace(/\s+/g, ' ')
    .trim();
}
