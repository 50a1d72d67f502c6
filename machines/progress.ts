/**
 * The progress manager (AIME §4.4): the single writer of the task list.
 * Everyone else sends it events; after every change it tells its parent (the
 * workflow) the new list and why it changed.
 */
import { assertEvent, assign, sendParent, setup } from 'xstate';
import type { ProgressChangedEvent, ProgressInbound, ProgressUpdateEvent } from './events.js';
import type { TaskList, TaskStatus } from '../contracts/aime/taskList.js';
import { findTask, mergePlan, rollUpStatuses, updateTask } from '../contracts/aime/taskListOps.js';

export interface ProgressContext {
  tasks: TaskList;
  revision: number;
}

function statusFromUpdate(event: ProgressUpdateEvent): { status: TaskStatus; note: string } {
  // "blocked" is not a list status: the task stays in progress and the note says why.
  if (event.status === 'blocked') return { status: 'in_progress', note: `blocked: ${event.message}` };
  return { status: event.status, note: event.message };
}

export const progressMachine = setup({
  types: {
    context: {} as ProgressContext,
    events: {} as ProgressInbound,
    input: {} as { tasks?: TaskList } | undefined,
  },
  actions: {
    notifyChanged: sendParent(
      ({ context }, params: { cause: ProgressChangedEvent['cause'] }): ProgressChangedEvent => ({
        type: 'PROGRESS.CHANGED',
        tasks: context.tasks,
        revision: context.revision,
        cause: params.cause,
      }),
    ),
    applyPlan: assign(({ context, event }) => {
      assertEvent(event, 'PROGRESS.PLAN');
      return { tasks: mergePlan(context.tasks, event.tasks), revision: context.revision + 1 };
    }),
    applyUpdate: assign(({ context, event }) => {
      assertEvent(event, 'PROGRESS.UPDATE');
      return { tasks: updateTask(context.tasks, event.taskId, statusFromUpdate(event)), revision: context.revision + 1 };
    }),
    applyReport: assign(({ context, event }) => {
      assertEvent(event, 'PROGRESS.REPORT');
      const { taskId, status, summary } = event.report;
      return { tasks: updateTask(context.tasks, taskId, { status, note: summary }), revision: context.revision + 1 };
    }),
    rollUp: assign(({ context }) => ({ tasks: rollUpStatuses(context.tasks), revision: context.revision + 1 })),
  },
  guards: {
    isKnownTask: ({ context, event }) =>
      (event.type === 'PROGRESS.UPDATE' || event.type === 'PROGRESS.REPORT') &&
      findTask(context.tasks, event.type === 'PROGRESS.UPDATE' ? event.taskId : event.report.taskId) !== undefined,
  },
}).createMachine({
  id: 'progress',
  context: ({ input }) => ({ tasks: input?.tasks ?? [], revision: 0 }),
  initial: 'tracking',
  states: {
    tracking: {
      description: 'The single writer of the task list: every change bumps the revision and is announced.',
      on: {
        'PROGRESS.PLAN': { actions: ['applyPlan', { type: 'notifyChanged', params: { cause: 'plan' } }] },
        // Updates for tasks the list does not hold are dropped: a model may invent ids.
        'PROGRESS.UPDATE': { guard: 'isKnownTask', actions: ['applyUpdate', { type: 'notifyChanged', params: { cause: 'update' } }] },
        'PROGRESS.REPORT': { guard: 'isKnownTask', actions: ['applyReport', { type: 'notifyChanged', params: { cause: 'report' } }] },
        'PROGRESS.ROLLUP': { actions: ['rollUp', { type: 'notifyChanged', params: { cause: 'rollup' } }] },
      },
    },
  },
});
