import type { OpenAISettings } from '../../src/llm/openai/settings.js';

/** Role settings as resolveRole returns them, with test-friendly defaults. */
export function settings(over: Partial<OpenAISettings> = {}): OpenAISettings {
  return {
    provider: 'vllm',
    model: 'm',
    api_base: 'http://127.0.0.1:9/v1',
    api_key: null,
    endpoint: '/v1/chat/completions',
    request_timeout: 5,
    request_deadline: 60,
    max_response_bytes: 33_554_432,
    max_retries: 0,
    max_concurrency: 4,
    stream: true,
    temperature: 0.2,
    top_p: null,
    max_tokens: 256,
    seed: null,
    extra_params: {},
    ...over,
  };
}

/** A sleep that records the delays it was asked for and returns at once. */
export function recordingSleep() {
  const delays: number[] = [];
  return { delays, sleep: async (ms: number) => void delays.push(ms) };
}
