/**
 * The built CLI runs goals whose actor calls tools of the real MCP reference
 * servers: filesystem and memory over stdio, everything over stdio and over
 * Streamable HTTP on 127.0.0.1. A scripted model (the fake vLLM) makes the
 * calls; the JSON report shows what the actor observed. Servers that hang or
 * are killed mid-run are restarted once, then reported down.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import {
  mcpConfig,
  observations,
  offeredTools,
  SERVER_EVERYTHING,
  SERVER_FILESYSTEM,
  SERVER_MEMORY,
  startEverythingHttp,
  teamScript,
  type HttpEverything,
} from '../support/mcp.js';
import { ensureBuilt } from '../support/providerCli.js';
import { tempDir } from '../support/runtime.js';
import { startVllmServer, type VllmServer } from '../support/vllmServer.js';

let server: VllmServer;
let http: HttpEverything;

beforeAll(async () => {
  ensureBuilt();
  [server, http] = await Promise.all([startVllmServer(), startEverythingHttp()]);
});
afterAll(() => {
  server?.close();
  http?.close();
});

async function run(config: string, ws: string, extra: string[] = []) {
  const traces = await tempDir();
  const result = await runCli(['run', 'use the MCP tools', '--config', config, '--workspace', ws, '--traces', traces, '--json', ...extra]);
  expect(result.stderr).not.toMatch(/at .*\.js:\d+/); // no stack traces
  return { ...result, report: JSON.parse(result.stdout), traces };
}

describe('MCP servers in a run', () => {
  it('calls the filesystem and memory servers over stdio; results, errors and protected paths become observations', async () => {
    const ws = await tempDir();
    await fs.writeFile(path.join(ws, 'notes.txt'), 'hello from the workspace\n');
    const config = mcpConfig(server.apiBase, {
      mcp_servers: {
        files: { command: process.execPath, args: [SERVER_FILESYSTEM, '${workspace}'] },
        memory: { command: process.execPath, args: [SERVER_MEMORY], env: { MEMORY_FILE_PATH: '${workspace}/memory.jsonl' } },
      },
      approvals: { bundles: { 'mcp:files': 'auto', 'mcp:memory': 'auto' } },
    });
    server.requests.length = 0;
    server.handler = teamScript(
      ['mcp:files', 'mcp:memory'],
      [
        [{ name: 'read_text_file', arguments: { path: path.join(ws, 'notes.txt') } }],
        [{ name: 'files__write_file', arguments: { path: path.join(ws, 'out.md'), content: '# written over MCP\n' } }],
        [{ name: 'files__write_file', arguments: { path: path.join(ws, '.env'), content: 'TOKEN=stolen\n' } }],
        [{ name: 'create_entities', arguments: { entities: [{ name: 'Ada', entityType: 'person', observations: ['wrote the first program'] }] } }],
        [{ name: 'read_graph', arguments: {} }],
        [{ name: 'open_nodes', arguments: { names: 'not-a-list' } }],
        [{ name: 'read_text_file', arguments: { path: '/etc/hostname' } }],
      ],
    );
    const { code, report } = await run(config, ws);
    expect(code).toBe(0);
    // The MCP tools went to the model as native tools, names kept unless they clash with ours.
    const offered = offeredTools(server.requests);
    expect(offered).toEqual(expect.arrayContaining(['read_text_file', 'files__write_file', 'create_entities', 'read_graph', 'update_progress']));
    const obs = observations(report);
    expect(obs.map((o) => o.name)).toEqual([
      'read_text_file',
      'files__write_file',
      'files__write_file',
      'create_entities',
      'read_graph',
      'open_nodes',
      'read_text_file',
    ]);
    expect(obs[0]).toMatchObject({ ok: true, observation: expect.stringContaining('hello from the workspace') });
    expect(obs[1]!.ok).toBe(true);
    expect(await fs.readFile(path.join(ws, 'out.md'), 'utf8')).toBe('# written over MCP\n');
    // A protected path never reaches the server.
    expect(obs[2]).toMatchObject({ ok: false, observation: expect.stringMatching(/refused: .*\.env.*protected pattern.*nothing was sent to the MCP server/) });
    await expect(fs.stat(path.join(ws, '.env'))).rejects.toThrow();
    expect(obs[3]!.ok).toBe(true);
    expect(obs[4]).toMatchObject({ ok: true, observation: expect.stringContaining('wrote the first program') });
    // Invalid arguments: the server's validation error is an observation, not a crash.
    expect(obs[5]!.ok).toBe(false);
    expect(obs[5]!.observation).toMatch(/open_nodes/);
    // The filesystem server's own sandbox: outside its allowed directory.
    expect(obs[6]).toMatchObject({ ok: false, observation: expect.stringMatching(/access denied|outside allowed/i) });
  });

  it('calls the everything server over stdio and Streamable HTTP: text, structured content, resource links, images as placeholders', async () => {
    const ws = await tempDir();
    const config = mcpConfig(server.apiBase, {
      mcp_servers: {
        local: { command: process.execPath, args: [SERVER_EVERYTHING, 'stdio'] },
        remote: { url: http.url },
      },
    });
    server.handler = teamScript(
      ['mcp:local', 'mcp:remote'],
      [
        [{ name: 'echo', arguments: { message: 'over stdio' } }],
        [{ name: 'remote__echo', arguments: { message: 'over http' } }],
        [{ name: 'get-structured-content', arguments: { location: 'New York' } }],
        [{ name: 'get-resource-links', arguments: { count: 2 } }],
        [{ name: 'get-tiny-image', arguments: {} }],
        [{ name: 'remote__get-sum', arguments: { a: 2, b: 40 } }],
      ],
    );
    const { code, report } = await run(config, ws);
    expect(code).toBe(0);
    const obs = observations(report);
    expect(obs.map((o) => o.ok)).toEqual([true, true, true, true, true, true]);
    expect(obs[0]!.observation).toContain('over stdio');
    expect(obs[1]!.observation).toContain('over http');
    expect(obs[2]!.observation).toMatch(/\{"temperature":\d+/);
    expect(obs[3]!.observation).toMatch(/\[resource link: .* demo:\/\/resource\//);
    expect(obs[4]!.observation).toMatch(/\[image: image\/png, \d+ bytes, not shown\]/);
    expect(obs[5]!.observation).toContain('42');
  });

  it('a hung server is stopped and restarted once, then reported down', async () => {
    const ws = await tempDir();
    const config = mcpConfig(server.apiBase, {
      mcp_servers: { slow: { command: process.execPath, args: [SERVER_EVERYTHING, 'stdio'], call_timeout_ms: 1500 } },
      approvals: { bundles: { 'mcp:slow': 'auto' } },
    });
    const hang = { name: 'trigger-long-running-operation', arguments: { duration: 30, steps: 2 } };
    server.handler = teamScript(
      ['mcp:slow'],
      [[hang], [{ name: 'echo', arguments: { message: 'after restart' } }], [hang], [{ name: 'echo', arguments: { message: 'never' } }]],
    );
    const { code, report } = await run(config, ws, ['--max-steps', '8']);
    expect(code).toBe(0);
    const obs = observations(report);
    expect(obs[0]).toMatchObject({
      ok: false,
      observation: expect.stringMatching(/did not answer trigger-long-running-operation within 1500 ms; it was stopped and will be restarted/),
    });
    expect(obs[1]).toMatchObject({ ok: true, observation: expect.stringContaining('after restart') });
    expect(obs[2]).toMatchObject({ ok: false, observation: expect.stringMatching(/already restarted 1 time, so its tools are now unavailable/) });
    expect(obs[3]).toMatchObject({ ok: false, observation: expect.stringMatching(/MCP server "slow" is down/) });
  });

  it('a server killed mid-run is restarted and the run goes on', async () => {
    const ws = await tempDir();
    const pidFile = path.join(ws, 'server.pid');
    const config = mcpConfig(server.apiBase, {
      mcp_servers: {
        memory: {
          command: '/bin/sh',
          args: ['-c', `echo $$ > '${pidFile}'; exec '${process.execPath}' '${SERVER_MEMORY}'`],
          env: { MEMORY_FILE_PATH: '${workspace}/memory.jsonl' },
          call_timeout_ms: 5000,
        },
      },
      approvals: { bundles: { 'mcp:memory': 'auto' } },
    });
    const pids: number[] = [];
    const kill = async (step: number) => {
      if (step !== 1) return;
      const pid = Number(await fs.readFile(pidFile, 'utf8'));
      pids.push(pid);
      process.kill(pid, 'SIGKILL');
    };
    const read = { name: 'read_graph', arguments: {} };
    server.handler = teamScript(
      ['mcp:memory'],
      [[{ name: 'create_entities', arguments: { entities: [{ name: 'Grace', entityType: 'person', observations: ['found a moth'] }] } }], [read], [read]],
      kill,
    );
    const { code, report } = await run(config, ws);
    expect(code).toBe(0);
    const obs = observations(report);
    expect(obs[0]!.ok).toBe(true);
    // The call after the kill either met the restarted server or reported the crash; the one after it works.
    if (!obs[1]!.ok) expect(obs[1]!.observation).toMatch(/MCP server "memory" (stopped during|did not answer)/);
    expect(obs[2]).toMatchObject({ ok: true, observation: expect.stringContaining('found a moth') });
    const newPid = Number(await fs.readFile(pidFile, 'utf8'));
    expect(newPid).not.toBe(pids[0]);
  });

  it('a server that cannot start leaves its bundle empty with the reason, and the run still ends', async () => {
    const ws = await tempDir();
    const config = mcpConfig(server.apiBase, { mcp_servers: { broken: { command: '/nonexistent/mcp-server', start_timeout_ms: 3000 } } });
    server.requests.length = 0;
    server.handler = teamScript(['mcp:broken', 'filesystem'], [[{ name: 'list_dir', arguments: { path: '.' } }]]);
    const { code, report } = await run(config, ws);
    expect(code).toBe(0);
    const actor = server.requests.find((r) => r.body.tools?.length);
    expect(JSON.stringify(actor!.body.messages)).toMatch(/mcp:broken: .*unavailable: MCP server \\"broken\\" did not start/);
    expect(observations(report)[0]!.ok).toBe(true);
  });
});

describe('tools and doctor', () => {
  it('`tools` lists every tool with its bundle, approval and source; `doctor` checks each server', async () => {
    const config = mcpConfig(server.apiBase, {
      mcp_servers: { memory: { command: process.execPath, args: [SERVER_MEMORY] }, remote: { url: http.url } },
      approvals: { tools: { read_graph: 'deny' } },
    });
    const tools = await runCli(['tools', '--config', config, '--json']);
    expect(tools.code).toBe(0);
    const listing = JSON.parse(tools.stdout).tools as Array<{ name: string; bundles: string[]; approval: string; source: string }>;
    const byName = new Map(listing.map((t) => [t.name, t]));
    expect(byName.get('read_file')).toMatchObject({ bundles: ['filesystem'], approval: 'auto', source: 'built-in' });
    expect(byName.get('create_entities')).toMatchObject({ bundles: ['mcp:memory'], approval: 'ask' });
    expect(byName.get('search_nodes')).toMatchObject({ approval: 'auto' }); // readOnlyHint
    expect(byName.get('read_graph')).toMatchObject({ approval: 'deny' });
    expect(byName.get('remote__echo') ?? byName.get('echo')).toMatchObject({ bundles: ['mcp:remote'] });
    expect(byName.get('create_entities')!.source).toContain('stdio');

    const doctor = await runCli(['doctor', '--config', config]);
    expect(doctor.stdout).toMatch(/^ok\s+mcp:memory: stdio: .* started and listed 9 tools/m);
    expect(doctor.stdout).toMatch(/^ok\s+mcp:remote: Streamable HTTP http:\/\/127\.0\.0\.1:\d+\/mcp: started and listed \d+ tools/m);

    const broken = mcpConfig(server.apiBase, { mcp_servers: { gone: { url: 'http://127.0.0.1:9/mcp', start_timeout_ms: 2000 } } });
    const bad = await runCli(['doctor', '--config', broken]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^FAIL\s+mcp:gone: MCP server "gone" did not start/m);
  });

  it('a bad mcp_servers entry is a located config error', async () => {
    const config = mcpConfig(server.apiBase, { mcp_servers: { both: { command: 'x', url: 'http://127.0.0.1:1/' }, typo: { comand: 'x' } } });
    const result = await runCli(['tools', '--config', config]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/tool_bundles\.json.*mcp_servers\.both/s);
    expect(result.stderr).toMatch(/exactly one of "command" \(stdio\) or "url"/);
    expect(result.stderr).toMatch(/mcp_servers\.typo\.comand.*unknown key.*did you mean "command"/s);
  });
});
