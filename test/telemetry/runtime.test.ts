import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedModel, reply } from '../../src/llm/scripted.js';
import { runGoal } from '../../src/runtime/runGoal.js';
import { flushTelemetry, shutdownTelemetry, startTelemetry, telemetrySettings } from '../../src/runtime/telemetry/index.js';
import { extractTraceContext, injectTraceContext, inSpan, tracingOn, withContext } from '../../src/util/tracing.js';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlpReceiver.js';
import { modelSet, repoConfig, tempDir } from '../support/runtime.js';

const config = repoConfig();
const t = (id: string, title: string) => ({ id, title, status: 'pending', criteria: `${title} is done`, children: [] });
let rx: OtlpReceiver;

beforeAll(async () => {
  rx = await startOtlpReceiver();
  await startTelemetry(telemetrySettings(rx.url, {})!);
});
afterAll(async () => {
  await shutdownTelemetry();
  expect(tracingOn()).toBe(false);
  await rx.close();
});

describe('spans of a run with the scripted model', () => {
  it('builds the tree from the effects: plan, invoke_agent, chat, execute_tool (failures marked), update_progress', async () => {
    const workspace = await tempDir();
    const traces = await tempDir();
    const planner = new ScriptedModel([
      reply.json({ rationale: 'r', tasks: [t('1', 'Write out.txt')], action: { type: 'dispatch', taskIds: ['1'] } }),
      reply.json({ rationale: 'r', tasks: [t('1', 'Write out.txt')], action: { type: 'finish', answer: 'done' } }),
    ]);
    const actor = new ScriptedModel([
      reply.toolCalls([
        { name: 'update_progress', args: { status: 'in_progress', message: 'writing' } },
        { name: 'read_file', args: { path: 'missing.txt' } },
        { name: 'write_file', args: { path: 'out.txt', content: 'secret-content-xyz' } },
      ]),
      reply.json({ status: 'completed', summary: 'wrote it', references: ['out.txt'] }),
    ]);
    const report = await runGoal({ goal: 'write out.txt', config, workspace, tracesDir: traces, models: modelSet(planner, actor), learn: false });
    expect(report.status).toBe('completed');
    await flushTelemetry();

    const spans = rx.spans.filter((s) => s.traceId === rx.spans.find((r) => r.attributes['gen_ai.conversation.id'] === report.runId)!.traceId);
    const root = spans.find((s) => !s.parentSpanId)!;
    expect(root.name).toBe('invoke_workflow aime');
    const agent = spans.find((s) => s.name.startsWith('invoke_agent '))!;
    expect(agent.parentSpanId).toBe(root.spanId);
    const tools = spans.filter((s) => s.parentSpanId === agent.spanId && s.name.startsWith('execute_tool '));
    expect(tools.map((s) => s.name)).toEqual(['execute_tool read_file', 'execute_tool write_file', 'execute_tool update_progress']);
    const byTool = Object.fromEntries(tools.map((s) => [s.attributes['gen_ai.tool.name'], s]));
    expect(byTool['read_file']!.status.code).toBe(2);
    expect(byTool['read_file']!.attributes['error.type']).toBe('tool_error');
    expect(byTool['write_file']!.status.code).not.toBe(2);
    expect(byTool['write_file']!.attributes['gepa_aime.tool.side_effect']).toBe(true);
    expect(byTool['write_file']!.attributes).toMatchObject({ 'gepa_aime.approval.policy': 'auto', 'gepa_aime.approval.decision': 'approved' });
    expect(byTool['update_progress']!.attributes['gepa_aime.progress.status']).toBe('in_progress');
    // Call ids are the model's.
    const calls = actor.requests[1]!.messages.filter((m) => m.role === 'tool').map((m) => m.toolCallId);
    expect(tools.map((s) => s.attributes['gen_ai.tool.call.id']).sort()).toEqual([...calls].sort());

    const chats = spans.filter((s) => s.name.startsWith('chat '));
    expect(chats.map((c) => parentOf(c)?.name).sort()).toEqual([
      'invoke_agent ' + agent.attributes['gen_ai.agent.name'],
      'invoke_agent ' + agent.attributes['gen_ai.agent.name'],
      'plan',
      'plan',
    ]);
    expect(chats.every((c) => c.attributes['gen_ai.provider.name'] === 'scripted')).toBe(true);
    const sum = (k: string) => chats.reduce((n, c) => n + Number(c.attributes[k]), 0);
    expect(sum('gen_ai.usage.input_tokens')).toBe(report.usage.promptTokens);
    expect(sum('gen_ai.usage.output_tokens')).toBe(report.usage.completionTokens);
    expect(JSON.stringify(spans.map((s) => [s.attributes, s.events, s.status]))).not.toContain('secret-content-xyz');

    function parentOf(s: { parentSpanId: string }) {
      return spans.find((p) => p.spanId === s.parentSpanId);
    }
  });

  it('bounds and redacts what the model names: a huge unknown tool name with a key in it', async () => {
    const workspace = await tempDir();
    const traces = await tempDir();
    const key = 'sk-abcdefghijklmnopqrstuvwxyz012345';
    const planner = new ScriptedModel([
      reply.json({ rationale: 'r', tasks: [t('1', 'Do it')], action: { type: 'dispatch', taskIds: ['1'] } }),
      reply.json({ rationale: 'r', tasks: [t('1', 'Do it')], action: { type: 'finish', answer: 'done' } }),
    ]);
    const actor = new ScriptedModel([
      reply.toolCalls([{ name: `${key}${'x'.repeat(100_000)}`, args: {} }]),
      reply.json({ status: 'completed', summary: 'ok', references: [] }),
    ]);
    const report = await runGoal({ goal: 'do it', config, workspace, tracesDir: traces, models: modelSet(planner, actor), learn: false });
    await flushTelemetry();
    const traceId = rx.spans.find((r) => r.attributes['gen_ai.conversation.id'] === report.runId)!.traceId;
    const tool = rx.spans.find((s) => s.traceId === traceId && s.name.startsWith('execute_tool '))!;
    expect(tool.name.length).toBeLessThan(250);
    expect(tool.name).not.toContain(key);
    expect(String(tool.attributes['gen_ai.tool.name'])).toMatch(/^\[redacted\]/);
    expect(String(tool.attributes['gen_ai.tool.name']).length).toBeLessThan(250);
  });

  it('carries a trace across a plain object: inject writes traceparent, extract parents a span on it', async () => {
    let carrier: Record<string, string> = {};
    let outerTrace = '';
    await inSpan('job.submit', {}, async (span) => {
      outerTrace = span!.spanContext().traceId;
      carrier = injectTraceContext();
    });
    expect(carrier['traceparent']).toMatch(new RegExp(`^00-${outerTrace}-[0-9a-f]{16}-01$`));
    const copied = JSON.parse(JSON.stringify({ data: 1, trace: carrier })) as { trace: unknown };
    await withContext(extractTraceContext(copied.trace), () => inSpan('job.run', {}, async () => {}));
    await flushTelemetry();
    const run = rx.spans.find((s) => s.name === 'job.run')!;
    const submit = rx.spans.find((s) => s.name === 'job.submit')!;
    expect(run.traceId).toBe(outerTrace);
    expect(run.parentSpanId).toBe(submit.spanId);
    // Garbage is ignored, never thrown.
    for (const bad of [null, 'x', { traceparent: 'nope' }, { traceparent: 7 }, { traceparent: 'a'.repeat(10_000) }])
      expect(() => extractTraceContext(bad)).not.toThrow();
  });
});
