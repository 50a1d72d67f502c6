import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReadFileTool, readFileTool } from '../../src/tools/builtin/readFile.js';
import { tempSpace, type TempSpace } from './helpers.js';

let t: TempSpace;
beforeAll(async () => {
  t = await tempSpace();
  await t.write('hello.txt', 'hello\nworld\n');
  await t.write('big.txt', 'x'.repeat(40_000));
  await t.write('utf8.txt', 'ééééé'); // 2 bytes per character
  await t.write('bin.dat', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x02]));
  await t.write('empty.txt', '');
  await fs.mkdir(path.join(t.root, 'dir'));
  await fs.writeFile(path.join(t.outside, 'secret.txt'), 'secret');
  await fs.symlink(path.join(t.outside, 'secret.txt'), path.join(t.root, 'leak.txt'));
});
afterAll(() => t.cleanup());

describe('read_file', () => {
  it('returns the text of a small file with the path as reference', async () => {
    const r = await readFileTool.run({ path: 'hello.txt' }, t.ctx);
    expect(r).toEqual({ ok: true, output: 'hello\nworld\n', references: ['hello.txt'] });
  });

  it('truncates at max_bytes and says which offset to read next', async () => {
    const r = await readFileTool.run({ path: 'big.txt', max_bytes: 1000 }, t.ctx);
    expect(r.ok).toBe(true);
    const [body, note] = r.output.split('\n');
    expect(body).toBe('x'.repeat(1000));
    expect(note).toMatch(/^\[truncated: showed bytes 0-999 of 40000; .*"offset": 1000\}\]$/);
    const next = await readFileTool.run({ path: 'big.txt', offset: 39_990 }, t.ctx);
    expect(next.output).toBe(`${'x'.repeat(10)}\n[showed bytes 39990-39999 of 40000; end of file]`);
  });

  it('never returns more than the configured read limit, whatever max_bytes says', async () => {
    const tool = createReadFileTool({ maxReadBytes: 100 });
    const r = await tool.run({ path: 'big.txt', max_bytes: 1_000_000 }, t.ctx);
    expect(r.output.split('\n')[0]).toHaveLength(100);
    expect(r.output).toContain('"offset": 100}');
    const d = await readFileTool.run({ path: 'big.txt' }, t.ctx);
    expect(d.output).toContain('of 40000'); // the default window is smaller than the file
  });

  it('does not split UTF-8 characters at the window edges', async () => {
    const r = await readFileTool.run({ path: 'utf8.txt', max_bytes: 5 }, t.ctx);
    expect(r.output.split('\n')[0]).toBe('éé');
    expect(r.output).toContain('"offset": 4}');
    const mid = await readFileTool.run({ path: 'utf8.txt', offset: 1 }, t.ctx);
    expect(mid.output.split('\n')[0]).toBe('éééé');
  });

  it('refuses binary files and directories with a clear message', async () => {
    const bin = await readFileTool.run({ path: 'bin.dat' }, t.ctx);
    expect(bin.ok).toBe(false);
    expect(bin.output).toMatch(/^read_file: "bin\.dat" looks like a binary file/);
    const dir = await readFileTool.run({ path: 'dir' }, t.ctx);
    expect(dir).toEqual({ ok: false, output: 'read_file: "dir" is a directory; use list_dir to see its contents' });
  });

  it('turns I/O errors and sandbox refusals into observations', async () => {
    const missing = await readFileTool.run({ path: 'src/x.ts' }, t.ctx);
    expect(missing).toEqual({ ok: false, output: 'read_file: no such file or directory "src/x.ts"; use list_dir to see what exists' });
    const notDir = await readFileTool.run({ path: 'hello.txt/x' }, t.ctx);
    expect(notDir.output).toMatch(/is a file, not a directory/);
    const leak = await readFileTool.run({ path: 'leak.txt' }, t.ctx);
    expect(leak.ok).toBe(false);
    expect(leak.output).toMatch(/outside the workspace/);
    expect(leak.output).not.toContain('secret');
    const up = await readFileTool.run({ path: '../outside/secret.txt' }, t.ctx);
    expect(up.output).toMatch(/^read_file: path .* contains a "\.\." segment/);
  });

  it('handles empty files, offsets past the end and garbage arguments without throwing', async () => {
    expect(await readFileTool.run({ path: 'empty.txt' }, t.ctx)).toMatchObject({ ok: true, output: '[empty file]' });
    expect((await readFileTool.run({ path: 'hello.txt', offset: 99 }, t.ctx)).output).toMatch(/past the end .* \(12 bytes\)/);
    const garbage = await readFileTool.run(null as never, t.ctx);
    expect(garbage.ok).toBe(false);
  });
});
