import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { z } from 'zod';
import { TASK_STATUSES, type TaskItem, type TaskList, type TaskStatus } from '../../contracts/aime/taskList.js';
import {
  findTask,
  flattenTasks,
  isDispatchable,
  mergePlan,
  nextDispatchable,
  rollUpStatuses,
  summarizeCounts,
  UnknownTaskError,
  updateTask,
  validateTaskList,
} from '../../contracts/aime/taskListOps.js';
import { taskItemSchema, taskListSchema } from '../../src/aime/taskListSchema.js';

// ---- generators (kept in step with markdown.test.ts)
const messyText = fc.string({ maxLength: 6 });
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
    criteria: messyText,
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

function t(id: string, status: TaskStatus = 'pending', children: TaskItem[] = [], extra: Partial<TaskItem> = {}): TaskItem {
  return { id, title: `task ${id}`, status, criteria: '', children, ...extra };
}

const ids = (list: TaskList): string[] => flattenTasks(list).map((x) => x.id);

/** Deep-freezes a list so any mutation inside the code under test throws. */
function frozen(list: TaskList): TaskList {
  for (const item of list) {
    frozen(item.children);
    Object.freeze(item.children);
    Object.freeze(item);
  }
  return Object.freeze(list) as TaskList;
}

const list = (): TaskList =>
  frozen([t('1', 'completed', [t('1.1', 'completed'), t('1.2', 'skipped')]), t('2', 'pending', [t('2.1'), t('2.2', 'in_progress')]), t('3')]);

describe('flattenTasks / findTask', () => {
  it('lists parents before children, depth-first', () => {
    expect(ids(list())).toEqual(['1', '1.1', '1.2', '2', '2.1', '2.2', '3']);
  });

  it('finds nested tasks and returns undefined for unknown ids', () => {
    expect(findTask(list(), '2.2')?.status).toBe('in_progress');
    expect(findTask(list(), '9')).toBeUndefined();
  });
});

describe('updateTask', () => {
  it('returns a new list with the patch applied, sharing untouched subtrees', () => {
    const before = list();
    const after = updateTask(before, '2.1', { status: 'completed', note: 'done' });
    expect(findTask(after, '2.1')).toEqual({ ...t('2.1', 'completed'), note: 'done' });
    expect(findTask(before, '2.1')?.status).toBe('pending');
    expect(after[0]).toBe(before[0]);
    expect(after).not.toBe(before);
  });

  it('ignores undefined patch values and can change title and criteria', () => {
    const after = updateTask(list(), '3', { title: 'new', criteria: 'c', note: undefined });
    expect(findTask(after, '3')).toEqual({ ...t('3'), title: 'new', criteria: 'c' });
    expect('note' in findTask(after, '3')!).toBe(false);
  });

  it('throws UnknownTaskError for an unknown id', () => {
    expect(() => updateTask(list(), '4.2', { status: 'failed' })).toThrow(UnknownTaskError);
    expect(() => updateTask(list(), '4.2', { status: 'failed' })).toThrow('the task list has no task "4.2"');
  });
});

