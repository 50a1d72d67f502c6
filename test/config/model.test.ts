import { describe, expect, it } from 'vitest';
import { applyOverrides, loadConfig, loadModelConfig, parseConfigText, resolveRole, type ModelConfig } from '../../src/config/index.js';
import { configDir, configError } from './fixtures.js';
import { join } from 'node:path';

const F = 'config/model_config.yaml';
const model = (text: string, env: Record<string, string> = {}, knownPersonas?: string[]) =>
  parseConfigText('model', text, F, knownPersonas ? { env, knownPersonas } : { env });

describe('model_config.yaml: unknown keys', () => {
  it('moves unknown top-level keys into extra_params; explicit extra_params wins', () => {
    const cfg = model('provider: vllm\nrepetition_penalty: 1.1\nlogprobs: true\nextra_params:\n  logprobs: false\n  stop: ["\\n"]\n');
    expect(cfg.extra_params).toEqual({ repetition_penalty: 1.1, logprobs: false, stop: ['\n'] });
    expect(cfg).not.toHaveProperty('repetition_penalty');
  });

  it('keeps a "__proto__" key from touching any prototype', () => {
    const cfg = model('__proto__: {polluted: true}\nextra_params: {__proto__: {polluted: true}}\n');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(cfg.extra_params)).toBe(Object.prototype);
  });

  it('rejects an unknown key inside roles.* with key path, line and a suggestion', () => {
    const text = ['provider: offline', 'roles:', '  planner:', '    temperature: 0.1', '    temprature: 0.3', ''].join('\n');
    const err = configError(() => model(text));
    expect(err.issues).toHaveLength(1);
    expect(err.keyPath).toBe('roles.planner.temprature');
    expect(err.line).toBe(5);
    expect(err.message).toMatch(
      /^config\/model_config\.yaml:5: roles\.planner\.temprature: unknown key \(did you mean "temperature"\?\); allowed keys: provider, model, /,
    );
  });

  it('rejects unknown role names and unknown keys in persona overrides', () => {
    const text = ['roles:', '  planer: {}', '  personas:', '    writer:', '      temp: 1', ''].join('\n');
    const err = configError(() => model(text));
    expect(err.issues.map((i) => [i.keyPath, i.line])).toEqual([
      ['roles.planer', 2],
      ['roles.personas.writer.temp', 5],
    ]);
    expect(err.issues[0]!.message).toContain('did you mean "planner"?');
  });

  it('accepts extra_params inside role overrides', () => {
    const cfg = model('roles:\n  actor:\n    extra_params: {top_k: 20}\n');
    expect(cfg.roles.actor.extra_params).toEqual({ top_k: 20 });
  });
});

