/**
 * The dashboard's HTTP server: routes, headers, past runs and GEPA history
 * from disk, SSE framing with late-join replay and resume, loopback-only
 * binding, and a clear error for a busy port.
 */
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { publicDir } from '../../src/dashboard/assets.js';
import { checkHost, DashboardError, hostAllowed, isLoopback } from '../../src/dashboard/bind.js';
import { CSP } from '../../src/dashboard/headers.js';
import { startDashboard, type Dashboard, type DashboardOptions } from '../../src/dashboard/server.js';
import { frame } from '../../src/dashboard/sse.js';
import { RecordBuffer } from '../../src/runtime/recordBuffer.js';
import { tempDir } from '../support/runtime.js';
import { sseClient } from './support.js';

const open: Dashboard[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((d) => d.close()));
});

async function serve(opts: Partial<DashboardOptions> = {}): Promise<Dashboard> {
  const d = await startDashboard({ tracesDir: opts.tracesDir ?? (await tempDir()), port: 0, ...opts });
  open.push(d);
  return d;
}

const rec = (seq: number, extra: object = {}) => JSON.stringify({ seq, kind: 'event', t: seq, from: 'a', to: 'b', type: 'E', payload: {}, ...extra });

async function fixtureTraces(): Promise<string> {
  const traces = await tempDir();
  const run = async (id: string, files: Record<string, string>) => {
    await fs.mkdir(path.join(traces, 'runs', id), { recursive: true });
    for (const [name, text] of Object.entries(files)) await fs.writeFile(path.join(traces, 'runs', id, name), text);
  };
  const report = (goal: string, status: string) => JSON.stringify({ goal, status, timings: { startedAt: '2026-01-01T00:00:00.000Z', durationMs: 42 } });
  await run('20260101T000000Z-aaaaaa', { 'report.json': report('first goal', 'completed'), 'inspect.jsonl': `${rec(0)}\n${rec(1)}\n` });
  await run('20260102T000000Z-bbbbbb', { 'report.json': report('no viz', 'failed') });
  await run('20260103T000000Z-cccccc', { 'inspect.jsonl': `${rec(0)}\n{"seq":1,"kind":"ev` });
  await run('20260104T000000Z-dddddd', { 'inspect.jsonl': `${rec(0)}\nnot json\n${rec(2)}\n` });
  await fs.writeFile(
    path.join(traces, 'gepa_history.jsonl'),
    [
      { kind: 'candidate', ts: '2026-01-01T00:00:00Z', id: 'seed', runId: 'r', parentId: null, components: {}, reason: 'seed' },
      { kind: 'outcome', ts: '2026-01-01T00:00:01Z', candidateId: 'seed', score: 1, composite: 1 },
      { kind: 'outcome', ts: '2026-01-01T00:00:02Z', candidateId: 'seed', score: 0, composite: 0.4 },
      { kind: 'candidate', ts: '2026-01-01T00:00:03Z', id: 'c1', score: 0.9 },
      { kind: 'switch', ts: '2026-01-01T00:00:04Z', from: 'seed', to: 'c1' },
    ]
      .map((r) => JSON.stringify(r))
      .join('\n') + '\n{"kind":"outcome","ts',
  );
  return traces;
}

