import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/index.js';
import { EndpointRegistry, OpenAICompatibleModel } from '../../src/llm/openai/index.js';
import { ReplayModel } from '../../src/llm/replay.js';
import { createModelSet } from '../../src/runtime/models.js';
import { startVllmServer, type VllmServer } from '../support/vllmServer.js';

let server: VllmServer;
let endpoints: EndpointRegistry;
beforeEach(async () => {
  server = await startVllmServer({ models: ['base-m', 'planner-m', 'critic-m'] });
  endpoints = new EndpointRegistry();
});
afterEach(async () => {
  await endpoints.close();
  await server.close();
});

const modelConfig = (apiBase: string) =>
  parseConfigText(
    'model',
    [
      'provider: vllm',
      'model: base-m',
      `api_base: ${apiBase}`,
      'temperature: 0.2',
      'top_k: 40',
      'roles:',
      '  planner: { model: planner-m, temperature: 0, seed: 7 }',
      '  actor: { max_tokens: 512 }',
      '  reflection: { model: critic-m, temperature: 1.0, extra_params: { min_p: 0.1 } }',
      '  personas:',
      '    writer: { temperature: 0.9, top_p: 0.95 }',
      '',
    ].join('\n'),
    'model_config.yaml',
    { env: {} },
  );

describe('createModelSet: roles', () => {
  it('gives planner, actors per persona and reflection their own model and sampling', async () => {
    const set = createModelSet(modelConfig(server.apiBase), { http: { endpoints } });
    expect(set.planner).toBeInstanceOf(OpenAICompatibleModel);
    const ask = { messages: [{ role: 'user' as const, content: 'hi' }] };
    await set.planner.complete(ask);
    await set.actorFor('generalist').complete(ask);
    await set.actorFor('writer').complete(ask);
    await set.reflection.complete(ask);
    const bodies = server.requests.map((r) => r.body);
    expect(bodies[0]).toMatchObject({ model: 'planner-m', temperature: 0, seed: 7, max_tokens: 2048, top_k: 40 });
    expect(bodies[1]).toMatchObject({ model: 'base-m', temperature: 0.2, max_tokens: 512 });
    expect(bodies[1]).not.toHaveProperty('top_p');
    expect(bodies[2]).toMatchObject({ model: 'base-m', temperature: 0.9, top_p: 0.95, max_tokens: 512 });
    expect(bodies[3]).toMatchObject({ model: 'critic-m', temperature: 1, min_p: 0.1, top_k: 40 });
    expect(set.describe()).toEqual({ provider: 'vllm', model: 'base-m', offline: false });
  });

  it('builds each role and persona once', () => {
    const set = createModelSet(modelConfig(server.apiBase), { http: { endpoints } });
    expect(set.actorFor('generalist')).toBe(set.actorFor('generalist'));
    expect(set.actorFor('writer')).not.toBe(set.actorFor('generalist'));
  });

  it('--replay answers every role from the file, whatever the config says', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gepa-models-')), 'r.jsonl');
    fs.writeFileSync(file, '');
    const set = createModelSet(modelConfig(server.apiBase), { replay: file });
    expect(set.planner).toBeInstanceOf(ReplayModel);
    expect(set.reflection).toBeInstanceOf(ReplayModel);
    expect(set.describe().provider).toBe('replay');
    await expect(set.planner.complete({ messages: [{ role: 'user', content: 'x' }], purpose: 'planner' })).rejects.toMatchObject({ kind: 'no-recording' });
    expect(server.requests).toHaveLength(0);
  });

  it('a bad extra_params.endpoint is a config error when the models are built', () => {
    const config = { ...modelConfig(server.apiBase), extra_params: { endpoint: '/nope' } };
    expect(() => createModelSet(config, { http: { endpoints } })).toThrowError(expect.objectContaining({ kind: 'config' }));
  });
});
