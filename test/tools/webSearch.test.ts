import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebSearchTool, NOT_CONFIGURED } from '../../src/tools/builtin/webSearch.js';
import type { WebSearchConfig } from '../../src/config/toolBundlesConfig.js';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

let server: http.Server;
let base: string;
const seen: Seen[] = [];
const ctx = { workspace: '/nonexistent' };

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const route = new URL(req.url ?? '/', 'http://x').pathname;
      const json = (status: number, value: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      if (route === '/searxng') {
        json(200, {
          query: 'q',
          results: [
            { title: 'Zod docs', url: 'https://zod.dev/', content: 'TypeScript-first <b>schema</b> validation' },
            { title: 'No url here', content: 'dropped' },
            { title: 'Second', url: 'https://example.org/2', content: '' },
            { title: 'Third', url: 'https://example.org/3', content: 'three' },
          ],
        });
      } else if (route === '/brave') {
        json(200, {
          type: 'search',
          web: { results: [{ title: 'Brave hit', url: 'https://brave.example/a', description: 'A <strong>bold</strong> &amp; snippet' }] },
        });
      } else if (route === '/brave-empty') {
        json(200, { type: 'search' });
      } else if (route === '/tavily') {
        json(200, { query: 'q', results: [{ title: 'Tavily hit', url: 'https://tavily.example/a', content: 'tavily content', score: 0.9 }] });
      } else if (route === '/500') {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('upstream exploded');
      } else if (route === '/notjson') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html>rate limited</html>');
      } else if (route === '/shape') {
        json(200, { items: [] });
      } else if (route === '/hang') {
        // never answers: the client's timeout must end the call
      } else {
        json(404, { error: 'no route' });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const lastSeen = () => seen.at(-1)!;
const search = (config: WebSearchConfig | null, args: { query: string; max_results?: number }) => createWebSearchTool(config).run(args, ctx);

describe('web_search', () => {
  it('says it is not configured instead of making results up', async () => {
    const r = await search(null, { query: 'anything' });
    expect(r).toEqual({ ok: false, output: NOT_CONFIGURED });
    expect(NOT_CONFIGURED).toBe('web_search is not configured: set "web_search" in config/tool_bundles.json (providers: searxng, brave, tavily)');
  });

  it('searxng: GET url?q=...&format=json, results with titles, URLs, snippets and URLs as references', async () => {
    const r = await search({ provider: 'searxng', url: `${base}/searxng` }, { query: 'zod schema', max_results: 2 });
    expect(lastSeen().method).toBe('GET');
    const url = new URL(lastSeen().url, base);
    expect(url.searchParams.get('q')).toBe('zod schema');
    expect(url.searchParams.get('format')).toBe('json');
    expect(r).toEqual({
      ok: true,
      output: [
        'Web results for "zod schema" (searxng, 2):',
        '1. Zod docs',
        '   https://zod.dev/',
        '   TypeScript-first schema validation',
        '2. Second',
        '   https://example.org/2',
      ].join('\n'),
      references: ['https://zod.dev/', 'https://example.org/2'],
    });
  });

  it('brave: GET with X-Subscription-Token from api_key_env, reads web.results[].description', async () => {
    process.env['GEPA_TEST_BRAVE_KEY'] = 'brave-secret';
    try {
      const r = await search({ provider: 'brave', url: `${base}/brave`, api_key_env: 'GEPA_TEST_BRAVE_KEY' }, { query: 'brave q' });
      expect(lastSeen().headers['x-subscription-token']).toBe('brave-secret');
      expect(new URL(lastSeen().url, base).searchParams.get('q')).toBe('brave q');
      expect(r.ok).toBe(true);
      expect(r.output).toContain('1. Brave hit\n   https://brave.example/a\n   A bold & snippet');
      expect(r.references).toEqual(['https://brave.example/a']);
    } finally {
      delete process.env['GEPA_TEST_BRAVE_KEY'];
    }
    const empty = await search({ provider: 'brave', url: `${base}/brave-empty`, api_key: 'k' }, { query: 'nothing' });
    expect(empty).toEqual({ ok: true, output: 'No web results for "nothing" (brave).' });
  });

  it('brave and tavily without an API key fail with a config message and send nothing', async () => {
    const before = seen.length;
    const r = await search({ provider: 'brave', url: `${base}/brave`, api_key_env: 'GEPA_TEST_UNSET_KEY' }, { query: 'q' });
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/^web_search: misconfigured \(provider "brave" needs an API key, but the environment variable GEPA_TEST_UNSET_KEY is not set\)/);
    expect((await search({ provider: 'tavily', url: `${base}/tavily` }, { query: 'q' })).output).toMatch(/needs an API key/);
    expect((await search({ provider: 'searxng' }, { query: 'q' })).output).toMatch(/needs "url"/);
    expect(seen.length).toBe(before);
  });

  it('tavily: POST JSON {api_key, query, max_results}', async () => {
    const r = await search({ provider: 'tavily', url: `${base}/tavily`, api_key: 'tv-key', max_results: 3 }, { query: 'tavily q', max_results: 10 });
    expect(lastSeen().method).toBe('POST');
    expect(JSON.parse(lastSeen().body)).toEqual({ api_key: 'tv-key', query: 'tavily q', max_results: 3 }); // capped by config
    expect(r).toEqual({
      ok: true,
      output: 'Web results for "tavily q" (tavily, 1):\n1. Tavily hit\n   https://tavily.example/a\n   tavily content',
      references: ['https://tavily.example/a'],
    });
  });

  it('turns HTTP errors, non-JSON and unexpected shapes into observations', async () => {
    const e500 = await search({ provider: 'searxng', url: `${base}/500` }, { query: 'q' });
    expect(e500).toEqual({ ok: false, output: 'web_search: searxng answered HTTP 500 Internal Server Error: upstream exploded' });
    const html = await search({ provider: 'tavily', url: `${base}/notjson`, api_key: 'k' }, { query: 'q' });
    expect(html.output).toBe('web_search: tavily answered HTTP 200 with something that is not JSON: <html>rate limited</html>');
    const shape = await search({ provider: 'searxng', url: `${base}/shape` }, { query: 'q' });
    expect(shape.output).toMatch(/unexpected shape/);
  });

  it('gives up after timeout_ms on a server that never answers', async () => {
    const r = await search({ provider: 'searxng', url: `${base}/hang`, timeout_ms: 50 }, { query: 'q' });
    expect(r).toEqual({ ok: false, output: 'web_search: searxng did not answer within 50 ms; try again later or with a simpler query' });
  });

  it('reports unreachable servers and bad URLs without throwing', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const r = await search({ provider: 'searxng', url: `http://127.0.0.1:${port}/search` }, { query: 'q' });
    expect(r).toEqual({ ok: false, output: 'web_search: could not reach searxng (ECONNREFUSED)' });
    const bad = await search({ provider: 'searxng', url: 'not a url' }, { query: 'q' });
    expect(bad.ok).toBe(false);
    expect(bad.output).toMatch(/^web_search: misconfigured \(Invalid URL\)/);
  });

  it("honours the caller's abort signal", async () => {
    const controller = new AbortController();
    const pending = createWebSearchTool({ provider: 'searxng', url: `${base}/hang`, timeout_ms: 10_000 }).run(
      { query: 'q' },
      { ...ctx, signal: controller.signal },
    );
    controller.abort();
    expect(await pending).toEqual({ ok: false, output: 'web_search: the search was cancelled' });
  });
});
