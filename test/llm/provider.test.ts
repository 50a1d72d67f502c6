import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EndpointRegistry, OpenAICompatibleModel } from '../../src/llm/openai/index.js';
import type { OpenAISettings } from '../../src/llm/openai/settings.js';
import { ModelError, type ChatRequest } from '../../contracts/llm.js';
import { callTool, callTools, fault, startVllmServer, type VllmServer } from '../support/vllmServer.js';
import { recordingSleep, settings } from './helpers.js';

let server: VllmServer;
let endpoints: EndpointRegistry;
let slept: ReturnType<typeof recordingSleep>;

beforeEach(async () => {
  server = await startVllmServer({ models: ['m', 'other'] });
  endpoints = new EndpointRegistry();
  slept = recordingSleep();
});
afterEach(async () => {
  await endpoints.close();
  await server.close();
});

function model(over: Partial<OpenAISettings> = {}) {
  return new OpenAICompatibleModel(settings({ api_base: server.apiBase, ...over }), { endpoints, sleep: slept.sleep, random: () => 0.5 });
}

const ask = (over: Partial<ChatRequest> = {}): ChatRequest => ({ messages: [{ role: 'user', content: 'hi' }], purpose: 'test', ...over });
const tools = [{ name: 'list_dir', description: 'list', parameters: { type: 'object', properties: {} } }];

async function failure(p: Promise<unknown>): Promise<ModelError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelError);
  return err as ModelError;
}

