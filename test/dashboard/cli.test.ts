/**
 * The dashboard from the built CLI, as a user runs it: `run --viz`,
 * `run --inspect stately`, `dashboard`, their URLs, Ctrl-C and exit codes,
 * and the usage errors (busy port, --port without --viz).
 */
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DashboardError } from '../../src/dashboard/bind.js';
import { startDashboardHost } from '../../src/dashboard/host.js';
import { runCli, startCli } from '../support/cli.js';
import { tempDir } from '../support/runtime.js';
import { sseClient, watchOutput } from './support.js';

async function workspace(): Promise<string> {
  const ws = await tempDir('gepa-aime-ws-');
  await fs.writeFile(path.join(ws, 'README.md'), '# Sample\n\nA sample project.\n');
  return ws;
}

/** A port something else holds, for the duration of a test. */
async function busyPort(): Promise<{ port: number; release: () => Promise<void> }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return { port, release: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('gepa-aime run --viz', () => {
  it('serves the run live, keeps serving after it with the report printed, and exits with the run’s code on Ctrl-C', async () => {
    const traces = await tempDir();
    const { child, done } = startCli([
      'run',
      'Summarise the repository layout',
      '--workspace',
      await workspace(),
      '--traces',
      traces,
      '--viz',
      '--port',
      '0',
      '--json',
    ]);
    const out = watchOutput(child);
    const [, url] = await out.waitFor('stderr', /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)\n/);
    const live = sseClient(`${url}api/live`);
    await live.until(() => live.records().some((r) => r['kind'] === 'run' && r['phase'] === 'end'));
    await out.waitFor('stderr', /still serving this run; press Ctrl-C to exit/);

    const records = live.records();
    expect(records[0]).toMatchObject({ kind: 'run', phase: 'start', goal: 'Summarise the repository layout' });
    expect(records.map((r) => r['seq'])).toEqual(records.map((_, i) => i));
    const report = JSON.parse(out.text.stdout);
    expect(report.status).toBe('completed');
    expect(records.at(-1)).toMatchObject({ kind: 'run', phase: 'end', runId: report.runId, status: 'completed' });

    // The run is recorded for replay, and listed.
    const file = path.join(traces, 'runs', report.runId, 'inspect.jsonl');
    expect((await fs.readFile(file, 'utf8')).trimEnd().split('\n')).toHaveLength(records.length);
    const runs = await (await fetch(`${url}api/runs`)).json();
    expect(runs).toMatchObject({ live: report.runId, runs: [{ runId: report.runId, status: 'completed', replayable: true }] });

    live.close();
    child.kill('SIGINT');
    const result = await done;
    expect(result.code).toBe(0);
    expect(result.stderr).not.toMatch(/warning|error/i);
  });

  it('exits 1 after Ctrl-C when the goal failed', async () => {
    const { child, done } = startCli([
      'run',
      'Research the history of XState',
      '--workspace',
      await workspace(),
      '--traces',
      await tempDir(),
      '--viz',
      '--port',
      '0',
    ]);
    const out = watchOutput(child);
    await out.waitFor('stderr', /still serving this run/);
    expect(out.text.stdout).toContain('status: failed');
    child.kill('SIGINT');
    expect((await done).code).toBe(1);
  });

  it('exits 2 with a clear message when the port is taken, before running anything', async () => {
    const busy = await busyPort();
    try {
      const traces = await tempDir();
      const r = await runCli(['run', 'Summarise the layout', '--workspace', await workspace(), '--traces', traces, '--viz', '--port', String(busy.port)]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`gepa-aime: port ${busy.port} on 127.0.0.1 is already in use: pick another with --port N (--port 0 takes any free port)\n`);
      await expect(fs.readdir(path.join(traces, 'runs'))).rejects.toThrow();
      const dash = await runCli(['dashboard', '--port', String(busy.port), '--traces', traces]);
      expect(dash.code).toBe(2);
      expect(dash.stderr).toMatch(/already in use/);
    } finally {
      await busy.release();
    }
  });

  it('exits 2 on dashboard options without a dashboard, and on a bad port', async () => {
    const r = await runCli(['run', 'x', '--port', '9000']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--port and --host only apply with --viz or --inspect stately/);
    const bad = await runCli(['run', 'x', '--viz', '--port', '70000']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--port must be a whole number from 0 to 65535/);
    const inspector = await runCli(['run', 'x', '--inspect', 'chrome']);
    expect(inspector.code).toBe(2);
    expect(inspector.stderr).toMatch(/Allowed choices are stately/);
  });

  it('lists the dashboard in --help', async () => {
    const r = await runCli(['--help']);
    expect(r.stdout).toMatch(/dashboard \[options\]/);
    const run = await runCli(['run', '--help']);
    for (const flag of ['--viz', '--port <n>', '--host <host>', '--inspect <inspector>']) expect(run.stdout).toContain(flag);
  });
});

