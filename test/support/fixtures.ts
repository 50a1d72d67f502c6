import type { ActorSpec, ThinkResult } from '../../contracts/aime/types.js';
import type { ActorToolOutcome } from '../../machines/actor.js';
import type { TaskItem } from '../../contracts/aime/taskList.js';

export const USAGE = { promptTokens: 3, completionTokens: 2, totalTokens: 5 };

export function spec(taskId = '1', maxSteps = 2): ActorSpec {
  return {
    taskId,
    dispatchId: `${taskId}@1`,
    title: `task ${taskId}`,
    criteria: 'done',
    persona: 'generalist',
    bundles: [],
    systemPrompt: 'sys',
    taskPrompt: 'do it',
    tools: [],
    maxSteps,
  };
}

export function task(id: string, status: TaskItem['status'] = 'pending', children: TaskItem[] = []): TaskItem {
  return { id, title: `Task ${id}`, status, criteria: 'criteria', children };
}

export const thinkWithTool: ThinkResult = {
  message: { role: 'assistant', content: 'I will look', toolCalls: [{ id: 'c1', name: 'list_dir', arguments: '{}' }] },
  usage: USAGE,
};

export const thinkWithProgress: ThinkResult = {
  message: { role: 'assistant', content: '', toolCalls: [{ id: 'c2', name: 'update_progress', arguments: '{"status":"in_progress","message":"halfway"}' }] },
  usage: USAGE,
};

export const thinkFinal: ThinkResult = {
  message: { role: 'assistant', content: '{"status":"completed","summary":"all good","references":["a.txt"]}' },
  usage: USAGE,
  final: { taskId: '1', status: 'completed', summary: 'all good', references: ['a.txt'] },
};

export const toolOutcomes: ActorToolOutcome[] = [{ id: 'c1', name: 'list_dir', arguments: '{}', ok: true, observation: 'a.txt (3 B)', references: [] }];
export const progressOutcomes: ActorToolOutcome[] = [
  {
    id: 'c2',
    name: 'update_progress',
    arguments: '{}',
    ok: true,
    observation: 'progress recorded',
    references: [],
    progress: { status: 'in_progress', message: 'halfway' },
  },
];
