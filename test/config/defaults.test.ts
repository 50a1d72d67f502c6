import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  defaultConfigDir,
  defaultPersonasConfig,
  defaultToolBundles,
  loadConfig,
  loadPersonasConfig,
  parseConfigText,
  resolveRole,
} from '../../src/config/index.js';
import { findPackagedConfigDir, packagedConfigFile } from '../../src/config/packaged.js';
import { SHIPPED_DIR, configDir, configError } from './fixtures.js';

const DEFAULT_PERSONAS = defaultPersonasConfig();

describe('shipped config/', () => {
  it('loads with the documented defaults', () => {
    const cfg = loadConfig(SHIPPED_DIR, { env: {} });
    expect(cfg.dir).toBe(SHIPPED_DIR);
    expect(cfg.files).toEqual({
      model: join(SHIPPED_DIR, 'model_config.yaml'),
      gepa: join(SHIPPED_DIR, 'gepa_config.yaml'),
      tools: join(SHIPPED_DIR, 'tool_bundles.json'),
      personas: join(SHIPPED_DIR, 'personas.yaml'),
    });
    expect(cfg.model).toEqual({
      provider: 'offline',
      model: 'gepa-aime-offline',
      api_base: 'http://127.0.0.1:8000/v1',
      api_key: null,
      endpoint: '/v1/chat/completions',
      request_timeout: 60,
      request_deadline: 600,
      max_response_bytes: 33554432,
      max_retries: 4,
      max_concurrency: 8,
      stream: true,
      temperature: 0.2,
      top_p: null,
      max_tokens: 2048,
      seed: null,
      replay_file: null,
      extra_params: {},
      roles: { planner: {}, actor: {}, reflection: {}, judge: {}, personas: {} },
    });
    expect(cfg.gepa.online).toEqual({
      enabled: true,
      trace_path: 'traces/gepa_history.jsonl',
      window: 20,
      recency_decay: 0.85,
      threshold: 0.5,
      every_n_goals: 5,
      pool_size: 4,
      min_outcomes: 3,
      success_score: 1,
      challenger_share: 0.5,
      confidence: 0.95,
      min_trial_goals: 10,
      max_trial_goals: 80,
    });
    expect(cfg.gepa.offline).toMatchObject({ max_metric_calls: 200, candidate_selection: 'pareto', reflection_prompt_template: null });
    expect(cfg.tools.default_bundles).toEqual(['filesystem']);
    expect(cfg.tools.limits).toEqual({
      max_write_bytes: 1048576,
      max_read_bytes: 262144,
      max_step_write_bytes: 4194304,
      max_tool_calls_per_step: 16,
      custom_tool_load_timeout_ms: 10000,
      max_reply_chars: 16384,
      max_argument_chars: 2097152,
    });
    expect(cfg.tools.protected).toEqual(['.env*']);
    expect(cfg.personas.default_persona).toBe('generalist');
  });

  it('is what defaultConfigDir() finds', () => {
    expect(defaultConfigDir()).toBe(SHIPPED_DIR);
  });

  it('states exactly the schema defaults (an empty file means the same)', () => {
    const cfg = loadConfig(SHIPPED_DIR, { env: {} });
    expect(parseConfigText('model', '')).toEqual(cfg.model);
    expect(parseConfigText('gepa', '')).toEqual(cfg.gepa);
    expect(parseConfigText('tools', '{}')).toEqual(cfg.tools);
    expect(cfg.tools.bundles).toEqual(defaultToolBundles());
  });

  it('is the one source of the built-in bundles (a file without "bundles" gets the shipped ones)', () => {
    const shipped = JSON.parse(readFileSync(join(SHIPPED_DIR, 'tool_bundles.json'), 'utf8'));
    expect(defaultToolBundles()).toEqual(shipped.bundles);
    expect(parseConfigText('tools', '{"default_bundles": ["web"]}').bundles).toEqual(shipped.bundles);
    const copy = defaultToolBundles();
    copy.filesystem!.tools.push('x');
    expect(defaultToolBundles()).toEqual(shipped.bundles); // each call is a fresh copy
  });

  it('is the one source of the built-in personas', () => {
    const text = readFileSync(join(SHIPPED_DIR, 'personas.yaml'), 'utf8');
    expect(defaultPersonasConfig()).toEqual(parseConfigText('personas', text));
    expect(parse(text)).toEqual(defaultPersonasConfig()); // no defaults filled in: the file states everything
  });

  it('is found from the code, and its absence is a clear error', () => {
    expect(findPackagedConfigDir()).toBe(SHIPPED_DIR);
    expect(findPackagedConfigDir('/')).toBeNull();
    expect(() => packagedConfigFile('personas.yaml', '/')).toThrow(ConfigError);
    expect(() => packagedConfigFile('personas.yaml', '/')).toThrow(/config\/personas\.yaml is missing .*reinstall gepa-aime/);
    // An installation whose config/ lacks a file: the error names that file.
    const root = mkdtempSync(join(tmpdir(), 'gepa-aime-packaged-'));
    try {
      cpSync(SHIPPED_DIR, join(root, 'config'), { recursive: true });
      unlinkSync(join(root, 'config', 'personas.yaml'));
      mkdirSync(join(root, 'dist', 'src', 'config'), { recursive: true });
      const from = join(root, 'dist', 'src', 'config');
      expect(findPackagedConfigDir(from)).toBe(join(root, 'config'));
      expect(packagedConfigFile('tool_bundles.json', from)).toBe(join(root, 'config', 'tool_bundles.json'));
      const err = configError(() => packagedConfigFile('personas.yaml', from));
      expect(err.file).toBe(join(root, 'config', 'personas.yaml'));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('has the three personas the planner relies on', () => {
    const { personas } = DEFAULT_PERSONAS;
    expect(Object.keys(personas)).toEqual(['generalist', 'researcher', 'writer']);
    expect(personas.researcher!.bundles).toEqual(['filesystem', 'web']);
    expect(personas.researcher!.when).toEqual(expect.arrayContaining(['research', 'search', 'find', 'investigate', 'compare']));
    expect(personas.writer!.when).toEqual(expect.arrayContaining(['write', 'summarise', 'summarize', 'document', 'report', 'draft']));
    for (const p of Object.values(personas)) expect(p.prompt.length).toBeGreaterThan(200);
  });

  it('gives every role fully resolved settings', () => {
    const cfg = loadConfig(SHIPPED_DIR, { env: {} });
    const actor = resolveRole(cfg.model, 'actor', 'writer');
    expect(actor).toMatchObject({ role: 'actor', persona: 'writer', provider: 'offline', temperature: 0.2, request_timeout: 60 });
  });
});

describe('personas.yaml absent or empty', () => {
  it('falls back to the built-in personas', () => {
    const cfg = loadConfig(configDir({ 'personas.yaml': null }), { env: {} });
    expect(cfg.personas).toEqual(DEFAULT_PERSONAS);
    expect(cfg.files.personas).toBeNull();
  });

  it('returns a copy, so callers cannot change the defaults', () => {
    const a = loadPersonasConfig('/nonexistent/personas.yaml');
    a.personas.generalist!.bundles.push('x');
    expect(DEFAULT_PERSONAS.personas.generalist!.bundles).toEqual(['filesystem']);
  });

  it('treats an empty file like a missing one', () => {
    const dir = configDir();
    writeFileSync(join(dir, 'personas.yaml'), '# nothing yet\n');
    expect(loadConfig(dir, { env: {} }).personas).toEqual(DEFAULT_PERSONAS);
  });

  it('drops default bundles the tool config does not define', () => {
    const tools = JSON.stringify({ bundles: { filesystem: { description: 'files', tools: ['read_file'] } } });
    const cfg = loadConfig(configDir({ 'personas.yaml': null, 'tool_bundles.json': tools }), { env: {} });
    expect(cfg.personas.personas.researcher!.bundles).toEqual(['filesystem']);
  });
});
