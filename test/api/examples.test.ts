/**
 * The examples in examples/api are written against the public entries only
 * (they import `gepa-aime`, resolved through the package's own exports map to
 * the built dist/). They must type-check and run offline, printing what they
 * claim.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/runtime.js';

const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '..', '..');
const OUT = path.join(REPO, 'dist', 'examples', 'api');
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GEPA_AIME_')));

async function example(name: string, args: string[] = [], cwd = REPO): Promise<string> {
  const { stdout } = await run(process.execPath, [path.join(OUT, `${name}.js`), ...args], { cwd, env });
  return stdout;
}

beforeAll(async () => {
  await fs.access(path.join(REPO, 'dist', 'src', 'api', 'index.d.ts')).catch(() => {
    throw new Error('dist/ is not built with declarations: run `npm run build` first');
  });
  // Type-checks every example against the package's published types, and compiles them.
  await run(process.execPath, [path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(REPO, 'tsconfig.examples.json')], {
    cwd: REPO,
  }).catch((err: { stdout?: string }) => {
    throw new Error(`examples/api does not type-check:\n${err.stdout ?? ''}`);
  });
}, 120_000);

describe('examples/api', () => {
  it('only import the public entries', async () => {
    for (const file of await fs.readdir(path.join(REPO, 'examples', 'api'))) {
      const text = await fs.readFile(path.join(REPO, 'examples', 'api', file), 'utf8');
      const specifiers = [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1]!);
      expect(
        specifiers.filter((s) => !/^(gepa-aime(\/gepa|\/testing)?|zod|node:.*)$/.test(s)),
        file,
      ).toEqual([]);
    }
  });

  it('quickstart runs a goal on the offline model and streams its plan and steps', async () => {
    const cwd = await tempDir();
    const workspace = await tempDir();
    await fs.writeFile(path.join(workspace, 'README.md'), '# Demo\n');
    const out = await example('quickstart', [workspace], cwd);
    expect(out).toMatch(/^plan #1: dispatch$/m);
    expect(out).toMatch(/^ {2}\[\d+\] list_dir$/m);
    expect(out).toContain('status: completed');
  });

  it('custom-tool: the tool runs with checked arguments; the side-effecting one is denied by the handler', async () => {
    const out = await example('custom-tool');
    expect(out).toContain('word_count: notes.txt has 3 words');
    expect(out).toContain('approval of publish: deny (publishing needs a human)');
    expect(out).toContain('publish: publish was not run: the call was denied');
    expect(out).toContain('status: completed');
  });

  it('chat-model: a wrapping model answers every call of a run', async () => {
    const out = await example('chat-model');
    expect(out).toMatch(/status: completed, calls: \{"planner":\d+,"actor":\d+\}/);
  });

  it("metric: the metric's feedback leads GEPA to a prompt that scores 1", async () => {
    const out = await example('metric');
    expect(out).toContain('best: "Repeat the input in UPPERCASE." score 1');
  });

  it('gepa-adapter: a custom adapter with its own proposals is optimised to a perfect score', async () => {
    const out = await example('gepa-adapter');
    expect(out).toMatch(/proposal accepted/);
    expect(out).toMatch(/best keywords: .*outage.*\(val 1\)/);
  });
});
