/**
 * End to end: the built CLI runs a goal against the fake vLLM with telemetry
 * on, exporting to a real OTLP/HTTP receiver on 127.0.0.1. The span tree, its
 * attributes, token counts against report.json, errors and retries, the
 * traceparent the model server sees, resume continuing the trace, and what
 * never leaves the process (secrets; message content unless opted in).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/runtime/report.js';
import { agentHandler } from '../support/agentScript.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlpReceiver.js';
import { startCli } from '../support/cli.js';
import { ensureBuilt, runTimed as runCli, tempConfig, tempDirSync as tempDir } from '../support/providerCli.js';
import { fault, startVllmServer, type ServerReply, type VllmServer } from '../support/vllmServer.js';

const API_KEY = 'k3y-value-with-no-known-pattern-42';
const FILE_SECRET = 'sk-live0123456789abcdefABCDEF';
const GOAL = 'List the files in the workspace';

let server: VllmServer;
let rx: OtlpReceiver;
let configDir: string;
let work: string;

beforeAll(() => {
  ensureBuilt();
  configDir = tempConfig({ provider: 'offline', request_timeout: 2, max_retries: 2 });
  const gepa = path.join(configDir, 'gepa_config.yaml');
  fs.writeFileSync(gepa, fs.readFileSync(gepa, 'utf8').replace(/enabled: true/, 'enabled: false'));
});
afterAll(() => fs.rmSync(configDir, { recursive: true, force: true }));

beforeEach(async () => {
  server = await startVllmServer({ models: ['m'] });
  server.handler = agentHandler();
  rx = await startOtlpReceiver();
  work = tempDir('gepa-otel-');
  fs.mkdirSync(path.join(work, 'ws'));
  fs.writeFileSync(path.join(work, 'ws', 'README.md'), '# demo\n');
  fs.writeFileSync(path.join(work, 'ws', 'notes.txt'), `the deploy key is ${FILE_SECRET}\n`);
});
afterEach(async () => {
  await server.close();
  await rx.close();
  fs.rmSync(work, { recursive: true, force: true });
});

/** `run GOAL` against the fake vLLM, with this test's config, workspace and traces. */
function runArgs(extra: string[] = []): string[] {
  return [
    'run',
    GOAL,
    '--config',
    configDir,
    '--provider',
    'vllm',
    '--api-base',
    server.apiBase,
    '--model',
    'm',
    '--json',
    '--workspace',
    path.join(work, 'ws'),
    '--traces',
    path.join(work, 'traces'),
    ...extra,
  ];
}

function run(env: Record<string, string>, extra: string[] = []) {
  return runCli(runArgs(extra), { env: { GEPA_AIME_API_KEY: API_KEY, ...env } });
}

const byName = (prefix: string) => rx.spans.filter((s) => s.name.startsWith(prefix));
const childrenOf = (parent: ReceivedSpan) => rx.spans.filter((s) => s.parentSpanId === parent.spanId);
const rawExport = () => JSON.stringify(rx.spans, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));