describe('gepa-aime run --inspect stately', () => {
  it("serves Stately's inspector bridge, says it needs internet, and feeds it the run's events", async () => {
    const { child, done } = startCli([
      'run',
      'Summarise the repository layout',
      '--workspace',
      await workspace(),
      '--traces',
      await tempDir(),
      '--inspect',
      'stately',
      '--port',
      '0',
    ]);
    const out = watchOutput(child);
    const [, url] = await out.waitFor(
      'stderr',
      /Stately inspector: (http:\/\/127\.0\.0\.1:\d+\/)stately \(needs internet: the page loads https:\/\/stately\.ai\/inspect\)/,
    );
    await out.waitFor('stderr', /still serving this run/);
    const page = await fetch(`${url}stately`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain('frame-src https://stately.ai');
    const feed = sseClient(`${url}api/stately`);
    await feed.until(() => feed.records().some((e) => e['type'] === '@xstate.actor' && e['name'] === 'workflow'));
    expect(feed.records().every((e) => typeof e['_version'] === 'string')).toBe(true);
    // Without --viz there is no live dashboard stream, only the bridge.
    expect((await fetch(`${url}api/live`)).status).toBe(404);
    feed.close();
    child.kill('SIGINT');
    expect((await done).code).toBe(0);
  });
});

describe('the dashboard on its worker thread (the built one, as run --viz uses it)', () => {
  it('with `live: true` follows the run the runtime names later: no id and no file until then', async () => {
    const traces = await tempDir();
    const host = await startDashboardHost({ tracesDir: traces, port: 0, live: true });
    expect(await (await fetch(`${host.url}api/info`)).json()).toMatchObject({ mode: 'live', runId: null });
    const file = path.join(traces, 'runs', 'r2', 'inspect.jsonl');
    host.startLive({ runId: 'r2', file });
    host.startLive({ runId: 'other', file: path.join(traces, 'other.jsonl') }); // the first run named is the live one
    host.forward('live', [{ seq: 0, kind: 'run', phase: 'start', t: 0, runId: 'r2', goal: 'g' }]);
    const live = sseClient(`${host.url}api/live`);
    await live.until(() => live.records().length === 1);
    expect(await (await fetch(`${host.url}api/info`)).json()).toMatchObject({ mode: 'live', runId: 'r2' });
    expect(await (await fetch(`${host.url}api/runs`)).json()).toMatchObject({ live: 'r2' });
    live.close();
    await host.close();
    expect(JSON.parse(await fs.readFile(file, 'utf8'))).toMatchObject({ seq: 0, runId: 'r2' });
    await expect(fs.access(path.join(traces, 'other.jsonl'))).rejects.toThrow();
  });

  it('takes batches from the run, writes inspect.jsonl, serves them, and reports a busy port as DashboardError', async () => {
    const traces = await tempDir();
    const file = path.join(traces, 'runs', 'r1', 'inspect.jsonl');
    const host = await startDashboardHost({ tracesDir: traces, port: 0, live: { runId: 'r1', file }, stately: true });
    host.forward('live', [{ seq: 0, kind: 'run', phase: 'start', t: 0, runId: 'r1', goal: 'g' }]);
    const live = sseClient(`${host.url}api/live`);
    await live.until(() => live.records().length === 1);
    host.forward('live', [{ seq: 1, kind: 'event', t: 1, from: null, to: 'workflow', type: 'X', payload: {} }]);
    host.forward('stately', [{ type: '@xstate.actor', name: 'workflow' }]);
    await live.until(() => live.records().length === 2);
    const stately = sseClient(`${host.url}api/stately`);
    await stately.until(() => stately.records().length === 1);

    const busy = await startDashboardHost({ tracesDir: traces, port: host.port }).catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(DashboardError);
    expect(busy).toMatchObject({ code: 'port_in_use' });

    live.close();
    stately.close();
    await host.close();
    expect(
      (await fs.readFile(file, 'utf8'))
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l).seq),
    ).toEqual([0, 1]);
    await expect(fetch(host.url)).rejects.toThrow();
  });
});

describe('a plain run', () => {
  it('leaves inspect.jsonl too, so the dashboard can replay it later', async () => {
    const traces = await tempDir();
    const r = await runCli(['run', 'Summarise the repository layout', '--workspace', await workspace(), '--traces', traces, '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout);
    const text = await fs.readFile(path.join(traces, 'runs', report.runId, 'inspect.jsonl'), 'utf8');
    const records = text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records[0]).toMatchObject({ seq: 0, kind: 'run', phase: 'start', runId: report.runId, goal: 'Summarise the repository layout' });
    expect(records.at(-1)).toMatchObject({ kind: 'run', phase: 'end', status: 'completed' });
    expect(records.some((rec) => rec['kind'] === 'actor' && rec['id'] === 'workflow')).toBe(true);
  });
});

describe('gepa-aime dashboard', () => {
  it('serves past runs until Ctrl-C, then exits 0', async () => {
    const traces = await tempDir();
    await fs.mkdir(path.join(traces, 'runs', '20260101T000000Z-abcdef'), { recursive: true });
    const { child, done } = startCli(['dashboard', '--port', '0', '--traces', traces]);
    const out = watchOutput(child);
    const [, url] = await out.waitFor('stdout', /dashboard: (http:\/\/127\.0\.0\.1:\d+\/) \(runs in .*\); press Ctrl-C to stop/);
    expect(await (await fetch(`${url}api/info`)).json()).toEqual({ mode: 'browse', runId: null, stately: false });
    expect(((await (await fetch(`${url}api/runs`)).json()) as { runs: unknown[] }).runs).toEqual([
      expect.objectContaining({ runId: '20260101T000000Z-abcdef', replayable: false }),
    ]);
    child.kill('SIGINT');
    const result = await done;
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
  });
});