describe('model_config.yaml: wrong values', () => {
  it('reports every wrong key, each with its own line, in file order', () => {
    const text = [
      'provider: offline', // 1
      'model: gepa-aime-offline', // 2
      'max_retries: -1', // 3
      'request_timeout: "sixty"', // 4
      'stream: "yes"', // 5
      'roles:', // 6
      '  planner:', // 7
      '    temperature: 7', // 8
      '    endpoint: /v2/chat', // 9
      'top_p: 0', // 10
      '',
    ].join('\n');
    const err = configError(() => model(text));
    expect(err.issues.map((i) => [i.line, i.keyPath])).toEqual([
      [3, 'max_retries'],
      [4, 'request_timeout'],
      [5, 'stream'],
      [8, 'roles.planner.temperature'],
      [9, 'roles.planner.endpoint'],
      [10, 'top_p'],
    ]);
    expect(err.message.split('\n')).toEqual([
      '6 problems in the configuration:',
      '  config/model_config.yaml:3: max_retries: expected an integer >= 0, found -1 (number)',
      '  config/model_config.yaml:4: request_timeout: expected a positive number, found "sixty" (string)',
      '  config/model_config.yaml:5: stream: expected true or false, found "yes" (string)',
      '  config/model_config.yaml:8: roles.planner.temperature: expected a number from 0 to 2, or null, found 7 (number)',
      '  config/model_config.yaml:9: roles.planner.endpoint: expected one of /v1/chat/completions, /v1/completions, /generate, found "/v2/chat" (string)',
      '  config/model_config.yaml:10: top_p: expected a number greater than 0 and at most 1, or null, found 0 (number)',
    ]);
    // The error's own fields describe the first issue.
    expect(err).toMatchObject({ file: F, keyPath: 'max_retries', line: 3, expected: 'an integer >= 0', found: '-1 (number)' });
  });

  it('uses the exact one-line message for a single problem', () => {
    const err = configError(() => model('provider: offline\nmodel: m\nstream: true\nrequest_timeout: sixty\n'));
    expect(err.message).toBe('config/model_config.yaml:4: request_timeout: expected a positive number, found "sixty" (string)');
  });

  it('truncates long values in "found"', () => {
    const err = configError(() => model(`provider: ${'x'.repeat(500)}\n`));
    expect(err.found).toMatch(/^"x{39}…" \(string, 500 chars\)$/);
  });

  it('never prints an API key', () => {
    const err = configError(() => model('api_key: sk-secret-value\nroles:\n  actor:\n    api_key: ""\n    bogus: 1\n'));
    expect(err.message).not.toContain('sk-secret');
    expect(err.issues.find((i) => i.keyPath === 'roles.actor.api_key')!.found).toBe('a string (hidden)');
  });

  it('requires replay_file when provider is replay', () => {
    const err = configError(() => model('provider: replay\n'));
    expect(err.keyPath).toBe('replay_file');
    expect(model('provider: replay\nreplay_file: traces/replay.jsonl\n').replay_file).toBe('traces/replay.jsonl');
  });

  it('rejects a file that is not a mapping', () => {
    const err = configError(() => model('- provider\n- offline\n'));
    expect(err).toMatchObject({ keyPath: '', line: 1, found: 'a list (2 items)' });
  });

  it('rejects persona overrides for personas that do not exist', () => {
    const err = configError(() => model('roles:\n  personas:\n    resercher: {temperature: 0.5}\n', {}, ['generalist', 'researcher']));
    expect(err).toMatchObject({ keyPath: 'roles.personas.resercher', line: 3, found: 'unknown persona "resercher"' });
  });
});

describe('model_config.yaml: environment overrides', () => {
  const text = 'provider: offline\nmodel: m1\napi_base: http://localhost:1/v1\n';

  it('applies GEPA_AIME_* over the file', () => {
    const cfg = model(text, {
      GEPA_AIME_PROVIDER: 'vllm',
      GEPA_AIME_API_BASE: 'http://gpu-box:8000/v1',
      GEPA_AIME_MODEL: 'qwen',
      GEPA_AIME_API_KEY: 'k1',
    });
    expect(cfg).toMatchObject({ provider: 'vllm', api_base: 'http://gpu-box:8000/v1', model: 'qwen', api_key: 'k1' });
  });

  it('ignores empty variables', () => {
    expect(model(text, { GEPA_AIME_PROVIDER: '', GEPA_AIME_MODEL: '' })).toMatchObject({ provider: 'offline', model: 'm1' });
  });

  it('falls back to OPENAI_API_KEY only when no key is set anywhere', () => {
    expect(model(text, { OPENAI_API_KEY: 'ok' }).api_key).toBe('ok');
    expect(model(`${text}api_key: file-key\n`, { OPENAI_API_KEY: 'ok' }).api_key).toBe('file-key');
    expect(model(text, { OPENAI_API_KEY: 'ok', GEPA_AIME_API_KEY: 'gk' }).api_key).toBe('gk');
    expect(model(text, {}).api_key).toBeNull();
  });

  it('names the variable, not a file line, when an env value is wrong', () => {
    const err = configError(() => model(text, { GEPA_AIME_PROVIDER: 'ollama' }));
    expect(err.line).toBeUndefined();
    expect(err.message).toBe(
      'config/model_config.yaml: provider: expected one of offline, vllm, openai, replay, found "ollama" (string) from $GEPA_AIME_PROVIDER',
    );
  });

  it('reads the environment passed to the loaders', () => {
    const dir = configDir();
    expect(loadModelConfig(join(dir, 'model_config.yaml'), { GEPA_AIME_MODEL: 'x' }).model).toBe('x');
    expect(loadConfig(dir, { env: { GEPA_AIME_PROVIDER: 'openai' } }).model.provider).toBe('openai');
  });
});

