/** Shared set-up for the dashboard tests: a scripted run recorded by an inspection stream, SSE and browser helpers. */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { ScriptedModel, reply } from '../../src/llm/scripted.js';
import { AppendFile } from '../../src/runtime/appendFile.js';
import { isPinned, serializeRecord, type InspectRecord } from '../../src/runtime/inspection.js';
import { RecordBuffer } from '../../src/runtime/recordBuffer.js';
import { runGoal } from '../../src/runtime/runGoal.js';
import type { RunReport } from '../../src/runtime/report.js';
import type { InspectionEvent } from 'xstate';
import { modelSet, repoConfig, REPO_ROOT, tempDir } from '../support/runtime.js';

export const SECRET = 'sk-live-0123456789abcdefghijklmnop';
export const XSS = '<img src=x onerror=alert(1)>';

const t = (id: string, title: string, status = 'pending') => ({ id, title, status, criteria: `${title} is done`, children: [] });

/**
 * One planned task, one actor that reports progress (leaking a key into its message) and writes a file.
 * The run's own event stream is forwarded, as to the dashboard's worker, into a replay buffer that writes inspect.jsonl.
 */
export async function recordScriptedRun(opts: { title?: string; observe?: (ev: InspectionEvent) => void } = {}) {
  const title = opts.title ?? 'Write out.txt';
  const workspace = await tempDir();
  const traces = await tempDir();
  const runId = 'run-scripted-1';
  const planner = new ScriptedModel([
    reply.json({ rationale: 'one task', tasks: [t('1', title)], action: { type: 'dispatch', taskIds: ['1'] } }),
    reply.json({ rationale: 'done', tasks: [t('1', title, 'completed')], action: { type: 'finish', answer: 'wrote out.txt' } }),
  ]);
  const actor = new ScriptedModel([
    reply.toolCalls([
      { name: 'update_progress', args: { status: 'in_progress', message: `writing with key ${SECRET}` } },
      { name: 'write_file', args: { path: 'out.txt', content: 'result' } },
    ]),
    reply.json({ status: 'completed', summary: 'wrote the file', references: ['out.txt'] }),
  ]);
  const errors: string[] = [];
  let out: AppendFile | null = null;
  const stream = new RecordBuffer({ pin: isPinned, serialize: (r) => serializeRecord(r as InspectRecord), sink: (text) => out?.write(text) });
  let file = '';
  const report: RunReport = await runGoal({
    goal: 'write out.txt',
    config: repoConfig(),
    workspace,
    tracesDir: traces,
    runId,
    models: modelSet(planner, actor),
    onRunStarted: (run) => {
      file = run.inspectFile!;
      out = new AppendFile(file, (m) => errors.push(m));
    },
    eventStream: { forward: (records) => stream.append(records) },
    onWarning: (m) => errors.push(m),
    ...(opts.observe ? { inspect: opts.observe } : {}),
  });
  await (out as AppendFile | null)?.close();
  return { stream, report, file, traces, runId, errors };
}

export interface SseMessage {
  id?: string;
  event?: string;
  data: string;
}

/** A minimal SSE client: collects messages, resolves `until` when a condition over them holds. */
export function sseClient(url: string, headers: Record<string, string> = {}) {
  const messages: SseMessage[] = [];
  let raw = '';
  let waiters: { test: () => boolean; resolve: () => void }[] = [];
  let response: http.IncomingMessage | null = null;
  const check = () => {
    waiters = waiters.filter((w) => {
      if (!w.test()) return true;
      w.resolve();
      return false;
    });
  };
  const ready = new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      response = res;
      res.setEncoding('utf8');
      let buf = '';
      res.on('data', (chunk: string) => {
        raw += chunk;
        buf += chunk;
        let end: number;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const msg: SseMessage = { data: '' };
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            const i = line.indexOf(':');
            const field = i < 0 ? line : line.slice(0, i);
            const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
            if (field === 'data') data.push(value);
            else if (field === 'id') msg.id = value;
            else if (field === 'event') msg.event = value;
          }
          if (!data.length) continue;
          msg.data = data.join('\n');
          messages.push(msg);
        }
        check();
      });
      resolve(res);
    });
    req.on('error', reject);
  });
  return {
    messages,
    ready,
    get raw() {
      return raw;
    },
    /** Every record received so far (data messages carry JSON arrays). */
    records(): Record<string, unknown>[] {
      return messages.filter((m) => !m.event).flatMap((m) => JSON.parse(m.data) as Record<string, unknown>[]);
    },
    until(test: () => boolean): Promise<void> {
      return new Promise((resolve) => {
        waiters.push({ test, resolve });
        check();
      });
    },
    close() {
      response?.destroy();
    },
  };
}

/** Watches a child's output from the start, so patterns can be awaited in any order without missing a chunk. */
export function watchOutput(child: ChildProcess) {
  const text = { stdout: '', stderr: '' };
  const waiters: { stream: 'stdout' | 'stderr'; pattern: RegExp; resolve: (m: RegExpMatchArray) => void; reject: (e: Error) => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      const m = w.pattern.exec(text[w.stream]);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  for (const stream of ['stdout', 'stderr'] as const) {
    child[stream]!.on('data', (d: Buffer | string) => {
      text[stream] += d;
      check();
    });
  }
  let closed: number | null | undefined;
  child.once('close', (code) => {
    closed = code;
    for (const w of waiters.splice(0))
      w.reject(new Error(`process exited (${code}) before printing ${w.pattern} on ${w.stream}; stdout: ${text.stdout}\nstderr: ${text.stderr}`));
  });
  return {
    text,
    waitFor(stream: 'stdout' | 'stderr', pattern: RegExp): Promise<RegExpMatchArray> {
      return new Promise((resolve, reject) => {
        waiters.push({ stream, pattern, resolve, reject });
        check();
        if (closed !== undefined && waiters.length) {
          for (const w of waiters.splice(0))
            w.reject(new Error(`process exited (${closed}) before printing ${w.pattern} on ${w.stream}; stderr: ${text.stderr}`));
        }
      });
    },
  };
}

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function chromiumMissing(): string | null {
  return fs.existsSync(CHROMIUM) ? null : `${CHROMIUM} is missing: run .ci/setup-system (apt-get install -y chromium) before the browser tests`;
}

export const RESULTS_DIR = path.join(REPO_ROOT, 'test-results');
