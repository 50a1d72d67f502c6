/**
 * End to end: the built CLI runs a goal against the fake vLLM (planner and
 * actor played by agentHandler), clean and under faults. Every run must end
 * with a report.json and the right exit code, and never print a stack trace.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/runtime/report.js';
import { agentHandler } from '../support/agentScript.js';
import { ensureBuilt, runTimed as runCli, tempConfig, tempDirSync as tempDir, type TimedResult as CliResult } from '../support/providerCli.js';
import { fault, purposeOf, startVllmServer, type VllmServer } from '../support/vllmServer.js';

let server: VllmServer;
let configDir: string;
let work: string;

beforeAll(() => {
  ensureBuilt();
  // Short timeouts and few retries keep every run under a few seconds.
  configDir = tempConfig({ provider: 'offline', request_timeout: 0.5, max_retries: 2 });
});
afterAll(() => fs.rmSync(configDir, { recursive: true, force: true }));

beforeEach(async () => {
  server = await startVllmServer({ models: ['m'] });
  server.handler = agentHandler();
  work = tempDir('gepa-e2e-');
  fs.mkdirSync(path.join(work, 'ws'));
  fs.writeFileSync(path.join(work, 'ws', 'README.md'), '# demo\n');
  fs.writeFileSync(path.join(work, 'ws', 'notes.txt'), 'hello\n');
});
afterEach(async () => {
  await server.close();
  fs.rmSync(work, { recursive: true, force: true });
});

function run(extra: string[] = [], apiBase = server.apiBase): Promise<CliResult> {
  return runCli([
    'run',
    'List the files in the workspace',
    '--config',
    configDir,
    '--provider',
    'vllm',
    '--api-base',
    apiBase,
    '--model',
    'm',
    '--json',
    '--workspace',
    path.join(work, 'ws'),
    '--traces',
    path.join(work, 'traces'),
    ...extra,
  ]);
}

/** The report printed with --json, checked against report.json on disk. */
function reportOf(result: CliResult): RunReport {
  expect(result.stderr).not.toMatch(/^\s+at /m); // never a stack trace
  const report = JSON.parse(result.stdout) as RunReport;
  expect(JSON.parse(fs.readFileSync(report.paths.report, 'utf8'))).toEqual(report);
  return report;
}

function expectCompleted(result: CliResult): RunReport {
  const report = reportOf(result);
  expect(report.reason).toBe('');
  expect(report.status).toBe('completed');
  expect(result.code).toBe(0);
  expect(report.answer).toBe('The workspace was listed.');
  expect(report.model).toMatchObject({ provider: 'vllm', model: 'm', offline: false });
  return report;
}

const purposes = () => server.requests.map(purposeOf);

