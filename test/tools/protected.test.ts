/**
 * Protected paths and file-system containment: the rules, and every file tool
 * obeying them on a real disk (hard links, symlinks swapped in mid-call).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTools } from '../../src/aime/actorLogic.js';
import { createListDirTool, createReadFileTool, createSearchFilesTool, createWriteFileTool } from '../../src/tools/builtin/index.js';
import { createProtectedPaths } from '../../src/tools/protectedPaths.js';
import type { Tool, ToolContext } from '../../src/tools/types.js';
import { tempSpace, type TempSpace } from './helpers.js';

let t: TempSpace;
let ctx: ToolContext;
const read = createReadFileTool();
const write = createWriteFileTool();
const list = createListDirTool();
const search = createSearchFilesTool();

beforeAll(async () => {
  t = await tempSpace();
  await t.write('config/tool_bundles.json', '{"custom_tools": []}');
  await t.write('traces/gepa_history.jsonl', '');
  await t.write('.git/config', '[core]\n');
  await t.write('.env', 'OPENAI_API_KEY=sk-live-secret-value\n');
  await t.write('app/.env.local', 'TOKEN=sk-live-secret-value\n');
  await t.write('secrets/deep/key.pem', 'sk-live-secret-value');
  await t.write('src/a.ts', 'export const a = 1; // sk-live-secret-value is not here\n');
  ctx = {
    workspace: t.root,
    protectedPaths: createProtectedPaths({
      workspace: t.root,
      configDir: path.join(t.root, 'config'),
      tracesDir: path.join(t.root, 'traces'),
      globs: ['.env*', 'secrets'],
    }),
  };
});
afterAll(() => t.cleanup());

describe('createProtectedPaths', () => {
  it('names the rule that applied, per access', () => {
    const p = ctx.protectedPaths!;
    const at = (rel: string) => path.join(t.root, rel);
    expect(p.refusal(at('config/tool_bundles.json'), 'read')).toMatch(/config directory/);
    expect(p.refusal(at('config'), 'write')).toMatch(/^is the config directory/);
    expect(p.refusal(at('traces/runs/x/run.json'), 'write')).toMatch(/traces directory/);
    expect(p.refusal(at('traces/runs/x/run.json'), 'read')).toBeUndefined();
    expect(p.refusal(at('.git/config'), 'write')).toMatch(/VCS metadata \(\.git\)/);
    expect(p.refusal(at('sub/.hg/hgrc'), 'write')).toMatch(/VCS metadata/);
    expect(p.refusal(at('.git/config'), 'read')).toBeUndefined();
    expect(p.refusal(at('.env'), 'read')).toMatch(/protected pattern ".env\*"/);
    expect(p.refusal(at('a/b/.envrc'), 'write')).toMatch(/protected pattern/);
    expect(p.refusal(at('secrets/deep/key.pem'), 'read')).toMatch(/"secrets"/);
    expect(p.refusal(at('src/a.ts'), 'write')).toBeUndefined();
    expect(p.refusal(t.root, 'write')).toBeUndefined();
  });

  it('compares VCS names and globs without regard to case', () => {
    const p = ctx.protectedPaths!;
    expect(p.refusal(path.join(t.root, '.GIT/config'), 'write')).toMatch(/VCS/);
    expect(p.refusal(path.join(t.root, '.ENV'), 'read')).toMatch(/protected/);
  });

  it('defaults to .env* and protects extra files', () => {
    const p = createProtectedPaths({ workspace: t.root, files: [path.join(t.root, 'hist.jsonl')] });
    expect(p.refusal(path.join(t.root, 'x/.env.production'), 'read')).toMatch(/\.env\*/);
    expect(p.refusal(path.join(t.root, 'hist.jsonl'), 'write')).toMatch(/runtime owns/);
    expect(p.globs).toEqual(['.env*']);
    expect(p.masks()).toContainEqual({ path: path.join(t.root, '.git'), deny: 'write' });
  });

  it('never refuses a path outside the protected ones (property)', () => {
    const p = ctx.protectedPaths!;
    const seg = fc.stringMatching(/^[a-z][a-z0-9_-]{0,8}$/).filter((s) => !['config', 'traces', 'secrets'].includes(s));
    fc.assert(
      fc.property(fc.array(seg, { minLength: 1, maxLength: 4 }), (parts) => {
        expect(p.refusal(path.join(t.root, 'w', ...parts), 'write')).toBeUndefined();
      }),
    );
  });
});

async function call(tool: Tool, args: Record<string, unknown>, c: ToolContext = ctx) {
  return tool.run(tool.parameters.parse(args), c);
}

