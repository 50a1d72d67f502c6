/**
 * The CLI as a user runs it, on the embedded offline model: the quick-start
 * goal in a temp workspace, exit codes, JSON output, bad config and usage.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { RunStore } from '../../src/runtime/runStore.js';
import { REPO_ROOT, tempDir } from '../support/runtime.js';

async function sampleWorkspace(): Promise<string> {
  const ws = await tempDir('gepa-aime-ws-');
  await fs.mkdir(path.join(ws, 'src', 'lib'), { recursive: true });
  await fs.mkdir(path.join(ws, 'docs'));
  await fs.writeFile(path.join(ws, 'README.md'), '# Sample\n\nA sample project for the end-to-end test.\n');
  await fs.writeFile(path.join(ws, 'package.json'), JSON.stringify({ name: 'sample', description: 'a sample', scripts: { test: 'x' } }));
  await fs.writeFile(path.join(ws, 'src', 'index.ts'), '// TODO: wire things\nexport {};\n');
  await fs.writeFile(path.join(ws, 'src', 'lib', 'util.ts'), 'export const x = 1;\n');
  await fs.writeFile(path.join(ws, 'docs', 'guide.md'), '# Guide\n');
  return ws;
}

describe('gepa-aime CLI on the offline model', () => {
  it('prints help', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('run [options] <goal...>');
    expect(r.stdout).toContain('chat');
  });

  it('runs the quick-start goal: a true layout summary written to a file, and a JSON report', async () => {
    const ws = await sampleWorkspace();
    const traces = await tempDir();
    const r = await runCli(['run', 'Summarise the repository layout and propose next steps', '--workspace', ws, '--traces', traces, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.status).toBe('completed');
    expect(report.model).toMatchObject({ provider: 'offline', offline: true });
    expect(report.model.note).toMatch(/offline model/);
    expect(report.answer).toMatch(/offline model/);
    expect(report.ledger.tasks.map((t: any) => t.status)).toEqual(['completed', 'completed', 'completed', 'completed']);
    expect(report.planner.length).toBe(report.iterations);
    expect(report.actors.every((a: any) => a.steps.length > 0)).toBe(true);
    for (const key of ['goal', 'status', 'answer', 'ledger', 'actors', 'planner', 'usage', 'timings', 'runId']) expect(report).toHaveProperty(key);

    // The file holds the truth about the workspace.
    const written = report.actors.flatMap((a: any) => a.references).find((p: string) => p.startsWith('gepa-aime-output/'));
    const text = await fs.readFile(path.join(ws, written), 'utf8');
    expect(text).toContain('The workspace holds 5 files in 3 directories');
    expect(text).toContain('src/ (2 files: 2 .ts)');
    expect(text).toContain('README.md: Sample — A sample project for the end-to-end test.');
    expect(text).toContain('package "sample" (a sample)');
    expect(text).toMatch(/Resolve the 1 TODO\/FIXME marker\(s\) in src\/index.ts/);
    expect(text).toContain('Add continuous integration');
    expect(text).not.toContain('Write user documentation'); // docs/ exists

    // Every run leaves its one event stream, report, and what resume needs (no lock once it has ended, no second stream).
    const runDir = path.join(traces, 'runs', report.runId);
    expect((await fs.readdir(runDir)).sort()).toEqual(['inspect.jsonl', 'journal.jsonl', 'report.json', 'run.json', 'snapshot.json']);
    expect(report.paths).toEqual({ runDir, inspect: path.join(runDir, 'inspect.jsonl'), report: path.join(runDir, 'report.json') });
  });

  it('shows the checklist and outcome in human form without --json', async () => {
    const ws = await sampleWorkspace();
    const r = await runCli(['run', 'Summarise the repository layout', '--workspace', ws, '--traces', await tempDir()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/- \[x\] 1\. Survey the workspace/);
    expect(r.stdout).toContain('status: completed');
    expect(r.stdout).toMatch(/report: .*report\.json/);
  });

  it('exits 1 with a report when the goal fails', async () => {
    const ws = await sampleWorkspace();
    // The offline researcher needs web_search, which is not configured: the task fails, its retry fails, the goal fails.
    const r = await runCli(['run', 'Research the history of XState', '--workspace', ws, '--traces', await tempDir(), '--json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.status).toBe('failed');
    expect(report.reason).toMatch(/web_search/);
  });

  it('exits 2 on bad usage and bad config, naming the file, key and line', async () => {
    const usage = await runCli(['run', 'x', '--max-iterations', 'zero']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--max-iterations must be a whole number/);

    const cfg = await tempDir();
    await fs.cp(path.join(REPO_ROOT, 'config'), cfg, { recursive: true });
    const file = path.join(cfg, 'model_config.yaml');
    await fs.writeFile(file, (await fs.readFile(file, 'utf8')).replace('request_timeout: 60', 'request_timeout: sixty'));
    const bad = await runCli(['run', 'x', '--config', cfg, '--workspace', await tempDir(), '--traces', await tempDir()]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/model_config\.yaml:\d+: request_timeout: expected .*found "sixty"/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);

    const empty = await runCli(['run', '  ', '--workspace', await tempDir(), '--traces', await tempDir()]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/goal is empty/);
  });

  it('chat answers plain text, runs /goal, and leaves on /quit', async () => {
    const ws = await sampleWorkspace();
    const traces = await tempDir();
    const r = await runCli(['chat', '--workspace', ws, '--traces', traces], { input: 'hello there\n/goal Summarise the repository layout\n/quit\n' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('You said: "hello there"');
    expect(r.stdout).toContain('status: completed');
    // The goal's run is in the store with its one event stream, as any run.
    const [run, ...more] = await new RunStore(traces).list();
    expect(more).toEqual([]);
    expect(run).toMatchObject({ report: { status: 'completed', goal: 'Summarise the repository layout' }, replayable: true });
  });
});