describe('mergePlan', () => {
  it('takes structure, order, titles, criteria and new tasks from the proposal', () => {
    const current = frozen([t('1'), t('2')]);
    const proposed = frozen([t('2', 'pending', [], { title: 'renamed', criteria: 'c' }), t('1', 'skipped'), t('3')]);
    expect(mergePlan(current, proposed)).toEqual([t('2', 'pending', [], { title: 'renamed', criteria: 'c' }), t('1', 'skipped'), t('3')]);
  });

  it('keeps completed/failed status and note; in_progress stays in_progress', () => {
    const current = frozen([t('1', 'completed', [], { note: 'ok' }), t('2', 'failed', [], { note: 'boom' }), t('3', 'in_progress', [], { note: 'busy' })]);
    const proposed = frozen([t('1'), t('2', 'skipped', [], { note: 'planner' }), t('3', 'pending')]);
    expect(mergePlan(current, proposed)).toEqual([
      t('1', 'completed', [], { note: 'ok' }),
      t('2', 'failed', [], { note: 'boom' }),
      t('3', 'in_progress', [], { note: 'busy' }),
    ]);
  });

  it('drops open tasks the planner dropped, but keeps finished ones at the end of their old parent', () => {
    const current = frozen([t('1', 'pending', [t('1.1', 'completed'), t('1.2'), t('1.3', 'failed')]), t('2', 'completed'), t('3')]);
    const proposed = frozen([t('1', 'pending', [t('1.4')])]);
    expect(mergePlan(current, proposed)).toEqual([t('1', 'pending', [t('1.4'), t('1.1', 'completed'), t('1.3', 'failed')]), t('2', 'completed')]);
  });

  it('re-homes a finished task whose dropped parent was still open', () => {
    const current = frozen([t('1', 'pending', [t('1.1', 'pending', [t('1.1.1', 'completed')])])]);
    expect(mergePlan(current, [t('1')])).toEqual([t('1', 'pending', [t('1.1.1', 'completed')])]);
    expect(mergePlan(current, [])).toEqual([t('1.1.1', 'completed')]);
  });

  it('never loses a completed or failed task (property)', () => {
    fc.assert(
      fc.property(taskListArb, taskListArb, (current, proposed) => {
        const merged = mergePlan(frozen(current), frozen(proposed));
        for (const old of flattenTasks(current).filter((x) => x.status === 'completed' || x.status === 'failed')) {
          const kept = findTask(merged, old.id);
          expect(kept?.status).toBe(old.status);
          expect(kept?.note).toBe(old.note);
        }
        for (const p of flattenTasks(proposed)) expect(findTask(merged, p.id)).toBeDefined();
        expect(validateTaskList(merged).filter((e) => e.startsWith('duplicate'))).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });
});

describe('dispatching', () => {
  it('a pending leaf is dispatchable; an open parent, a running or unknown task is not', () => {
    const l = list();
    expect(isDispatchable(l, '3')).toBe(true);
    expect(isDispatchable(l, '2.1')).toBe(true);
    expect(isDispatchable(l, '2')).toBe(false);
    expect(isDispatchable(l, '2.2')).toBe(false);
    expect(isDispatchable(l, '1')).toBe(false);
    expect(isDispatchable(l, 'nope')).toBe(false);
  });

  it('a pending parent whose children are all completed/skipped is dispatchable', () => {
    expect(isDispatchable([t('1', 'pending', [t('1.1', 'completed'), t('1.2', 'skipped')])], '1')).toBe(true);
  });

  it('nextDispatchable returns up to limit ids in list order', () => {
    expect(nextDispatchable(list(), 5)).toEqual(['2.1', '3']);
    expect(nextDispatchable(list(), 1)).toEqual(['2.1']);
    expect(nextDispatchable(list(), 0)).toEqual([]);
  });
});

describe('rollUpStatuses', () => {
  it('completes parents whose children are all completed/skipped, bottom-up', () => {
    const before = frozen([t('1', 'pending', [t('1.1', 'in_progress', [t('1.1.1', 'completed'), t('1.1.2', 'skipped')]), t('1.2', 'completed')])]);
    const after = rollUpStatuses(before);
    expect(findTask(after, '1.1')?.status).toBe('completed');
    expect(findTask(after, '1')?.status).toBe('completed');
    expect(findTask(before, '1')?.status).toBe('pending');
  });

  it('leaves parents with only skipped children, a failed child, or open children alone', () => {
    const l = frozen([
      t('1', 'pending', [t('1.1', 'skipped')]),
      t('2', 'in_progress', [t('2.1', 'failed'), t('2.2', 'completed')]),
      t('3', 'pending', [t('3.1', 'completed'), t('3.2')]),
    ]);
    expect(rollUpStatuses(l)).toEqual(l);
    expect(rollUpStatuses(l)).toBe(l);
  });
});

describe('summarizeCounts', () => {
  it('counts every status', () => {
    expect(summarizeCounts(list())).toEqual({ total: 7, pending: 3, in_progress: 1, completed: 2, failed: 0, skipped: 1 });
    expect(summarizeCounts([])).toEqual({ total: 0, pending: 0, in_progress: 0, completed: 0, failed: 0, skipped: 0 });
  });

  it('total equals flattenTasks length (property)', () => {
    fc.assert(
      fc.property(taskListArb, (l) => {
        const c = summarizeCounts(l);
        expect(c.total).toBe(flattenTasks(l).length);
        expect(c.pending + c.in_progress + c.completed + c.failed + c.skipped).toBe(c.total);
      }),
    );
  });
});

describe('validateTaskList', () => {
  it('is empty for a good list', () => {
    expect(validateTaskList(list())).toEqual([]);
  });

  it('reports duplicate ids, bad id syntax and empty titles', () => {
    const problems = validateTaskList([t('1', 'pending', [t('1')]), t('a.1'), t('2.', 'pending', [], { title: '  ' })]);
    expect(problems).toEqual([
      'task "a.1": id must look like "1" or "2.1"',
      'task "2.": id must look like "1" or "2.1"',
      'task "2.": empty title',
      'duplicate id "1" (2 tasks)',
    ]);
  });
});

describe('taskListSchema', () => {
  it('accepts task lists and fills in omitted criteria/children', () => {
    const parsed = taskListSchema.parse([{ id: '1', title: 'a', status: 'pending', children: [{ id: '1.1', title: 'b', status: 'failed', note: 'n' }] }]);
    expect(parsed).toEqual([t('1', 'pending', [t('1.1', 'failed', [], { title: 'b', note: 'n' })], { title: 'a' })]);
  });

  it('rejects bad statuses and missing fields at any depth', () => {
    expect(taskListSchema.safeParse([t('1', 'pending', [{ ...t('1.1'), status: 'done' as TaskStatus }])]).success).toBe(false);
    expect(taskItemSchema.safeParse({ id: '1', status: 'pending' }).success).toBe(false);
  });

  it('accepts every generated list unchanged (property)', () => {
    fc.assert(
      fc.property(taskListArb, (l) => {
        expect(taskListSchema.parse(l)).toEqual(l);
      }),
    );
  });

  it('converts to JSON Schema, recursion included', () => {
    const schema = z.toJSONSchema(taskListSchema) as { type: string; items: unknown; $defs?: Record<string, unknown> };
    expect(schema.type).toBe('array');
    const text = JSON.stringify(schema);
    expect(schema.$defs?.['TaskItem']).toBeDefined();
    expect(text).toContain('"$ref"');
    expect(text).toContain('in_progress');
    // A containing schema (as the planner builds) converts as well.
    expect(() => z.toJSONSchema(z.object({ tasks: taskListSchema.describe('the list') }))).not.toThrow();
  });
});
