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
 *   workflow  --OPTIMIZER.OUTCOME-->   optimizer --OPTIMIZER.PROMPTS / OPTIMIZER.SETTLED--> workflow
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

// ---- optimizer protocol -----------------------------------------------------

/** One scored outcome for online GEPA: which prompt texts were used, and how it went. */
export type OptimizerOutcomeEvent = {
  type: 'OPTIMIZER.OUTCOME';
  kind: 'subtask' | 'goal';
  components: Record<string, string>;
  input: string;
  output: string;
  score: number;
  feedback: string;
  /** Set when the infrastructure caused the outcome (transport or provider error, cancellation, a limit): never scored or learned from. */
  excluded?: string;
};
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

export type OptimizerInbound = OptimizerOutcomeEvent;

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
