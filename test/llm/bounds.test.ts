/**
 * Bounded model requests against the fake vLLM: a total deadline besides the
 * idle timeout, keep-alive comments that are not progress, and a cap on reply bytes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EndpointRegistry, OpenAICompatibleModel } from '../../src/llm/openai/index.js';
import type { OpenAISettings } from '../../src/llm/openai/settings.js';
import { ModelError, type ChatRequest } from '../../contracts/llm.js';
import { fault, say, startVllmServer, type VllmServer } from '../support/vllmServer.js';
import { recordingSleep, settings } from './helpers.js';

let server: VllmServer;
let endpoints: EndpointRegistry;

beforeEach(async () => {
  server = await startVllmServer();
  endpoints = new EndpointRegistry();
});
afterEach(async () => {
  await endpoints.close();
  await server.close();
});

const model = (over: Partial<OpenAISettings> = {}) =>
  new OpenAICompatibleModel(settings({ api_base: server.apiBase, ...over }), { endpoints, sleep: recordingSleep().sleep, random: () => 0.5 });
const ask = (): ChatRequest => ({ messages: [{ role: 'user', content: 'hi' }], purpose: 'test' });

async function failure(p: Promise<unknown>): Promise<ModelError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelError);
  return err as ModelError;
}

describe('bounded model requests', () => {
  it('a stream of only ": ping" comments is idle: request_timeout ends it', async () => {
    server.enqueue(fault.ping(20));
    const err = await failure(model({ request_timeout: 0.3, request_deadline: 30 }).complete(ask()));
    expect(err.kind).toBe('timeout');
    expect(err.message).toMatch(/no response within request_timeout \(0.3 s\)/);
  });

  it('a stream that trickles content and never sends [DONE] hits request_deadline, retries included', async () => {
    server.enqueue(fault.trickle(20), fault.trickle(20), fault.trickle(20));
    const started = Date.now();
    const err = await failure(model({ request_timeout: 5, request_deadline: 0.5, max_retries: 2 }).complete(ask()));
    expect(err.kind).toBe('timeout');
    expect(err.message).toBe(`vllm model "m": no complete reply within request_deadline (0.5 s)`);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('a reply over max_response_bytes is refused, streamed or whole, and not retried', async () => {
    for (const stream of [true, false]) {
      server.requests.length = 0;
      server.enqueue(say('x'.repeat(200_000)));
      const err = await failure(model({ stream, max_response_bytes: 50_000, max_retries: 3 }).complete(ask()));
      expect(err.kind).toBe('protocol');
      expect(err.message).toMatch(/larger than max_response_bytes \(50000 bytes\)/);
      expect(server.requests).toHaveLength(1);
    }
  });

  it('a healthy reply under the bounds is untouched', async () => {
    server.enqueue(say('fine'));
    expect((await model({ request_deadline: 10, max_response_bytes: 10_000 }).complete(ask())).content).toBe('fine');
  });
});
