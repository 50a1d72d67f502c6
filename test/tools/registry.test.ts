import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invokeTool } from '../../src/tools/invoke.js';
import { loadToolRegistry, ToolConfigError, type RegistryConfig } from '../../src/tools/registry.js';

// Under the repo (git-ignored) so the custom modules' `import 'zod'` finds node_modules.
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let configDir: string;

const WORD_COUNT = `
import { z } from 'zod';
export default {
  name: 'word_count',
  description: 'Count the words in a text.',
  parameters: z.object({ text: z.string() }),
  sideEffect: false,
  async run({ text }) {
    return { ok: true, output: String(text.split(/\\s+/).filter(Boolean).length) };
  },
};
export const shout = {
  name: 'shout',
  description: 'Upper-case a text.',
  parameters: z.object({ text: z.string() }),
  async run({ text }) { return { ok: true, output: text.toUpperCase() }; },
};
export const notATool = { name: 'nope', description: 'missing run', parameters: z.object({}) };
export const zod3Like = { name: 'old', description: 'plain object schema', parameters: { type: 'object' }, run() {} };
export const duplicate = { name: 'read_file', description: 'clash', parameters: z.object({}), async run() { return { ok: true, output: '' }; } };
`;

beforeAll(async () => {
  await fs.mkdir(path.join(repo, '.workspace-tmp'), { recursive: true });
  configDir = await fs.mkdtemp(path.join(repo, '.workspace-tmp', 'registry-'));
  await fs.mkdir(path.join(configDir, 'tools'));
  await fs.writeFile(path.join(configDir, 'tools', 'word-count.mjs'), WORD_COUNT);
  await fs.writeFile(path.join(configDir, 'tools', 'broken.mjs'), 'export default {{ syntax error');
});
afterAll(() => fs.rm(configDir, { recursive: true, force: true }));

function config(overrides: Partial<RegistryConfig> = {}): RegistryConfig {
  return {
    bundles: {
      filesystem: { description: 'Files in the workspace', tools: ['read_file', 'list_dir', 'write_file', 'search_files'] },
      web: { description: 'The web', tools: ['web_search'] },
      text: { description: 'Text utilities', tools: ['word_count', 'read_file'] },
    },
    default_bundles: ['filesystem'],
    custom_tools: [{ module: './tools/word-count.mjs', export: 'default' }],
    web_search: null,
    limits: { max_write_bytes: 1_048_576, max_read_bytes: 262_144 },
    ...overrides,
  };
}

async function configError(cfg: RegistryConfig): Promise<string> {
  const err = await loadToolRegistry(cfg, { configDir }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ToolConfigError);
  return (err as Error).message;
}

