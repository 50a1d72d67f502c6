/**
 * Crash and resume: the CLI runs a goal against the fake vLLM and is killed
 * with SIGKILL before, during and after model calls and tool calls (and right
 * after a snapshot). `gepa-aime resume` then finishes it. No model call that
 * had been answered is paid again, and no file write happens twice.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../support/cli.js';
import { ensureBuilt, tempConfig } from '../support/providerCli.js';
import { RunStore } from '../../src/runtime/runStore.js';
import { tempDir } from '../support/runtime.js';
import { purposeOf, startVllmServer, type ServerReply, type SeenRequest, type VllmServer } from '../support/vllmServer.js';

const PLAN = [{ id: '1', title: 'Append to the log', status: 'pending', criteria: 'log.txt has the entry', children: [] }];

/** Planner: dispatch task 1, then finish. Actor: append one line to log.txt, then report. */
function script(req: SeenRequest): ServerReply {
  const messages: { role: string; content: string | null }[] = req.body.messages ?? [];
  if (purposeOf(req) === 'planner') {
    const reported = (messages.find((m) => m.role === 'user')?.content ?? '').includes('"taskId":"1"');
    return {
      content: JSON.stringify({
        rationale: 'r',
        tasks: PLAN,
        action: reported ? { type: 'finish', answer: 'appended' } : { type: 'dispatch', taskIds: ['1'] },
      }),
    };
  }
  const observations = messages.filter((m) => m.role === 'tool');
  if (!observations.length) return { toolCalls: [{ name: 'write_file', arguments: { path: 'log.txt', content: 'entry\n', mode: 'append' } }] };
  return { content: JSON.stringify({ status: 'completed', summary: `done: ${observations.at(-1)!.content}`, references: ['log.txt'] }) };
}

/** Requests by content: how often the same model call reached the server. */
function paidCounts(requests: SeenRequest[]): number[] {
  const counts = new Map<string, number>();
  for (const r of requests) {
    if (r.route !== 'chat') continue;
    const key = JSON.stringify(r.body.messages);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.values()];
}

let server: VllmServer;
let config: string;

beforeAll(async () => {
  ensureBuilt();
  server = await startVllmServer();
  config = tempConfig({ provider: 'vllm', api_base: server.apiBase, model: 'm', request_timeout: 5, max_retries: 0, stream: false });
  // Online learning adds reflection calls; this test is about durability.
  const gepa = path.join(config, 'gepa_config.yaml');
  await fs.writeFile(gepa, (await fs.readFile(gepa, 'utf8')).replace(/enabled: true/, 'enabled: false'));
});
afterAll(() => server?.close());

async function crashAndResume(crash: { failpoint?: string; killDuringRequest?: number }) {
  server.handler = script;
  server.requests.length = 0;
  const ws = await tempDir();
  const traces = await tempDir();
  const args = ['--config', config, '--workspace', ws, '--traces', traces, '--json'];
  const env = crash.failpoint ? { GEPA_AIME_FAILPOINT: crash.failpoint } : {};

  let crashed;
  if (crash.killDuringRequest) {
    const n = crash.killDuringRequest;
    let release!: () => void;
    const arrived = new Promise<void>((resolve) => {
      server.handler = (req) => {
        if (server.requests.filter((r) => r.route === 'chat').length === n) {
          release = resolve;
          resolve();
          return new Promise<ServerReply>(() => {}); // held until the client dies
        }
        return script(req);
      };
    });
    const { child, done } = startCli(['run', 'append to the log', ...args]);
    await arrived;
    child.kill('SIGKILL');
    crashed = await done;
    void release;
    server.handler = script;
  } else {
    crashed = await runCli(['run', 'append to the log', ...args], { env });
  }
  expect(crashed.code).toBeNull(); // killed by a signal, no exit code
  const runId = (await fs.readdir(path.join(traces, 'runs')))[0]!;
  const listed = await runCli(['runs', '--traces', traces, '--json']);
  expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ runId, status: 'interrupted' })]);

  const resumed = await runCli(['resume', runId, '--config', config, '--workspace', ws, '--traces', traces, '--json']);
  // The killed process left its lock: it is taken over, with a message and nothing else.
  expect(resumed.stderr).toMatch(/^(gepa-aime: warning: run \S+ was locked by pid \d+ .*no longer running; taking the lock over\n)?$/);
  expect(resumed.code).toBe(0);
  const report = JSON.parse(resumed.stdout);
  const log = await fs.readFile(path.join(ws, 'log.txt'), 'utf8').catch(() => '');
  return { report, log, counts: paidCounts(server.requests), runId, traces };
}

