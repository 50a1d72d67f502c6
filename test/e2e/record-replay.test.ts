/**
 * --record then --replay through the built CLI reproduces the run, even
 * though online learning changed the prompts in between (replay pins the
 * recorded prompts and turns learning off) and the first run's own output
 * file now shows in the workspace listing (a drifted request is matched by
 * its place in the call sequence). A different goal is a real mismatch,
 * reported with a short diff.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureBuilt, runTimed as runCli, tempConfig, tempDirSync } from '../support/providerCli.js';

let ws: string;
let config: string;
beforeAll(() => ensureBuilt());
beforeEach(() => {
  ws = tempDirSync('gepa-rr-e2e-');
  fs.writeFileSync(path.join(ws, 'README.md'), '# Demo\n\nA demo.\n');
  fs.mkdirSync(path.join(ws, 'src'));
  fs.writeFileSync(path.join(ws, 'src', 'index.ts'), 'export {};\n');
  // Learning that changes the prompts after every goal.
  config = tempConfig({});
  const gepa = path.join(config, 'gepa_config.yaml');
  fs.writeFileSync(
    gepa,
    fs
      .readFileSync(gepa, 'utf8')
      .replace(/every_n_goals: \d+/, 'every_n_goals: 1')
      .replace(/min_outcomes: \d+/, 'min_outcomes: 1'),
  );
});
afterEach(() => {
  fs.rmSync(ws, { recursive: true, force: true });
  fs.rmSync(config, { recursive: true, force: true });
});

const GOAL = 'Summarise the repository layout and propose next steps';
const run = (goal: string, extra: string[]) =>
  runCli(['run', goal, '--config', config, '--workspace', ws, '--traces', path.join(ws, 'traces'), '--json', ...extra]);

describe('record and replay', () => {
  it('a replay of the same goal reproduces the recorded run', async () => {
    // A goal with a part that fails (no web search configured), so learning has failures to learn from.
    const goal = 'Summarise the repository layout and research XState';
    const rec = path.join(ws, 'r.jsonl');
    const recorded = await run(goal, ['--record', rec]);
    expect(recorded.code).toBe(1);
    const a = JSON.parse(recorded.stdout);
    // Learning ran and changed the prompts for the next run.
    const history = fs.readFileSync(path.join(ws, 'traces', 'gepa_history.jsonl'), 'utf8');
    expect(history).toContain('"kind":"candidate"');

    const replayed = await run(goal, ['--replay', rec]);
    expect(replayed.code).toBe(1);
    const b = JSON.parse(replayed.stdout);
    expect(b.reason).toBe(a.reason);
    expect(b.model.provider).toBe('replay');
    expect(b.status).toBe(a.status);
    expect(b.answer).toBe(a.answer);
    expect(b.ledger.markdown).toBe(a.ledger.markdown);
    expect(b.learning.enabled).toBe(false);
    // It ran with the prompts the recording started with, not the ones learning has made since.
    const header = JSON.parse(fs.readFileSync(rec, 'utf8').split('\n')[0]!);
    expect(header.kind).toBe('run');
    expect(b.learning.prompts).toEqual(header.prompts);
    // The first run's output file is in the listing now: those requests drifted and were matched by position.
    expect(replayed.stderr).toMatch(
      /replay: \d+ request\(s\) differed from the recording and were matched by their place in the call sequence; first, at actor:/,
    );
  }, 60_000);

  it('a different goal is a real mismatch, reported with a short diff', async () => {
    const rec = path.join(ws, 'r.jsonl');
    expect((await run(GOAL, ['--record', rec])).code).toBe(0);
    const other = await run('List the files in the workspace', ['--replay', rec]);
    expect(other.code).toBe(1);
    const report = JSON.parse(other.stdout);
    expect(report.reason).toContain('no recording matches this planner request');
    expect(report.reason).toContain(`at planner#1, against the recording: message 2 (user), line 2: recorded "${GOAL}", now "List the files in the workspace"`);
  }, 60_000);
});