describe('OpenAI-compatible provider: replies', () => {
  it('streams text, tool calls split across chunks, reasoning and usage', async () => {
    server.enqueue({
      content: 'Looking…',
      reasoning: 'the user wants files',
      toolCalls: [{ name: 'list_dir', arguments: '{"path": "src/ü"}', id: 'call_1' }],
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    });
    const deltas: string[] = [];
    const out = await model({ api_key: 'sk-test' }).complete(ask({ tools, toolChoice: 'auto', onTextDelta: (t) => deltas.push(t) }));
    expect(out).toEqual({
      content: 'Looking…',
      toolCalls: [{ id: 'call_1', name: 'list_dir', arguments: '{"path": "src/ü"}' }],
      reasoning: 'the user wants files',
      usage: { promptTokens: 10, completionTokens: 5, totalTokens: 15 },
      finishReason: 'tool_calls',
      model: 'm',
    });
    expect(deltas.join('')).toBe('Looking…');
    const seen = server.requests[0]!;
    expect(seen.headers.authorization).toBe('Bearer sk-test');
    expect(seen.body).toMatchObject({ model: 'm', stream: true, stream_options: { include_usage: true }, tool_choice: 'auto' });
    expect(seen.body.tools[0].function.name).toBe('list_dir');
  });

  it('reads whole replies when stream is off, with reasoning_content', async () => {
    server.enqueue({ content: 'plain', reasoning: 'r', reasoningKey: 'reasoning_content' });
    const out = await model({ stream: false }).complete(ask());
    expect(out).toMatchObject({ content: 'plain', reasoning: 'r', finishReason: 'stop' });
    expect(server.requests[0]!.body.stream).toBe(false);
    expect(server.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('passes malformed tool arguments and unknown tool names through raw (the runtime turns them into observations)', async () => {
    server.enqueue(
      callTools([
        { name: 'no_such_tool', arguments: '{}' },
        { name: 'list_dir', arguments: '{"path": ' },
      ]),
    );
    const out = await model().complete(ask({ tools }));
    expect(out.toolCalls.map((c) => [c.name, c.arguments])).toEqual([
      ['no_such_tool', '{}'],
      ['list_dir', '{"path": '],
    ]);
  });

  it('sends structured output as response_format json_schema and extra_params, never guided_*', async () => {
    const m = model({ extra_params: { top_k: 20, chat_template_kwargs: { enable_thinking: false }, guided_json: { type: 'object' } } });
    await m.complete(ask({ responseFormat: { name: 'answer', schema: { type: 'object' }, strict: true } }));
    const body = server.requests[0]!.body;
    expect(body.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' }, strict: true } });
    expect(body.top_k).toBe(20);
    expect(body.chat_template_kwargs).toEqual({ enable_thinking: false });
    expect(Object.keys(body).some((k) => k.startsWith('guided_'))).toBe(false);
  });

  it('talks /v1/completions, streamed and whole', async () => {
    server.handler = () => ({ content: 'completed text' });
    expect((await model({ endpoint: '/v1/completions' }).complete(ask())).content).toBe('completed text');
    expect((await model({ endpoint: '/v1/completions', stream: false }).complete(ask())).content).toBe('completed text');
    expect(server.requests.map((r) => [r.route, r.stream])).toEqual([
      ['completions', true],
      ['completions', false],
    ]);
    expect(server.requests[0]!.body.prompt).toMatch(/### User\nhi\n\n### Assistant\n$/);
  });

  it('talks vLLM legacy /generate and strips the echoed prompt', async () => {
    server.handler = () => ({ content: ' the answer' });
    const out = await model({ extra_params: { endpoint: '/generate' } }).complete(ask());
    expect(out.content).toBe(' the answer');
    expect(server.requests[0]!.route).toBe('generate');
    expect(server.requests[0]!.body).not.toHaveProperty('endpoint');
  });
});

describe('OpenAI-compatible provider: faults', () => {
  it('retries a 500 with backoff and then succeeds', async () => {
    server.enqueue(fault.status(500), fault.status(503));
    const out = await model({ max_retries: 3 }).complete(ask());
    expect(out.content).toBe('ok');
    expect(server.requests).toHaveLength(3);
    expect(slept.delays).toEqual([250, 500]);
  });

  it('honours Retry-After on 429', async () => {
    server.enqueue(fault.tooMany('7'));
    await model({ max_retries: 1 }).complete(ask());
    expect(slept.delays).toEqual([7000]);
  });

  it('retries a stream cut mid-reply', async () => {
    server.enqueue({ ...callTool('list_dir', '{"path": "a long argument"}'), ...fault.cut(3) });
    const out = await model({ max_retries: 1 }).complete(ask({ tools }));
    expect(out.content).toBe('ok');
    expect(server.requests).toHaveLength(2);
  });

  it('a cut stream on the last attempt is a network ModelError', async () => {
    server.enqueue(fault.cut(1));
    const err = await failure(model({ max_retries: 0 }).complete(ask()));
    expect(err.kind).toBe('network');
    expect(err.message).toMatch(/stream ended before \[DONE\]|closed the connection|reset/);
  });

  it('times out a server that hangs, per attempt, and retries', async () => {
    server.enqueue(fault.hang(), fault.hang());
    const started = Date.now();
    const err = await failure(model({ request_timeout: 0.2, max_retries: 1 }).complete(ask()));
    expect(err.kind).toBe('timeout');
    expect(err.message).toMatch(/no response within request_timeout \(0.2 s\) \(gave up after 2 attempts\)$/);
    expect(server.requests).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('honours the request AbortSignal', async () => {
    server.enqueue(fault.hang());
    const controller = new AbortController();
    const pending = model({ request_timeout: 30 }).complete(ask({ signal: controller.signal }));
    setImmediate(() => controller.abort());
    const err = await failure(pending);
    expect(err.kind).toBe('aborted');
  });

  it('an error event inside a 200 stream is a ModelError', async () => {
    server.enqueue(fault.streamError('CUDA out of memory', 400));
    const err = await failure(model({ max_retries: 2 }).complete(ask()));
    expect(err.message).toBe(`vllm model "m" at ${server.apiBase}/chat/completions: the server reported an error (400): CUDA out of memory`);
    expect(server.requests).toHaveLength(1);
  });

  it('a malformed JSON body is retried, and a protocol ModelError once attempts run out', async () => {
    server.enqueue(fault.malformedBody());
    const ok = await model({ stream: false, max_retries: 2 }).complete(ask());
    expect(ok.content).toBe('ok');
    expect(server.requests).toHaveLength(2);
    server.enqueue(fault.malformedBody(), fault.malformedBody(), fault.malformedBody());
    const err = await failure(model({ stream: false, max_retries: 2 }).complete(ask()));
    expect(err.kind).toBe('protocol');
    expect(server.requests).toHaveLength(5);
  });

  it('a 404 for the model lists the models the server has', async () => {
    const err = await failure(model({ model: 'qwen-typo', max_retries: 3 }).complete(ask()));
    expect(err).toMatchObject({ kind: 'http', status: 404 });
    expect(err.message).toBe(
      `vllm model "qwen-typo" at ${server.apiBase}/chat/completions: HTTP 404: The model \`qwen-typo\` does not exist. — the server has: m, other (set model: in model_config.yaml or pass --model)`,
    );
    expect(server.requests).toHaveLength(1);
  });

  it('a 400 about "auto" tool choice explains the vLLM flags', async () => {
    await server.close();
    server = await startVllmServer({ autoToolChoice: false });
    const err = await failure(model({ max_retries: 3 }).complete(ask({ tools, toolChoice: 'auto' })));
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/--enable-auto-tool-choice --tool-call-parser <parser>/);
    expect(server.requests).toHaveLength(1);
  });

  it('401 is not retried and points at the key', async () => {
    server.enqueue(fault.status(401, 'Unauthorized'));
    const err = await failure(model({ max_retries: 3 }).complete(ask()));
    expect(err.message).toMatch(/HTTP 401: Unauthorized — check api_key/);
    expect(server.requests).toHaveLength(1);
  });

  it('connection refused is a one-line network ModelError, not a raw undici error', async () => {
    const dead = await startVllmServer();
    const apiBase = dead.apiBase;
    await dead.close();
    const err = await failure(new OpenAICompatibleModel(settings({ api_base: apiBase, max_retries: 2 }), { endpoints, sleep: slept.sleep }).complete(ask()));
    expect(err.name).toBe('ModelError');
    expect(err.kind).toBe('network');
    expect(err.message).toBe(`vllm model "m" at ${apiBase}/chat/completions: connection refused (is the server running?) (gave up after 3 attempts)`);
    expect(err.message).not.toContain('\n');
  });
});

describe('OpenAI-compatible provider: concurrency', () => {
  it('never has more than max_concurrency requests in flight per endpoint, shared across models', async () => {
    await server.close();
    server = await startVllmServer({ delayMs: 20 });
    const planner = model({ max_concurrency: 3, temperature: 0 });
    const actor = model({ max_concurrency: 3, temperature: 0.9 });
    const calls = Array.from({ length: 12 }, (_, i) => (i % 2 ? planner : actor).complete(ask()));
    await Promise.all(calls);
    expect(server.requests).toHaveLength(12);
    expect(server.maxInFlight).toBe(3);
  });

  it('lists models', async () => {
    expect(await model().listModels()).toEqual(['m', 'other']);
  });
});
