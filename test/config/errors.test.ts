import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_CONFIG_BYTES, loadConfig, loadGepaConfig, loadModelConfig, loadToolBundlesConfig, parseConfigText } from '../../src/config/index.js';
import { configDir, configError } from './fixtures.js';

const TOOLS = 'config/tool_bundles.json';

describe('missing files and dirs', () => {
  it('names a missing required file', () => {
    const dir = configDir({ 'gepa_config.yaml': null });
    const err = configError(() => loadConfig(dir, { env: {} }));
    expect(err.file).toBe(join(dir, 'gepa_config.yaml'));
    expect(err.message).toBe(`${join(dir, 'gepa_config.yaml')}: required config file not found`);
  });

  it('reports every missing file at once', () => {
    const dir = configDir({ 'model_config.yaml': null, 'gepa_config.yaml': null, 'tool_bundles.json': null });
    const err = configError(() => loadConfig(dir, { env: {} }));
    expect(err.issues.map((i) => i.file)).toEqual(['tool_bundles.json', 'model_config.yaml', 'gepa_config.yaml'].map((f) => join(dir, f)));
  });

  it('names a missing config dir', () => {
    const err = configError(() => loadConfig('/no/such/config-dir'));
    expect(err.message).toBe('/no/such/config-dir: config directory not found');
  });

  it('refuses a directory where a file should be', () => {
    const dir = configDir({ 'model_config.yaml': null });
    mkdirSync(join(dir, 'model_config.yaml'));
    expect(configError(() => loadConfig(dir, { env: {} })).message).toContain('model_config.yaml: not a regular file');
  });

  it('each per-file loader throws ConfigError for a missing file', () => {
    for (const load of [() => loadModelConfig('/nope/m.yaml', {}), () => loadGepaConfig('/nope/g.yaml'), () => loadToolBundlesConfig('/nope/t.json')]) {
      expect(configError(load).message).toMatch(/^\/nope\/\w\.(yaml|json): required config file not found$/);
    }
  });
});

describe('syntax errors', () => {
  it('YAML: names file, line and column of what was left open', () => {
    const err = configError(() => parseConfigText('model', 'provider: offline\nmodel: [a, b\nstream: true\n', 'config/model_config.yaml'));
    expect(err.file).toBe('config/model_config.yaml');
    expect(err.line).toBe(2);
    expect(err.message).toMatch(/^config\/model_config\.yaml:2:8: invalid YAML: /);
    const quote = configError(() =>
      parseConfigText(
        'model',
        `${'temperature: 0.2\n'.repeat(0)}provider: offline\n${'# filler\n'.repeat(18)}stream: true\nmodel: "Qwen/Qwen3-8B\nseed: 1\n`,
        'm.yaml',
      ),
    );
    expect(quote.message).toBe('m.yaml:21:8: invalid YAML: Missing closing "quote');
  });

  it('YAML: duplicate keys are an error on the second one', () => {
    const err = configError(() => parseConfigText('gepa', 'online:\n  window: 3\n  window: 4\n', 'g.yaml'));
    expect(err.line).toBe(3);
    expect(err.message).toContain('unique');
  });

  it('YAML: list or mapping keys are refused', () => {
    const err = configError(() => parseConfigText('model', 'extra_params:\n  ? [a, b]\n  : 1\n', 'm.yaml'));
    expect(err.message).toBe('m.yaml:2: invalid YAML: a key must be plain text, not a list or mapping');
  });

  it('YAML: several documents are refused', () => {
    expect(configError(() => parseConfigText('gepa', 'online: {}\n---\noffline: {}\n')).line).toBe(2);
  });

  it.each([
    ['trailing comma', '{\n  "bundles": {},\n  "default_bundles": [],\n}\n', 4, 'trailing comma before "}"'],
    ['missing comma', '{\n  "default_bundles": []\n  "custom_tools": []\n}', 3, 'expected "," or "}", found "\\""'],
    ['comment', '{\n  // bundles\n  "bundles": {}\n}', 2, 'comments are not allowed'],
    ['unterminated string', '{\n  "bundles": {},\n  "default_bundles": ["file\n  ]\n}', 3, 'line break or control character in string'],
    ['single quotes', "{\n\n  'bundles': {}\n}", 3, 'JSON strings use double quotes'],
    ['empty file', '', 1, 'expected a value, found end of file'],
    ['unclosed', '{\n  "bundles": {\n', 3, 'expected a double-quoted key, found end of file'],
    ['garbage after', '{}\n{}', 2, 'after the end of the JSON value'],
  ])('JSON %s: names file and line', (_name, text, line, reason) => {
    const err = configError(() => parseConfigText('tools', text, TOOLS));
    expect(err.line).toBe(line);
    expect(err.message).toContain(`${TOOLS}:${line}: invalid JSON: `);
    expect(err.message).toContain(reason);
  });

  it('refuses bytes that are not UTF-8', () => {
    const dir = configDir();
    writeFileSync(join(dir, 'gepa_config.yaml'), Buffer.from([0x6f, 0x6e, 0x3a, 0x20, 0xff, 0xfe, 0x0a]));
    expect(configError(() => loadConfig(dir, { env: {} })).message).toContain('not valid UTF-8');
  });
});

