import { describe, expect, it } from 'vitest';
import { classify, outputFileFor, splitGoal } from '../../src/aime/offline/goal.js';
import { decide, initialPlan } from '../../src/aime/offline/plannerPolicy.js';
import { describeLayout, parseListing, proposeNextSteps } from '../../src/aime/offline/workspaceFacts.js';
import { reflect } from '../../src/aime/offline/reflection.js';
import { listDirTool } from '../../src/tools/builtin/listDir.js';
import { task } from '../support/fixtures.js';
import { tempDir } from '../support/runtime.js';
import fs from 'node:fs/promises';
import path from 'node:path';

describe('offline model: reading goals', () => {
  it('splits on "and" only before a verb', () => {
    expect(splitGoal('Summarise the repository layout and propose next steps')).toEqual(['Summarise the repository layout', 'propose next steps']);
    expect(splitGoal('Compare apples and oranges')).toEqual(['Compare apples and oranges']);
    expect(splitGoal('List the files; then write a report.')).toEqual(['List the files', 'write a report']);
  });

  it('classifies by leading verb first', () => {
    expect(classify('Summarise the repository layout')).toBe('summarise');
    expect(classify('Explore the tree')).toBe('survey');
    expect(classify('Write the results to a.md')).toBe('write');
    expect(classify('Find uses of foo')).toBe('search');
  });

  it('names the output file from the goal', () => {
    expect(outputFileFor('write notes to docs/summary.md please')).toBe('docs/summary.md');
    expect(outputFileFor('Summarise it!')).toBe('gepa-aime-output/summarise-it.md');
  });
});

describe('offline model: planning', () => {
  it('plans survey, one task per clause, then the write-up', () => {
    expect(initialPlan('Summarise the layout and propose next steps').map((t) => t.title)).toEqual([
      'Survey the workspace: list its files and read the key ones',
      'Summarise the layout',
      'Propose next steps',
      'Write the results to gepa-aime-output/summarise-the-layout-and-propose-next.md',
    ]);
  });

  it('adds a contingency task for a failed task once, then gives up', () => {
    const first = decide({ goal: 'g', tasks: [task('1', 'failed'), task('2')], reports: [{ taskId: '1', status: 'failed', summary: 'boom', references: [] }] });
    expect(first.action).toEqual({ type: 'dispatch', taskIds: ['3'] });
    expect(first.tasks.map((t) => t.title)).toContain('Retry [1] another way: Task 1');
    const retry = { ...task('3', 'failed'), title: 'Retry [1] another way: Task 1' };
    const second = decide({ goal: 'g', tasks: [task('1', 'failed'), retry], reports: [{ taskId: '3', status: 'failed', summary: 'boom again', references: [] }] });
    expect(second.action).toMatchObject({ type: 'fail', reason: expect.stringContaining('boom again') });
  });

  it('finishes with an answer that says it is the offline model', () => {
    const d = decide({ goal: 'g', tasks: [task('1', 'completed')], reports: [{ taskId: '1', status: 'completed', summary: 'did it', references: ['a.md'] }] });
    expect(d.action.type).toBe('finish');
    expect((d.action as any).answer).toMatch(/did it[\s\S]*Files: a\.md[\s\S]*offline model/);
  });
});

describe('offline model: workspace facts from real list_dir output', () => {
  it('parses the listing the real tool prints and describes it truthfully', async () => {
    const ws = await tempDir();
    await fs.mkdir(path.join(ws, 'src', 'deep'), { recursive: true });
    await fs.writeFile(path.join(ws, 'src', 'a.ts'), 'x');
    await fs.writeFile(path.join(ws, 'src', 'deep', 'b.ts'), 'x');
    await fs.writeFile(path.join(ws, 'LICENSE'), 'MIT');
    const out = await listDirTool.run({ path: '.', depth: 3, include_hidden: false }, { workspace: ws });
    const entries = parseListing(out.output);
    expect(entries).toEqual(
      expect.arrayContaining([
        { path: 'src', dir: true },
        { path: 'src/deep', dir: true },
        { path: 'src/a.ts', dir: false },
        { path: 'src/deep/b.ts', dir: false },
        { path: 'LICENSE', dir: false },
      ]),
    );
    expect(entries).toHaveLength(5);
    const text = describeLayout(entries, []);
    expect(text).toContain('The workspace holds 3 files in 2 directories');
    expect(text).toContain('src/ (2 files: 2 .ts)');
    const steps = proposeNextSteps(entries, []);
    expect(steps).toContain('Add a README');
    expect(steps).not.toContain('LICENSE file');
  });
});

describe('offline model: reflection', () => {
  it('keeps the current instruction and adds lessons from feedback, in fences', () => {
    const out = reflect('Current instruction:\n```\nBe brief.\n```\nFeedback: Always cite the source file.\nFeedback: correct');
    expect(out).toBe('```\nBe brief.\n\nLessons from failed examples:\n- Always cite the source file.\n```');
  });
});
