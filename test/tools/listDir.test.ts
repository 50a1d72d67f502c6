import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createListDirTool, listDirTool } from '../../src/tools/builtin/listDir.js';
import { tempSpace, type TempSpace } from './helpers.js';

let t: TempSpace;
beforeAll(async () => {
  t = await tempSpace();
  await t.write('README.md', '# hi\n');
  await t.write('package.json', '{}');
  await t.write('src/index.ts', 'x'.repeat(2048));
  await t.write('src/lib/util.ts', 'u');
  await t.write('src/lib/deep/er/most.ts', 'm');
  await t.write('node_modules/dep/index.js', 'd');
  await t.write('.git/HEAD', 'ref');
  await t.write('.env', 'SECRET=1');
  await t.write('b/z.txt', 'z');
  await fs.symlink(t.outside, path.join(t.root, 'outlink'));
});
afterAll(() => t.cleanup());

describe('list_dir', () => {
  it('lists direct entries by default: dirs first with "/", files with sizes, hidden left out', async () => {
    const r = await listDirTool.run({}, t.ctx);
    expect(r.ok).toBe(true);
    expect(r.output).toBe(
      ['Contents of "." (depth 1):', 'b/', 'node_modules/ (not expanded)', 'src/', 'README.md (5 B)', 'outlink (symlink)', 'package.json (2 B)'].join('\n'),
    );
    expect(r.references).toEqual(['.']);
  });

  it('descends to the requested depth with two-space indents', async () => {
    const r = await listDirTool.run({ path: 'src', depth: 2 }, t.ctx);
    expect(r.output).toBe(['Contents of "src" (depth 2):', 'lib/', '  deep/', '  util.ts (1 B)', 'index.ts (2.0 KB)'].join('\n'));
    const deep = await listDirTool.run({ path: 'src', depth: 4 }, t.ctx);
    expect(deep.output).toContain('      most.ts (1 B)');
  });

  it('shows hidden entries on request but never expands .git or node_modules', async () => {
    const r = await listDirTool.run({ depth: 3, include_hidden: true }, t.ctx);
    expect(r.output).toContain('\n.git/ (not expanded)\n');
    expect(r.output).toContain('\n.env (8 B)');
    expect(r.output).toContain('node_modules/ (not expanded)');
    expect(r.output).not.toContain('HEAD');
    expect(r.output).not.toContain('dep/');
  });

  it('caps the number of entries with a note', async () => {
    const r = await createListDirTool({ maxEntries: 3 }).run({ depth: 4 }, t.ctx);
    const lines = r.output.split('\n');
    expect(lines).toHaveLength(1 + 3 + 1);
    expect(lines.at(-1)).toMatch(/^\[listing truncated after 3 entries; list a subdirectory or use a smaller depth/);
  });

  it('refuses files, missing paths and escapes as observations', async () => {
    expect((await listDirTool.run({ path: 'README.md' }, t.ctx)).output).toBe('list_dir: "README.md" is a file, not a directory; use read_file to read it');
    expect((await listDirTool.run({ path: 'nope' }, t.ctx)).output).toMatch(/^list_dir: no such file or directory "nope"/);
    expect((await listDirTool.run({ path: 'outlink' }, t.ctx)).output).toMatch(/outside the workspace/);
    expect((await listDirTool.run({ path: '..' }, t.ctx)).ok).toBe(false);
  });

  it('says when a directory is empty', async () => {
    await fs.mkdir(path.join(t.root, 'empty'));
    expect((await listDirTool.run({ path: 'empty' }, t.ctx)).output).toBe('Contents of "empty" (depth 1):\n[empty directory (hidden entries not shown)]');
  });
});
