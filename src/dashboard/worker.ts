/**
 * The dashboard's own thread during a run. The run's thread converts
 * inspection events and posts each batch here; this thread does the rest:
 * appends inspect.jsonl, keeps the replay buffer (in its own heap, so the
 * run's garbage collector never walks it), and serves HTTP and SSE. A slow
 * browser can stall only this thread, never the run.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { AppendFile } from '../runtime/appendFile.js';
import { isPinned, serializeRecord, type InspectRecord } from '../runtime/inspection.js';
import { RecordBuffer } from '../runtime/recordBuffer.js';
import { isStatelyPinned } from '../runtime/statelyFormat.js';
import { errorMessage } from '../../contracts/errors.js';
import { redactSecrets, registerSecret } from '../util/secrets.js';
import type { ApprovalBoard, PendingView } from './approvals.js';
import type { HostMessage, WorkerInit, WorkerMessage } from './hostProtocol.js';
import { startDashboard, type Dashboard } from './server.js';

const init = workerData as WorkerInit;
for (const secret of init.secrets ?? []) registerSecret(secret);
const port = parentPort!;
const post = (m: WorkerMessage) => port.postMessage(m);
const warn = (message: string) => post({ type: 'warning', message });

// With `live: true` the run is named later (a `live` message, before its first record): until then nothing is written.
let file: AppendFile | null = init.live && init.live !== true ? new AppendFile(init.live.file, warn) : null;
const liveRun = init.live ? { runId: init.live === true ? null : init.live.runId } : null;
const live = init.live ? new RecordBuffer({ pin: isPinned, serialize: (r) => serializeRecord(r as InspectRecord), sink: (text) => file?.write(text) }) : null;
const stately = init.stately ? new RecordBuffer({ pin: isStatelyPinned }) : null;
let dashboard: Dashboard | null = null;
// The run's thread owns the questions; this copy is what the page sees.
let pending: PendingView[] = [];
const approvals: ApprovalBoard | null = init.approvals
  ? {
      token: init.approvals.token,
      pending: () => pending,
      answer(key, answer) {
        if (!pending.some((p) => p.key === key)) return false;
        pending = pending.filter((p) => p.key !== key);
        post({ type: 'approval-answer', key, answer });
        return true;
      },
    }
  : null;

port.on('message', (m: HostMessage) => {
  if (m.type === 'live') {
    if (liveRun && liveRun.runId === null) {
      liveRun.runId = m.runId;
      file = new AppendFile(m.file, warn);
    }
  } else if (m.type === 'batch') {
    (m.channel === 'live' ? live : stately)?.append(m.records);
  } else if (m.type === 'approvals') {
    // Arguments are model output: a key it echoes never reaches the page.
    pending = m.pending.map((p) => ({ ...p, arguments: redactSecrets(p.arguments) }));
  } else if (m.type === 'close') {
    void (async () => {
      await file?.close();
      await dashboard?.close();
      post({ type: 'closed' });
      port.close();
    })();
  }
});

startDashboard({
  ...init.server,
  ...(live && liveRun
    ? {
        live: {
          source: live,
          get runId() {
            return liveRun.runId;
          },
        },
      }
    : {}),
  ...(stately ? { stately } : {}),
  ...(approvals ? { approvals } : {}),
}).then(
  (d) => {
    dashboard = d;
    post({ type: 'ready', url: d.url, host: d.host, port: d.port });
  },
  (err: unknown) => {
    const e = err as { name?: string; code?: string };
    post({ type: 'failed', name: e.name ?? 'Error', code: e.code ?? '', message: errorMessage(err) });
    port.close();
  },
);