describe('applyOverrides', () => {
  const base = model('provider: offline\nmodel: m1\nroles:\n  actor: {model: actor-model}\n');

  it('sets the given flags and leaves the rest', () => {
    const out = applyOverrides(base, { provider: 'vllm', api_base: 'https://h/v1', model: undefined, api_key: 'k' });
    expect(out).toMatchObject({ provider: 'vllm', api_base: 'https://h/v1', model: 'm1', api_key: 'k' });
    expect(base.provider).toBe('offline'); // input untouched
    expect(resolveRole(out, 'actor').model).toBe('actor-model'); // a role's own value still applies
  });

  it('validates again and blames the command line', () => {
    const err = configError(() => applyOverrides(base, { provider: 'llama', api_base: 'ftp://x' }));
    expect(err.issues.map((i) => i.message)).toEqual([
      'command line: provider: expected one of offline, vllm, openai, replay, found "llama" (string)',
      'command line: api_base: expected an http:// or https:// URL, found "ftp://x" (string)',
    ]);
  });
});

describe('resolveRole', () => {
  const cfg: ModelConfig = model(
    [
      'provider: vllm',
      'model: base-model',
      'temperature: 0.2',
      'seed: 7',
      'extra_params: {a: base, b: base, c: base}',
      'roles:',
      '  planner: {temperature: 0.0, extra_params: {a: planner}}',
      '  actor: {model: actor-model, temperature: 0.5, extra_params: {a: actor, b: actor}}',
      '  reflection: {provider: openai, api_base: "https://api.openai.com/v1", model: gpt-x}',
      '  personas:',
      '    writer: {temperature: 0.9, seed: null, extra_params: {b: writer}}',
      '',
    ].join('\n'),
  );

  it('layers persona over actor over base, extra_params merged shallowly', () => {
    const r = resolveRole(cfg, 'actor', 'writer');
    expect(r).toMatchObject({ role: 'actor', persona: 'writer', provider: 'vllm', model: 'actor-model', temperature: 0.9, seed: null });
    expect(r.extra_params).toEqual({ a: 'actor', b: 'writer', c: 'base' });
  });

  it('uses the role override alone without a persona', () => {
    expect(resolveRole(cfg, 'actor')).toMatchObject({ persona: null, model: 'actor-model', temperature: 0.5, seed: 7 });
    expect(resolveRole(cfg, 'planner')).toMatchObject({ model: 'base-model', temperature: 0, extra_params: { a: 'planner', b: 'base', c: 'base' } });
    expect(resolveRole(cfg, 'reflection')).toMatchObject({ provider: 'openai', model: 'gpt-x', temperature: 0.2 });
  });

  it('treats a persona without overrides (or an odd name) as none', () => {
    expect(resolveRole(cfg, 'actor', 'researcher')).toMatchObject({ persona: 'researcher', temperature: 0.5 });
    expect(resolveRole(cfg, 'actor', 'constructor')).toMatchObject({ temperature: 0.5 });
  });

  it('does not share extra_params with the config', () => {
    resolveRole(cfg, 'actor').extra_params.a = 'changed';
    expect(cfg.extra_params.a).toBe('base');
  });
});
