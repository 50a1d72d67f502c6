/**
 * Hostile input end to end: each gets a clear, specific error, and nothing
 * already written is lost or corrupted.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ScriptedModel, reply } from '../../src/llm/scripted.js';
import { runGoal } from '../../src/runtime/runGoal.js';
import { parseJsonl } from '../../src/util/jsonl.js';
import { runCli } from '../support/cli.js';
import { modelSet, REPO_ROOT, repoConfig, tempDir } from '../support/runtime.js';

async function configCopy(): Promise<string> {
  const dir = await tempDir('gepa-hostile-config-');
  await fs.cp(path.join(REPO_ROOT, 'config'), dir, { recursive: true });
  return dir;
}

describe('hostile input', () => {
  it('refuses a YAML alias bomb in the config with exit 2, and writes nothing', async () => {
    const cfg = await configCopy();
    // Billion laughs: each level holds nine references to the one before.
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 10; i++) {
      const [prev, name] = [String.fromCharCode(96 + i), String.fromCharCode(97 + i)];
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const bomb = levels.join('\n');
    await fs.appendFile(path.join(cfg, 'model_config.yaml'), `\nlol:\n${bomb.replace(/^/gm, '  ')}\n`);
    const traces = await tempDir();
    const r = await runCli(['run', 'x', '--config', cfg, '--workspace', await tempDir(), '--traces', traces]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/model_config\.yaml.*alias/i);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(await fs.readdir(traces)).toEqual([]);
  });

  it('refuses a config file over 1 MiB without reading it all', async () => {
    const cfg = await configCopy();
    await fs.appendFile(path.join(cfg, 'gepa_config.yaml'), `\n# ${'x'.repeat(1_100_000)}\n`);
    const r = await runCli(['run', 'x', '--config', cfg, '--workspace', await tempDir(), '--traces', await tempDir()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/gepa_config\.yaml.*(MiB|too large|bytes)/i);
  });

  it('refuses a megabytes-long goal with a clear message before creating anything', async () => {
    const traces = await tempDir();
    await expect(
      runGoal({ goal: 'y'.repeat(3_000_000), config: repoConfig(), workspace: await tempDir(), tracesDir: traces, models: modelSet(new ScriptedModel([])) }),
    ).rejects.toThrow(/the goal is 3000000 characters long; the limit is 20000/);
    expect(await fs.readdir(traces)).toEqual([]);
  });

  it('keeps an existing file intact when the model tries a huge write, a NUL path and a symlink out', async () => {
    const ws = await tempDir();
    const outside = await tempDir();
    await fs.writeFile(path.join(ws, 'keep.txt'), 'precious');
    await fs.symlink(outside, path.join(ws, 'escape'));
    const t = [{ id: '1', title: 'Wreck things', status: 'pending', criteria: 'c', children: [] }];
    const planner = new ScriptedModel([
      reply.json({ rationale: 'r', tasks: t, action: { type: 'dispatch', taskIds: ['1'] } }),
      reply.json({ rationale: 'r', tasks: t, action: { type: 'finish', answer: 'done' } }),
    ]);
    const actor = new ScriptedModel([
      reply.toolCalls([
        { name: 'write_file', args: { path: 'keep.txt', content: 'z'.repeat(2_000_000) } },
        { name: 'write_file', args: { path: 'keep\u0000.txt', content: 'x' } },
        { name: 'write_file', args: { path: 'escape/pwned.txt', content: 'x' } },
        { name: 'read_file', args: { path: '/etc/passwd' } },
      ]),
      reply.json({ status: 'completed', summary: 'tried', references: [] }),
    ]);
    const report = await runGoal({
      goal: 'wreck',
      config: repoConfig(),
      workspace: ws,
      tracesDir: await tempDir(),
      models: modelSet(planner, actor),
      learn: false,
    });
    const observations = report.actors[0]!.steps.slice(0, 4);
    expect(observations.every((s) => !s.ok)).toBe(true);
    expect(observations[0]!.observation).toMatch(/1048576|limit|too large/i);
    expect(observations[1]!.observation).toMatch(/NUL/i);
    expect(observations[2]!.observation).toMatch(/outside|symlink|workspace/i);
    expect(await fs.readFile(path.join(ws, 'keep.txt'), 'utf8')).toBe('precious');
    expect(await fs.readdir(outside)).toEqual([]);
  });

  it('keeps gepa_history.jsonl whole when two runs append to it at once', async () => {
    const traces = await tempDir();
    const ws = await tempDir();
    // Failing goals make the online optimizer write outcomes and candidates.
    const runs = await Promise.all([1, 2].map(() => runCli(['run', 'Research the history of XState', '--workspace', ws, '--traces', traces, '--json'])));
    const ids = runs.map((r) => JSON.parse(r.stdout).runId);
    const text = await fs.readFile(path.join(traces, 'gepa_history.jsonl'), 'utf8');
    const { records, tornTail } = parseJsonl<any>(text, 'gepa_history.jsonl');
    expect(tornTail).toBe(false);
    expect(text.endsWith('\n')).toBe(true);
    for (const id of ids) expect(records.filter((r) => r.runId === id && r.kind === 'outcome').length).toBeGreaterThan(2);
    expect(new Set(records.map((r) => r.runId))).toEqual(new Set(ids));
  });
});
