import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { parseTaskList, renderTaskList, TaskListParseError } from '../../src/aime/markdown.js';
import { TASK_STATUSES, type TaskItem, type TaskList } from '../../contracts/aime/taskList.js';

// ---- generators
/** Pieces the Markdown syntax cares about, mixed with arbitrary unicode. */
const tricky = fc.constantFrom(
  '(',
  ')',
  '[x]',
  '[ ]',
  'done when:',
  '(done when: ',
  ' (done when: x)',
  '>',
  '> ',
  '\\',
  '\\n',
  '\\u{41}',
  '\\(',
  ' ',
  '  ',
  '\n',
  '\r',
  '\r\n',
  '\t',
  '\u2028',
  '\u00a0',
  '\ufeff',
  '\u0000',
  '\u001b',
  '- [ ] 1. ',
  '1.',
  'é',
  '🙂',
  '\ud800',
);

const messyText: fc.Arbitrary<string> = fc
  .array(fc.oneof(tricky, fc.string({ unit: 'binary', maxLength: 8 }), fc.string({ maxLength: 8 })), { maxLength: 8 })
  .map((parts) => parts.join(''));

const statusArb = fc.constantFrom(...TASK_STATUSES);

interface Shape {
  title: string;
  status: TaskItem['status'];
  criteria: string;
  note: string | undefined;
  children: Shape[];
}

const shapeArb = (depth: number): fc.Arbitrary<Shape> =>
  fc.record({
    title: messyText,
    status: statusArb,
    criteria: fc.oneof(fc.constant(''), messyText),
    note: fc.option(messyText, { nil: undefined }),
    children: depth > 1 ? fc.array(shapeArb(depth - 1), { maxLength: 3 }) : fc.constant([]),
  });

function withIds(shapes: Shape[], prefix: string): TaskList {
  return shapes.map((s, i) => {
    const id = prefix ? `${prefix}.${i + 1}` : `${i + 1}`;
    const item: TaskItem = { id, title: s.title, status: s.status, criteria: s.criteria, children: withIds(s.children, id) };
    if (s.note !== undefined) item.note = s.note;
    return item;
  });
}

/** Lists nested up to 3 levels, ids consistent with nesting ("2.1" under "2"), so unique. */
const taskListArb: fc.Arbitrary<TaskList> = fc.array(shapeArb(3), { maxLength: 4 }).map((s) => withIds(s, ''));

const sample: TaskList = [
  {
    id: '1',
    title: 'Survey the workspace',
    status: 'completed',
    criteria: 'every top-level entry is listed',
    note: 'listed 12 entries',
    children: [{ id: '1.1', title: 'Read README.md', status: 'pending', criteria: '', children: [] }],
  },
  { id: '2', title: 'Write the summary', status: 'in_progress', criteria: '', children: [] },
  { id: '3', title: 'Failed thing', status: 'failed', criteria: '', children: [] },
  { id: '4', title: 'Skipped thing', status: 'skipped', criteria: '', children: [] },
];

const sampleText = [
  '- [x] 1. Survey the workspace (done when: every top-level entry is listed)',
  '  > listed 12 entries',
  '  - [ ] 1.1. Read README.md',
  '- [~] 2. Write the summary',
  '- [!] 3. Failed thing',
  '- [-] 4. Skipped thing',
].join('\n');

function parseError(text: string, source?: string): TaskListParseError {
  try {
    parseTaskList(text, source);
  } catch (err) {
    expect(err).toBeInstanceOf(TaskListParseError);
    return err as TaskListParseError;
  }
  throw new Error(`expected a parse error for ${JSON.stringify(text)}`);
}

describe('renderTaskList', () => {
  it('renders the documented checklist syntax', () => {
    expect(renderTaskList(sample)).toBe(sampleText);
  });

  it('renders an empty list as an empty string', () => {
    expect(renderTaskList([])).toBe('');
  });

  it('renders multi-line notes as one ">" line per note line', () => {
    const text = renderTaskList([{ id: '1', title: 't', status: 'pending', criteria: '', note: 'a\n\nb', children: [] }]);
    expect(text).toBe('- [ ] 1. t\n  > a\n  >\n  > b');
  });

  it('escapes what would otherwise be misread', () => {
    const text = renderTaskList([{ id: '1', title: ' x (done when: y) \\ \n', status: 'pending', criteria: 'a)\nb', children: [] }]);
    // The space before the final newline is trailing whitespace, so it is escaped too.
    expect(text).toBe('- [ ] 1. \\u{20}x \\(done when: y) \\\\\\u{20}\\n (done when: a)\\nb)');
    expect(text.split('\n')).toHaveLength(1);
  });

  it('guards a title ending in "(done when:" from merging with the criteria', () => {
    const list: TaskList = [{ id: '1', title: '(done when:', status: 'pending', criteria: '(', children: [] }];
    expect(renderTaskList(list)).toBe('- [ ] 1. \\(done when: (done when: ()');
    expect(parseTaskList(renderTaskList(list))).toEqual(list);
  });
});

