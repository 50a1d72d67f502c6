import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWriteFileTool, writeFileTool } from '../../src/tools/builtin/writeFile.js';
import { tempSpace, type TempSpace } from './helpers.js';

let t: TempSpace;
beforeEach(async () => {
  t = await tempSpace();
});
afterEach(() => t.cleanup());

describe('write_file', () => {
  it('creates parent directories and reports bytes written with the path as reference', async () => {
    const r = await writeFileTool.run({ path: 'docs/new/notes.md', content: 'héllo' }, t.ctx);
    expect(r).toEqual({ ok: true, output: 'Wrote 6 bytes to docs/new/notes.md', references: ['docs/new/notes.md'] });
    expect(await t.read('docs/new/notes.md')).toBe('héllo');
    expect(writeFileTool.sideEffect).toBe(true);
  });

  it('overwrites atomically: no temp file is left and the inode is replaced', async () => {
    const abs = await t.write('a.txt', 'old content');
    const before = await fs.stat(abs);
    const r = await writeFileTool.run({ path: './a.txt', content: 'new', mode: 'overwrite' }, t.ctx);
    expect(r.ok).toBe(true);
    expect(await t.read('a.txt')).toBe('new');
    expect((await fs.stat(abs)).ino).not.toBe(before.ino); // renamed into place, not rewritten in place
    expect(await fs.readdir(t.root)).toEqual(['a.txt']);
  });

  it('refuses content over the limit before touching the disk: no new file, existing file unchanged', async () => {
    const tool = createWriteFileTool({ maxWriteBytes: 10 });
    const r = await tool.run({ path: 'sub/new.txt', content: 'x'.repeat(11) }, t.ctx);
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/^write_file: refused: content is 11 bytes, more than the limit of 10 bytes per call; nothing was written/);
    expect(await t.exists('sub')).toBe(false);
    await t.write('keep.txt', 'original');
    for (const mode of ['overwrite', 'append', 'create'] as const) {
      expect((await tool.run({ path: 'keep.txt', content: 'é'.repeat(6), mode }, t.ctx)).ok).toBe(false); // 12 bytes, 6 chars
    }
    expect(await t.read('keep.txt')).toBe('original');
    expect((await tool.run({ path: 'ok.txt', content: 'x'.repeat(10) }, t.ctx)).ok).toBe(true);
  });

  it('create mode fails on an existing file and leaves it alone', async () => {
    await t.write('exists.txt', 'keep me');
    const r = await writeFileTool.run({ path: 'exists.txt', content: 'other', mode: 'create' }, t.ctx);
    expect(r).toEqual({
      ok: false,
      output: 'write_file: "exists.txt" already exists and mode is "create"; use mode "overwrite" to replace it or "append" to add to it',
    });
    expect(await t.read('exists.txt')).toBe('keep me');
    const fresh = await writeFileTool.run({ path: 'fresh.txt', content: 'abc', mode: 'create' }, t.ctx);
    expect(fresh.output).toBe('Created fresh.txt (3 bytes written)');
  });

  it('appends to new and existing files', async () => {
    await writeFileTool.run({ path: 'log.txt', content: 'one\n', mode: 'append' }, t.ctx);
    const r = await writeFileTool.run({ path: 'log.txt', content: 'two\n', mode: 'append' }, t.ctx);
    expect(r.output).toBe('Appended 4 bytes to log.txt (now 8 bytes)');
    expect(await t.read('log.txt')).toBe('one\ntwo\n');
  });

  it('refuses to write through symlinks that leave the workspace, in every mode', async () => {
    const target = path.join(t.outside, 'victim.txt');
    await fs.writeFile(target, 'untouched');
    await fs.symlink(target, path.join(t.root, 'link.txt'));
    await fs.symlink(t.outside, path.join(t.root, 'outdir'));
    await fs.symlink(path.join(t.outside, 'created-by-model.txt'), path.join(t.root, 'dangling.txt'));
    for (const mode of ['overwrite', 'append', 'create'] as const) {
      for (const p of ['link.txt', 'outdir/victim.txt', 'outdir/sub/new.txt', 'dangling.txt']) {
        const r = await writeFileTool.run({ path: p, content: 'pwned', mode }, t.ctx);
        expect(r.ok, `${mode} ${p}`).toBe(false);
        expect(r.output).toMatch(/outside the workspace/);
      }
    }
    expect(await fs.readFile(target, 'utf8')).toBe('untouched');
    expect(await fs.readdir(t.outside)).toEqual(['victim.txt']);
  });

  it('writes through a symlink that stays inside, keeping the link', async () => {
    await t.write('real/target.txt', 'old');
    await fs.symlink('real/target.txt', path.join(t.root, 'alias.txt'));
    const r = await writeFileTool.run({ path: 'alias.txt', content: 'new' }, t.ctx);
    expect(r.ok).toBe(true);
    expect(await t.read('real/target.txt')).toBe('new');
    expect((await fs.lstat(path.join(t.root, 'alias.txt'))).isSymbolicLink()).toBe(true);
  });

  it('turns directories, traversal and I/O errors into observations', async () => {
    await fs.mkdir(path.join(t.root, 'dir'));
    expect((await writeFileTool.run({ path: 'dir', content: 'x' }, t.ctx)).output).toBe('write_file: "dir" is a directory; choose a file path inside it');
    expect((await writeFileTool.run({ path: '../escape.txt', content: 'x' }, t.ctx)).output).toMatch(/"\.\." segment/);
    expect((await writeFileTool.run({ path: '.', content: 'x' }, t.ctx)).output).toMatch(/workspace root/);
    await t.write('file.txt', 'f');
    expect((await writeFileTool.run({ path: 'file.txt/child.txt', content: 'x' }, t.ctx)).output).toMatch(/^write_file: .*not a directory/);
    expect((await writeFileTool.run(undefined as never, t.ctx)).ok).toBe(false);
  });
});
