/**
 * The dashboard's HTTP server (node:http only). Routes, all GET:
 *
 *   /                      the page
 *   /assets/<file>         its scripts and styles
 *   /api/info              what this server shows: a live run or only past runs
 *   /api/live              SSE: the live run's inspection records, buffered ones first
 *   /api/runs              past runs in traces/runs/
 *   /api/runs/<id>/inspect a run's inspect.jsonl records, for replay
 *   /api/gepa              GEPA metrics from traces/gepa_history.jsonl
 *   /stately, /api/stately the Stately inspector bridge page and its SSE feed (--inspect stately)
 *   /api/approvals         calls of the live run waiting for approval; POST /api/approvals/<key> answers one
 *                          (loopback, same origin, JSON, the run's token: see approvals.ts)
 *
 * Loopback only unless the caller allows otherwise; the Host header is
 * checked against DNS rebinding (on remote binds too: that host only); a
 * malformed URL is a 400; every response carries a strict CSP.
 */
import http from 'node:http';
import type { LineSource } from '../runtime/recordBuffer.js';
import { readJsonBody, refuseAnswer, tokenMatches, type ApprovalBoard } from './approvals.js';
import { loadAssets, type Asset } from './assets.js';
import { checkHost, DEFAULT_HOST, DEFAULT_PORT, hostAllowed, listen, urlFor } from './bind.js';
import { readGepaHistory } from './gepaHistory.js';
import { SECURITY_HEADERS, STATELY_CSP } from './headers.js';
import { listRunSummaries, readRunRecords } from './runs.js';
import { lastEventId, serveSse } from './sse.js';

export interface DashboardOptions {
  tracesDir: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Allow a non-loopback host (the CLI sets it when --host was given explicitly). */
  allowRemote?: boolean;
  /** The run being watched, when there is one; its id is read on every request (null until the runtime has named it). */
  live?: { readonly runId: string | null; source: LineSource };
  /** The Stately bridge feed (--inspect stately). */
  stately?: LineSource;
  /** The live run's pending approvals, answerable from the page. */
  approvals?: ApprovalBoard;
}

export interface Dashboard {
  url: string;
  host: string;
  port: number;
  /** Open SSE connections. */
  readonly clients: number;
  close(): Promise<void>;
}

export async function startDashboard(opts: DashboardOptions): Promise<Dashboard> {
  const host = opts.host ?? DEFAULT_HOST;
  checkHost(host, opts.allowRemote ?? false);
  const assets = loadAssets();
  let port = opts.port ?? DEFAULT_PORT;
  let clients = 0;
  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // A malformed percent-encoding or URL is the client's mistake, not ours.
      if (err instanceof URIError || (err as { code?: string }).code === 'ERR_INVALID_URL') {
        if (!res.headersSent) send(res, 400, 'application/json', JSON.stringify({ error: 'malformed URL' }));
        else res.destroy();
        return;
      }
      if (!res.headersSent) send(res, 500, 'application/json', JSON.stringify({ error: (err as Error).message }));
      else res.destroy();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (!hostAllowed(req.headers.host, host, port)) return send(res, 403, 'text/plain', 'unexpected Host header\n');
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    const route = url.pathname;
    const answerMatch = /^\/api\/approvals\/([^/]+)$/.exec(route);
    if (req.method === 'POST' && answerMatch) return answerApproval(req, res, decodeURIComponent(answerMatch[1]!));
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, 'text/plain', 'method not allowed\n');
    }
    if (route === '/api/approvals') {
      if (!opts.approvals) return notFound(res);
      return json(res, 200, { pending: opts.approvals.pending() });
    }

    if (route === '/stately' || route === '/assets/stately.js') {
      if (!opts.stately) return notFound(res);
      return sendAsset(res, assets.get(route), route === '/stately' ? STATELY_CSP : undefined);
    }
    const asset = assets.get(route);
    if (asset) return sendAsset(res, asset);
    if (route === '/favicon.ico') return sendAsset(res, assets.get('/assets/icon.svg'));

    if (route === '/api/info') {
      return json(res, 200, {
        mode: opts.live ? 'live' : 'browse',
        runId: opts.live?.runId ?? null,
        stately: Boolean(opts.stately),
        // Same-origin only (no CORS headers): another site's script cannot read the token.
        ...(opts.approvals ? { approvals: { token: opts.approvals.token } } : {}),
      });
    }
    if (route === '/api/live' || route === '/api/stately') {
      const source = route === '/api/live' ? opts.live?.source : opts.stately;
      if (!source) return notFound(res);
      clients++;
      serveSse(req, res, source, lastEventId(req, url), () => clients--);
      return;
    }
    if (route === '/api/runs') return json(res, 200, { runs: await listRunSummaries(opts.tracesDir), live: opts.live?.runId ?? null });
    const runMatch = /^\/api\/runs\/([^/]+)\/inspect$/.exec(route);
    if (runMatch) {
      const result = await readRunRecords(opts.tracesDir, decodeURIComponent(runMatch[1]!));
      return result.ok ? json(res, 200, { records: result.records, tornTail: result.tornTail }) : json(res, result.status, { error: result.message });
    }
    if (route === '/api/gepa') return json(res, 200, await readGepaHistory(opts.tracesDir));
    return notFound(res);
  }

  async function answerApproval(req: http.IncomingMessage, res: http.ServerResponse, key: string): Promise<void> {
    const board = opts.approvals;
    if (!board) return notFound(res);
    const refused = refuseAnswer(req);
    if (refused) return json(res, 403, { error: refused });
    let body: unknown;
    try {
      body = await readJsonBody(req);
    } catch {
      return json(res, 400, { error: 'expected a JSON body {"answer": "yes"|"no", "token": …}' });
    }
    const { answer, token } = (body ?? {}) as { answer?: unknown; token?: unknown };
    if (!tokenMatches(board.token, token ?? req.headers['x-approval-token'])) return json(res, 403, { error: 'wrong or missing run token' });
    if (answer !== 'yes' && answer !== 'no') return json(res, 400, { error: 'answer must be "yes" or "no"' });
    if (!board.answer(key, answer)) return json(res, 404, { error: 'no such pending approval (already answered?)' });
    return json(res, 200, { ok: true });
  }

  port = await listen(server, host, port);
  const url = urlFor(host, port);
  return {
    url,
    host,
    port,
    get clients() {
      return clients;
    },
    close: () =>
      new Promise<void>((resolve) => {
        // SSE responses never end by themselves: cut them, or close() would wait forever.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: http.ServerResponse, status: number, type: string, body: string | Buffer, csp?: string): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    ...(csp ? { 'Content-Security-Policy': csp } : {}),
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function sendAsset(res: http.ServerResponse, asset: Asset | undefined, csp?: string): void {
  if (!asset) return notFound(res);
  send(res, 200, asset.type, asset.body, csp);
}

function json(res: http.ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

function notFound(res: http.ServerResponse): void {
  json(res, 404, { error: 'not found' });
}
