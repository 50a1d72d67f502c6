/**
 * gepa-aime/testing: the scripted model (the public test double) and helpers
 * for testing code built on gepa-aime without a model server.
 *
 * @example
 * ```ts
 * import { runGoal } from 'gepa-aime';
 * import { ScriptedModel, actorReport, collectEvents, plannerReply, task, tempWorkspace } from 'gepa-aime/testing';
 * const ws = await tempWorkspace({ 'notes.txt': 'hello' });
 * const planner = new ScriptedModel([plannerReply([task('1', 'Read notes.txt')], { type: 'dispatch', taskIds: ['1'] }), plannerReply([task('1', 'Read notes.txt', 'completed')], { type: 'finish', answer: 'done' })]);
 * const actor = new ScriptedModel([actorReport('read it')]);
 * const events = await collectEvents(runGoal('read the notes', { workspace: ws.dir, tracesDir: ws.traces, model: { planner, actor } }));
 * ```
 *
 * @packageDocumentation
 */
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TaskItem, TaskStatus } from '../../contracts/aime/taskList.js';
import type { PlannerAction } from '../../contracts/aime/types.js';
import type { ChatResponse } from '../../contracts/llm.js';

export { ScriptedModel, reply, estimateUsage, type ScriptedReply } from '../llm/scripted.js';
export { OfflineModel } from '../aime/offline/index.js';

/** Anything with an event stream (a goal, team or optimize handle). */
export interface HasEvents<E> {
  events(): AsyncIterableIterator<E>;
}

/** Consumes a run's events to the end and returns them in order. */
export async function collectEvents<E>(run: HasEvents<E>): Promise<E[]> {
  const out: E[] = [];
  for await (const event of run.events()) out.push(event);
  return out;
}

/** A temporary workspace and traces directory, with optional files (relative paths) in the workspace. */
export interface TempWorkspace {
  /** The workspace (real path). */
  dir: string;
  /** A traces directory beside it, outside the workspace. */
  traces: string;
  /** Removes both. */
  cleanup(): Promise<void>;
}

/** Creates a temporary workspace (and traces directory) holding `files`. */
export async function tempWorkspace(files: Record<string, string> = {}): Promise<TempWorkspace> {
  const root = await fsp.realpath(await fsp.mkdtemp(path.join(os.tmpdir(), 'gepa-aime-')));
  const dir = path.join(root, 'workspace');
  const traces = path.join(root, 'traces');
  await fsp.mkdir(dir);
  await fsp.mkdir(traces);
  for (const [rel, content] of Object.entries(files)) {
    const file = path.resolve(dir, rel);
    if (!file.startsWith(dir + path.sep)) throw new Error(`tempWorkspace: ${JSON.stringify(rel)} is not a path inside the workspace`);
    await fsp.mkdir(path.dirname(file), { recursive: true });
    await fsp.writeFile(file, content);
  }
  return { dir, traces, cleanup: () => fsp.rm(root, { recursive: true, force: true }) };
}

/** A task for a scripted planner reply; criteria default to "<title> is done". */
export function task(id: string, title: string, status: TaskStatus = 'pending', children: TaskItem[] = []): TaskItem {
  return { id, title, status, criteria: `${title} is done`, children };
}

/** A planner reply (the JSON the planner's schema asks for): the updated task list and the next action. */
export function plannerReply(tasks: TaskItem[], action: PlannerAction, rationale = 'scripted'): Partial<ChatResponse> {
  return { content: JSON.stringify({ rationale, tasks, action }) };
}

/** An actor's final reply: its report o_t. */
export function actorReport(summary: string, options: { status?: 'completed' | 'failed'; references?: string[] } = {}): Partial<ChatResponse> {
  return { content: JSON.stringify({ status: options.status ?? 'completed', summary, references: options.references ?? [] }) };
}
