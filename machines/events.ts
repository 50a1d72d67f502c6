/**
 * The contract between the actors of a run. Every message any actor sends to
 * another is one of these. Read top to bottom, this file is the whole
 * conversation of the system:
 *
 *   workflow  --PLANNER.PLAN-->        planner   --PLANNER.DECIDED / PLANNER.FAILED--> workflow
 *   workflow  --PROGRESS.PLAN-->       progress  --PROGRESS.CHANGED-->                 workflow
 *   actor:<id> --PROGRESS.UPDATE-->    progress        (the update_progress system tool)
 *   workflow  --PROGRESS.REPORT / PROGRESS.ROLLUP--> progress
 *   actor:<id> --ACTOR.USAGE / ACTOR.STEP / ACTOR.REPORTED--> workflow
 *   workflow  --SUBTASK.FINISHED / GOAL.FINISHED--> optimizer   (only when online learning is on)
 *   optimizer --OPTIMIZER.PROMPTS / OPTIMIZER.SETTLED--> workflow
 *   outside   --WORKFLOW.CANCEL / WORKFLOW.DEADLINE--> workflow
 */
import type { TokenUsage } from '../contracts/llm.js';
import type { ActorReport, ActorStep, PlannerDecision } from '../contracts/aime/types.js';
import type { TaskList } from '../contracts/aime/taskList.js';
import type { DecisionSummary, Trial } from '../contracts/gepa/trial.js';

// ---- planner protocol -------------------------------------------------------

export type PlannerPlanEvent = {
  type: 'PLANNER.PLAN';
  goal: string;
  tasks: TaskList;
  history: ActorReport[];
  iteration: number;
  plannerPrompt: string;
};
export type PlannerDecidedEvent = { type: 'PLANNER.DECIDED'; decision: PlannerDecision; usage: TokenUsage; raw: string };
/** `infrastructure` is set when the model call failed (not the planner's reply): no evidence about the prompts. */
export type PlannerFailedEvent = { type: 'PLANNER.FAILED'; reason: string; usage: TokenUsage; infrastructure?: string };

export type PlannerInbound = PlannerPlanEvent;

// ---- progress protocol ------------------------------------------------------

export type ProgressStatusUpdate = 'in_progress' | 'completed' | 'failed' | 'blocked';

export type ProgressPlanEvent = { type: 'PROGRESS.PLAN'; tasks: TaskList };
export type ProgressUpdateEvent = {
  type: 'PROGRESS.UPDATE';
  taskId: string;
  status: ProgressStatusUpdate;
  message: string;
  /** Who sent it, e.g. `actor:2` or `workflow`. */
  from: string;
};
export type ProgressReportEvent = { type: 'PROGRESS.REPORT'; report: ActorReport };
export type ProgressRollupEvent = { type: 'PROGRESS.ROLLUP' };

export type ProgressInbound = ProgressPlanEvent | ProgressUpdateEvent | ProgressReportEvent | ProgressRollupEvent;

export type ProgressChangedEvent = {
  type: 'PROGRESS.CHANGED';
  tasks: TaskList;
  revision: number;
  cause: 'plan' | 'update' | 'report' | 'rollup';
};

// ---- dynamic actor protocol -------------------------------------------------

export type ActorUsageEvent = { type: 'ACTOR.USAGE'; taskId: string; usage: TokenUsage };
export type ActorStepEvent = { type: 'ACTOR.STEP'; taskId: string; step: ActorStep };
export type ActorReportedEvent = {
  type: 'ACTOR.REPORTED';
  report: ActorReport;
  steps: ActorStep[];
  usage: TokenUsage;
};

// ---- what the workflow tells its observer (the optimizer) --------------------

/**
 * A dispatched subtask ended with its actor's report. Plain AIME facts: the
 * optimizer decides what they mean for learning (see machines/optimizer.ts).
 */
export type SubtaskFinishedEvent = {
  type: 'SUBTASK.FINISHED';
  goal: string;
  /** The task as the list held it when the report came (absent if the planner dropped it). */
  task: { title: string; criteria: string } | null;
  /** The persona the actor factory gave the actor. */
  persona: string;
  report: ActorReport;
  /** The prompt components the run used (`planner`, `persona.<name>`). */
  prompts: Record<string, string>;
};

/** The goal's outcome is decided (before the run ends). */
export type GoalFinishedEvent = {
  type: 'GOAL.FINISHED';
  goal: string;
  outcome: 'completed' | 'failed';
  answer: string;
  reason: string;
  iterations: number;
  /** H_t: every actor report of the run. */
  history: ActorReport[];
  /** The personas that ran a subtask. */
  personas: string[];
  prompts: Record<string, string>;
  /** Set when the infrastructure or a limit (not the agents) failed the goal itself. */
  infrastructure: string | null;
};

// ---- optimizer protocol -----------------------------------------------------

export type OptimizerPromptsEvent = { type: 'OPTIMIZER.PROMPTS'; prompts: Record<string, string>; candidateId: string; reason: string };
/** The answer to a goal outcome: learning for this goal is done (and persisted). */
export type OptimizerSettledEvent = {
  type: 'OPTIMIZER.SETTLED';
  activeId: string;
  composite: number | null;
  /** What changed because of this goal, if anything (a challenger proposed, a switch, a rejection). */
  change: string | null;
  /** The candidate this run played. */
  armId: string;
  /** The trial running after this goal, with both arms' evidence; null when none. */
  trial: Trial | null;
  /** The trial decided by this goal, with its evidence; null when none was. */
  decision: DecisionSummary | null;
};

export type OptimizerInbound = SubtaskFinishedEvent | GoalFinishedEvent;

// ---- control ----------------------------------------------------------------

export type WorkflowCancelEvent = { type: 'WORKFLOW.CANCEL'; reason?: string };
/** The wall-clock deadline passed (sent by the runtime for resumed runs, whose delayed events XState does not persist). */
export type WorkflowDeadlineEvent = { type: 'WORKFLOW.DEADLINE' };

/** Everything the workflow (root) actor can receive. */
export type WorkflowEvent =
  | PlannerDecidedEvent
  | PlannerFailedEvent
  | ProgressChangedEvent
  | ActorUsageEvent
  | ActorStepEvent
  | ActorReportedEvent
  | OptimizerPromptsEvent
  | OptimizerSettledEvent
  | WorkflowCancelEvent
  | WorkflowDeadlineEvent;
