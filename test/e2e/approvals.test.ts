/**
 * Approvals end to end: the built CLI runs a goal whose actor calls a
 * side-effecting MCP tool (server-memory's create_entities, policy "ask" by
 * default) and a read-only one (read_graph, auto). On a pseudo-terminal the
 * user answers yes / no / always; without a terminal "ask" denies and says
 * why; --yes and --approve change the answer; and a kill while a call waits
 * for approval is asked again on resume, while an answered call is not.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { mcpConfig, observations, SERVER_MEMORY, teamScript } from '../support/mcp.js';
import { ensureBuilt } from '../support/providerCli.js';
import { startPty } from '../support/ptyCli.js';
import { tempDir } from '../support/runtime.js';
import { startVllmServer, type VllmServer } from '../support/vllmServer.js';

let server: VllmServer;
let config: string;

beforeAll(async () => {
  ensureBuilt();
  server = await startVllmServer();
  config = mcpConfig(server.apiBase, {
    mcp_servers: { memory: { command: process.execPath, args: [SERVER_MEMORY], env: { MEMORY_FILE_PATH: '${workspace}/memory.jsonl' } } },
  });
});
afterAll(() => server?.close());

const create = (name: string) => ({ name: 'create_entities', arguments: { entities: [{ name, entityType: 'thing', observations: [`${name} exists`] }] } });
const readGraph = { name: 'read_graph', arguments: {} };

async function reportIn(traces: string): Promise<any> {
  const [runId] = await fs.readdir(path.join(traces, 'runs'));
  return JSON.parse(await fs.readFile(path.join(traces, 'runs', runId!, 'report.json'), 'utf8'));
}

async function journal(traces: string): Promise<any[]> {
  const [runId] = await fs.readdir(path.join(traces, 'runs'));
  const text = await fs.readFile(path.join(traces, 'runs', runId!, 'journal.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

async function entities(ws: string): Promise<string[]> {
  const text = await fs.readFile(path.join(ws, 'memory.jsonl'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .filter((r) => r.type === 'entity')
    .map((r) => r.name);
}

async function runPiped(args: string[]) {
  const ws = await tempDir();
  const traces = await tempDir();
  const result = await runCli(['run', 'remember things', '--config', config, '--workspace', ws, '--traces', traces, '--json', ...args]);
  return { ...result, ws, report: JSON.parse(result.stdout) };
}

describe('approvals without a terminal', () => {
  it('"ask" denies with the reason; read-only tools run; the denial is an observation the planner sees', async () => {
    server.requests.length = 0;
    server.handler = teamScript(['mcp:memory'], [[create('Ada')], [readGraph]]);
    const { code, report, ws } = await runPiped([]);
    expect(code).toBe(0);
    const [denied, read] = observations(report);
    expect(denied).toMatchObject({ name: 'create_entities', ok: false });
    expect(denied!.observation).toMatch(
      /not run: the call was denied \(the approval policy for create_entities is "ask" and there is no terminal, dashboard or approval handler to ask; rerun with --yes/,
    );
    expect(read).toMatchObject({ name: 'read_graph', ok: true });
    expect(await entities(ws)).toEqual([]);
    // The actor's report (its summary carries the observations) reaches the planner.
    const lastPlanner = server.requests.filter((r) => r.body.response_format?.json_schema?.name === 'planner_decision').at(-1)!;
    expect(JSON.stringify(lastPlanner.body.messages)).toContain('denied');
  });

  it('--yes approves; --approve deny and NAME=POLICY override; config policies apply', async () => {
    server.handler = teamScript(['mcp:memory'], [[create('Ada')]]);
    const yes = await runPiped(['--yes']);
    expect(observations(yes.report)[0]).toMatchObject({ ok: true });
    expect(await entities(yes.ws)).toEqual(['Ada']);

    server.handler = teamScript(['mcp:memory'], [[create('Ada')], [readGraph]]);
    const deny = await runPiped(['--approve', 'deny', '--yes']);
    const [c, r] = observations(deny.report);
    expect(c!.observation).toMatch(/denied \(the approval policy for create_entities is "deny"\)/);
    expect(r!.observation).toMatch(/denied \(the approval policy for read_graph is "deny"\)/);

    server.handler = teamScript(['mcp:memory'], [[create('Ada')]]);
    const named = await runPiped(['--approve', 'create_entities=auto']);
    expect(observations(named.report)[0]).toMatchObject({ ok: true });
    const bundle = await runPiped(['--approve', 'mcp:memory=deny', '--yes']);
    expect(observations(bundle.report)[0]!.observation).toMatch(/is "deny"/);

    const bad = await runCli(['run', 'x', '--config', config, '--approve', 'sometimes']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--approve "sometimes": expected auto, ask or deny/);
  });
});

describe('approvals on a terminal', () => {
  it('asks yes / no / always; "always" is not asked again for that tool', async () => {
    const ws = await tempDir();
    const traces = await tempDir();
    server.handler = teamScript(['mcp:memory'], [[create('Yes')], [create('No')], [create('Always')], [create('Again')]]);
    const pty = startPty(['run', 'remember things', '--config', config, '--workspace', ws, '--traces', traces]);
    let at = await pty.waitFor(/allow create_entities\? \[y\]es \/ \[n\]o \/ \[a\]lways for create_entities: /);
    expect(pty.output()).toMatch(/approval needed: create_entities \(task 1; mcp server "memory"/);
    expect(pty.output()).toContain('"name":"Yes"');
    pty.write('maybe\n'); // not an answer: asked again
    at = await pty.waitFor(/\[a\]lways for create_entities: /, at);
    pty.write('y\n');
    at = await pty.waitFor(/\[a\]lways for create_entities: /, at);
    pty.write('n\n');
    at = await pty.waitFor(/\[a\]lways for create_entities: /, at);
    pty.write('a\n');
    expect(await pty.done).toBe(0);
    expect(pty.output().match(/approval needed/g)).toHaveLength(3);
    const obs = observations(await reportIn(traces));
    expect(obs.map((o) => o.ok)).toEqual([true, false, true, true]);
    expect(obs[1]!.observation).toMatch(/denied \(the user said no\)/);
    expect(await entities(ws)).toEqual(['Yes', 'Always', 'Again']);
    const approvals = (await journal(traces)).filter((r) => r.kind === 'approval').map((r) => [r.outcome.decision, r.outcome.by]);
    // Only questions put to a person are journaled; the "always" answer is recorded so resume keeps it.
    expect(approvals).toEqual([
      ['approved', 'user'],
      ['denied', 'user'],
      ['approved', 'user'],
    ]);
    expect((await journal(traces)).filter((r) => r.kind === 'approval').at(-1).always).toBe(true);
  });

  it('a call waiting for approval when the process died is asked again on resume; an answered one is not', async () => {
    const ws = await tempDir();
    const traces = await tempDir();
    server.handler = teamScript(['mcp:memory'], [[create('First')], [create('Second')]]);
    // The process kills itself (SIGKILL) when the second approval question is about to be asked.
    const first = startPty(['run', 'remember things', '--config', config, '--workspace', ws, '--traces', traces], {
      GEPA_AIME_FAILPOINT: 'approval-pending:2',
    });
    await first.waitFor(/\[a\]lways for create_entities: /);
    first.write('y\n');
    await first.done;
    expect(await entities(ws)).toEqual(['First']);
    const pending = (await journal(traces)).filter((r) => r.kind.startsWith('approval')).map((r) => r.kind);
    expect(pending).toEqual(['approval-pending', 'approval', 'approval-pending']);

    const [runId] = await fs.readdir(path.join(traces, 'runs'));
    const resumed = startPty(['resume', runId!, '--config', config, '--traces', traces, '--workspace', ws]);
    await resumed.waitFor(/\[a\]lways for create_entities: /);
    expect(resumed.output()).toContain('"name":"Second"');
    expect(resumed.output()).not.toContain('"name":"First"');
    resumed.write('y\n');
    expect(await resumed.done).toBe(0);
    expect(resumed.output().match(/approval needed/g)).toHaveLength(1);
    expect(await entities(ws)).toEqual(['First', 'Second']);
  });
});
