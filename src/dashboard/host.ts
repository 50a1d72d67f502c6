/**
 * Starts the dashboard for a run on a worker thread (see worker.ts) and
 * forwards the run's records to it. The run's thread keeps only the cheap
 * part: converting inspection events and posting batches.
 */
import { registeredSecrets } from '../util/secrets.js';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { checkHost, DashboardError, DEFAULT_HOST, DEFAULT_PORT, type DashboardErrorCode } from './bind.js';
import type { DashboardAnswer, PendingView } from './approvals.js';
import type { HostMessage, LiveRun, WorkerInit, WorkerMessage } from './hostProtocol.js';

export interface DashboardHostOptions {
  tracesDir: string;
  host?: string;
  port?: number;
  allowRemote?: boolean;
  /** The run to serve live, and where its inspect.jsonl goes; `true`: a live run named later by `startLive` (the runtime makes the id). */
  live?: LiveRun | true;
  /** Serve the Stately inspector bridge too. */
  stately?: boolean;
  /** Serve pending approvals; answers from the page arrive here. */
  approvals?: { token: string; onAnswer(key: string, answer: DashboardAnswer): void };
  /** Problems after start (a file that cannot be written, a lost worker); the run goes on. */
  onWarning?: (message: string) => void;
}

export interface DashboardHost {
  url: string;
  host: string;
  port: number;
  /** Names the live run once it has started (with `live: true`): records forwarded from now on go to its inspect.jsonl. */
  startLive(run: LiveRun): void;
  /** Hand a batch of inspection records (or Stately events) to the dashboard. */
  forward(channel: 'live' | 'stately', records: unknown[]): void;
  /** The calls now waiting for approval (the whole list, replacing the last one). */
  publishApprovals(pending: PendingView[]): void;
  /** Waits until the file is written and the server has stopped. */
  close(): Promise<void>;
}

/** The compiled worker next to this module; from TypeScript sources (tests), the built one. */
function workerUrl(): URL {
  const sibling = new URL('./worker.js', import.meta.url);
  if (fs.existsSync(fileURLToPath(sibling))) return sibling;
  return new URL('../../dist/src/dashboard/worker.js', import.meta.url);
}

export function startDashboardHost(opts: DashboardHostOptions): Promise<DashboardHost> {
  const host = opts.host ?? DEFAULT_HOST;
  checkHost(host, opts.allowRemote ?? false);
  const init: WorkerInit = {
    server: { tracesDir: opts.tracesDir, host, port: opts.port ?? DEFAULT_PORT, allowRemote: opts.allowRemote ?? false },
    ...(opts.live ? { live: opts.live } : {}),
    ...(opts.stately ? { stately: true } : {}),
    secrets: registeredSecrets(),
    ...(opts.approvals ? { approvals: { token: opts.approvals.token } } : {}),
  };
  const worker = new Worker(workerUrl(), { workerData: init });
  const warn = opts.onWarning ?? (() => {});
  let closed: (() => void) | null = null;
  let lost = false;

  return new Promise((resolve, reject) => {
    let started = false;
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'ready') {
        started = true;
        resolve({
          url: m.url,
          host: m.host,
          port: m.port,
          startLive(run) {
            if (lost) return;
            worker.postMessage({ type: 'live', runId: run.runId, file: run.file } satisfies HostMessage);
          },
          forward(channel, records) {
            if (lost) return;
            try {
              worker.postMessage({ type: 'batch', channel, records } satisfies HostMessage);
            } catch (err) {
              lost = true;
              warn(`dashboard: cannot pass records on (${(err as Error).message}); the run goes on without it`);
            }
          },
          publishApprovals(pending) {
            if (lost) return;
            try {
              worker.postMessage({ type: 'approvals', pending } satisfies HostMessage);
            } catch {
              /* the dashboard is gone; the terminal (or the policy) still answers */
            }
          },
          close: () =>
            new Promise<void>((done) => {
              if (lost) return void worker.terminate().then(() => done());
              closed = done;
              worker.postMessage({ type: 'close' } satisfies HostMessage);
            }),
        });
      } else if (m.type === 'failed') {
        reject(m.name === 'DashboardError' ? new DashboardError(m.code as DashboardErrorCode, m.message) : new Error(m.message));
      } else if (m.type === 'warning') {
        warn(m.message);
      } else if (m.type === 'approval-answer') {
        opts.approvals?.onAnswer(m.key, m.answer);
      } else if (m.type === 'closed') {
        closed?.();
      }
    });
    worker.on('error', (err) => {
      lost = true;
      if (!started) reject(err);
      else warn(`dashboard stopped: ${err.message}; the run goes on without it`);
    });
    worker.on('exit', () => {
      lost = true;
      closed?.();
    });
  });
}
