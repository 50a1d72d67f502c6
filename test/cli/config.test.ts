/**
 * `init`, `config check`, typo warnings and YAML error positions through the
 * built CLI.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { defaultPersonasConfig, defaultToolBundles } from '../../src/config/index.js';
import { ensureBuilt, runTimed as runCli, tempDirSync } from '../support/providerCli.js';

let dir: string;
beforeAll(() => ensureBuilt());
beforeEach(() => {
  dir = tempDirSync('gepa-init-');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, { cwd: dir, env } as never);

describe('init', () => {
  it('writes a commented config/ that loads, adds traces/ to .gitignore once, and refuses to overwrite without --force', async () => {
    fs.writeFileSync(path.join(dir, '.gitignore'), 'node_modules/');
    const first = await cli(['init']);
    expect(first.code).toBe(0);
    for (const f of ['model_config.yaml', 'gepa_config.yaml', 'tool_bundles.json', 'personas.yaml'])
      expect(fs.existsSync(path.join(dir, 'config', f))).toBe(true);
    const model = fs.readFileSync(path.join(dir, 'config', 'model_config.yaml'), 'utf8');
    expect(model).toContain('# To use a model server instead of the offline model');
    expect(model).toMatch(/provider: offline +# offline \| vllm \| openai \| replay/);
    expect(fs.readFileSync(path.join(dir, '.gitignore'), 'utf8')).toBe('node_modules/\n# GEPA-AIME run traces and learning history\ntraces/\n');
    // The files init writes state the built-in defaults: one source (the shipped config/).
    const written = (f: string) => fs.readFileSync(path.join(dir, 'config', f), 'utf8');
    expect(JSON.parse(written('tool_bundles.json')).bundles).toEqual(defaultToolBundles());
    expect(parseYaml(written('personas.yaml'))).toEqual(defaultPersonasConfig());

    fs.writeFileSync(path.join(dir, 'config', 'model_config.yaml'), 'provider: offline\n# mine\n');
    const again = await cli(['init']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/model_config\.yaml.* already exist; pass --force to overwrite/);
    expect(fs.readFileSync(path.join(dir, 'config', 'model_config.yaml'), 'utf8')).toBe('provider: offline\n# mine\n');

    const forced = await cli(['init', '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('.gitignore already ignores traces/');
    expect(fs.readFileSync(path.join(dir, 'config', 'model_config.yaml'), 'utf8')).toBe(model);
    expect(fs.readFileSync(path.join(dir, '.gitignore'), 'utf8').match(/traces\//g)).toHaveLength(1);

    // The scaffold is what a run loads from ./config.
    const check = await cli(['config', 'check']);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain(`config_dir: ${path.join(dir, 'config')}`);
  });
});

describe('config check', () => {
  it('prints the resolved config with flags and environment applied, secrets redacted', async () => {
    await cli(['init']);
    const file = path.join(dir, 'config', 'model_config.yaml');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/^api_key: null.*$/m, 'api_key: sk-abcdefghijklmnopqrstuvwxyz012345'));
    const r = await cli(['config', 'check', '--api-base', 'http://127.0.0.1:9999/v1', '--model', 'm'], {
      GEPA_AIME_API_KEY: 'sk-fromtheenvironment0123456789',
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('provider: openai');
    expect(r.stdout).toContain('api_base: http://127.0.0.1:9999/v1');
    expect(r.stdout).toContain('api_key: "[redacted]"');
    expect(r.stdout).not.toContain('sk-');
    expect(r.stdout).toMatch(/config ok\n$/);
  });

  it('a bad value is exit 2 with file, line and key', async () => {
    await cli(['init']);
    const file = path.join(dir, 'config', 'model_config.yaml');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/^request_timeout: 60/m, 'request_timeout: sixty'));
    const r = await cli(['config', 'check']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/model_config\.yaml:\d+: request_timeout: expected a positive number, found "sixty" \(string\)/);
  });
});

describe('typos and syntax errors', () => {
  it('an unknown key close to a known one still goes to extra_params, with a "did you mean" warning at its line', async () => {
    await cli(['init']);
    const file = path.join(dir, 'config', 'model_config.yaml');
    const text = fs
      .readFileSync(file, 'utf8')
      .replace(/^request_timeout: 60.*$/m, 'request_timout: 60')
      .concat('top_k: 20\n');
    fs.writeFileSync(file, text);
    const line = text.split('\n').findIndex((l) => l.startsWith('request_timout')) + 1;
    const r = await cli(['config', 'check']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      `gepa-aime: warning: ${file}:${line}: request_timout is not a known setting (it is passed to the provider in extra_params); did you mean request_timeout?\n`,
    );
    expect(r.stdout).toMatch(/extra_params:\n {4}request_timout: 60\n {4}top_k: 20/); // top_k is a vLLM knob, not a typo
  });

  it('a YAML syntax error points at the line and column where it is', async () => {
    await cli(['init']);
    const file = path.join(dir, 'config', 'model_config.yaml');
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    const at = lines.findIndex((l) => l.startsWith('model:'));
    lines[at] = 'model: "Qwen/Qwen3-8B';
    fs.writeFileSync(file, lines.join('\n'));
    const r = await cli(['run', 'Summarise the layout']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:${at + 1}:8: invalid YAML: Missing closing "quote`);
  });
});
