import { describe, expect, it } from 'vitest';
import { chatBody, completionsBody, generateBody, messagesToPrompt, passThroughParams, planRequest } from '../../src/llm/openai/requestBody.js';
import { endpointUrl, healthUrl, resolveEndpoint } from '../../src/llm/openai/settings.js';
import type { ChatRequest } from '../../contracts/llm.js';
import { settings } from './helpers.js';

const request: ChatRequest = {
  messages: [
    { role: 'system', content: 'sys' },
    { role: 'user', content: 'list files' },
    { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'list_dir', arguments: '{"path":"."}' }] },
    { role: 'tool', content: 'a.txt', toolCallId: 'c1', name: 'list_dir' },
  ],
  tools: [{ name: 'list_dir', description: 'List a directory', parameters: { type: 'object', properties: { path: { type: 'string' } } } }],
  toolChoice: 'auto',
  responseFormat: { name: 'report', schema: { type: 'object' }, strict: true },
  purpose: 'actor',
  onTextDelta: () => {},
};

describe('chat request body', () => {
  it('maps messages, tool calls, tool results, tools, tool_choice and response_format to OpenAI wire format', () => {
    const body = chatBody(settings(), request, true);
    expect(body).toEqual({
      model: 'm',
      messages: [
        { role: 'system', content: 'sys' },
        { role: 'user', content: 'list files' },
        { role: 'assistant', content: '', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'list_dir', arguments: '{"path":"."}' } }] },
        { role: 'tool', content: 'a.txt', tool_call_id: 'c1', name: 'list_dir' },
      ],
      temperature: 0.2,
      max_tokens: 256,
      stream: true,
      stream_options: { include_usage: true },
      tools: [
        {
          type: 'function',
          function: { name: 'list_dir', description: 'List a directory', parameters: { type: 'object', properties: { path: { type: 'string' } } } },
        },
      ],
      tool_choice: 'auto',
      response_format: { type: 'json_schema', json_schema: { name: 'report', schema: { type: 'object' }, strict: true } },
    });
  });

  it('names a forced tool choice in OpenAI form and sends no stream_options without streaming', () => {
    const body = chatBody(settings(), { ...request, toolChoice: { name: 'list_dir' } }, false);
    expect(body['tool_choice']).toEqual({ type: 'function', function: { name: 'list_dir' } });
    expect(body['stream']).toBe(false);
    expect(body).not.toHaveProperty('stream_options');
  });

  it('leaves out tools and tool_choice when there are no tools, and strict defaults to false', () => {
    const body = chatBody(settings(), { messages: [{ role: 'user', content: 'hi' }], toolChoice: 'auto', responseFormat: { name: 'x', schema: {} } }, false);
    expect(body).not.toHaveProperty('tools');
    expect(body).not.toHaveProperty('tool_choice');
    expect(body['response_format']).toEqual({ type: 'json_schema', json_schema: { name: 'x', schema: {}, strict: false } });
  });

  it('takes sampling from the role settings, the request overriding them, and omits nulls', () => {
    const s = settings({ temperature: 0.7, top_p: 0.9, max_tokens: null, seed: 42 });
    expect(chatBody(s, { messages: [] }, false)).toMatchObject({ temperature: 0.7, top_p: 0.9, seed: 42 });
    expect(chatBody(s, { messages: [] }, false)).not.toHaveProperty('max_tokens');
    const body = chatBody(s, { messages: [], sampling: { temperature: 0, maxTokens: 10, stop: ['\n\n'], topP: 0.5, seed: 1 } }, false);
    expect(body).toMatchObject({ temperature: 0, max_tokens: 10, stop: ['\n\n'], top_p: 0.5, seed: 1 });
  });

  it('passes vLLM knobs from extra_params through untouched', () => {
    const extra = {
      top_k: 20,
      min_p: 0.05,
      repetition_penalty: 1.1,
      chat_template_kwargs: { enable_thinking: false },
      structured_outputs: { regex: '\\d+' },
    };
    const body = chatBody(settings({ extra_params: extra }), request, true);
    expect(body).toMatchObject(extra);
  });

  it('never sends guided_* fields (vLLM >= 0.12 ignores them): translated into structured_outputs or dropped', () => {
    const extra = { guided_json: { type: 'object' }, guided_choice: ['a', 'b'], guided_decoding_backend: 'xgrammar', guided_whitespace_pattern: ' ', top_k: 5 };
    for (const body of [
      chatBody(settings({ extra_params: extra }), request, true),
      completionsBody(settings({ extra_params: extra }), request, 'p', false),
      generateBody(settings({ extra_params: extra }), request, 'p'),
    ]) {
      expect(Object.keys(body).filter((k) => k.startsWith('guided'))).toEqual([]);
      expect(JSON.stringify(body)).not.toContain('guided_');
      expect(body['structured_outputs']).toEqual({ json: { type: 'object' }, choice: ['a', 'b'] });
      expect(body['top_k']).toBe(5);
    }
    // An explicit structured_outputs wins over translated guided_* fields.
    expect(passThroughParams({ guided_json: {}, structured_outputs: { grammar: 'g' } })).toEqual({ structured_outputs: { grammar: 'g' } });
  });

  it('reads extra_params.endpoint (the seed README put it there) as the endpoint and does not send it', () => {
    const s = settings({ extra_params: { endpoint: '/generate', top_k: 3 } });
    expect(resolveEndpoint(s)).toBe('/generate');
    const plan = planRequest(s, request);
    expect(plan.endpoint).toBe('/generate');
    expect(plan.body).not.toHaveProperty('endpoint');
    expect(plan.body['top_k']).toBe(3);
    expect(resolveEndpoint(settings({ extra_params: { endpoint: 'completions' } }))).toBe('/v1/completions');
    expect(resolveEndpoint(settings({ extra_params: { endpoint: '/v1/chat/completions' } }))).toBe('/v1/chat/completions');
    expect(() => resolveEndpoint(settings({ extra_params: { endpoint: '/v2/magic' } }))).toThrow(/extra_params.endpoint is "\/v2\/magic"/);
  });
});

