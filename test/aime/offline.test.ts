import { describe, expect, it } from 'vitest';
import { classify, outputFileFor, splitGoal } from '../../src/aime/offline/goal.js';
import { decide, initialPlan } from '../../src/aime/offline/plannerPolicy.js';
import { briefLayout, describeLayout, gist, parseListing, proposeNextSteps } from '../../src/aime/offline/workspaceFacts.js';
import { crawlState, evidenceHits, ignoreRules, MAX_CALLS_PER_STEP, nextCrawlCalls } from '../../src/aime/offline/crawl.js';
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
    const second = decide({
      goal: 'g',
      tasks: [task('1', 'failed'), retry],
      reports: [{ taskId: '3', status: 'failed', summary: 'boom again', references: [] }],
    });
    expect(second.action).toMatchObject({ type: 'fail', reason: expect.stringContaining('boom again') });
  });

  it('finishes with an answer that says it is the offline model', () => {
    const d = decide({ goal: 'g', tasks: [task('1', 'completed')], reports: [{ taskId: '1', status: 'completed', summary: 'did it', references: ['a.md'] }] });
    expect(d.action.type).toBe('finish');
    expect((d.action as any).answer).toMatch(/did it[\s\S]*Files: a\.md[\s\S]*offline model/);
  });
});

describe('offline model: workspace facts from real list_dir output', () => {
  it('parses the listing the real tool prints', async () => {
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
  });

  it('describes what a crawl found truthfully, and proposes only what is missing', () => {
    const facts = {
      files: ['LICENSE', 'src/a.ts', 'src/deep/b.ts', '.github/workflows/ci.yml'],
      dirs: ['src', 'src/deep', '.github', '.github/workflows'],
      ignored: ['dist/'],
      pending: [],
      truncated: [],
    };
    const text = describeLayout(facts, []);
    expect(text).toContain('The workspace holds 4 files in 4 directories');
    expect(text).toContain('src/ (2 files: 2 .ts)');
    expect(text).toContain('Not counted: dist/');
    const steps = proposeNextSteps(facts, []);
    expect(steps).toContain('Add a README');
    expect(steps).not.toContain('LICENSE file');
    expect(steps).not.toContain('continuous integration'); // .github/workflows is seen
    expect(describeLayout({ ...facts, pending: ['src/deep'] }, [])).toContain('at least 4 files');
  });

  it('says the survey again in other words, never word for word', () => {
    const survey = describeLayout({ files: ['README.md', 'src/a.ts', 'src/b.ts'], dirs: ['src'], ignored: [], pending: [], truncated: [] }, [
      { path: 'README.md', text: '# Demo\n\nA demo project.' },
    ]);
    const brief = briefLayout(survey);
    expect(brief).toBe('In brief: 3 files in 1 directory, most of them in src/ (2). The project describes itself as: Demo — A demo project.');
    expect(brief).not.toContain(survey);
  });

  it('cuts a long paragraph at a word, with links reduced to their text', () => {
    const text = `See [the guide](https://example.com/a/very/long/link/${'x'.repeat(50)}) for ${'words '.repeat(60)}`;
    const out = gist(text, 80);
    expect(out.length).toBeLessThanOrEqual(81);
    expect(out).not.toContain('https://');
    expect(out).toMatch(/^See the guide for words.*…$/);
  });

  it('keeps real TODO notes and drops ignored files, its own output and hashes', () => {
    const rules = ignoreRules('dist/\n', 'out.md');
    const hits = evidenceHits(
      [
        'src/a.ts:3: // TODO: handle errors',
        'dist/a.js:3: // TODO: handle errors',
        'gepa-aime-output/x.md:9: Resolve the TODO: markers',
        'out.md:1: TODO: x',
        'package-lock.json:10: "integrity": "sha512-abcTODO:def"',
        'src/b.ts:1: const todos = 1; // not a marker',
        "test/a.test.ts:4: fs.writeFileSync(f, '// TODO: a fixture, not a note');",
      ],
      rules,
    );
    expect(hits).toEqual(['src/a.ts:3: // TODO: handle errors']);
  });
});

describe('offline model: the crawl', () => {
  const list = (path: string, output: string) => ({ tool: 'list_dir', arguments: { path }, output });
  it('takes a refusal as final, a call the step cap did not run as still to do, and never asks for more than the cap', () => {
    const root = list('.', `Contents of "." (depth 1):\n${Array.from({ length: 20 }, (_, i) => `d${i}/`).join('\n')}\nconfig/\nREADME.md (1 B)`);
    const obs = [
      root,
      { tool: 'read_file', arguments: { path: '.gitignore' }, output: 'read_file: no such file' },
      list('config', 'list_dir: refused: "config" is the config directory'),
      list('d0', 'not run: limit of 16 tool calls per step'),
    ];
    const state = crawlState(obs);
    expect(state.refused).toEqual(['config/']);
    expect(state.pending).toContain('d0');
    expect(state.dirs).not.toContain('config');
    expect(nextCrawlCalls(obs)).toHaveLength(MAX_CALLS_PER_STEP);
  });
});

describe('offline model: goals beyond its rules', () => {
  it('classifies free-form work as unsupported and fails it at once, saying how to point at a model server', () => {
    expect(classify('Create a file haiku.txt containing a haiku about the sea')).toBe('unsupported');
    expect(classify('Write a haiku about the sea to haiku.txt')).toBe('unsupported');
    expect(classify('Summarise the history of Rome')).toBe('unsupported');
    expect(classify('Write the results to notes.md')).toBe('write');
    const d = decide({ goal: 'Create a file haiku.txt containing a haiku about the sea', tasks: [], reports: [] });
    expect(d.action.type).toBe('fail');
    expect((d.action as { reason: string }).reason).toMatch(
      /offline model cannot do "Create a file haiku\.txt.*--api-base http:\/\/127\.0\.0\.1:8000\/v1 --model NAME/,
    );
  });
});

describe('offline model: reflection', () => {
  it('keeps the current instruction and adds lessons from feedback, in fences', () => {
    const out = reflect('Current instruction:\n```\nBe brief.\n```\nFeedback: Always cite the source file.\nFeedback: correct');
    expect(out).toBe('```\nBe brief.\n\nLessons from failed examples:\n- Always cite the source file.\n```');
  });
});