describe('gepa-aime run against a vLLM-compatible server', () => {
  it('runs a goal cleanly: planner dispatches, actor calls list_dir then reports, planner finishes', async () => {
    const report = expectCompleted(await run());
    expect(purposes()).toEqual(['planner', 'actor', 'actor', 'planner']);
    const toolMessage = server.requests[2]!.body.messages.find((m: { role: string }) => m.role === 'tool');
    expect(toolMessage.content).toContain('README.md');
    expect(toolMessage.tool_call_id).toBe(server.requests[2]!.body.messages.find((m: { tool_calls?: unknown[] }) => m.tool_calls).tool_calls[0].id);
    expect(report.actors[0]!.steps[0]!.action).toEqual({ tool: 'list_dir', arguments: '{"path":"."}' });
    expect(report.usage.totalTokens).toBeGreaterThan(0);
    for (const r of server.requests) {
      expect(r.stream).toBe(true);
      expect(Object.keys(r.body).filter((k) => k.startsWith('guided_'))).toEqual([]);
    }
    expect(server.requests[0]!.body.response_format.json_schema.name).toBe('planner_decision');
  });

  it('recovers from a 500 then succeeds', async () => {
    server.enqueue(fault.status(500));
    expectCompleted(await run());
    expect(server.requests).toHaveLength(5);
  });

  it('waits out a 429 with Retry-After', async () => {
    server.enqueue(fault.tooMany('1'));
    const result = await run();
    expectCompleted(result);
    expect(result.ms).toBeGreaterThanOrEqual(1000);
  });

  it('retries a stream cut mid-reply', async () => {
    server.enqueue(fault.cut(2));
    expectCompleted(await run());
    expect(server.requests).toHaveLength(5);
  });

  it('retries after an error event inside a 200 stream', async () => {
    server.enqueue(fault.streamError('engine overloaded', 503));
    expectCompleted(await run());
  });

  it('times out a hung request and retries', async () => {
    server.enqueue(fault.hang());
    expectCompleted(await run());
  });

  it('completes when the actor sends malformed tool arguments: the error goes back as an observation', async () => {
    server.handler = agentHandler({ firstActorCall: { name: 'list_dir', arguments: '{"path": ' } });
    const report = expectCompleted(await run());
    const observations = server.requests.flatMap((r) =>
      (r.body.messages ?? []).filter((m: { role: string }) => m.role === 'tool').map((m: { content: string }) => m.content),
    );
    expect(observations.some((o: string) => /arguments are not valid JSON/.test(o))).toBe(true);
    expect(report.actors[0]!.steps[0]!.ok).toBe(false);
  });

  it('completes when the actor names an unknown tool', async () => {
    server.handler = agentHandler({ firstActorCall: { name: 'rm_rf', arguments: '{}' } });
    const report = expectCompleted(await run());
    expect(report.actors[0]!.steps[0]!.observation).toMatch(/unknown tool "rm_rf"/);
  });

  it('a permanent 500 ends the run failed, exit 1, with the HTTP failure in report.json and no stack trace', async () => {
    server.handler = () => fault.status(500, 'CUDA error: device-side assert triggered');
    const result = await run();
    const report = reportOf(result);
    expect(result.code).toBe(1);
    expect(report.status).toBe('failed');
    expect(report.reason).toMatch(/HTTP 500: CUDA error: device-side assert triggered \(gave up after 3 attempts\)/);
    expect(server.requests).toHaveLength(3);
    expect(result.stderr).toBe('');
  });

  it('a server that is down ends the run failed with a clear reason', async () => {
    const dead = server.apiBase;
    await server.close();
    server = await startVllmServer();
    const report = reportOf(await run([], dead));
    expect(report.status).toBe('failed');
    expect(report.reason).toMatch(/connection refused \(is the server running\?\)/);
  });

  it('--record stores the exchanges and --replay reproduces the run with no server', async () => {
    const file = path.join(work, 'run.jsonl');
    const recorded = expectCompleted(await run(['--record', file]));
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    // A run header with the prompts the run started with, then one line per exchange.
    expect(lines).toHaveLength(5);
    expect(JSON.parse(lines[0]!)).toMatchObject({ v: 1, kind: 'run', prompts: { planner: expect.any(String) } });
    const seen = server.requests.length;
    await server.close();
    server = await startVllmServer();

    const result = await run(['--replay', file], 'http://127.0.0.1:9/v1');
    const replayed = reportOf(result);
    expect(result.code).toBe(0);
    expect(replayed.model.provider).toBe('replay');
    expect(replayed.answer).toBe(recorded.answer);
    expect(replayed.ledger).toEqual(recorded.ledger);
    expect(replayed.actors.map((a) => a.steps)).toEqual(recorded.actors.map((a) => a.steps));
    expect(server.requests).toHaveLength(0);
    expect(seen).toBe(4);
    // The replay pinned the prompts the recording played, and did not learn.
    expect(JSON.parse(lines[0]!).prompts).toEqual(recorded.learning.played);
    expect(fs.existsSync(`${file}.prompts.json`)).toBe(false);
    expect(replayed.learning.played).toEqual(recorded.learning.played);
    expect(replayed.learning.enabled).toBe(false);
  });

  it('--replay of a missing file is bad usage (exit 2, one line)', async () => {
    const result = await run(['--replay', path.join(work, 'missing.jsonl')]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^gepa-aime: replay file .*missing\.jsonl does not exist/);
  });
});
