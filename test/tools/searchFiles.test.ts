import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchFilesTool } from '../../src/tools/builtin/searchFiles.js';
import { globMatcher } from '../../src/tools/glob.js';
import { tempSpace, type TempSpace } from './helpers.js';

let t: TempSpace;
const run = (args: Parameters<typeof searchFilesTool.run>[0]) => searchFilesTool.run(args, t.ctx);

beforeAll(async () => {
  t = await tempSpace();
  await t.write('src/a.ts', 'const x = 1;\n// TODO: fix this\nexport const Foo = x;\n');
  await t.write('src/b.ts', 'import { foo } from "./a";\n   // FIXME later   \n');
  await t.write('docs/notes.md', 'Nothing to do here\nfoo bar (baz)\n');
  await t.write('node_modules/dep/index.js', '// TODO in a dependency\n');
  await t.write('.git/config', 'TODO in git\n');
  await t.write('img.png', Buffer.concat([Buffer.from('TODO'), Buffer.from([0, 1, 2])]));
  await t.write('huge.log', `TODO\n${'y'.repeat(1_100_000)}`);
  await t.write('long.txt', `${'a'.repeat(500)}NEEDLE${'b'.repeat(500)}\n`);
  await t.write('crlf.txt', 'first\r\nTODO crlf\r\n');
  await fs.writeFile(path.join(t.outside, 'secret.txt'), 'TODO outside');
  await fs.symlink(t.outside, path.join(t.root, 'outlink'));
});
afterAll(() => t.cleanup());

describe('search_files', () => {
  it('finds plain text case-insensitively as "path:line: text", skipping node_modules, .git, binary, huge files and symlinks', async () => {
    const r = await run({ query: 'todo' });
    expect(r.ok).toBe(true);
    expect(r.output).toBe(
      [
        'Found 2 matching lines in 2 files for "todo":',
        'crlf.txt:2: TODO crlf',
        'src/a.ts:2: // TODO: fix this',
        '[skipped 1 binary files and 1 files over 1 MiB]',
      ].join('\n'),
    );
    expect(r.references).toEqual(['crlf.txt', 'src/a.ts']);
  });

  it('respects case_sensitive and treats regex characters literally by default', async () => {
    const lower = await run({ query: 'foo', case_sensitive: true });
    expect(lower.output.split('\n').slice(1, 3)).toEqual(['docs/notes.md:2: foo bar (baz)', 'src/b.ts:1: import { foo } from "./a";']);
    const sensitive = await run({ query: 'Foo', case_sensitive: true });
    expect(sensitive.output.split('\n').slice(1)).toEqual(['src/a.ts:3: export const Foo = x;', '[skipped 1 binary files and 1 files over 1 MiB]']);
    const literal = await run({ query: '(baz)' });
    expect(literal.output).toContain('docs/notes.md:2: foo bar (baz)');
  });

  it('supports regular expressions and reports an invalid one clearly', async () => {
    const r = await run({ query: 'TODO|FIXME', regex: true, path: 'src' });
    expect(r.output.split('\n')).toEqual([
      'Found 2 matching lines in 2 files for "TODO|FIXME" under "src":',
      'src/a.ts:2: // TODO: fix this',
      'src/b.ts:2: // FIXME later',
    ]);
    const bad = await run({ query: 'foo(', regex: true });
    expect(bad.ok).toBe(false);
    expect(bad.output).toMatch(/^search_files: invalid regular expression "foo\(": .*; fix it, or set regex to false to search for the literal text$/);
  });

  it('stops a catastrophic regex instead of freezing', async () => {
    await t.write('redos/evil.txt', `${'a'.repeat(40)}!\n`);
    const r = await run({ query: '^(a+)+$', regex: true, path: 'redos' });
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/catastrophic backtracking/);
  });

  it('filters by glob on the name or the path, and caps results at max_results', async () => {
    expect((await run({ query: 'foo', glob: '*.md' })).output.split('\n').slice(1)).toEqual(['docs/notes.md:2: foo bar (baz)']);
    expect((await run({ query: 'foo', glob: 'src/**' })).output).not.toContain('docs/');
    const capped = await run({ query: 'o', max_results: 2 });
    expect(capped.output.split('\n')[0]).toMatch(/^Found 2\+ matching lines/);
    expect(capped.output).toContain('[stopped at max_results=2; there are more matches');
  });

  it('cuts long lines to about 200 characters around the match', async () => {
    const r = await run({ query: 'needle' });
    const line = r.output.split('\n')[1]!;
    expect(line.startsWith('long.txt:1: …')).toBe(true);
    expect(line).toContain('NEEDLE');
    expect(line.length).toBeLessThan(220);
  });

  it('reports no matches, a single-file path, and bad paths as observations', async () => {
    expect((await run({ query: 'zzz-not-there' })).output).toMatch(/^No matches for "zzz-not-there"\./);
    expect((await run({ query: 'const', path: 'src/a.ts' })).output).toContain('src/a.ts:1: const x = 1;');
    expect((await run({ query: 'x', path: 'missing' })).output).toMatch(/^search_files: no such file or directory "missing"/);
    expect((await run({ query: 'TODO', path: 'outlink' })).output).toMatch(/outside the workspace/);
  });
});

describe('globMatcher', () => {
  it('matches names without "/" and paths with it', () => {
    expect(globMatcher('*.ts')('src/deep/a.ts')).toBe(true);
    expect(globMatcher('*.ts')('src/a.tsx')).toBe(false);
    expect(globMatcher('src/*.ts')('src/deep/a.ts')).toBe(false);
    expect(globMatcher('src/**/*.ts')('src/a.ts')).toBe(true);
    expect(globMatcher('src/**/*.ts')('src/deep/er/a.ts')).toBe(true);
    expect(globMatcher('*.{md,txt}')('docs/x.txt')).toBe(true);
    expect(globMatcher('file?.[ch]')('file1.c')).toBe(true);
    expect(globMatcher('a+b.txt')('a+b.txt')).toBe(true);
  });
});
