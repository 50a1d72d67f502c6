/**
 * The offline model tells the truth through the built CLI: a goal its rules
 * cannot serve fails with a reason and how to point at a model server; its
 * counts equal what git (the independent oracle) says the workspace holds
 * outside ignored folders, dot-directories included, deeper than one listing
 * reaches; its own output is never read back; a TODO inside a hash is not a
 * TODO; and no two tasks report the same text.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureBuilt, runTimed as runCli, tempDirSync } from '../support/providerCli.js';

const HAVE_GIT = spawnSync('git', ['--version'], { stdio: 'ignore' }).status === 0;
let ws: string;
let traces: string;

beforeAll(() => ensureBuilt());
beforeEach(() => {
  ws = tempDirSync('gepa-honest-');
  traces = tempDirSync('gepa-honest-traces-');
});
afterEach(() => {
  fs.rmSync(ws, { recursive: true, force: true });
  fs.rmSync(traces, { recursive: true, force: true });
});

function write(rel: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(ws, rel)), { recursive: true });
  fs.writeFileSync(path.join(ws, rel), text);
}

function project(): void {
  write('README.md', `# Demo\n\nA demo project. See [the guide](https://example.com/${'very/'.repeat(60)}long) for ${'more words '.repeat(40)}\n`);
  write('package.json', JSON.stringify({ name: 'demo', description: 'a demo', scripts: { test: 'vitest' } }));
  write('.gitignore', 'dist/\nbuild.log\n');
  write('.github/workflows/ci.yml', 'on: push\n');
  write('src/index.ts', '// TODO: handle errors\nexport {};\n');
  write('src/a/b/c/d/e/deep.ts', 'export const deep = 1;\n');
  write('test/index.test.ts', 'it("works", () => {});\n');
  write('LICENSE', 'MIT\n');
  write('build.log', 'TODO: not evidence, ignored\n');
  // An integrity hash that happens to contain the letters: not a note.
  write('package-lock.json', JSON.stringify({ packages: { x: { integrity: 'sha512-q1wTODOzz+FIXMEa/b==' } } }, null, 2));
  for (let i = 0; i < 60; i++) write(`dist/gen/file${i}.js`, '// TODO: generated copy\n');
}

/** What git says is in the workspace outside ignored paths (tracked or not). */
function gitFiles(): string[] {
  execFileSync('git', ['init', '-q'], { cwd: ws });
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: ws, encoding: 'utf8' });
  fs.rmSync(path.join(ws, '.git'), { recursive: true, force: true });
  return out.split('\n').filter(Boolean);
}

describe('the offline model is honest', () => {
  it('fails a goal its rules cannot serve, says why and how to use a model server, and writes no file', async () => {
    const r = await runCli(['run', 'Create a file haiku.txt containing a haiku about the sea', '--workspace', ws, '--traces', traces, '--json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.status).toBe('failed');
    expect(report.reason).toContain('the embedded offline model cannot do "Create a file haiku.txt containing a haiku about the sea"');
    expect(report.reason).toContain('--api-base http://127.0.0.1:8000/v1 --model NAME');
    expect(fs.existsSync(path.join(ws, 'haiku.txt'))).toBe(false);
  });

  it.skipIf(!HAVE_GIT)(
    'reports true counts, sees dot-directories, respects .gitignore, ignores hashes and its own output, and never repeats a task',
    async () => {
      project();
      const expected = gitFiles();
      const goal = 'Summarise the repository layout and propose next steps';
      const first = await runCli(['run', goal, '--workspace', ws, '--traces', traces, '--json']);
      expect(first.code).toBe(0);
      const report = JSON.parse(first.stdout);
      const summaries: string[] = report.actors.map((a: { summary: string }) => a.summary);
      const survey = summaries[0]!;
      expect(survey).toContain(`The workspace holds ${expected.length} files in `);
      expect(survey).toContain('.github/ (1 file');
      expect(survey).toContain('src/ (2 files');
      expect(survey).toContain('Not counted: dist/, build.log');
      expect(survey).not.toContain('https://'); // the README's long link is not cut in the middle
      const proposal = summaries.find((s) => s.startsWith('Proposed next steps'))!;
      expect(proposal).toContain('Resolve the 1 TODO/FIXME marker(s) in src/index.ts.');
      expect(proposal).not.toContain('continuous integration'); // .github/workflows exists
      expect(proposal).not.toContain('LICENSE');
      expect(new Set(summaries).size).toBe(summaries.length);
      for (const a of summaries) for (const b of summaries) if (a !== b) expect(a.includes(b)).toBe(false);

      // A second run sees the first run's output file and traces, and counts neither.
      const second = await runCli(['run', goal, '--workspace', ws, '--traces', path.join(ws, 'traces'), '--json']);
      expect(second.code).toBe(0);
      const again = JSON.parse(second.stdout).actors.map((a: { summary: string }) => a.summary);
      expect(again[0]).toContain(`The workspace holds ${expected.length} files in `);
      expect(again.find((s: string) => s.startsWith('Proposed'))).toContain('Resolve the 1 TODO/FIXME marker(s)');
      expect(fs.existsSync(path.join(ws, 'gepa-aime-output'))).toBe(true);
    },
    60_000,
  );
});
