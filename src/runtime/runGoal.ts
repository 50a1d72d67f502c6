/**
 * Runs one goal: builds the actor system from config, starts the workflow,
 * records its events, and writes the final report. Every run leaves
 * traces/runs/<runId>/events.jsonl and report.json, whatever happens.
 */
import crypto from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { createActor, type ActorOptions, type AnyActorLogic, type InspectionEvent } from 'xstate';
import type { WorkflowContext, WorkflowLimits } from '../../machines/workflow.js';
import { DEFAULT_PLANNER_PROMPT, PLANNER_COMPONENT, personaComponent } from '../aime/prompts.js';
import type { TaskList } from '../aime/taskList.js';
import type { LoadedConfig } from '../config/index.js';
import { loadToolRegistry } from '../tools/registry.js';
import { errorMessage } from '../util/errors.js';
import { JsonlAppender, writeFileAtomic } from '../util/jsonl.js';
import { EventRecorder, type RunEventRecord } from './eventLog.js';
import { createModelSet, type ModelSet } from './models.js';
import { buildReport, type RunReport } from './report.js';
import { wireWorkflow } from './wiring.js';

export const DEFAULT_LIMITS: WorkflowLimits = {
  maxIterations: 12,
  maxActorSteps: 10,
  maxParallelActors: 1,
  tokenBudget: null,
  deadlineMs: null,
};

/** Goals longer than this are refused: nothing useful fits, and it protects every prompt downstream. */
export const MAX_GOAL_CHARS = 20_000;

export class RunInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunInputError';
  }
}

export interface RunOptions {
  goal: string;
  config: LoadedConfig;
  workspace: string;
  tracesDir: string;
  limits?: Partial<WorkflowLimits>;
  /** Override the models from config (tests use scripted ones). */
  models?: ModelSet;
  runId?: string;
  signal?: AbortSignal;
  clock?: ActorOptions<AnyActorLogic>['clock'];
  now?: () => Date;
  /** Called whenever the progress manager's list changes. */
  onTasks?: (tasks: TaskList) => void;
  onEvent?: (record: RunEventRecord) => void;
  /** Extra inspection observer (dashboard, Stately inspector). */
  inspect?: (event: InspectionEvent) => void;
}

export function newRunId(now: Date): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${crypto.randomBytes(3).toString('hex')}`;
}

export async function checkGoal(goal: string): Promise<string> {
  const trimmed = goal.trim();
  if (!trimmed) throw new RunInputError('the goal is empty: say what you want done, e.g. gepa-aime run "Summarise the repository layout"');
  if (trimmed.length > MAX_GOAL_CHARS) throw new RunInputError(`the goal is ${trimmed.length} characters long; the limit is ${MAX_GOAL_CHARS}. Put long material in a file in the workspace and refer to it.`);
  return trimmed;
}

export async function checkWorkspace(dir: string): Promise<string> {
  let real: string;
  try {
    real = await fsp.realpath(dir);
  } catch {
    throw new RunInputError(`workspace "${dir}" does not exist`);
  }
  if (!(await fsp.stat(real)).isDirectory()) throw new RunInputError(`workspace "${dir}" is not a directory`);
  return real;
}

export function initialPrompts(personas: Record<string, { prompt: string }>): Record<string, string> {
  const prompts: Record<string, string> = { [PLANNER_COMPONENT]: DEFAULT_PLANNER_PROMPT };
  for (const [name, p] of Object.entries(personas)) prompts[personaComponent(name)] = p.prompt;
  return prompts;
}

export async function runGoal(opts: RunOptions): Promise<RunReport> {
  const goal = await checkGoal(opts.goal);
  const workspace = await checkWorkspace(opts.workspace);
  const now = opts.now ?? (() => new Date());
  const startedAt = now();
  const runId = opts.runId ?? newRunId(startedAt);
  const runDir = path.join(opts.tracesDir, 'runs', runId);
  await fsp.mkdir(runDir, { recursive: true });
  const paths = { runDir, events: path.join(runDir, 'events.jsonl'), report: path.join(runDir, 'report.json') };

  const { config } = opts;
  const models = opts.models ?? createModelSet(config.model);
  const registry = await loadToolRegistry(config.tools, { configDir: config.dir });
  const personas = config.personas.personas;
  const machine = wireWorkflow({
    models,
    tools: registry.tools,
    bundles: registry.bundles,
    personas,
    defaultPersona: config.personas.default_persona,
    workspace,
    now,
  });

  const log = new JsonlAppender(paths.events);
  const recorder = new EventRecorder(startedAt.getTime(), () => now().getTime());
  const record = (r: RunEventRecord) => {
    log.append(r);
    opts.onEvent?.(r);
  };
  record({ seq: -1, t: 0, kind: 'actor', actor: 'run', data: { runId, goal, workspace, model: models.describe() } });

  const actor = createActor(machine, {
    systemId: 'workflow',
    input: { goal, limits: { ...DEFAULT_LIMITS, ...opts.limits }, prompts: initialPrompts(personas) },
    ...(opts.clock ? { clock: opts.clock } : {}),
    inspect: (ev) => {
      for (const r of recorder.fromInspection(ev)) record(r);
      opts.inspect?.(ev);
    },
  });

  let lastTasks: TaskList | null = null;
  const finished = new Promise<WorkflowContext>((resolve, reject) => {
    actor.subscribe({
      next: (snap) => {
        if (snap.context.tasks !== lastTasks) {
          lastTasks = snap.context.tasks;
          opts.onTasks?.(lastTasks);
        }
        if (snap.status === 'done') resolve(snap.context);
      },
      error: reject,
    });
  });
  const cancel = () => actor.send({ type: 'WORKFLOW.CANCEL', reason: 'interrupted by the user' });
  if (opts.signal?.aborted) queueMicrotask(cancel);
  opts.signal?.addEventListener('abort', cancel, { once: true });

  let context: WorkflowContext;
  try {
    actor.start();
    context = await finished;
  } catch (err) {
    // A bug in the runtime must still leave a report that says what happened.
    context = { ...actor.getSnapshot().context, status: 'failed', reason: `internal error: ${errorMessage(err)}` };
  } finally {
    opts.signal?.removeEventListener('abort', cancel);
    actor.stop();
  }

  const model = models.describe();
  const report = buildReport({
    runId,
    context,
    model: model.offline
      ? { ...model, note: 'This run used the embedded offline model: deterministic rules, no language model.' }
      : model,
    startedAt,
    endedAt: now(),
    paths,
  });
  record({ seq: -1, t: now().getTime() - startedAt.getTime(), kind: 'actor', actor: 'run', data: { status: report.status, reason: report.reason } });
  log.close();
  await writeFileAtomic(paths.report, `${JSON.stringify(report, null, 2)}\n`);
  return report;
}
