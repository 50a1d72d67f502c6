/** `gepa-aime doctor` against the fake vLLM: one line per check, exit 0 / 1 / 2. */
import fs from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureBuilt, runTimed as runCli, tempConfig } from '../support/providerCli.js';
import { callTool, json, say, startVllmServer, type SeenRequest, type VllmServer, type VllmServerOptions } from '../support/vllmServer.js';

let server: VllmServer;
let configDir: string;

/** A well-behaved model: calls the tool it is offered, answers JSON when asked for it. */
const goodModel = (req: SeenRequest) => (req.body.tools?.length ? callTool('echo', { text: 'ping' }) : json({ status: 'ok', count: 3 }));

async function serve(options: VllmServerOptions = {}) {
  await server?.close();
  server = await startVllmServer({ models: ['m', 'qwen3-8b'], ...options });
  server.handler = goodModel;
}

beforeAll(() => {
  ensureBuilt();
  configDir = tempConfig({ request_timeout: 2, max_retries: 3 });
});
afterAll(() => fs.rmSync(configDir, { recursive: true, force: true }));
beforeEach(() => serve());
afterEach(() => server.close());

const doctor = (...extra: string[]) => runCli(['doctor', '--config', configDir, '--provider', 'vllm', '--api-base', server.apiBase, '--model', 'm', ...extra]);
// The model checks; the tool checks (shell sandbox, MCP servers) follow them and are tested in shell-cli and mcp tests.
const lines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .filter((l) => !/^(ok|warn|FAIL)\s+(shell|mcp:[^:]+):/.test(l));

describe('gepa-aime doctor', () => {
  it('all checks pass: exit 0, one ok line per check', async () => {
    const result = await doctor();
    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual([
      `ok   config: provider vllm, model "m", api_base ${server.apiBase}, endpoint /v1/chat/completions`,
      `ok   health: ${server.url}/health answered 200`,
      'ok   models: 2 served: m, qwen3-8b',
      'ok   model: "m" is served',
      'ok   tool call: echo({"text":"ping"}) came back well formed',
      'ok   json schema: {"status":"ok","count":3} parses against its schema',
    ]);
    expect(result.stderr).toBe('');
    const [toolProbe, jsonProbe] = server.requests;
    expect(toolProbe!.body.tool_choice).toBe('auto');
    expect(jsonProbe!.body.response_format).toMatchObject({ type: 'json_schema', json_schema: { name: 'doctor_probe', strict: true } });
  });

  it('a server without /health is a warning, not a failure', async () => {
    await serve({ health: false });
    const result = await doctor();
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^warn health: .*answered 404: no \/health endpoint/m);
  });

  it('a model the server does not have: FAIL listing the available models, exit 1', async () => {
    const result = await doctor('--model', 'qwen3-7b');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('FAIL model: "qwen3-7b" is not served; available: m, qwen3-8b');
    expect(result.stdout).toMatch(/^FAIL tool call: .*HTTP 404: The model `qwen3-7b` does not exist\. — the server has: m, qwen3-8b/m);
  });

  it('tool calling switched off in vLLM: FAIL with the flags to set', async () => {
    await serve({ autoToolChoice: false });
    const result = await doctor();
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^FAIL tool call: .*--enable-auto-tool-choice --tool-call-parser <parser>/m);
    expect(result.stdout).toMatch(/^ok {3}json schema:/m);
  });

  it('a model that answers text instead of calling the tool, and JSON off its schema: FAIL each', async () => {
    server.handler = (req) => (req.body.tools?.length ? say('I would call echo.') : json({ status: 'fine' }));
    const result = await doctor();
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('FAIL tool call: the model answered with text instead of a tool call: "I would call echo."');
    expect(result.stdout).toMatch(/^FAIL json schema: the reply does not match its schema \(status: .*count: /m);
  });

  it('malformed tool arguments: FAIL', async () => {
    server.handler = (req) => (req.body.tools?.length ? callTool('echo', '{"text": ') : json({ status: 'ok', count: 1 }));
    const result = await doctor();
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('FAIL tool call: the arguments are not JSON: {"text":');
  });

  it('a server that is down: FAIL and the rest skipped, quickly', async () => {
    const apiBase = server.apiBase;
    await server.close();
    const result = await runCli(['doctor', '--config', configDir, '--provider', 'vllm', '--api-base', apiBase, '--model', 'm']);
    expect(result.code).toBe(1);
    expect(lines(result.stdout).slice(1)).toEqual([
      `FAIL health: vllm GET ${apiBase.replace(/\/v1$/, '')}/health: connection refused (is the server running?)`,
      'SKIP models: not checked: the server is unreachable',
      'SKIP model: not checked: the server is unreachable',
      'SKIP tool call: not checked: the server is unreachable',
      'SKIP json schema: not checked: the server is unreachable',
    ]);
    await serve();
  });

  it('provider offline: says so and checks nothing remote', async () => {
    const result = await runCli(['doctor', '--config', configDir, '--provider', 'offline']);
    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual([expect.stringMatching(/^ok {3}provider: offline: .*nothing remote to check$/)]);
    expect(server.allRequests).toHaveLength(0);
  });

  it('precedence: environment over the file, flags over the environment; the key from the environment is sent as a bearer token', async () => {
    const env = { GEPA_AIME_PROVIDER: 'vllm', GEPA_AIME_API_BASE: server.apiBase, GEPA_AIME_MODEL: 'qwen3-8b', OPENAI_API_KEY: 'sk-env' };
    const fromEnv = await runCli(['doctor', '--config', configDir], { env });
    expect(fromEnv.code).toBe(0);
    expect(fromEnv.stdout).toContain('ok   model: "qwen3-8b" is served');
    expect(server.requests[0]!.headers.authorization).toBe('Bearer sk-env');
    const flagged = await runCli(['doctor', '--config', configDir, '--model', 'm', '--api-key', 'sk-flag'], { env });
    expect(flagged.stdout).toContain('ok   model: "m" is served');
    expect(server.requests.at(-1)!.headers.authorization).toBe('Bearer sk-flag');
  });

  it('bad config: exit 2 with the config error', async () => {
    const result = await runCli(['doctor', '--config', configDir, '--api-base', 'not a url']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^gepa-aime: .*api_base/);
  });
});
