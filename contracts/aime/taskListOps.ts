/**
 * Pure operations on the task list. None of them mutate their inputs: the
 * progress manager keeps old lists around (revisions, events already sent), so
 * every change returns a new list, sharing untouched subtrees.
 */
import { TASK_STATUSES, type TaskItem, type TaskList, type TaskStatus } from './taskList.js';
import { AppError } from '../errors.js';

export const TASK_ID_PATTERN = /^\d+(\.\d+)*$/;

export type TaskPatch = Partial<Pick<TaskItem, 'status' | 'note' | 'title' | 'criteria'>>;

export class UnknownTaskError extends AppError {
  readonly category = 'run';
  override readonly name = 'UnknownTaskError';
  constructor(readonly taskId: string) {
    super(`the task list has no task "${taskId}"`);
  }
}

/** Depth-first, parents before their children. */
export function flattenTasks(list: TaskList): TaskItem[] {
  const out: TaskItem[] = [];
  const walk = (items: TaskItem[]): void => {
    for (const item of items) {
      out.push(item);
      walk(item.children);
    }
  };
  walk(list);
  return out;
}

/** The first task with this id, depth-first. */
export function findTask(list: TaskList, id: string): TaskItem | undefined {
  return flattenTasks(list).find((t) => t.id === id);
}

/** Copies a task without `note: undefined`, so deep equality sees absent and undefined alike. */
function withFields(base: TaskItem, fields: Partial<TaskItem>): TaskItem {
  const merged = { ...base, ...fields };
  const { note, ...rest } = merged;
  return note === undefined ? rest : { ...rest, note };
}

/** Applies `patch` to the task `id`; keys whose value is undefined are ignored. */
export function updateTask(list: TaskList, id: string, patch: TaskPatch): TaskList {
  const fields: Partial<TaskItem> = {};
  for (const key of ['status', 'note', 'title', 'criteria'] as const) {
    if (patch[key] !== undefined) Object.assign(fields, { [key]: patch[key] });
  }
  let found = false;
  const walk = (items: TaskItem[]): TaskItem[] => {
    let changed = false;
    const next = items.map((item) => {
      if (found) return item;
      if (item.id === id) {
        found = true;
        changed = true;
        return withFields(item, fields);
      }
      const children = walk(item.children);
      if (children === item.children) return item;
      changed = true;
      return { ...item, children };
    });
    return changed ? next : items;
  };
  const result = walk(list);
  if (!found) throw new UnknownTaskError(id);
  return result;
}

const isClosed = (s: TaskStatus): boolean => s === 'completed' || s === 'failed';
const isDone = (s: TaskStatus): boolean => s === 'completed' || s === 'skipped';

/**
 * Merges the planner's proposed full list into the current one.
 *
 * - Structure, order, titles, criteria and new tasks come from `proposed`.
 * - Tasks are matched by id. A task `completed` or `failed` in `current` keeps
 *   that status and note: the planner may not un-complete (or un-fail) work.
 * - A task `in_progress` in `current` stays in_progress (an actor is on it);
 *   its note is the planner's if given, else the current one.
 * - Otherwise the planner's status wins; a missing note falls back to current.
 * - Tasks the planner dropped disappear, unless they are completed/failed:
 *   those are appended, in their old order, to the end of their old parent's
 *   children (or of the nearest surviving ancestor, or the top level), so the
 *   history of finished work is never lost.
 */
export function mergePlan(current: TaskList, proposed: TaskList): TaskList {
  const currentById = new Map<string, TaskItem>();
  for (const t of flattenTasks(current)) if (!currentById.has(t.id)) currentById.set(t.id, t);

  // Fresh nodes for every task, so step 2 may append to their children arrays.
  const resultById = new Map<string, TaskItem>();
  const mergeItem = (p: TaskItem): TaskItem => {
    const c = currentById.get(p.id);
    let status = p.status;
    let note = p.note ?? c?.note;
    if (c && isClosed(c.status)) {
      status = c.status;
      note = c.note;
    } else if (c?.status === 'in_progress') status = 'in_progress';
    const node = withFields({ id: p.id, title: p.title, status, criteria: p.criteria, children: p.children.map(mergeItem) }, { note });
    if (!resultById.has(node.id)) resultById.set(node.id, node);
    return node;
  };
  const result = proposed.map(mergeItem);

  // Re-home finished tasks the planner dropped; `home` is where dropped tasks at this level go.
  const rescue = (items: TaskItem[], home: TaskItem[]): void => {
    for (const t of items) {
      const kept = resultById.get(t.id);
      if (kept) {
        rescue(t.children, kept.children);
      } else if (isClosed(t.status)) {
        const copy = withFields({ ...t, children: [] }, {});
        resultById.set(copy.id, copy);
        home.push(copy);
        rescue(t.children, copy.children);
      } else {
        rescue(t.children, home);
      }
    }
  };
  rescue(current, result);
  return result;
}

/** Pending and every child completed/skipped (a parent with open children is not; its children are). */
export function isDispatchable(list: TaskList, id: string): boolean {
  const task = findTask(list, id);
  return task !== undefined && isReady(task);
}

function isReady(task: TaskItem): boolean {
  return task.status === 'pending' && task.children.every((c) => isDone(c.status));
}

/** Ids of up to `limit` dispatchable tasks, in list order. */
export function nextDispatchable(list: TaskList, limit: number): string[] {
  if (!(limit > 0)) return [];
  const ids: string[] = [];
  for (const t of flattenTasks(list)) {
    if (ids.length >= limit) break;
    if (isReady(t)) ids.push(t.id);
  }
  return ids;
}

/**
 * Bottom-up: a parent whose children are all completed/skipped, at least one
 * completed, becomes completed. Anything else (e.g. a failed child) is left to
 * the planner.
 */
export function rollUpStatuses(list: TaskList): TaskList {
  const walk = (items: TaskItem[]): TaskItem[] => {
    let changed = false;
    const next = items.map((item) => {
      if (item.children.length === 0) return item;
      const children = walk(item.children);
      const finished = children.every((c) => isDone(c.status)) && children.some((c) => c.status === 'completed');
      const status = finished ? 'completed' : item.status;
      if (children === item.children && status === item.status) return item;
      changed = true;
      return { ...item, status, children };
    });
    return changed ? next : items;
  };
  return walk(list);
}

export type TaskCounts = { total: number } & Record<TaskStatus, number>;

export function summarizeCounts(list: TaskList): TaskCounts {
  const counts: TaskCounts = { total: 0, pending: 0, in_progress: 0, completed: 0, failed: 0, skipped: 0 };
  for (const t of flattenTasks(list)) {
    counts.total++;
    if (TASK_STATUSES.includes(t.status)) counts[t.status]++;
  }
  return counts;
}

/** Problems a model-made list may have; empty when the list is fine. */
export function validateTaskList(list: TaskList): string[] {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  for (const t of flattenTasks(list)) {
    seen.set(t.id, (seen.get(t.id) ?? 0) + 1);
    if (!TASK_ID_PATTERN.test(t.id)) problems.push(`task "${t.id}": id must look like "1" or "2.1"`);
    if (t.title.trim() === '') problems.push(`task "${t.id}": empty title`);
    if (!TASK_STATUSES.includes(t.status)) problems.push(`task "${t.id}": unknown status "${String(t.status)}"`);
  }
  for (const [id, n] of seen) if (n > 1) problems.push(`duplicate id "${id}" (${n} tasks)`);
  return problems;
}
