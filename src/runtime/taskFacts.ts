/**
 * The progress manager's task list as a stream of changes: the whole list
 * when its shape (ids, order) changes, else only the tasks that changed. The
 * progress manager never mutates a list and shares untouched tasks between
 * revisions, so object identity tells what changed, and a 200-task list costs
 * a pointer walk per batch instead of a copy. Every change is kept, so a
 * replay shows each one. The Markdown form is for reading, not replaying: it
 * goes out with every whole list and otherwise at most once a second (the
 * stream asks for a flush when one is due, and forces one at the end).
 */
import { renderTaskList } from '../aime/markdown.js';
import type { TaskItem, TaskList, TaskStatus } from '../../contracts/aime/taskList.js';
import { sanitizeString } from './sanitize.js';

export interface TaskFact {
  id: string;
  title: string;
  status: TaskStatus;
  criteria: string;
  note?: string;
  depth: number;
}

export interface TaskListFacts {
  /** The whole list, in order (when its shape changed). */
  tasks?: TaskFact[];
  /** Only the tasks that changed, by id (the shape is the same). */
  taskPatch?: TaskFact[];
  markdown?: string;
  revision?: number;
}

export const MARKDOWN_INTERVAL_MS = 1000;
const MAX_MARKDOWN = 20_000;

export class TaskFactsTracker {
  private items: { item: TaskItem; depth: number }[] = [];
  private list: TaskList | null = null;
  private markdownAt = -Infinity;
  private markdownStale = false;

  /** Facts for a (possibly) new list; null when nothing the dashboard shows changed. */
  update(tasks: TaskList, revision: number | undefined, now: number): TaskListFacts | null {
    if (tasks === this.list) return this.markdownDue(now, false);
    this.list = tasks;
    const items = flatten(tasks);
    const facts: TaskListFacts = {};
    if (revision !== undefined) facts.revision = revision;
    if (!sameShape(items, this.items)) {
      facts.tasks = items.map((i) => taskFact(i.item, i.depth));
    } else {
      const patch: TaskFact[] = [];
      for (let k = 0; k < items.length; k++) if (items[k]!.item !== this.items[k]!.item) patch.push(taskFact(items[k]!.item, items[k]!.depth));
      if (!patch.length) return this.markdownDue(now, false);
      facts.taskPatch = patch;
    }
    this.items = items;
    this.markdownStale = true;
    if (facts.tasks || now - this.markdownAt >= MARKDOWN_INTERVAL_MS) facts.markdown = this.markdown(now);
    return facts;
  }

  /** The Markdown alone, when it is stale and due (or forced, at the end of a run). */
  markdownDue(now: number, force: boolean): TaskListFacts | null {
    if (!this.markdownStale || !this.list || (!force && now - this.markdownAt < MARKDOWN_INTERVAL_MS)) return null;
    return { markdown: this.markdown(now) };
  }

  /** When stale Markdown becomes due, or null when none is stale. */
  get dueAt(): number | null {
    return this.markdownStale ? this.markdownAt + MARKDOWN_INTERVAL_MS : null;
  }

  private markdown(now: number): string {
    this.markdownAt = now;
    this.markdownStale = false;
    try {
      return sanitizeString(renderTaskList(this.list ?? []), MAX_MARKDOWN);
    } catch {
      // A malformed list still shows as records.
      return '';
    }
  }
}

/** Same ids at the same places and depths. */
function sameShape(a: { item: TaskItem; depth: number }[], b: { item: TaskItem; depth: number }[]): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k]!.item.id !== b[k]!.item.id || a[k]!.depth !== b[k]!.depth) return false;
  return true;
}

function flatten(tasks: TaskList): { item: TaskItem; depth: number }[] {
  const out: { item: TaskItem; depth: number }[] = [];
  const walk = (list: TaskList, depth: number) => {
    for (const item of list) {
      out.push({ item, depth });
      if (Array.isArray(item.children)) walk(item.children, depth + 1);
    }
  };
  if (Array.isArray(tasks)) walk(tasks, 0);
  return out;
}

function taskFact(t: TaskItem, depth: number): TaskFact {
  const fact: TaskFact = {
    id: sanitizeString(String(t.id), 40),
    title: sanitizeString(String(t.title ?? ''), 300),
    status: t.status,
    criteria: sanitizeString(String(t.criteria ?? ''), 300),
    depth,
  };
  if (t.note) fact.note = sanitizeString(String(t.note), 400);
  return fact;
}
