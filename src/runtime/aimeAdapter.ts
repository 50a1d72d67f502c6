/**
 * The AIME runtime itself as a GEPA adapter: the candidate is its planner
 * prompt (`planner`) and persona prompts (`persona.<name>`), an example is a
 * goal, and an evaluation is a real run of the goal (runGoal, learning off,
 * the candidate's prompts) in the example's workspace or a fresh temp one.
 * The score comes from a scorer module or the judge (src/judge; it gets
 * `example.report` and `example.runWorkspace`), or by default: 1 when the run
 * completed and, if the example has `expected`, the answer contains it.
 */
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { WorkflowLimits } from '../../machines/workflow.js';
import { PLANNER_COMPONENT, personaComponent, toolComponent } from '../../contracts/aime/prompts.js';
import { loadToolRegistry } from '../tools/registry.js';
import { mapPool } from '../gepa/pool.js';
import type { LoadedConfig } from '../config/index.js';
import type { EvaluationBatch, GepaAdapter, ReflectiveDataset, ReflectiveRecord } from '../gepa/index.js';
import { toScoreResult, type ScoreResult, type Scorer, type TeamScorerArgs } from '../gepa/scorer.js';
import type { TeamExample } from '../../contracts/teams/types.js';
import { errorMessage } from '../../contracts/errors.js';
import { isJudgeError } from '../judge/judge.js';
import { copyWorkspace } from './workspaceCopy.js';
import type { ModelSet } from './models.js';
import type { RunReport } from './report.js';
import { initialPrompts, runGoal } from './runGoal.js';

/**
 * `{input: goal, expected?, workspace?, workspace_copy?}`; a relative workspace is resolved
 * against `baseDir`. With `workspace_copy: true` each evaluation runs in a fresh copy of it,
 * so one candidate's files never count for another (generated data sets set it).
 */
export type GoalExample = TeamExample & { workspace?: string; workspace_copy?: boolean };

export interface GoalTrajectory {
  goal: string;
  status: RunReport['status'] | 'error';
  answer: string;
  reason: string;
  iterations: number;
  planner: { iteration: number; rationale: string; action: string }[];
  /** One per subtask run, with the persona that ran it. */
  actors: { taskId: string; persona: string; status: string; summary: string; tools?: { tool: string; ok: boolean; observation: string }[] }[];
  tokens: number;
  score: number;
  feedback: string;
  error: string | null;
}

export interface AimeAdapterOptions {
  config: LoadedConfig;
  /** Default: built from config.model. */
  models?: ModelSet;
  /** Called (goal, answer, expected, example) with `example.report` set to the run report. */
  scorer?: Scorer<TeamScorerArgs> | null;
  /** Where run traces go (one run directory per evaluation, in the run store). */
  tracesDir: string;
  /** Record each evaluation's event stream (inspect.jsonl) for replay; default false (an evaluation is paid for in time). */
  eventStream?: boolean;
  /** Relative example workspaces are resolved against it (default: the current directory). */
  baseDir?: string;
  limits?: Partial<WorkflowLimits>;
}

export function aimeSeedCandidate(config: LoadedConfig): Record<string, string> {
  return initialPrompts(config.personas.personas);
}

/**
 * One component `tool.<name>.description` per bundle tool, so GEPA evolves
 * how tools are described to the agents (only the text changes, never what a
 * tool does or may do).
 */
export async function aimeToolComponents(config: LoadedConfig): Promise<Record<string, string>> {
  const registry = await loadToolRegistry(config.tools, { configDir: config.dir });
  const out: Record<string, string> = {};
  for (const bundle of registry.bundles.values()) for (const tool of bundle.tools) out[toolComponent(tool.name)] = tool.description;
  return out;
}

/** The default score: completed, and the expected text (if any) appears in the answer. */
export function goalScore(report: Pick<RunReport, 'status' | 'answer' | 'reason'>, expected: string | undefined): ScoreResult {
  const result = (score: number, feedback: string): ScoreResult => ({ score, feedback, metadata: { feedback } });
  if (report.status !== 'completed') return result(0, `The run did not complete (${report.status}): ${report.reason || 'no reason given'}.`);
  if (expected !== undefined && !report.answer.toLowerCase().includes(expected.toLowerCase())) {
    return result(0, `The run completed, but the answer does not contain the expected text ${JSON.stringify(expected)}.`);
  }
  return result(1, 'The goal was completed' + (expected !== undefined ? ' and the answer contains the expected text.' : '.'));
}

/** A scorer's value without feedback, in words reflection can use. */
const runFeedback = (score: number): string => `The run scored ${score}.`;

/** Persona per task id, read from the workflow's context as the run goes (the report does not carry it). */
function personaWatcher(): { inspect: (ev: unknown) => void; personaOf: () => Record<string, string> } {
  let personaOf: Record<string, string> = {};
  return {
    inspect: (ev) => {
      const e = ev as { type?: string; snapshot?: { context?: { personaOf?: unknown } } };
      const p = e.type === '@xstate.snapshot' ? e.snapshot?.context?.personaOf : undefined;
      if (p && typeof p === 'object') personaOf = p as Record<string, string>;
    },
    personaOf: () => personaOf,
  };
}

