/**
 * The progress manager (AIME §4.4): the single writer of the task list.
 * Everyone else sends it events; after every change it tells its parent (the
 * workflow) the new list and why it changed.
 */
import { assign, sendParent, setup } from 'xstate';
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
      on: {
        'PROGRESS.PLAN': {
          actions: [
            assign(({ context, event }) => ({ tasks: mergePlan(context.tasks, event.tasks), revision: context.revision + 1 })),
            { type: 'notifyChanged', params: { cause: 'plan' } },
          ],
        },
        'PROGRESS.UPDATE': {
          // Updates for tasks the list does not hold are dropped: a model may invent ids.
          guard: 'isKnownTask',
          actions: [
            assign(({ context, event }) => ({
              tasks: updateTask(context.tasks, event.taskId, statusFromUpdate(event)),
              revision: context.revision + 1,
            })),
            { type: 'notifyChanged', params: { cause: 'update' } },
          ],
        },
        'PROGRESS.REPORT': {
          guard: 'isKnownTask',
          actions: [
            assign(({ context, event }) => ({
              tasks: updateTask(context.tasks, event.report.taskId, { status: event.report.status, note: event.report.summary }),
              revision: context.revision + 1,
            })),
            { type: 'notifyChanged', params: { cause: 'report' } },
          ],
        },
        'PROGRESS.ROLLUP': {
          actions: [
            assign(({ context }) => ({ tasks: rollUpStatuses(context.tasks), revision: context.revision + 1 })),
            { type: 'notifyChanged', params: { cause: 'rollup' } },
          ],
        },
      },
    },
  },
});
