/**
 * Zod schema of the task list. The planner sends it to the model as JSON Schema
 * (z.toJSONSchema) and validates the reply with it, so the descriptions are
 * written for the model. Recursion uses a getter (zod 4's way), which keeps
 * the schema convertible to JSON Schema ($defs + $ref).
 */
import { z } from 'zod';
import type { TaskList, TaskStatus } from '../../contracts/aime/taskList.js';

export const taskStatusSchema = z.enum(['pending', 'in_progress', 'completed', 'failed', 'skipped']);

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

export const taskListSchema = z.array(taskItemSchema);

// Compile-time guards: the schema and the hand-written types must not drift apart.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const statusesMatch: Same<z.infer<typeof taskStatusSchema>, TaskStatus> = true;
const outputIsTaskList: z.infer<typeof taskListSchema> extends TaskList ? true : false = true;
const taskListIsInput: TaskList extends z.input<typeof taskListSchema> ? true : false = true;
void statusesMatch;
void outputIsTaskList;
void taskListIsInput;
