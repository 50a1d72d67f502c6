/**
 * The events of a goal run, as the library publishes them. They are derived
 * from the run's one inspection stream (the typed actor events of
 * machines/events.ts, as XState's inspector sees them arrive at the
 * workflow), not from a second event system: a `tasks.changed` is the
 * progress manager's PROGRESS.CHANGED, an `actor.step` is an ACTOR.STEP, and
 * so on. Approval events come from the approval gate; `run.end` from the
 * final report.
 */
import type { InspectionEvent } from 'xstate';
import type { WorkflowEvent } from '../../machines/events.js';
import { renderTaskList } from '../aime/markdown.js';
import type { TaskList } from '../../contracts/aime/taskList.js';
import type { ActorReport, ActorStep, PlannerAction } from '../../contracts/aime/types.js';
import { addUsage, ZERO_USAGE, type TokenUsage } from '../../contracts/llm.js';
import type { RunReport, RunStatus } from '../runtime/report.js';
import type { RunStarted } from '../runtime/runGoal.js';
import type { ApprovalNotice } from '../tools/approval.js';

/** The run has started: its id, goal, workspace and the model it uses. */
export interface RunStartedEvent {
  type: 'run.started';
  runId: string;
  goal: string;
  workspace: string;
  model: { provider: string; model: string; offline: boolean };
}

/** The progress manager's task list changed (it is the list's only writer). */
export interface TasksChangedEvent {
  type: 'tasks.changed';
  /** What changed it: the planner's new list, an actor's `update_progress`, an actor's report, or the roll-up of parents. */
  cause: 'plan' | 'update' | 'report' | 'rollup';
  revision: number;
  tasks: TaskList;
  /** The list as Markdown (`- [x] 1. Title`). */
  markdown: string;
}

/** The planner decided the next action (AIME Eq. 1). */
export interface PlannerDecidedEvent {
  type: 'planner.decided';
  iteration: number;
  rationale: string;
  action: PlannerAction;
}

/** The planner step failed (e.g. its reply broke the schema twice); the run fails with this reason. */
export interface PlannerFailedEvent {
  type: 'planner.failed';
  iteration: number;
  reason: string;
}

/** One ReAct step of an actor: its thought, the tool call it made (or null), and the observation. */
export interface ActorStepEvent {
  type: 'actor.step';
  taskId: string;
  step: ActorStep;
}

/** An actor finished its subtask with its report o_t. */
export interface ActorReportedEvent {
  type: 'actor.reported';
  taskId: string;
  report: ActorReport;
  usage: TokenUsage;
}

/** Tokens used by one model call, and the run's total so far. */
export interface ModelUsageEvent {
  type: 'model.usage';
  role: 'planner' | 'actor';
  /** The subtask, for actor calls. */
  taskId: string | null;
  usage: TokenUsage;
  total: TokenUsage;
}

/** A tool call waits for the approval handler. */
export interface ApprovalRequestedEvent {
  type: 'approval.requested';
  id: string;
  /** The task id (goal runs) or agent name (team runs) asking. */
  requester: string;
  tool: string;
  arguments: string;
  sideEffect: boolean;
}

/** The approval decision for a request; a denied call is not run and the actor is told why. */
export interface ApprovalDecidedEvent {
  type: 'approval.decided';
  id: string;
  requester: string;
  tool: string;
  decision: 'approve' | 'deny';
  reason: string;
}

/** The last event of every run that produced a report: its status is the report's. */
export interface RunEndEvent {
  type: 'run.end';
  status: RunStatus;
  reason: string;
  answer: string;
  report: RunReport;
}

/** Every event of a goal run, discriminated by `type`. */
export type GoalEvent =
  | RunStartedEvent
  | TasksChangedEvent
  | PlannerDecidedEvent
  | PlannerFailedEvent
  | ActorStepEvent
  | ActorReportedEvent
  | ModelUsageEvent
  | ApprovalRequestedEvent
  | ApprovalDecidedEvent
  | RunEndEvent;

/** Turns the run's start, its inspection stream and approval notices into GoalEvents. */
export class GoalEventDeriver {
  private iteration = 0;
  private total: TokenUsage = ZERO_USAGE;
  /** Steps streamed per running actor, so the report's closing steps are streamed once. */
  private readonly streamed = new Map<string, number>();

  constructor(private readonly emit: (event: GoalEvent) => void) {}

  /** The runtime names the run once it has its id and directory. */
  started(run: Pick<RunStarted, 'runId' | 'goal' | 'workspace' | 'model'>): void {
    const { provider, model, offline } = run.model;
    this.emit({ type: 'run.started', runId: run.runId, goal: run.goal, workspace: run.workspace, model: { provider, model, offline } });
  }

  fromInspection(ev: InspectionEvent): void {
    if (ev.type !== '@xstate.event') return;
    const target = (ev.actorRef as { systemId?: string }).systemId;
    if (target === 'planner' && ev.event.type === 'PLANNER.PLAN') {
      this.iteration = (ev.event as unknown as { iteration: number }).iteration;
      return;
    }
    if (target !== 'workflow') return;
    const e = ev.event as WorkflowEvent;
    switch (e.type) {
      case 'PROGRESS.CHANGED':
        this.emit({ type: 'tasks.changed', cause: e.cause, revision: e.revision, tasks: e.tasks, markdown: renderTaskList(e.tasks) });
        return;
      case 'PLANNER.DECIDED':
        this.usage('planner', null, e.usage);
        this.emit({ type: 'planner.decided', iteration: this.iteration, rationale: e.decision.rationale, action: e.decision.action });
        return;
      case 'PLANNER.FAILED':
        this.usage('planner', null, e.usage);
        this.emit({ type: 'planner.failed', iteration: this.iteration, reason: e.reason });
        return;
      case 'ACTOR.USAGE':
        this.usage('actor', e.taskId, e.usage);
        return;
      case 'ACTOR.STEP':
        this.streamed.set(e.taskId, (this.streamed.get(e.taskId) ?? 0) + 1);
        this.emit({ type: 'actor.step', taskId: e.taskId, step: e.step });
        return;
      case 'ACTOR.REPORTED': {
        // The closing step (the final reply, action `finish`) travels only in the report's steps.
        const taskId = e.report.taskId;
        for (const step of e.steps.slice(this.streamed.get(taskId) ?? 0)) this.emit({ type: 'actor.step', taskId, step });
        this.streamed.delete(taskId);
        this.emit({ type: 'actor.reported', taskId, report: e.report, usage: e.usage });
        return;
      }
      default:
        return;
    }
  }

  fromApproval(notice: ApprovalNotice): void {
    if (notice.type === 'requested') this.emit({ type: 'approval.requested', ...notice.request });
    else
      this.emit({
        type: 'approval.decided',
        id: notice.id,
        requester: notice.requester,
        tool: notice.tool,
        decision: notice.decision,
        reason: notice.reason,
      });
  }

  end(report: RunReport): void {
    this.emit({ type: 'run.end', status: report.status, reason: report.reason, answer: report.answer, report });
  }

  private usage(role: ModelUsageEvent['role'], taskId: string | null, usage: TokenUsage): void {
    this.total = addUsage(this.total, usage);
    this.emit({ type: 'model.usage', role, taskId, usage, total: this.total });
  }
}