describe('completions and /generate bodies', () => {
  it('builds a plain transcript prompt ending with the assistant cue', () => {
    const prompt = messagesToPrompt(request.messages);
    expect(prompt).toBe(
      '### System\nsys\n\n### User\nlist files\n\n### Assistant\n\n[call list_dir {"path":"."}]\n\n### Tool result (list_dir)\na.txt\n\n### Assistant\n',
    );
  });

  it('sends prompt + sampling to /v1/completions, with usage in streams', () => {
    const plan = planRequest(settings({ endpoint: '/v1/completions' }), request);
    expect(plan.stream).toBe(true);
    expect(plan.body).toMatchObject({ model: 'm', prompt: plan.prompt, stream: true, stream_options: { include_usage: true }, temperature: 0.2 });
    expect(plan.body).not.toHaveProperty('messages');
  });

  it('sends {prompt, sampling} to /generate, never streamed', () => {
    const plan = planRequest(settings({ endpoint: '/generate' }), request);
    expect(plan.stream).toBe(false);
    expect(plan.body).toEqual({ prompt: plan.prompt, temperature: 0.2, max_tokens: 256, stream: false });
  });

  it('builds URLs from api_base: /v1 paths under it, /generate and /health at the server root', () => {
    expect(endpointUrl('http://h:8000/v1/', '/v1/chat/completions')).toBe('http://h:8000/v1/chat/completions');
    expect(endpointUrl('http://h:8000/v1', '/v1/completions')).toBe('http://h:8000/v1/completions');
    expect(endpointUrl('http://h:8000/v1', '/generate')).toBe('http://h:8000/generate');
    expect(healthUrl('http://h:8000/v1')).toBe('http://h:8000/health');
    expect(endpointUrl('https://api.example.com/openai', '/v1/chat/completions')).toBe('https://api.example.com/openai/chat/completions');
  });
});
