/**
 * A goal run on a worker: the same `runGoal` as a local run, with the worker's
 * config, workspace and traces directory. The run's traces (its one event
 * stream, inspect.jsonl, included) stay on the worker; the checklist goes back
 * as job progress while it runs (what `run --redis` draws) and the report,
 * whose `paths` name them, as the job's result.
 */
import path from 'node:path';
import { UnrecoverableError, type Job } from 'bullmq';
import { renderTaskList } from '../aime/markdown.js';
import type { TaskList } from '../../contracts/aime/taskList.js';
import type { LoadedConfig } from '../config/index.js';
import type { RunReport } from '../runtime/report.js';
import { runGoal } from '../runtime/runGoal.js';
import type { ModelSet } from '../runtime/models.js';
import { extractTraceContext, withContext } from '../util/tracing.js';
import { goalJobSchema, payloadProblem, type GoalProgress } from './jobs.js';

export interface GoalProcessorDeps {
  config: LoadedConfig;
  workspace: string;
  tracesDir: string;
  models?: ModelSet;
  signal?: AbortSignal;
}

/** At most this often a progress update per job (the last one always goes). */
const PROGRESS_MS = 100;

export function makeGoalProcessor(deps: GoalProcessorDeps) {
  return async (job: Job): Promise<RunReport> => {
    const parsed = goalJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`invalid goal payload: ${payloadProblem(parsed.error)}`);
    const { goal, limits } = parsed.data;
    // A retried attempt (its worker died) starts a run of its own: the first one's files stay as they were.
    const runId = job.attemptsStarted > 1 ? `${job.id}-attempt${job.attemptsStarted}` : job.id!;
    let last = 0;
    let pending: TaskList | null = null;
    let timer: NodeJS.Timeout | null = null;
    const send = (status: string, tasks: TaskList) => {
      const progress: GoalProgress = { runId, markdown: renderTaskList(tasks), tasks, status };
      last = Date.now();
      void job.updateProgress(progress as unknown as object).catch(() => undefined);
    };
    const onTasks = (tasks: TaskList) => {
      pending = tasks;
      if (timer) return;
      const wait = Math.max(0, last + PROGRESS_MS - Date.now());
      timer = setTimeout(() => {
        timer = null;
        if (pending) send('running', pending);
      }, wait);
    };
    try {
      // The run's invoke_workflow span is a child of the submitter's context: one trace across processes.
      const report = await withContext(extractTraceContext(parsed.data), () =>
        runGoal({
          goal,
          config: deps.config,
          workspace: deps.workspace,
          tracesDir: path.resolve(deps.tracesDir),
          limits,
          runId,
          onTasks,
          ...(deps.models ? { models: deps.models } : {}),
          ...(deps.signal ? { signal: deps.signal } : {}),
        }),
      );
      return JSON.parse(JSON.stringify(report)) as RunReport;
    } finally {
      if (timer) {
        clearTimeout(timer);
        // The last list goes out before the result, so a follower always sees it.
        if (pending)
          await job
            .updateProgress({
              runId,
              markdown: renderTaskList(pending),
              tasks: pending,
              status: 'running',
            } satisfies GoalProgress as unknown as object)
            .catch(() => undefined);
      }
    }
  };
}
