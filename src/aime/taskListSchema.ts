/**
 * Zod schema of the task list. The planner sends it to the model as JSON Schema
 * (z.toJSONSchema) and validates the reply with it, so the descriptions are
 * written for the model. Recursion uses a getter (zod 4's way), which keeps
 * the schema convertible to JSON Schema ($defs + $ref).
 */
import { z } from 'zod';
import { TASK_STATUSES, type TaskList } from '../../contracts/aime/taskList.js';

// Built from the domain types (contracts/aime/taskList.ts), in that direction only.
export const taskStatusSchema = z.enum(TASK_STATUSES);

export const taskItemSchema = z
  .object({
    id: z.string().describe('Dotted id unique in the list, e.g. "2" or "2.1"; keep ids of existing tasks stable.'),
    title: z.string().describe('What to do, one line.'),
    status: taskStatusSchema,
    // Defaults: models often omit empty criteria/children on leaves; that is not worth a retry.
    criteria: z.string().default('').describe('Completion criteria: how the actor knows the task is done.'),
    note: z.string().optional().describe('Latest progress message.'),
    get children(): z.ZodDefault<z.ZodArray<typeof taskItemSchema>> {
      return z.array(taskItemSchema).default([]).describe('Subtasks; the task is done when they are.');
    },
  })
  .meta({ id: 'TaskItem' });

// What it parses is a TaskList (the compiler checks the schema against the domain type).
export const taskListSchema = z.array(taskItemSchema) satisfies z.ZodType<TaskList>;