describe('hostile input', () => {
  const laughs = [
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    ...'bcdefghi'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(',')}]`),
  ].join('\n');

  it('refuses a billion-laughs alias bomb quickly', () => {
    const start = Date.now();
    const err = configError(() => parseConfigText('model', laughs, 'bomb.yaml'));
    expect(Date.now() - start).toBeLessThan(1000);
    expect(err.message).toMatch(/^bomb\.yaml: YAML aliases \(\*name\) expand too much/);
  });

  it('still allows a few aliases', () => {
    const cfg = parseConfigText('model', 'roles:\n  planner: &low {temperature: 0.1}\n  reflection: *low\n');
    expect(cfg.roles.reflection).toEqual({ temperature: 0.1 });
  });

  it('refuses files over 1 MiB without reading them', () => {
    const dir = configDir();
    writeFileSync(join(dir, 'model_config.yaml'), `# ${'x'.repeat(MAX_CONFIG_BYTES)}\n`);
    const err = configError(() => loadConfig(dir, { env: {} }));
    expect(err.message).toBe(`${join(dir, 'model_config.yaml')}: file is too large (1.0 MiB); config files are limited to 1 MiB`);
  });

  it('refuses over-long text given directly', () => {
    expect(configError(() => parseConfigText('tools', `"${'é'.repeat(MAX_CONFIG_BYTES / 2)}"`)).message).toContain('too large');
  });

  it('lists a few dozen problems and counts the rest', () => {
    const text = Array.from({ length: 5000 }, (_, i) => `key_${i}: 1`).join('\n');
    const start = Date.now();
    const err = configError(() => parseConfigText('gepa', text, 'g.yaml'));
    expect(Date.now() - start).toBeLessThan(2000);
    expect(err.issues).toHaveLength(50);
    expect(err.omitted).toBe(4950);
    expect(err.message.split('\n')[0]).toBe('5000 problems in the configuration:');
    expect(err.message.split('\n').at(-1)).toBe('  … and 4950 more problems');
  });

  it('refuses absurd nesting with a ConfigError', () => {
    for (const [kind, text] of [
      ['gepa', '['.repeat(200_000)],
      ['tools', '['.repeat(200_000) + ']'.repeat(200_000)],
      ['model', `a: ${'['.repeat(50_000)}${']'.repeat(50_000)}`],
    ] as const) {
      const start = Date.now();
      expect(configError(() => parseConfigText(kind, text)).message).toContain('nested too deeply (more than 100 levels)');
      expect(Date.now() - start).toBeLessThan(500);
    }
    expect(configError(() => parseConfigText('model', `x:\n${'- '.repeat(1000)}1\n`)).line).toBe(2);
    // Brackets inside quoted text are not nesting.
    expect(parseConfigText('model', `extra_params: {stop: ["${'['.repeat(300)}", '${'{'.repeat(300)}']}\n`).extra_params.stop).toHaveLength(2);
  });
});

describe('tool_bundles.json', () => {
  const base = {
    bundles: {
      filesystem: { description: 'files', tools: ['read_file'] },
      web: { description: 'web', tools: ['web_search'] },
    },
  };

  it('default_bundles must name defined bundles: key path, line and known bundles', () => {
    const text = JSON.stringify({ ...base, default_bundles: ['filesystem', 'webb'] }, null, 2);
    const err = configError(() => parseConfigText('tools', text, TOOLS));
    const line = text.split('\n').findIndex((l) => l.includes('"webb"')) + 1;
    expect(err.message).toBe(`${TOOLS}:${line}: default_bundles[1]: expected a bundle defined in "bundles" (filesystem, web), found unknown bundle "webb"`);
  });

  it('reports type errors with JSON line numbers, together with the cross-key check', () => {
    const text = [
      '{',
      '  "bundles": { "filesystem": { "description": "", "tools": "read_file" } },',
      '  "default_bundles": ["web"],',
      '  "custom_tools": [{ "module": "./tools/x.js", "exports": "x" }],',
      '  "web_search": { "provider": "searxng", "max_results": 50 },',
      '  "limits": { "max_read_bytes": 1.5 }',
      '}',
    ].join('\n');
    const err = configError(() => parseConfigText('tools', text, TOOLS));
    expect(err.issues.map((i) => [i.line, i.keyPath])).toEqual([
      [2, 'bundles.filesystem.description'],
      [2, 'bundles.filesystem.tools'],
      [3, 'default_bundles[0]'],
      [4, 'custom_tools[0].exports'],
      [5, 'web_search.max_results'],
      [5, 'web_search.url'],
      [6, 'limits.max_read_bytes'],
    ]);
  });

  it('fills custom tool and web search defaults', () => {
    const cfg = parseConfigText(
      'tools',
      JSON.stringify({ custom_tools: [{ module: './my-tools.js' }], web_search: { provider: 'brave', api_key_env: 'BRAVE_KEY' } }),
    );
    expect(cfg.custom_tools).toEqual([{ module: './my-tools.js', export: 'default' }]);
    expect(cfg.web_search).toEqual({ provider: 'brave', api_key_env: 'BRAVE_KEY' });
  });

  it('rejects bad bundle names and non-object files', () => {
    expect(configError(() => parseConfigText('tools', '{"bundles": {"my bundle": {"description": "d", "tools": []}}}')).keyPath).toBe('bundles["my bundle"]');
    expect(configError(() => parseConfigText('tools', '[]', TOOLS)).message).toMatch(/^config\/tool_bundles\.json:1: expected a JSON object/);
  });
});