export function createAimeAdapter(o: AimeAdapterOptions): GepaAdapter<GoalExample, string, GoalTrajectory> {
  const baseDir = o.baseDir ?? process.cwd();

  async function evaluateOne(example: GoalExample, candidate: Record<string, string>, signal?: AbortSignal): Promise<GoalTrajectory> {
    const copy = Boolean(example.workspace && example.workspace_copy);
    const temp = example.workspace && !copy ? null : await fsp.mkdtemp(path.join(os.tmpdir(), 'gepa-aime-goal-'));
    const workspace = example.workspace && !copy ? path.resolve(baseDir, example.workspace) : temp!;
    if (copy) await copyWorkspace(path.resolve(baseDir, example.workspace!), workspace);
    const watch = personaWatcher();
    try {
      const report = await runGoal({
        goal: example.input,
        config: o.config,
        workspace,
        tracesDir: o.tracesDir,
        learn: false,
        prompts: candidate,
        ...(o.eventStream ? {} : { eventStream: false as const }),
        inspect: watch.inspect,
        ...(o.models ? { models: o.models } : {}),
        ...(o.limits ? { limits: o.limits } : {}),
        ...(signal ? { signal } : {}),
      });
      if (signal?.aborted) throw new Error('cancelled');
      const result = o.scorer
        ? toScoreResult(
            await o.scorer(example.input, report.answer, example.expected, { ...example, report, runWorkspace: workspace }),
            'the scorer',
            runFeedback,
          )
        : goalScore(report, example.expected);
      const personaOf = watch.personaOf();
      return {
        goal: example.input,
        status: report.status,
        answer: report.answer,
        reason: report.reason,
        iterations: report.iterations,
        planner: report.planner.map((p) => ({ iteration: p.iteration, rationale: p.rationale, action: p.action.type })),
        actors: report.actors.map((a) => ({
          taskId: a.taskId,
          persona: personaOf[a.taskId] ?? '',
          status: a.status,
          summary: a.summary,
          tools: a.steps.filter((s) => s.action).map((s) => ({ tool: s.action!.tool, ok: s.ok, observation: s.observation.slice(0, 300) })),
        })),
        tokens: report.usage.totalTokens,
        score: result.score,
        feedback: result.feedback,
        error: null,
      };
    } finally {
      if (temp) await fsp.rm(temp, { recursive: true, force: true });
    }
  }

  return {
    async evaluate(batch, candidate, captureTraces, options) {
      // Goals in temporary workspaces are independent runs: up to the engine's hint at once.
      // Goals that name a workspace may share it, so they run one after another.
      const limit = batch.some((e) => e.workspace) ? 1 : Math.max(1, options?.maxConcurrency ?? 1);
      const trajectories = await mapPool(batch, limit, async (example): Promise<GoalTrajectory> => {
        try {
          return await evaluateOne(example, candidate, options?.signal);
        } catch (err) {
          // A judge that could not judge is not a bad run: the evaluation fails, it is not scored 0.
          if (options?.signal?.aborted || isJudgeError(err)) throw err;
          const error = errorMessage(err);
          return {
            goal: example.input,
            status: 'error',
            answer: '',
            reason: error,
            iterations: 0,
            planner: [],
            actors: [],
            tokens: 0,
            score: 0,
            feedback: `The run could not be evaluated: ${error}`,
            error,
          };
        }
      });
      const out: EvaluationBatch<string, GoalTrajectory> = { outputs: trajectories.map((t) => t.answer), scores: trajectories.map((t) => t.score) };
      return captureTraces ? { ...out, trajectories } : out;
    },

    makeReflectiveDataset(_candidate, evalBatch, components): ReflectiveDataset {
      const runs = (evalBatch.trajectories ?? []) as GoalTrajectory[];
      const dataset: ReflectiveDataset = {};
      for (const component of components) {
        if (component === PLANNER_COMPONENT) {
          dataset[component] = runs.map(plannerRecord);
          continue;
        }
        const records: ReflectiveRecord[] = [];
        // A tool description learns from the calls of that tool: how the agents used it, and what came back.
        const tool = /^tool\.(.+)\.description$/.exec(component)?.[1];
        if (tool !== undefined) {
          for (const run of runs) {
            for (const a of run.actors) {
              const calls = (a.tools ?? []).filter((c) => c.tool === tool);
              if (calls.length)
                records.push({ ...subtaskRecord(run, a), 'Tool calls': calls.map((c) => `${c.ok ? 'ok' : 'error'}: ${c.observation}`).join('\n') });
            }
          }
          dataset[component] = records;
          continue;
        }
        // A persona learns from the subtasks it ran.
        for (const run of runs) {
          for (const a of run.actors) if (personaComponent(a.persona) === component) records.push(subtaskRecord(run, a));
        }
        dataset[component] = records;
      }
      return dataset;
    },
  };
}

function plannerRecord(t: GoalTrajectory): ReflectiveRecord {
  const steps = t.planner.map((p) => `${p.iteration}. ${p.action}: ${p.rationale}`).join('\n');
  const subtasks = t.actors.map((a) => `[${a.taskId}] ${a.status}: ${a.summary.slice(0, 300)}`).join('\n');
  return {
    Inputs: `Goal: ${t.goal}`,
    'Generated Outputs': `Run ${t.status} after ${t.iterations} planner iterations.${t.answer ? `\nAnswer: ${t.answer.slice(0, 1000)}` : ''}${t.reason ? `\nReason: ${t.reason}` : ''}${steps ? `\nPlanner steps:\n${steps}` : ''}${subtasks ? `\nSubtasks:\n${subtasks}` : ''}`,
    Feedback: t.feedback,
  };
}

function subtaskRecord(t: GoalTrajectory, a: GoalTrajectory['actors'][number]): ReflectiveRecord {
  return {
    Inputs: `Goal: ${t.goal}\nSubtask [${a.taskId}]`,
    'Generated Outputs': `${a.status}: ${a.summary.slice(0, 1000)}`,
    Feedback: `${a.status === 'completed' ? 'The subtask was completed.' : 'The subtask failed.'} ${t.feedback}`,
  };
}
