/**
 * The final report of a run: what `--json` prints and `report.json` holds.
 */
import { renderTaskList } from '../aime/markdown.js';
import { flattenTasks } from '../../contracts/aime/taskListOps.js';
import type { TaskStatus } from '../../contracts/aime/taskList.js';
import type { ActorReport, ActorStep, PlannerDecision } from '../../contracts/aime/types.js';
import type { TokenUsage } from '../../contracts/llm.js';
import type { JournalStats } from './journal.js';
import type { WorkflowContext } from '../../machines/workflow.js';

/** How a goal run ended. */
export type RunStatus = 'completed' | 'failed' | 'cancelled';

/** The final report of a goal run: what `report.json` and `run --json` hold. */
export interface RunReport {
  runId: string;
  goal: string;
  status: RunStatus;
  answer: string;
  /** Why the run failed or was cancelled; empty when it completed. */
  reason: string;
  model: { provider: string; model: string; offline: boolean; note?: string };
  ledger: {
    markdown: string;
    tasks: { id: string; title: string; status: TaskStatus; criteria: string; note: string; depth: number }[];
  };
  planner: { iteration: number; rationale: string; action: PlannerDecision['action'] }[];
  actors: {
    taskId: string;
    iteration: number;
    status: ActorReport['status'];
    summary: string;
    references: string[];
    steps: ActorStep[];
    usage: TokenUsage;
  }[];
  usage: TokenUsage;
  iterations: number;
  timings: { startedAt: string; endedAt: string; durationMs: number };
  /** Where the run is recorded (see runStore.ts); `inspect` is its one event stream, null when none was recorded. */
  paths: { runDir: string; inspect: string | null; report: string };
  /** Online learning: which prompt candidate ran, and what the optimizer changed after this goal. */
  learning: {
    enabled: boolean;
    candidateId: string | null;
    change: string | null;
    historyFile: string | null;
    tornHistoryTail: boolean;
    /** History records that failed their schema and were skipped, not used (`file:line: why`). */
    skippedHistoryRecords: string[];
    /** The prompt components live at the end of the run. */
    prompts: Record<string, string>;
    /** The prompt components the run started with (what a replay pins). */
    played: Record<string, string>;
    /** The trial after this goal (both arms' evidence) and the decision it took, if any. */
    trial?: unknown;
    decision?: unknown;
  };
  /** Whether this report comes from a resumed run, and what the journal answered instead of paying or acting again. */
  durability: { resumed: boolean } & JournalStats;
}

export function buildReport(args: {
  runId: string;
  context: WorkflowContext;
  model: RunReport['model'];
  startedAt: Date;
  endedAt: Date;
  paths: RunReport['paths'];
  learning: RunReport['learning'];
  durability: RunReport['durability'];
}): RunReport {
  const { context } = args;
  const depthOf = new Map<string, number>();
  const walk = (items: WorkflowContext['tasks'], depth: number) => {
    for (const t of items) {
      depthOf.set(t.id, depth);
      walk(t.children, depth + 1);
    }
  };
  walk(context.tasks, 0);
  const status: RunStatus = context.status === 'completed' ? 'completed' : context.status === 'cancelled' ? 'cancelled' : 'failed';
  return {
    runId: args.runId,
    goal: context.goal,
    status,
    answer: context.answer,
    reason: context.reason,
    model: args.model,
    ledger: {
      markdown: renderTaskList(context.tasks),
      tasks: flattenTasks(context.tasks).map((t) => ({
        id: t.id,
        title: t.title,
        status: t.status,
        criteria: t.criteria,
        note: t.note ?? '',
        depth: depthOf.get(t.id) ?? 0,
      })),
    },
    planner: context.plannerLog.map((p) => ({ iteration: p.iteration, rationale: p.rationale, action: p.action })),
    actors: context.actorRuns.map((r) => ({
      taskId: r.taskId,
      iteration: r.iteration,
      status: r.report.status,
      summary: r.report.summary,
      references: r.report.references,
      steps: r.steps,
      usage: r.usage,
    })),
    usage: context.usage,
    iterations: context.iteration,
    timings: {
      startedAt: args.startedAt.toISOString(),
      endedAt: args.endedAt.toISOString(),
      durationMs: args.endedAt.getTime() - args.startedAt.getTime(),
    },
    paths: args.paths,
    learning: args.learning,
    durability: args.durability,
  };
}