/** A raw request, for what fetch will not send (a forged Host header, other methods). */
function request(
  url: string,
  opts: { method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers ?? {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('routes and headers', () => {
  it('serves the page and its assets with a strict CSP, and nothing else', async () => {
    const d = await serve();
    expect(d.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(d.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toBe(CSP);
    expect(CSP).toContain("script-src 'self'");
    expect(CSP).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await page.text();
    expect(html).toContain('<script type="module" src="/assets/app.js">');
    expect(html).not.toMatch(/https?:\/\//); // no CDN, no external fonts

    // Every script of the page is served (a module missing from the list would break the page).
    const scripts = (await fs.readdir(publicDir())).filter((f) => f.endsWith('.js') && f !== 'stately.js');
    expect(scripts.length).toBeGreaterThan(5);
    for (const asset of scripts) {
      const res = await fetch(`${d.url}assets/${asset}`);
      expect(res.status, asset).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(await res.text()).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|https?:\/\/(?!www\.w3\.org)/);
    }
    expect((await fetch(`${d.url}assets/style.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');

    for (const p of ['nope', 'assets/../package.json', 'assets/%2e%2e%2fpackage.json', 'api/live', 'stately', 'api/stately', 'assets/stately.js']) {
      const res = await fetch(`${d.url}${p}`);
      expect(res.status, p).toBe(404);
      expect(await res.json()).toEqual({ error: 'not found' });
    }
    const post = await request(`${d.url}api/runs`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers['allow']).toBe('GET, HEAD');
    const head = await request(d.url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('answers only to its own host names (DNS rebinding)', async () => {
    const d = await serve();
    expect((await request(`${d.url}api/info`, { headers: { host: 'evil.example' } })).status).toBe(403);
    expect((await request(`${d.url}api/info`, { headers: { host: `localhost:${d.port}` } })).status).toBe(200);
    expect(hostAllowed(undefined, '127.0.0.1', 1)).toBe(false);
    // Remote binds keep the check: that host only (a wildcard bind: this machine's names and addresses).
    expect(hostAllowed('anything', '0.0.0.0', 1)).toBe(false);
    expect(hostAllowed('127.0.0.1:1', '0.0.0.0', 1)).toBe(true);
    expect(hostAllowed(`${os.hostname().toLowerCase()}:1`, '0.0.0.0', 1)).toBe(true);
    expect(hostAllowed('192.0.2.7:1', '192.0.2.7', 1)).toBe(true);
    expect(hostAllowed('evil.example:1', '192.0.2.7', 1)).toBe(false);
    expect(hostAllowed('[fd00::1]:1', 'fd00::1', 1)).toBe(true);
  });

  it('answers 400 to a malformed percent-encoding, not 500', async () => {
    const d = await serve();
    const r = await request(`${d.url}api/runs/%E0%A4%A/inspect`);
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toEqual({ error: 'malformed URL' });
  });

  it('says whether it follows a live run', async () => {
    const browse = await serve();
    expect(await (await fetch(`${browse.url}api/info`)).json()).toEqual({ mode: 'browse', runId: null, stately: false });
    const live = await serve({ live: { runId: 'r1', source: new RecordBuffer() }, stately: new RecordBuffer() });
    expect(await (await fetch(`${live.url}api/info`)).json()).toEqual({ mode: 'live', runId: 'r1', stately: true });
  });
});

describe('past runs and GEPA history', () => {
  it('lists runs newest first, with what their reports say and whether they can be replayed', async () => {
    const d = await serve({ tracesDir: await fixtureTraces() });
    const { runs, live } = (await (await fetch(`${d.url}api/runs`)).json()) as { runs: unknown[]; live: unknown };
    expect(live).toBeNull();
    expect(runs).toEqual([
      { runId: '20260104T000000Z-dddddd', goal: null, status: null, startedAt: null, durationMs: null, replayable: true },
      { runId: '20260103T000000Z-cccccc', goal: null, status: null, startedAt: null, durationMs: null, replayable: true },
      { runId: '20260102T000000Z-bbbbbb', goal: 'no viz', status: 'failed', startedAt: '2026-01-01T00:00:00.000Z', durationMs: 42, replayable: false },
      { runId: '20260101T000000Z-aaaaaa', goal: 'first goal', status: 'completed', startedAt: '2026-01-01T00:00:00.000Z', durationMs: 42, replayable: true },
    ]);
    expect(await (await fetch(`${d.url}api/runs`)).json()).toEqual({ runs, live: null });
  });

  it("serves a run's records, tolerates a torn last line, and names a broken one", async () => {
    const d = await serve({ tracesDir: await fixtureTraces() });
    const ok = await (await fetch(`${d.url}api/runs/20260101T000000Z-aaaaaa/inspect`)).json();
    expect(ok).toEqual({ records: [JSON.parse(rec(0)), JSON.parse(rec(1))], tornTail: false });
    const torn = await (await fetch(`${d.url}api/runs/20260103T000000Z-cccccc/inspect`)).json();
    expect(torn).toEqual({ records: [JSON.parse(rec(0))], tornTail: true });
    const broken = await fetch(`${d.url}api/runs/20260104T000000Z-dddddd/inspect`);
    expect(broken.status).toBe(422);
    expect(((await broken.json()) as { error: string }).error).toMatch(/inspect\.jsonl:2: not a JSON record/);
    const noViz = await fetch(`${d.url}api/runs/20260102T000000Z-bbbbbb/inspect`);
    expect(noViz.status).toBe(404);
    expect(((await noViz.json()) as { error: string }).error).toMatch(/has no inspect\.jsonl/);
    for (const bad of ['..', '%2e%2e', '..%2F..%2Fetc', '.hidden']) expect((await fetch(`${d.url}api/runs/${bad}/inspect`)).status, bad).toBe(404);
  });

  it('summarises gepa_history.jsonl: composite timeline and candidate scores, torn tail flagged', async () => {
    const d = await serve({ tracesDir: await fixtureTraces() });
    expect(await (await fetch(`${d.url}api/gepa`)).json()).toEqual({
      timeline: [
        { at: 0, ts: '2026-01-01T00:00:01Z', composite: 1 },
        { at: 1, ts: '2026-01-01T00:00:02Z', composite: 0.4 },
      ],
      candidates: [
        { id: 'seed', score: 0.5, active: false },
        { id: 'c1', score: 0.9, active: true },
      ],
      tornTail: true,
    });
    const empty = await serve();
    expect(await (await fetch(`${empty.url}api/gepa`)).json()).toEqual({ timeline: [], candidates: [], tornTail: false });
  });
});

describe('Server-Sent Events', () => {
  it('frames batches as JSON arrays with the last sequence number as id', () => {
    expect(frame(['{"a":1}', '{"a":2}'], 7)).toBe('id: 7\ndata: [{"a":1},{"a":2}]\n\n');
    expect(frame([], 3)).toBe('');
    const big = frame(
      Array.from({ length: 2500 }, (_, i) => String(i)),
      2499,
    );
    expect(big.match(/^data: /gm)).toHaveLength(3);
    expect(big.match(/^id: /gm)).toEqual(['id: ']);
    expect(big).toContain('id: 2499\ndata: [2000,');
  });

  it('gives a late joiner the run so far, then follows; a reconnect resumes after Last-Event-ID', async () => {
    const source = new RecordBuffer();
    for (let i = 0; i < 3; i++) source.push(JSON.parse(rec(i)));
    source.flush();
    const d = await serve({ live: { runId: 'r', source } });

    const late = sseClient(`${d.url}api/live`);
    const res = await late.ready;
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache, no-transform');
    expect(res.headers['content-security-policy']).toBe(CSP);
    await late.until(() => late.records().length === 3);
    expect(late.raw.startsWith('retry: 1000\n\n')).toBe(true);
    expect(late.messages[0]!.id).toBe('2');

    source.push(JSON.parse(rec(3)));
    source.push(JSON.parse(rec(4)));
    await late.until(() => late.records().length === 5);
    expect(late.records().map((r) => r['seq'])).toEqual([0, 1, 2, 3, 4]);
    expect(late.messages.at(-1)!.id).toBe('4');
    expect(d.clients).toBe(1);

    const resumed = sseClient(`${d.url}api/live`, { 'Last-Event-ID': '3' });
    await resumed.until(() => resumed.records().length === 1);
    expect(resumed.records()[0]!['seq']).toBe(4);
    const byQuery = sseClient(`${d.url}api/live?after=1`);
    await byQuery.until(() => byQuery.records().length === 3);
    late.close();
    resumed.close();
    byQuery.close();
  });

  it('tells a late joiner when early records were dropped from memory', async () => {
    const source = new RecordBuffer({ maxBytes: 300 });
    for (let i = 0; i < 20; i++) source.push(JSON.parse(rec(i)));
    source.flush();
    const d = await serve({ live: { runId: 'r', source } });
    const client = sseClient(`${d.url}api/live`);
    await client.until(() => client.messages.length >= 2);
    expect(client.messages[0]).toMatchObject({ event: 'gap' });
    expect(JSON.parse(client.messages[0]!.data).dropped).toBeGreaterThan(0);
    client.close();
  });

  it('serves the Stately bridge page, framing only stately.ai, and its feed', async () => {
    const stately = new RecordBuffer();
    stately.push({ type: '@xstate.actor', name: 'workflow', _version: '0.7.2' });
    stately.flush();
    const d = await serve({ stately });
    const page = await fetch(`${d.url}stately`);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain('frame-src https://stately.ai');
    expect(csp).toContain("script-src 'self'");
    expect(await page.text()).toContain('<script type="module" src="/assets/stately.js">');
    expect(await (await fetch(`${d.url}assets/stately.js`)).text()).toContain("const INSPECTOR_URL = 'https://stately.ai/inspect';");
    const feed = sseClient(`${d.url}api/stately`);
    await feed.until(() => feed.records().length === 1);
    expect(feed.records()[0]).toMatchObject({ type: '@xstate.actor', name: 'workflow' });
    feed.close();
  });

  it('closes open event streams when the server closes', async () => {
    const source = new RecordBuffer();
    const d = await startDashboard({ tracesDir: await tempDir(), port: 0, live: { runId: 'r', source } });
    const client = sseClient(`${d.url}api/live`);
    const res = await client.ready;
    const ended = new Promise<void>((resolve) => res.on('close', () => resolve()));
    await d.close();
    await ended;
  });
});

describe('binding', () => {
  it('refuses a non-loopback host unless allowed explicitly', async () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) expect(isLoopback(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '192.168.1.5', '10.0.0.1', 'example.com']) expect(isLoopback(host), host).toBe(false);
    expect(() => checkHost('0.0.0.0', false)).toThrow(/refusing to serve the dashboard on 0\.0\.0\.0.*--host 0\.0\.0\.0/);
    expect(() => checkHost('0.0.0.0', true)).not.toThrow();
    await expect(startDashboard({ tracesDir: await tempDir(), host: '0.0.0.0', port: 0 })).rejects.toMatchObject({
      name: 'DashboardError',
      code: 'not_loopback',
    });
  });

  it('explains a port in use', async () => {
    const first = await serve();
    const err = await startDashboard({ tracesDir: await tempDir(), port: first.port }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DashboardError);
    expect(err).toMatchObject({
      code: 'port_in_use',
      message: `port ${first.port} on 127.0.0.1 is already in use: pick another with --port N (--port 0 takes any free port)`,
    });
  });
});
