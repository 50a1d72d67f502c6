import { promises as fs } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isInside, resolveInWorkspace, SandboxError } from '../../src/tools/sandbox.js';
import { tempSpace, type TempSpace } from './helpers.js';

let t: TempSpace;

beforeAll(async () => {
  t = await tempSpace();
  await t.write('src/a.ts', 'a');
  await t.write('docs/readme.md', 'r');
  await fs.writeFile(path.join(t.outside, 'secret.txt'), 'secret');
  await fs.symlink(path.join(t.outside, 'secret.txt'), path.join(t.root, 'leak.txt'));
  await fs.symlink(t.outside, path.join(t.root, 'outdir'));
  await fs.symlink(path.join(t.root, 'src', 'a.ts'), path.join(t.root, 'alias.ts'));
  await fs.symlink('docs', path.join(t.root, 'docs-link'));
  await fs.symlink(path.join(t.outside, 'not-yet.txt'), path.join(t.root, 'dangling-out'));
  await fs.symlink('src/new.ts', path.join(t.root, 'dangling-in'));
  await fs.symlink('loop-b', path.join(t.root, 'loop-a'));
  await fs.symlink('loop-a', path.join(t.root, 'loop-b'));
});
afterAll(() => t.cleanup());

async function refusal(rel: string, forWrite = false): Promise<string> {
  try {
    await resolveInWorkspace(t.root, rel, { forWrite });
  } catch (err) {
    expect(err).toBeInstanceOf(SandboxError);
    return (err as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(rel)} to be refused`);
}

describe('resolveInWorkspace', () => {
  it('resolves plain relative paths, "." and "./" forms', async () => {
    expect(await resolveInWorkspace(t.root, 'src/a.ts')).toBe(path.join(t.root, 'src/a.ts'));
    expect(await resolveInWorkspace(t.root, './src//a.ts')).toBe(path.join(t.root, 'src/a.ts'));
    expect(await resolveInWorkspace(t.root, '.')).toBe(t.root);
    expect(await resolveInWorkspace(t.root, 'src/')).toBe(path.join(t.root, 'src'));
  });

  it('resolves not-yet-existing files below existing or missing directories', async () => {
    expect(await resolveInWorkspace(t.root, 'new/deep/file.md', { forWrite: true })).toBe(path.join(t.root, 'new/deep/file.md'));
  });

  it('refuses ".." segments anywhere, even ones that would stay inside', async () => {
    expect(await refusal('..')).toMatch(/"\.\." segment/);
    expect(await refusal('../x')).toMatch(/"\.\." segment/);
    expect(await refusal('a/../../x')).toMatch(/"\.\." segment/);
    expect(await refusal('src/../src/a.ts')).toMatch(/relative to the workspace root/);
  });

  it('refuses absolute, Windows drive, UNC and backslash paths', async () => {
    expect(await refusal('/etc/passwd')).toMatch(/is absolute/);
    expect(await refusal(path.join(t.root, 'src/a.ts'))).toMatch(/is absolute/);
    expect(await refusal('C:\\Windows')).toMatch(/Windows drive/);
    expect(await refusal('c:/x')).toMatch(/Windows drive/);
    expect(await refusal('\\\\server\\share\\x')).toMatch(/UNC/);
    expect(await refusal('//server/share')).toMatch(/UNC/);
    expect(await refusal('..\\x')).toMatch(/backslash/);
  });

  it('refuses empty paths and NUL bytes with a message saying what is allowed', async () => {
    const empty = await refusal('');
    expect(empty).toMatch(/empty/);
    expect(empty).toMatch(/"\." is the root/);
    expect(await refusal('   ')).toMatch(/empty/);
    expect(await refusal('a\0b')).toMatch(/NUL byte/);
    expect(await refusal('~/notes')).toMatch(/"~"/);
  });

  it('refuses symlinks to a file or a directory outside the workspace', async () => {
    expect(await refusal('leak.txt')).toMatch(/outside the workspace/);
    expect(await refusal('outdir')).toMatch(/outside the workspace/);
    expect(await refusal('outdir/secret.txt')).toMatch(/outside the workspace/);
    expect(await refusal('outdir/new/file.txt', true)).toMatch(/outside the workspace/);
  });

  it('follows dangling symlinks by hand: refused when they point outside, resolved when inside', async () => {
    expect(await refusal('dangling-out', true)).toMatch(/outside the workspace/);
    expect(await resolveInWorkspace(t.root, 'dangling-in', { forWrite: true })).toBe(path.join(t.root, 'src/new.ts'));
  });

  it('accepts symlinks inside the workspace that point inside, returning the real target', async () => {
    expect(await resolveInWorkspace(t.root, 'alias.ts')).toBe(path.join(t.root, 'src/a.ts'));
    expect(await resolveInWorkspace(t.root, 'docs-link/readme.md')).toBe(path.join(t.root, 'docs/readme.md'));
  });

  it('refuses symlink loops and writing to the root itself', async () => {
    expect(await refusal('loop-a')).toMatch(/symlink/);
    expect(await refusal('.', true)).toMatch(/workspace root/);
  });

  it('works when the workspace is given through a symlink', async () => {
    const alias = path.join(t.outside, 'ws-alias');
    await fs.symlink(t.root, alias);
    expect(await resolveInWorkspace(alias, 'src/a.ts')).toBe(path.join(t.root, 'src/a.ts'));
    expect(await refusal2(alias, 'leak.txt')).toBeInstanceOf(SandboxError);
  });
});

async function refusal2(ws: string, rel: string): Promise<unknown> {
  return resolveInWorkspace(ws, rel).then(
    () => null,
    (e: unknown) => e,
  );
}

describe('resolveInWorkspace (property)', () => {
  const segment = fc.oneof(
    fc.constantFrom(
      '..',
      '.',
      '',
      'src',
      'a.ts',
      'leak.txt',
      'outdir',
      'alias.ts',
      'docs-link',
      'dangling-out',
      'dangling-in',
      'loop-a',
      '~',
      'C:',
      '\\',
      '\0',
      ' ',
    ),
    fc.string({ maxLength: 8 }),
  );
  const pathLike = fc.oneof(
    fc.string(),
    fc.string({ unit: 'grapheme' }),
    fc.array(segment, { maxLength: 6 }).map((parts) => parts.join('/')),
    fc.tuple(fc.constantFrom('/', '//', '\\\\', './', 'C:/'), fc.array(segment, { maxLength: 4 })).map(([head, parts]) => head + parts.join('/')),
  );

  it('either returns a path inside the workspace or throws SandboxError, never anything else', async () => {
    await fc.assert(
      fc.asyncProperty(pathLike, fc.boolean(), async (rel, forWrite) => {
        let resolved: string;
        try {
          resolved = await resolveInWorkspace(t.root, rel, { forWrite });
        } catch (err) {
          expect(err).toBeInstanceOf(SandboxError);
          return;
        }
        expect(path.isAbsolute(resolved)).toBe(true);
        expect(isInside(t.root, resolved)).toBe(true);
        // And the real location of whatever exists on the way is inside too.
        const real = await fs.realpath(resolved).catch(() => null);
        if (real) expect(isInside(t.root, real)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