describe('file tools obey the protected paths', () => {
  it.each([
    ['config/tool_bundles.json', /config directory/],
    ['config/evil.mjs', /config directory/],
    ['traces/gepa_history.jsonl', /traces directory/],
    ['.git/config', /VCS metadata/],
    ['.git/hooks/pre-commit', /VCS metadata/],
    ['.env', /protected pattern/],
    ['secrets/new.txt', /protected pattern/],
  ])('write_file refuses %s', async (rel, why) => {
    const before = await t.read(rel).catch(() => null);
    for (const mode of ['overwrite', 'append', 'create']) {
      const r = await call(write, { path: rel, content: 'pwned', mode });
      expect(r.ok).toBe(false);
      expect(r.output).toMatch(why);
      expect(r.output).toMatch(/nothing was written/);
    }
    expect(await t.read(rel).catch(() => null)).toBe(before);
  });

  it('read_file refuses the config dir and .env*, but reads traces and .git', async () => {
    expect((await call(read, { path: 'config/tool_bundles.json' })).output).toMatch(/config directory/);
    expect((await call(read, { path: '.env' })).output).toMatch(/protected pattern/);
    expect((await call(read, { path: 'app/.env.local' })).output).toMatch(/protected pattern/);
    expect((await call(read, { path: '.git/config' })).ok).toBe(true);
    expect((await call(read, { path: 'traces/gepa_history.jsonl' })).ok).toBe(true);
  });

  it('list_dir refuses the config dir; search_files skips protected files', async () => {
    expect((await call(list, { path: 'config' })).output).toMatch(/config directory/);
    const r = await call(search, { query: 'sk-live-secret-value' });
    expect(r.output).toContain('src/a.ts');
    const hits = r.output.split('\n').filter((l) => /^\S+:\d+: /.test(l));
    expect(hits).toEqual([expect.stringMatching(/^src\/a\.ts:1: /)]);
    expect(r.output).toMatch(/skipped 2 protected files/); // .env and app/.env.local; config/ and secrets/ are not entered
    expect((await call(search, { query: 'x', path: 'config' })).output).toMatch(/config directory/);
  });

  it('without protected paths in the context, VCS metadata and .env* are still refused', async () => {
    const bare = { workspace: t.root };
    expect((await call(write, { path: '.git/config', content: 'x' }, bare)).output).toMatch(/VCS/);
    expect((await call(read, { path: '.env' }, bare)).output).toMatch(/protected/);
  });
});

describe('file-system containment', () => {
  it('refuses to read or write a file with more than one hard link', async () => {
    await fs.writeFile(path.join(t.outside, 'victim.txt'), 'outside\n');
    await fs.link(path.join(t.outside, 'victim.txt'), path.join(t.root, 'linked.txt'));
    const r = await call(read, { path: 'linked.txt' });
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/2 hard links/);
    for (const mode of ['append', 'overwrite']) {
      const w = await call(write, { path: 'linked.txt', content: 'pwned\n', mode });
      expect(w.ok).toBe(false);
      expect(w.output).toMatch(/hard links/);
    }
    expect(await fs.readFile(path.join(t.outside, 'victim.txt'), 'utf8')).toBe('outside\n');
  });

  it('never writes outside the workspace while a directory is swapped for a symlink (400 attempts)', async () => {
    await fs.mkdir(path.join(t.root, 'race'), { recursive: true });
    const real = path.join(t.root, 'race', 'dir');
    const aside = path.join(t.root, 'race', 'dir-real');
    await fs.mkdir(real);
    let stop = false;
    // The attacker flips race/dir between a real directory and a symlink to outside, as fast as it can.
    const flipper = (async () => {
      while (!stop) {
        await fs.rename(real, aside).catch(() => undefined);
        await fs.symlink(t.outside, real).catch(() => undefined);
        await new Promise((r) => setImmediate(r));
        await fs.rm(real, { force: true }).catch(() => undefined);
        await fs.rename(aside, real).catch(() => undefined);
        await new Promise((r) => setImmediate(r));
      }
    })();
    const results = [];
    for (let i = 0; i < 400; i++) {
      results.push(await call(write, { path: `race/dir/f${i}.txt`, content: 'x', mode: i % 2 ? 'append' : 'overwrite' }));
      results.push(await call(read, { path: `race/dir/f${i}.txt` }));
    }
    stop = true;
    await flipper;
    const leaked = (await fs.readdir(t.outside)).filter((n) => n.startsWith('f') || n.includes('.tmp'));
    expect(leaked).toEqual([]);
    expect(results.some((r) => r.ok)).toBe(true); // the tools still work between the flips
  });

  it('refuses a final symlink that appears where a file was checked', async () => {
    await fs.symlink(path.join(t.outside, 'victim.txt'), path.join(t.root, 'late-link'));
    const r = await call(write, { path: 'late-link', content: 'x', mode: 'append' });
    expect(r.ok).toBe(false);
    expect(await fs.readFile(path.join(t.outside, 'victim.txt'), 'utf8')).toBe('outside\n');
  });
});

describe('per-step limits', () => {
  const spec = (names: string[]) => ({ taskId: 't', dispatchId: 'd', tools: names.map((name) => ({ name, description: '', parameters: {} })) });
  const tools = new Map<string, Tool>([['write_file', write]]);

  it('a step writes at most max_step_write_bytes across all its calls', async () => {
    const mib = 'y'.repeat(1 << 20);
    const calls = Array.from({ length: 40 }, (_, i) => ({
      id: `c${i}`,
      name: 'write_file',
      arguments: JSON.stringify({ path: 'budget.txt', content: mib, mode: 'append' }),
    }));
    const outcomes = await runTools({ spec: spec(['write_file']), calls } as never, tools, ctx, undefined, { maxWriteBytes: 4 << 20, maxToolCalls: 100 });
    expect(outcomes.filter((o) => o.ok)).toHaveLength(4);
    expect(outcomes[4]!.observation).toMatch(/this step may write only 0 more \(at most 4194304 bytes per step/);
    expect((await fs.stat(path.join(t.root, 'budget.txt'))).size).toBe(4 << 20);
  });

  it('runs at most max_tool_calls_per_step calls; the rest are "not run: limit"', async () => {
    const calls = Array.from({ length: 1000 }, (_, i) => ({
      id: `c${i}`,
      name: 'write_file',
      arguments: JSON.stringify({ path: `many/${i}.txt`, content: 'x' }),
    }));
    const outcomes = await runTools({ spec: spec(['write_file']), calls } as never, tools, ctx, undefined, { maxToolCalls: 16 });
    expect(outcomes).toHaveLength(1000);
    expect(outcomes.filter((o) => o.ok)).toHaveLength(16);
    expect(outcomes[16]!.observation).toMatch(/^not run: limit of 16 tool calls per step/);
    expect(await fs.readdir(path.join(t.root, 'many'))).toHaveLength(16);
  });
});
