/**
 * update_progress: the system tool in every actor's toolkit (AIME's progress
 * management module). The actor state machine intercepts this call and sends
 * the progress manager an event, so `run` is a stand-in that is never used by
 * the runtime; it exists so the tool has a spec and a harmless fallback.
 */
import { z } from 'zod';
import type { Tool } from '../types.js';

export const UPDATE_PROGRESS_TOOL = 'update_progress';

export const updateProgressParams = z.object({
  status: z
    .enum(['in_progress', 'completed', 'failed', 'blocked'])
    .describe('"in_progress" while working, "completed" when the subtask is done, "failed" when it cannot be done, "blocked" when waiting on something else.'),
  message: z.string().describe('One or two sentences: what was just done or found, or what is blocking.'),
});
export type UpdateProgressArgs = z.infer<typeof updateProgressParams>;

export const updateProgressTool: Tool<UpdateProgressArgs> = {
  name: UPDATE_PROGRESS_TOOL,
  description:
    'Report progress on your subtask to the team. Call it when you start something notable, reach a milestone, finish, fail, or are blocked. It does not end your turn.',
  parameters: updateProgressParams,
  sideEffect: false,
  run: async () => ({ ok: true, output: 'progress recorded' }),
};
