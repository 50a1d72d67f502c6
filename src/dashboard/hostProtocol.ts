/** Messages between the run's thread (host.ts) and the dashboard's worker thread (worker.ts). */
import type { DashboardAnswer, PendingView } from './approvals.js';
import type { DashboardOptions } from './server.js';

export interface WorkerInit {
  server: Pick<DashboardOptions, 'tracesDir' | 'host' | 'port' | 'allowRemote'>;
  /** The run being watched and its inspect.jsonl; `true`: a run whose id and file come later (a `live` message). */
  live?: LiveRun | true;
  stately?: boolean;
  /** The run's registered secrets: this thread redacts them by value too (util/secrets.ts). */
  secrets?: string[];
  /** Serve pending approvals with this run token. */
  approvals?: { token: string };
}

/** The live run: its id (the runtime names it) and where its inspect.jsonl goes. */
export interface LiveRun {
  runId: string;
  file: string;
}

/** Run's thread -> worker. */
export type HostMessage =
  | ({ type: 'live' } & LiveRun)
  | { type: 'batch'; channel: 'live' | 'stately'; records: unknown[] }
  | { type: 'approvals'; pending: PendingView[] }
  | { type: 'close' };

/** Worker -> run's thread. */
export type WorkerMessage =
  | { type: 'ready'; url: string; host: string; port: number }
  | { type: 'failed'; name: string; code: string; message: string }
  | { type: 'warning'; message: string }
  | { type: 'approval-answer'; key: string; answer: DashboardAnswer }
  | { type: 'closed' };