describe('OpenTelemetry traces of a run', () => {
  it('exports the GenAI span tree of a run, with usage equal to the report, retries marked and traceparent on every model request', async () => {
    server.enqueue(fault.status(500, 'transient'));
    const result = await run({
      OTEL_EXPORTER_OTLP_ENDPOINT: rx.url,
      OTEL_SERVICE_NAME: 'team-agents',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=test,team=blue',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=acme',
    });
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as RunReport;

    // Standard configuration: OTLP/JSON to /v1/traces, exporter headers and resource from the environment.
    expect(rx.requests.length).toBeGreaterThan(0);
    for (const r of rx.requests) {
      expect(r.path).toBe('/v1/traces');
      expect(r.headers['x-tenant']).toBe('acme');
    }
    expect(rx.spans[0]!.resource).toMatchObject({ 'service.name': 'team-agents', 'deployment.environment': 'test', team: 'blue' });

    // One trace, one root.
    const [root, ...otherRoots] = rx.spans.filter((s) => !s.parentSpanId);
    expect(otherRoots).toEqual([]);
    expect(root!.name).toBe('invoke_workflow aime');
    expect(new Set(rx.spans.map((s) => s.traceId))).toEqual(new Set([root!.traceId]));
    expect(root!.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_workflow',
      'gen_ai.conversation.id': report.runId,
      'gepa_aime.status': 'completed',
      'gen_ai.usage.input_tokens': report.usage.promptTokens,
      'gen_ai.usage.output_tokens': report.usage.completionTokens,
    });
    expect(root!.status.code).not.toBe(2);
    // run.json keeps the root's context so a resume continues the trace.
    const meta = JSON.parse(fs.readFileSync(path.join(report.paths.runDir, 'run.json'), 'utf8'));
    expect(meta.traceparent).toBe(`00-${root!.traceId}-${root!.spanId}-01`);

    // Planner steps: one `plan` per iteration under the root, each with its chat span.
    const plans = byName('plan');
    expect(plans).toHaveLength(report.planner.length);
    for (const p of plans) {
      expect(p.parentSpanId).toBe(root!.spanId);
      expect(childrenOf(p).map((c) => c.name)).toEqual(['chat m']);
    }
    expect(plans.map((p) => p.attributes['gepa_aime.plan.action']).sort()).toEqual(['dispatch', 'finish']);

    // One invoke_agent per actor, under the root; its chat and execute_tool spans under it.
    const agents = byName('invoke_agent ');
    expect(agents).toHaveLength(report.actors.length);
    const agent = agents[0]!;
    expect(agent.parentSpanId).toBe(root!.spanId);
    expect(agent.attributes['gen_ai.agent.id']).toMatch(/^1@\d+$/);
    expect(agent.name).toBe(`invoke_agent ${agent.attributes['gen_ai.agent.name']}`);
    const under = childrenOf(agent);
    expect(under.filter((s) => s.name === 'chat m')).toHaveLength(report.actors[0]!.steps.length);
    const tool = under.find((s) => s.name === 'execute_tool list_dir')!;
    expect(tool.attributes).toMatchObject({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'list_dir', 'gen_ai.tool.type': 'function' });
    expect(report.actors[0]!.steps.some((s) => s.action?.tool === 'list_dir')).toBe(true);
    // The call id is the one the model gave and the next request echoed back.
    const echoed = server.requests.flatMap((r) => (r.body.messages ?? []) as { role: string; tool_call_id?: string }[]).find((m) => m.role === 'tool');
    expect(tool.attributes['gen_ai.tool.call.id']).toBe(echoed!.tool_call_id);
    expect(agent.attributes['gen_ai.usage.input_tokens']).toBe(report.actors[0]!.usage.promptTokens);

    // Every chat span: GenAI attributes; their tokens add up to the report's.
    const chats = byName('chat ');
    expect(chats).toHaveLength(report.planner.length + report.actors[0]!.steps.length);
    const port = Number(new URL(server.url).port);
    for (const c of chats) {
      expect(c.kind).toBe(3); // CLIENT
      expect(c.attributes).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'vllm',
        'gen_ai.request.model': 'm',
        'gen_ai.response.model': 'm',
        'server.address': '127.0.0.1',
        'server.port': port,
      });
      expect(c.attributes['gen_ai.response.finish_reasons']).toEqual([expect.any(String)]);
    }
    const sum = (k: string) => chats.reduce((n, c) => n + Number(c.attributes[k]), 0);
    expect(sum('gen_ai.usage.input_tokens')).toBe(report.usage.promptTokens);
    expect(sum('gen_ai.usage.output_tokens')).toBe(report.usage.completionTokens);

    // The 500 was retried: one retry event on the first chat span, which still succeeded.
    const retried = chats.filter((c) => c.events.some((e) => e.name === 'retry'));
    expect(retried).toHaveLength(1);
    expect(retried[0]!.events[0]!.attributes).toMatchObject({ 'retry.attempt': 1, 'error.type': '500' });
    expect(retried[0]!.status.code).not.toBe(2);

    // The model server saw a traceparent naming the run's trace and the chat span of each request.
    const chatIds = new Set(chats.map((c) => c.spanId));
    const generation = server.requests.filter((r) => r.route === 'chat');
    expect(generation.length).toBe(chats.length + 1); // + the retried attempt
    for (const r of generation) {
      const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(String(r.headers['traceparent']));
      expect(m, String(r.headers['traceparent'])).not.toBeNull();
      expect(m![1]).toBe(root!.traceId);
      expect(chatIds.has(m![2]!)).toBe(true);
    }

    // Nothing secret, and by default no message content: no goal, prompts, replies or file text.
    const raw = rawExport();
    expect(raw).not.toContain(API_KEY);
    expect(raw).not.toContain(FILE_SECRET);
    expect(raw).not.toContain(GOAL);
    expect(raw).not.toContain('Let me look');
    expect(raw).not.toContain('notes.txt');
    expect(raw).not.toContain('gen_ai.input.messages');
    expect(raw).not.toContain('gen_ai.tool.call.arguments');
  });

  it('marks a failing model call: error.type, status, one event per retry; the run span failed', async () => {
    server.handler = () => fault.status(500, 'CUDA error: device-side assert triggered');
    const result = await run({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${rx.url}/v1/traces` });
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as RunReport;
    expect(report.status).toBe('failed');
    const chat = byName('chat ')[0]!;
    expect(chat.status.code).toBe(2);
    expect(chat.attributes['error.type']).toBe('500');
    expect(chat.events.filter((e) => e.name === 'retry')).toHaveLength(2); // max_retries
    const root = rx.spans.find((s) => !s.parentSpanId)!;
    expect(root.status.code).toBe(2);
    expect(root.attributes['gepa_aime.status']).toBe('failed');
    expect(rawExport()).not.toContain(API_KEY);
  });

  it('captures message content and tool arguments only when opted in, redacted', async () => {
    const result = await run({ OTEL_EXPORTER_OTLP_ENDPOINT: rx.url, OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true' }, ['--max-steps', '4']);
    expect(result.code).toBe(0);
    const chats = byName('chat ');
    const input = chats.map((c) => String(c.attributes['gen_ai.input.messages'])).join('\n');
    expect(input).toContain(GOAL);
    const tool = byName('execute_tool list_dir')[0]!;
    expect(tool.attributes['gen_ai.tool.call.arguments']).toContain('"path"');
    const raw = rawExport();
    expect(raw).not.toContain(API_KEY);
    expect(raw).not.toContain(FILE_SECRET);
  });

  it('--otel URL turns telemetry on without environment; with it off the model server gets no traceparent', async () => {
    const off = await run({});
    expect(off.code).toBe(0);
    expect(rx.requests).toHaveLength(0);
    expect(server.requests.every((r) => r.headers['traceparent'] === undefined)).toBe(true);

    const on = await run({}, ['--otel', rx.url]);
    expect(on.code).toBe(0);
    expect(byName('invoke_workflow')).toHaveLength(1);
  });

  it('a collector that does not answer costs one warning line, not the run', async () => {
    const dead = await startOtlpReceiver();
    const url = dead.url;
    await dead.close(); // nothing listens there any more
    const result = await run({}, ['--otel', url]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).status).toBe('completed');
    expect(result.stderr.trim().split('\n')).toEqual([
      `gepa-aime: warning: telemetry: traces not delivered to ${url}/v1/traces within 5 s; is the collector running?`,
    ]);
  });

  it('Ctrl-C: the cut model call and the run end cancelled, and the spans are flushed before exit 130', async () => {
    let arrived!: () => void;
    const waiting = new Promise<void>((resolve) => (arrived = resolve));
    server.handler = () => {
      arrived();
      return new Promise<ServerReply>(() => {}); // held until the client gives up
    };
    const { child, done } = startCli(runArgs(['--otel', rx.url]), { env: { GEPA_AIME_API_KEY: API_KEY } });
    await waiting;
    child.kill('SIGINT');
    const result = await done;
    expect(result.code).toBe(130);
    const root = rx.spans.find((s) => s.name === 'invoke_workflow aime')!;
    expect(root.attributes['gepa_aime.status']).toBe('cancelled');
    expect(root.attributes['error.type']).toBe('cancelled');
    const chat = rx.spans.find((s) => s.name === 'chat m')!;
    expect(chat.status.code).toBe(2);
    expect(chat.attributes['error.type']).toBe('aborted');
    expect(rx.spans.find((s) => s.name === 'plan')!.parentSpanId).toBe(root.spanId);
  });

  it('a bad --otel URL is bad usage with a clear line', async () => {
    const result = await run({}, ['--otel', 'grpc://collector:4317']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(/^gepa-aime: --otel: OTLP over HTTP needs an http:\/\/ or https:\/\/ URL/);
  });

  it('a resumed run continues the trace it started', async () => {
    const crashed = await run({ OTEL_EXPORTER_OTLP_ENDPOINT: rx.url, GEPA_AIME_FAILPOINT: 'model-after:2' });
    expect(crashed.code).toBeNull();
    const runId = fs.readdirSync(path.join(work, 'traces', 'runs'))[0]!;
    const meta = JSON.parse(fs.readFileSync(path.join(work, 'traces', 'runs', runId, 'run.json'), 'utf8'));
    const [, traceId, spanId] = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(meta.traceparent)!;

    const resumed = await runCli(
      ['resume', runId, '--config', configDir, '--workspace', path.join(work, 'ws'), '--traces', path.join(work, 'traces'), '--json'],
      {
        env: { GEPA_AIME_API_KEY: API_KEY, OTEL_EXPORTER_OTLP_ENDPOINT: rx.url },
      },
    );
    expect(resumed.code).toBe(0);
    const root = rx.spans.find((s) => s.name === 'invoke_workflow aime' && s.attributes['gepa_aime.resumed'] === true)!;
    expect(root.traceId).toBe(traceId);
    expect(root.parentSpanId).toBe(spanId);
    expect(new Set(rx.spans.filter((s) => s.attributes['gepa_aime.resumed'] !== false).map((s) => s.traceId))).toEqual(new Set([traceId]));
    // The model server saw the same trace id after the resume.
    const last = server.requests[server.requests.length - 1]!;
    expect(String(last.headers['traceparent'])).toContain(traceId);
  });
});
