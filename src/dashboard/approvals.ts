/**
 * Pending approvals on the dashboard. The page lists the calls waiting for a
 * person (GET /api/approvals) and answers one (POST /api/approvals/<key>).
 * An answer changes what the agents do, so it is accepted only from the
 * dashboard's own page: the client is on loopback, the Origin header is this
 * server's own origin, the body is JSON (a cross-site form cannot send it
 * without a preflight we never grant), and it carries the per-run token the
 * page got from /api/info (which other origins cannot read: no CORS).
 */
import crypto from 'node:crypto';
import type http from 'node:http';
import { isLoopback } from './bind.js';

export interface PendingView {
  key: string;
  taskId: string;
  tool: string;
  arguments: string;
  source: string;
}

export type DashboardAnswer = 'yes' | 'no';

/** The server's side: the latest list from the run, and a way to send an answer back. */
export interface ApprovalBoard {
  token: string;
  pending(): PendingView[];
  answer(key: string, answer: DashboardAnswer): boolean;
}

const MAX_BODY = 4096;

export function newApprovalToken(): string {
  return crypto.randomBytes(24).toString('base64url');
}

export function tokenMatches(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

/** Why this POST is refused, or null when it came from the dashboard's own page. */
export function refuseAnswer(req: http.IncomingMessage): string | null {
  const remote = req.socket.remoteAddress ?? '';
  if (!isLoopback(remote.replace(/^::ffff:/, ''))) return 'approvals are accepted from this machine only';
  // The Host header was checked against rebinding already; the page's own origin is that host.
  if (!req.headers.origin || req.headers.origin !== `http://${req.headers.host}`) return 'approvals are accepted from the dashboard page only (Origin)';
  const type = String(req.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim();
  if (type !== 'application/json') return 'expected a JSON body';
  return null;
}

export async function readJsonBody(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/**
 * The run's side: an approval asker whose questions appear on the dashboard.
 * It races the terminal (if any); whichever answers first wins, and a question
 * answered elsewhere or withdrawn leaves the page's list.
 */
export class DashboardAsker {
  readonly by = 'dashboard' as const;
  private readonly waiting = new Map<string, { view: PendingView; resolve: (a: DashboardAnswer) => void }>();
  private publish: (pending: PendingView[]) => void = () => {};

  /** Where the list goes (the dashboard host), once it is up. */
  connect(publish: (pending: PendingView[]) => void): void {
    this.publish = publish;
    this.changed();
  }

  ask(request: PendingView, signal: AbortSignal): Promise<DashboardAnswer> {
    return new Promise((resolve, reject) => {
      const view: PendingView = { key: request.key, taskId: request.taskId, tool: request.tool, arguments: request.arguments, source: request.source };
      this.waiting.set(request.key, { view, resolve });
      signal.addEventListener(
        'abort',
        () => {
          if (this.waiting.delete(request.key)) this.changed();
          reject(new Error('the question was withdrawn'));
        },
        { once: true },
      );
      this.changed();
    });
  }

  /** An answer from the page. */
  answer(key: string, answer: DashboardAnswer): void {
    const w = this.waiting.get(key);
    if (!w) return;
    this.waiting.delete(key);
    this.changed();
    w.resolve(answer);
  }

  private changed(): void {
    this.publish([...this.waiting.values()].map((w) => w.view));
  }
}
