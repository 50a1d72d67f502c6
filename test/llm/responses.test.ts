import { describe, expect, it } from 'vitest';
import { parseCompletion, parseGenerate, parseJsonBody, StreamReader } from '../../src/llm/openai/responses.js';
import { ModelError } from '../../contracts/llm.js';

const enc = (s: string) => new TextEncoder().encode(s);
const sse = (...events: unknown[]) => events.map((e) => `data: ${typeof e === 'string' ? e : JSON.stringify(e)}\n\n`).join('');
const fallback = { model: 'fallback', prompt: 'p' };

function streamOf(text: string, shape: 'chat' | 'completions' = 'chat', deltas: string[] = []) {
  const reader = new StreamReader(shape, 'srv', (t) => deltas.push(t));
  reader.push(enc(text));
  return reader.finish(fallback);
}

describe('streamed replies', () => {
  it('assembles content and tool calls and reads usage from the final chunk', () => {
    const deltas: string[] = [];
    const out = streamOf(
      sse(
        { model: 'qwen', choices: [{ delta: { role: 'assistant', content: '' } }] },
        { choices: [{ delta: { content: 'Let me ' } }] },
        { choices: [{ delta: { content: 'look.' } }] },
        { choices: [{ delta: { tool_calls: [{ index: 0, id: 'c1', type: 'function', function: { name: 'list_dir', arguments: '' } }] } }] },
        { choices: [{ delta: { tool_calls: [{ index: 0, function: { arguments: '{"path":' } }] } }] },
        { choices: [{ delta: { tool_calls: [{ index: 0, function: { arguments: '"."}' } }] } }] },
        { choices: [{ delta: {}, finish_reason: 'tool_calls' }] },
        { choices: [], usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 } },
        '[DONE]',
      ),
      'chat',
      deltas,
    );
    expect(out).toEqual({
      content: 'Let me look.',
      toolCalls: [{ id: 'c1', name: 'list_dir', arguments: '{"path":"."}' }],
      usage: { promptTokens: 12, completionTokens: 7, totalTokens: 19 },
      finishReason: 'tool_calls',
      model: 'qwen',
    });
    expect(deltas).toEqual(['Let me ', 'look.']);
  });

  it('reads reasoning deltas under `reasoning` and the older `reasoning_content`', () => {
    const out = streamOf(
      sse(
        { choices: [{ delta: { reasoning: 'think ' } }] },
        { choices: [{ delta: { reasoning_content: 'more' } }] },
        { choices: [{ delta: { content: 'hi' } }] },
        '[DONE]',
      ),
    );
    expect(out.reasoning).toBe('think more');
    expect(out.content).toBe('hi');
  });

  it('estimates usage when the server sends none', () => {
    const out = streamOf(sse({ choices: [{ delta: { content: 'abcdefgh' } }] }, '[DONE]'));
    expect(out.usage.completionTokens).toBe(2);
    expect(out.model).toBe('fallback');
  });

  it('a stream cut before [DONE] is a retryable network fault', () => {
    const reader = new StreamReader('chat', 'srv');
    reader.push(enc(sse({ choices: [{ delta: { content: 'half' } }] })));
    expect(() => reader.finish(fallback)).toThrowError(
      expect.objectContaining({ kind: 'network', retryable: true, message: expect.stringMatching(/ended before \[DONE\]/) }),
    );
  });

  it('an error event after HTTP 200 is a ModelError with the server message', () => {
    const reader = new StreamReader('chat', 'srv');
    const error = { error: { object: 'error', message: 'engine dead', type: 'InternalServerError', code: 500 } };
    expect(() => reader.push(enc(sse({ choices: [{ delta: { content: 'x' } }] }, error)))).toThrowError(
      expect.objectContaining({
        name: 'ProviderError',
        kind: 'http',
        status: 500,
        retryable: true,
        message: 'srv: the server reported an error (500): engine dead',
      }),
    );
    const bad = new StreamReader('chat', 'srv');
    expect(() => bad.push(enc(sse({ error: { message: 'bad schema', code: 400 } })))).toThrowError(expect.objectContaining({ retryable: false, status: 400 }));
  });

  it('a stream event that is not JSON is a protocol error; data after [DONE] is ignored', () => {
    expect(() => streamOf(sse('{"choices": ['))).toThrowError(expect.objectContaining({ kind: 'protocol' }));
    expect(streamOf(sse({ choices: [{ delta: { content: 'a' } }] }, '[DONE]', 'garbage')).content).toBe('a');
  });

  it('reads /v1/completions text deltas', () => {
    const out = streamOf(
      sse(
        { choices: [{ text: 'Hel' }] },
        { choices: [{ text: 'lo', finish_reason: 'length' }] },
        { choices: [], usage: { prompt_tokens: 1, completion_tokens: 2 } },
        '[DONE]',
      ),
      'completions',
    );
    expect(out).toMatchObject({ content: 'Hello', finishReason: 'length', usage: { promptTokens: 1, completionTokens: 2, totalTokens: 3 } });
  });
});

describe('whole replies', () => {
  it('reads content, tool calls, reasoning, usage and finish reason of a chat completion', () => {
    const body = {
      model: 'qwen',
      choices: [
        {
          message: {
            role: 'assistant',
            content: null,
            reasoning_content: 'hmm',
            tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{bad' } }],
          },
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
    };
    expect(parseCompletion(body, 'chat', 'srv', fallback)).toEqual({
      content: '',
      toolCalls: [{ id: 'c', name: 'f', arguments: '{bad' }],
      reasoning: 'hmm',
      usage: { promptTokens: 3, completionTokens: 4, totalTokens: 7 },
      finishReason: 'tool_calls',
      model: 'qwen',
    });
  });

  it('reads choices[0].text of a completion', () => {
    expect(parseCompletion({ choices: [{ text: 'hi', finish_reason: 'stop' }] }, 'completions', 'srv', fallback).content).toBe('hi');
  });

  it('strips the echoed prompt from /generate', () => {
    expect(parseGenerate({ text: ['PROMPT and the answer'] }, 'PROMPT', 'srv', 'm').content).toBe(' and the answer');
    expect(parseGenerate({ text: ['no echo'] }, 'PROMPT', 'srv', 'm').content).toBe('no echo');
    expect(() => parseGenerate({ output: 'x' }, 'P', 'srv', 'm')).toThrowError(expect.objectContaining({ kind: 'protocol' }));
  });

  it('malformed JSON bodies and bodies without choices are protocol errors', () => {
    for (const text of ['{"choices": [', '', '[1,2]', 'null']) {
      expect(() => parseJsonBody(text, 'srv')).toThrowError(expect.objectContaining({ name: 'ProviderError', kind: 'protocol' }));
    }
    expect(() => parseCompletion({ choices: [] }, 'chat', 'srv', fallback)).toThrow(ModelError);
    expect(() => parseCompletion({ choices: [{ text: 'x' }] }, 'chat', 'srv', fallback)).toThrow(/no choices\[0\]\.message/);
  });
});