describe('crash and resume', () => {
  // [where, how, log entries after resume, tool calls reported as interrupted]; null = either outcome is right.
  const points = [
    ['before the first actor model call', { failpoint: 'model-before:2' }, 1, 0],
    ['during an actor model call', { killDuringRequest: 2 }, 1, 0],
    ['after an actor model call, before its transition', { failpoint: 'model-after:2' }, 1, 0],
    ['after the tool call was journaled as started', { failpoint: 'tool-before:1' }, 0, 1],
    ['after the write, before its result was journaled', { failpoint: 'tool-after:1' }, 1, 1],
    ['after the tool result was journaled', { failpoint: 'tool-done:1' }, 1, 0],
    ['after the final planner call', { failpoint: 'model-after:4' }, 1, 0],
    ['right after a snapshot was saved', { failpoint: 'snapshot:2' }, null, null],
  ] as const;

  it.each(points)('resumes a run killed %s', async (name, crash, wantEntries, wantInterrupted) => {
    const { report, log, counts, runId, traces } = await crashAndResume(crash);
    // The one event stream goes on where the killed process left it: whole lines, numbers rising, closed by the resumed run.
    const stream = (await new RunStore(traces).readInspect(runId))!;
    expect(stream.tornTail).toBe(false);
    const seqs = stream.records.map((r) => (r as { seq: number }).seq);
    expect(seqs.every((seq, i) => i === 0 || seq > seqs[i - 1]!)).toBe(true);
    expect(stream.records.at(-1)).toMatchObject({ kind: 'run', phase: 'end', runId, status: 'completed' });
    expect(
      stream.records.filter((r) => (r as { kind: string; phase?: string }).kind === 'run' && (r as { phase?: string }).phase === 'start').at(-1),
    ).toMatchObject({
      runId,
      resumed: true,
    });
    expect(report.status).toBe('completed');
    expect(report.durability.resumed).toBe(true);
    // No file write twice: the entry is there once, or the write was caught in flight and reported, not repeated.
    const entries = log.split('\n').filter(Boolean).length;
    expect(entries).toBeLessThanOrEqual(1);
    expect(entries + report.durability.toolInterrupted).toBeGreaterThanOrEqual(1);
    if (wantEntries !== null) expect(entries).toBe(wantEntries);
    if (wantInterrupted !== null) expect(report.durability.toolInterrupted).toBe(wantInterrupted);
    if (report.durability.toolInterrupted) expect(report.actors[0].summary).toMatch(/may or may not have taken effect/);
    // No answered model call paid twice: only the call cut off in flight may be asked again (the
    // same text, unless the actor was composed anew with a later time in its prompt). A snapshot is
    // written on its own timer, so a kill right after one can also cut a model call in flight.
    const repeats = counts.filter((c) => c > 1);
    if (name.startsWith('during') || name.includes('snapshot')) expect(repeats.length === 0 || (repeats.length === 1 && repeats[0] === 2)).toBe(true);
    else expect(repeats).toEqual([]);
  });

  it('finishes a run killed before anything was saved, and `runs` lists it', async () => {
    const { report } = await crashAndResume({ failpoint: 'model-before:1' });
    expect(report.status).toBe('completed');
  });
});

describe('Ctrl-C', () => {
  it('cancels a run waiting on the model, writes the report, and exits 130', async () => {
    const ws = await tempDir();
    const traces = await tempDir();
    const arrived = new Promise<void>((resolve) => {
      server.handler = () => {
        resolve();
        return new Promise<ServerReply>(() => {}); // the planner call hangs until the client gives up
      };
    });
    const { child, done } = startCli(['run', 'append to the log', '--config', config, '--workspace', ws, '--traces', traces, '--json']);
    await arrived;
    child.kill('SIGINT');
    const r = await done;
    server.handler = script;
    expect(r.code).toBe(130);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ status: 'cancelled', reason: 'interrupted by the user' });
    expect(JSON.parse(await fs.readFile(report.paths.report, 'utf8')).status).toBe('cancelled');
    expect(r.stderr).toContain('cancelling');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