describe('gepa_config.yaml', () => {
  it('rejects unknown keys with path and line', () => {
    const err = configError(() => parseConfigText('gepa', 'online:\n  enabled: true\n  windw: 10\noffline:\n  seed: 1\nextra: 1\n', 'g.yaml'));
    expect(err.issues.map((i) => [i.line, i.keyPath])).toEqual([
      [3, 'online.windw'],
      [6, 'extra'],
    ]);
    expect(err.issues[0]!.message).toContain('did you mean "window"?');
  });

  it('checks ranges and the reflection template placeholders', () => {
    const err = configError(() =>
      parseConfigText(
        'gepa',
        'online:\n  recency_decay: 0\n  every_n_goals: 1.5\noffline:\n  candidate_selection: best\n  reflection_prompt_template: "improve <curr_param>"\n',
      ),
    );
    expect(err.issues.map((i) => i.keyPath)).toEqual([
      'online.recency_decay',
      'online.every_n_goals',
      'offline.candidate_selection',
      'offline.reflection_prompt_template',
    ]);
    const ok = parseConfigText('gepa', 'offline:\n  reflection_prompt_template: "Improve <curr_param> given <side_info>"\n');
    expect(ok.offline.reflection_prompt_template).toContain('<side_info>');
  });
});

describe('personas.yaml', () => {
  const persona = (bundles: string) => `{description: d, prompt: p, bundles: ${bundles}}`;

  it('default_persona must exist', () => {
    const err = configError(() => parseConfigText('personas', `personas:\n  a: ${persona('[]')}\ndefault_persona: b\n`, 'p.yaml'));
    expect(err.message).toBe('p.yaml:3: default_persona: expected the name of a persona defined under personas (a), found unknown persona "b"');
  });

  it('persona bundles must exist in tool_bundles.json (checked by loadConfig)', () => {
    const dir = configDir({ 'personas.yaml': `default_persona: a\npersonas:\n  a: ${persona('[filesystem, webz]')}\n` });
    const err = configError(() => loadConfig(dir, { env: {} }));
    expect(err).toMatchObject({ file: join(dir, 'personas.yaml'), keyPath: 'personas.a.bundles[1]', line: 3 });
    expect(err.expected).toContain('filesystem, web');
  });

  it('model persona overrides must name a persona (checked by loadConfig)', () => {
    const dir = configDir({ 'model_config.yaml': 'roles:\n  personas:\n    wirter: {temperature: 0.9}\n' });
    const err = configError(() => loadConfig(dir, { env: {} }));
    expect(err).toMatchObject({ keyPath: 'roles.personas.wirter', line: 3 });
  });

  it('lists missing persona fields', () => {
    const err = configError(() => parseConfigText('personas', 'default_persona: a\npersonas:\n  a:\n    description: d\n'));
    expect(err.issues.map((i) => [i.keyPath, i.line, i.found])).toEqual([
      ['personas.a.prompt', 3, 'nothing (key is missing)'],
      ['personas.a.bundles', 3, 'nothing (key is missing)'],
    ]);
  });
});

describe('several files at once', () => {
  it('merges problems from every file into one ConfigError', () => {
    const dir = configDir({ 'gepa_config.yaml': 'online: {window: 0}\n', 'tool_bundles.json': '{"default_bundles": 3}' });
    writeFileSync(join(dir, 'model_config.yaml'), 'stream: maybe\n');
    const err = configError(() => loadConfig(dir, { env: {} }));
    expect(err.issues.map((i) => i.keyPath)).toEqual(['default_bundles', 'stream', 'online.window']);
    expect(err.message.split('\n')).toHaveLength(4);
  });
});