describe('loadToolRegistry', () => {
  it('builds the bundles from built-in and custom tools', async () => {
    // The sandboxed shell is its own bundle where bubblewrap works (test/tools/shell.test.ts).
    const reg = await loadToolRegistry(config(), { configDir, shell: false });
    expect([...reg.tools.keys()].sort()).toEqual(['list_dir', 'read_file', 'search_files', 'update_progress', 'web_search', 'word_count', 'write_file']);
    expect([...reg.bundles.keys()]).toEqual(['filesystem', 'web', 'text']);
    expect(reg.bundles.get('filesystem')).toMatchObject({ name: 'filesystem', description: 'Files in the workspace' });
    expect(reg.bundles.get('filesystem')!.tools.map((t) => t.name)).toEqual(['read_file', 'list_dir', 'write_file', 'search_files']);
    expect(reg.defaultBundles).toEqual(['filesystem']);
  });

  it('bundleFor dedupes, ignores unknown bundles and always ends with update_progress', async () => {
    const reg = await loadToolRegistry(config(), { configDir });
    expect(reg.bundleFor(['text', 'filesystem', 'nope']).map((t) => t.name)).toEqual([
      'word_count',
      'read_file',
      'list_dir',
      'write_file',
      'search_files',
      'update_progress',
    ]);
    expect(reg.bundleFor([]).map((t) => t.name)).toEqual(['update_progress']);
    expect(reg.specsFor(['web']).map((s) => s.name)).toEqual(['web_search', 'update_progress']);
    expect(reg.specsFor(['web'])[0]!.parameters).toMatchObject({ type: 'object', required: ['query'] });
  });

  it('runs a custom tool through invokeTool', async () => {
    const reg = await loadToolRegistry(config(), { configDir });
    expect(await invokeTool(reg.tools, { name: 'word_count', arguments: '{"text":"one two  three"}' }, { workspace: configDir })).toEqual({
      ok: true,
      output: '3',
    });
  });

  it('defaults the export to "default" and sideEffect to true when a custom tool does not say', async () => {
    const reg = await loadToolRegistry(config({ custom_tools: [{ module: './tools/word-count.mjs' }, { module: 'tools/word-count.mjs', export: 'shout' }] }), {
      configDir,
    });
    expect(reg.tools.get('word_count')!.sideEffect).toBe(false);
    expect(reg.tools.get('shout')!.sideEffect).toBe(true);
    expect(await reg.tools.get('shout')!.run({ text: 'hi' }, { workspace: configDir })).toEqual({ ok: true, output: 'HI' });
  });

  it('applies the limits to the built-in file tools', async () => {
    const ws = await fs.mkdtemp(path.join(configDir, 'ws-'));
    const reg = await loadToolRegistry(config({ limits: { max_write_bytes: 4 } }), { configDir });
    const r = await reg.tools.get('write_file')!.run({ path: 'a.txt', content: '12345' }, { workspace: ws });
    expect(r.output).toMatch(/limit of 4 bytes/);
  });

  it('names the bundle, the tool and the known tools for an unknown tool in a bundle', async () => {
    const msg = await configError(config({ bundles: { ops: { description: 'x', tools: ['read_file', 'shell'] } }, default_bundles: [] }));
    expect(msg).toBe(
      `bundle "ops" in ${path.join(configDir, 'tool_bundles.json')} names unknown tool "shell"; known tools: list_dir, read_file, search_files, update_progress, web_search, word_count, write_file`,
    );
  });

  it('rejects default bundles that do not exist', async () => {
    expect(await configError(config({ default_bundles: ['filesystem', 'ghost'] }))).toMatch(/default_bundles .* unknown bundle "ghost"/);
  });

  it('gives a clear error naming the module and the bundles file for a bad custom module', async () => {
    const file = path.join(configDir, 'tool_bundles.json');
    const missing = await configError(config({ custom_tools: [{ module: './tools/missing.mjs' }] }));
    expect(missing).toBe(`custom tool module "./tools/missing.mjs" (listed in ${file}) was not found at ${path.join(configDir, 'tools/missing.mjs')}`);
    expect(await configError(config({ custom_tools: [{ module: './tools/broken.mjs' }] }))).toMatch(
      /^custom tool module "\.\/tools\/broken\.mjs" \(listed in .*tool_bundles\.json\) failed to load: /,
    );
    expect(await configError(config({ custom_tools: [{ module: './tools/word-count.mjs', export: 'nothing' }] }))).toMatch(
      /has no export "nothing" \(it exports: default, duplicate, notATool, shout, zod3Like\)/,
    );
    expect(await configError(config({ custom_tools: [{ module: './tools/word-count.mjs', export: 'notATool' }] }))).toMatch(
      /export "notATool" is not a tool: "run" must be a function/,
    );
    expect(await configError(config({ custom_tools: [{ module: './tools/word-count.mjs', export: 'zod3Like' }] }))).toMatch(
      /"parameters" must be a zod 4 schema/,
    );
    expect(await configError(config({ custom_tools: [{ module: './tools/word-count.mjs', export: 'duplicate' }] }))).toMatch(
      /defines "read_file", which is already a built-in tool/,
    );
  });

  it('uses the given bundles file name in messages', async () => {
    const err = await loadToolRegistry(config({ custom_tools: [{ module: 'x.mjs' }] }), { configDir, configFile: 'config/tool_bundles.json' }).catch(
      (e: Error) => e,
    );
    expect((err as Error).message).toMatch(/\(listed in config\/tool_bundles\.json\)/);
  });
});
