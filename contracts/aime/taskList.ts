/**
 * The hierarchical task list (AIME §4.4). Nesting means dependency: a parent is
 * done when its children are. This file holds the data model; markdown.ts holds
 * its human-readable, machine-parsable form.
 */

/** Every status a task can have, in the order a task usually goes through them. */
export const TASK_STATUSES = ['pending', 'in_progress', 'completed', 'failed', 'skipped'] as const;

/** A task's status: one of TASK_STATUSES. */
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** One item of the hierarchical task list (AIME §4.4); nesting means dependency. */
export interface TaskItem {
  /** Dotted path-like id, e.g. "2" or "2.1". Unique within the list. */
  id: string;
  title: string;
  status: TaskStatus;
  /** Completion criteria: how the actor knows it is done. */
  criteria: string;
  /** Latest progress message (from update_progress or the final report). */
  note?: string;
  children: TaskItem[];
}

/** The task list the progress manager owns, top-level items in order. */
export type TaskList = TaskItem[];