describe('parseTaskList', () => {
  it('parses the documented example', () => {
    expect(parseTaskList(sampleText)).toEqual(sample);
  });

  it('ignores blank lines, CRLF line ends, trailing spaces and a BOM; accepts [X] and * bullets', () => {
    const text = '\uFEFF\r\n- [X] 1. A  \r\n\r\n   \r\n  * [ ] 1.1. B (done when: c) \r\n';
    expect(parseTaskList(text)).toEqual([
      { id: '1', title: 'A', status: 'completed', criteria: '', children: [{ id: '1.1', title: 'B', status: 'pending', criteria: 'c', children: [] }] },
    ]);
  });

  it('returns [] for empty input', () => {
    expect(parseTaskList('')).toEqual([]);
    expect(parseTaskList('\n  \n')).toEqual([]);
  });

  it('reads an unknown escape as a literal backslash', () => {
    expect(parseTaskList('- [ ] 1. C:\\path\\')[0]!.title).toBe('C:\\path\\');
  });

  it('leaves note absent (not undefined) when there is none', () => {
    expect('note' in parseTaskList('- [ ] 1. t')[0]!).toBe(false);
    expect(parseTaskList('- [ ] 1. t\n  >')[0]!.note).toBe('');
  });

  it('names the source and line in errors', () => {
    const err = parseError('- [ ] 1. a\n\nfoo', 'plan.md');
    expect(err.message).toBe('plan.md:3: expected "- [ ]" checklist item, found "foo"');
    expect(err.line).toBe(3);
    expect(err.source).toBe('plan.md');
    expect(parseError('foo').source).toBe('<input>');
  });

  it.each([
    ['- [?] 1. a', /unknown status marker "\[\?\]"/],
    ['- [ ] a', /expected a task id/],
    ['- [ ] 1.a', /expected a task id/],
    ['  - [ ] 1. a', /first task must not be indented/],
    ['- [ ] 1. a\n    - [ ] 1.1. b', /at most 2/],
    ['- [ ] 1. a\n   - [ ] 1.1. b', /multiple of 2/],
    ['> orphan note', /must follow a task line/],
    ['- [ ] 1. a\n> shallow', /indented deeper/],
    ['- [ ] 1. a (done when: b', /must be closed by "\)"/],
    ['\t- [ ] 1. a', /indent with spaces/],
  ])('rejects %j', (text, pattern) => {
    expect(parseError(text).message).toMatch(pattern);
  });

  it('survives huge and deeply nested input', () => {
    const junk = '\u0000\uffff(done when: \\u{'.repeat(200_000);
    expect(parseError(junk).line).toBe(1);
    const deep = Array.from({ length: 5000 }, (_, i) => `${'  '.repeat(i)}- [ ] ${i + 1}. t`).join('\n');
    expect(parseTaskList(deep)).toHaveLength(1);
    const long = `- [ ] 1. ${'1.'.repeat(100_000)}x`;
    expect(parseTaskList(long)[0]!.title).toHaveLength(200_001);
  });
});

describe('properties', () => {
  it('round-trips every generated list', () => {
    fc.assert(
      fc.property(taskListArb, (list) => {
        expect(parseTaskList(renderTaskList(list))).toEqual(list);
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips arbitrary field text', () => {
    fc.assert(
      fc.property(messyText, messyText, fc.option(messyText, { nil: undefined }), (title, criteria, note) => {
        const list: TaskList = [{ id: '7', title, status: 'pending', criteria, children: [] }];
        if (note !== undefined) list[0]!.note = note;
        expect(parseTaskList(renderTaskList(list))).toEqual(list);
      }),
      { numRuns: 1000 },
    );
  });

  const lineish = fc
    .array(fc.oneof(messyText, fc.constantFrom('- [x] 1. a', '  - [ ] 1.1. b (done when: c)', '  > n', '- [~] 2.', '\n', '  ', '    ')), { maxLength: 12 })
    .map((p) => p.join(''));

  it('either parses or throws TaskListParseError, and what it parses is stable', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string(), lineish), (text) => {
        let parsed: TaskList;
        try {
          parsed = parseTaskList(text, 'x.md');
        } catch (err) {
          expect(err).toBeInstanceOf(TaskListParseError);
          expect((err as TaskListParseError).line).toBeGreaterThanOrEqual(1);
          return;
        }
        expect(Array.isArray(parsed)).toBe(true);
        expect(parseTaskList(renderTaskList(parsed))).toEqual(parsed);
      }),
      { numRuns: 2000 },
    );
  });
});
