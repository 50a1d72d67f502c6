/**
 * The package as a user gets it: `npm pack`, the tarball unpacked into a fresh
 * TypeScript (strict, ESM) project outside the repository, whose node_modules
 * holds only the package and the dependencies it declares (linked from this
 * repository's installed ones, so nothing is fetched). The project
 * type-checks and runs a program against the root and ./testing entries: a
 * goal on the offline model with its events consumed to the end, a
 * cancellation, and a deep import the exports map must refuse.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '..', '..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const PROGRAM = `
import { runGoal, defineTool, type GoalEvent, type RunReport } from 'gepa-aime';
import { collectEvents, tempWorkspace } from 'gepa-aime/testing';
import { z } from 'zod';

// The types are real: a wrong event does not compile.
// @ts-expect-error 'run.finished' is not an event type
const wrong: GoalEvent['type'] = 'run.finished';
void wrong;

const echo = defineTool({ name: 'echo', description: 'Echoes text.', parameters: z.object({ text: z.string() }), run: ({ text }) => ({ ok: true, output: text.toUpperCase() }) });

const ws = await tempWorkspace({ 'README.md': '# Packed\\nA project.\\n' });
const goal = runGoal('Summarise the repository layout', { workspace: ws.dir, tracesDir: ws.traces, learning: false, tools: [echo] });
const events: GoalEvent[] = await collectEvents(goal);
const report: RunReport = await goal.report;

const ws2 = await tempWorkspace({ 'a.txt': 'a' });
const cancelled = runGoal('Summarise the files', { workspace: ws2.dir, tracesDir: ws2.traces, learning: false });
let sawStep = false;
for await (const event of cancelled.events()) {
  if (event.type === 'actor.step' && !sawStep) {
    sawStep = true;
    cancelled.cancel('stopped by the packaged program');
  }
}
const cancelledReport = await cancelled.report;

let deepImport = 'allowed';
try {
  await import('gepa-aime/dist/src/runtime/runGoal.js' as string);
} catch (err) {
  deepImport = (err as { code?: string }).code ?? String(err);
}

const end = events.filter((e) => e.type === 'run.end');
console.log(JSON.stringify({
  status: report.status,
  offline: report.model.offline,
  first: events[0]?.type,
  last: events.at(-1)?.type,
  ends: end.length,
  endStatus: end[0]?.type === 'run.end' ? end[0].status : null,
  types: [...new Set(events.map((e) => e.type))].sort(),
  cancelled: cancelledReport.status,
  cancelReason: cancelledReport.reason,
  deepImport,
}));
await ws.cleanup();
await ws2.cleanup();
`;

let dir: string;
beforeAll(async () => {
  await fs.access(path.join(REPO, 'dist', 'src', 'api', 'index.d.ts')).catch(() => {
    throw new Error('dist/ is not built with declarations: run `npm run build` first');
  });
  dir = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'gepa-aime-pack-')));
});
afterAll(async () => {
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('installs into a fresh strict ESM TypeScript project, type-checks, and runs a goal, its events and a cancellation', async () => {
    // --ignore-scripts: dist/ is already built (pretest); prepare would rebuild it.
    const { stdout } = await run(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: REPO });
    const packed = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    const files = packed[0]!.files.map((f) => f.path);
    // What a user needs, and nothing of the repository's tests, benchmarks or sources.
    expect(files).toEqual(
      expect.arrayContaining([
        'package.json',
        'bin/gepa-aime.js',
        'dist/src/api/index.js',
        'dist/src/api/index.d.ts',
        'dist/src/api/testing.d.ts',
        'dist/src/api/gepa.d.ts',
        'config/model_config.yaml',
        'docs/api.md',
      ]),
    );
    expect(
      files.filter((f) => f.startsWith('test/') || f.startsWith('dist/test/') || f.startsWith('dist/bench/') || f.endsWith('.map') || /^src\/.*\.ts$/.test(f)),
    ).toEqual([]);

    const app = path.join(dir, 'app');
    const modules = path.join(app, 'node_modules');
    const pkgDir = path.join(modules, 'gepa-aime');
    await fs.mkdir(pkgDir, { recursive: true });
    await run('tar', ['-xzf', path.join(dir, packed[0]!.filename), '-C', pkgDir, '--strip-components=1']);
    const manifest = JSON.parse(await fs.readFile(path.join(pkgDir, 'package.json'), 'utf8')) as {
      private?: boolean;
      dependencies: Record<string, string>;
    };
    expect(manifest.private).toBeUndefined();
    // Only what the package declares (plus the compiler and Node's types) is there: an undeclared import would fail.
    for (const dep of [...Object.keys(manifest.dependencies), 'typescript', '@types/node']) {
      await fs.mkdir(path.dirname(path.join(modules, dep)), { recursive: true });
      await fs.symlink(path.join(REPO, 'node_modules', dep), path.join(modules, dep), 'dir');
    }
    await fs.writeFile(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }));
    await fs.writeFile(
      path.join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          types: ['node'],
          outDir: 'out',
          skipLibCheck: false,
        },
        include: ['main.ts'],
      }),
    );
    await fs.writeFile(path.join(app, 'main.ts'), PROGRAM);

    const tsc = path.join(modules, 'typescript', 'bin', 'tsc');
    const compiled = await run(process.execPath, [tsc, '-p', app], { cwd: app }).catch((err: { stdout?: string; stderr?: string }) => {
      throw new Error(`the program does not type-check against the packed types:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
    });
    expect(compiled.stdout).toBe('');

    // The packaged config's offline model, whatever this shell's GEPA_AIME_* say.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GEPA_AIME_')));
    const out = await run(process.execPath, [path.join(app, 'out', 'main.js')], { cwd: app, env });
    const result = JSON.parse(out.stdout.trim().split('\n').at(-1)!);
    expect(result).toMatchObject({
      status: 'completed',
      offline: true,
      first: 'run.started',
      last: 'run.end',
      ends: 1,
      endStatus: 'completed',
      cancelled: 'cancelled',
      cancelReason: 'stopped by the packaged program',
      deepImport: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
    });
    expect(result.types).toEqual(expect.arrayContaining(['actor.reported', 'actor.step', 'model.usage', 'planner.decided', 'tasks.changed']));
  }, 180_000);
});
