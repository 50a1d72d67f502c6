/**
 * The spans of one AIME run, built from the effects the runtime provides to
 * the statecharts (the machines themselves stay pure):
 *
 *   invoke_workflow aime                 the run (a resumed run: same trace id, parented on the first process's root)
 *   ├─ plan                              one per planner step
 *   │  └─ chat <model>
 *   └─ invoke_agent <persona>            one per dispatched actor, ended by its ACTOR.REPORTED
 *      ├─ chat <model>                   one per ReAct step
 *      └─ execute_tool <name>            one per tool call (update_progress included)
 *
 * Parents are explicit (a span per dispatch id), not whatever async context
 * XState's mailbox happens to run in.
 */
import { ROOT_CONTEXT } from '@opentelemetry/api';
import type { InspectionEvent } from 'xstate';
import type { ActorToolOutcome } from '../../../machines/actor.js';
import type { ActorReportedEvent } from '../../../machines/events.js';
import type { WorkflowContext } from '../../../machines/workflow.js';
import type { ActorSpec, PlanStepInput, PlanStepResult, ThinkInput, ThinkResult, ToolCallRequest } from '../../../contracts/aime/types.js';
import type { ToolResult } from '../../tools/types.js';
import {
  activeContext,
  captureContent,
  contextWithSpan,
  extractTraceContext,
  failSpan,
  GEN_AI,
  GEN_AI_OPERATION,
  markError,
  parseTraceparent,
  redactText,
  shortText,
  spanBody,
  startOperationSpan,
  startSpan,
  startToolSpan,
  traceparentOf,
  tracingOn,
  withContext,
  type Context,
  type Span,
} from '../../util/tracing.js';

export const WORKFLOW_NAME = 'aime';

interface AgentSpan {
  span: Span;
  ctx: Context;
  taskId: string;
}

export class RunTrace {
  private readonly rootCtx: Context;
  private readonly agents = new Map<string, AgentSpan>();
  private ended = false;

  private constructor(
    private readonly root: Span,
    parent: Context,
  ) {
    this.rootCtx = contextWithSpan(root, parent);
  }

  /** The run's root span, or null with tracing off. `continueFrom` is the traceparent kept in run.json by the first process. */
  static start(opts: { runId: string; goal: string; resumed: boolean; continueFrom?: unknown }): RunTrace | null {
    if (!tracingOn()) return null;
    const parent = parseTraceparent(opts.continueFrom) ? extractTraceContext({ traceparent: opts.continueFrom }, ROOT_CONTEXT) : activeContext();
    const root = startOperationSpan(
      GEN_AI_OPERATION.invokeWorkflow,
      WORKFLOW_NAME,
      {
        [GEN_AI.workflowName]: WORKFLOW_NAME,
        [GEN_AI.conversationId]: opts.runId,
        'gepa_aime.run_id': opts.runId,
        'gepa_aime.resumed': opts.resumed,
        ...(captureContent() ? { 'gepa_aime.goal': redactText(opts.goal) } : {}),
      },
      parent,
    );
    return new RunTrace(root, parent);
  }

  /** `00-<trace>-<span>-<flags>` of the root: what run.json keeps so a resume continues the trace. */
  get traceparent(): string {
    return traceparentOf(this.root);
  }

  get traceId(): string {
    return this.root.spanContext().traceId;
  }

  plan(input: PlanStepInput, fn: () => Promise<PlanStepResult>): Promise<PlanStepResult> {
    const span = startSpan(
      'plan',
      { 'gepa_aime.iteration': input.iteration, 'gepa_aime.plan.reask': Boolean(input.retry), 'gepa_aime.tasks': input.tasks.length },
      this.rootCtx,
    );
    return spanBody(span, this.rootCtx, fn, (result) => {
      span.setAttributes({ [GEN_AI.usageInputTokens]: result.usage.promptTokens, [GEN_AI.usageOutputTokens]: result.usage.completionTokens });
      if (result.ok) {
        const action = result.decision.action;
        span.setAttribute('gepa_aime.plan.action', action.type);
        if (action.type === 'dispatch') span.setAttribute('gepa_aime.plan.dispatch', action.taskIds);
      } else {
        markError(span, 'schema_mismatch', `the planner's reply did not match the schema (${result.errors.length} problems)`);
      }
    });
  }

  /** One ReAct step: runs inside the actor's invoke_agent span, so the model's chat span nests under it. */
  think(input: ThinkInput, fn: () => Promise<ThinkResult>): Promise<ThinkResult> {
    return withContext(this.agentFor(input.spec).ctx, fn);
  }

  tool(spec: ActorSpec, call: ToolCallRequest, sideEffect: boolean, fn: () => Promise<ToolResult>): Promise<ToolResult> {
    const parent = this.agentFor(spec).ctx;
    const span = startToolSpan(call, parent, { 'gepa_aime.tool.side_effect': sideEffect });
    return spanBody(span, parent, fn, (result) => {
      // The approval gate's outcome: which policy applied, what was decided, and by whom.
      if (result.approval) {
        span.setAttributes({
          'gepa_aime.approval.policy': result.approval.policy,
          'gepa_aime.approval.decision': result.approval.decision,
          'gepa_aime.approval.by': result.approval.by,
        });
      }
      this.toolOutcome(span, result.ok, result.output);
    });
  }

  /** update_progress never reaches a tool implementation (it becomes an event); its span is recorded from the outcome. */
  systemTools(spec: ActorSpec, outcomes: ActorToolOutcome[]): void {
    for (const o of outcomes) {
      if (o.name !== 'update_progress') continue;
      const span = startToolSpan(o, this.agentFor(spec).ctx, { 'gepa_aime.tool.side_effect': false });
      if (o.progress) span.setAttribute('gepa_aime.progress.status', o.progress.status);
      this.toolOutcome(span, o.ok, o.observation);
      span.end();
    }
  }

  /** Ends an actor's span when the workflow hears its report. */
  observe(ev: InspectionEvent): void {
    if (ev.type !== '@xstate.event' || (ev.event as { type?: unknown }).type !== 'ACTOR.REPORTED') return;
    const reported = ev.event as ActorReportedEvent;
    for (const [dispatchId, agent] of this.agents) {
      if (agent.taskId !== reported.report.taskId) continue;
      agent.span.setAttributes({
        'gepa_aime.actor.status': reported.report.status,
        'gepa_aime.actor.steps': reported.steps.length,
        [GEN_AI.usageInputTokens]: reported.usage.promptTokens,
        [GEN_AI.usageOutputTokens]: reported.usage.completionTokens,
      });
      if (reported.report.status === 'failed') markError(agent.span, 'subtask_failed', captureContent() ? reported.report.summary : undefined);
      agent.span.end();
      this.agents.delete(dispatchId);
    }
  }

  /** Ends every open span with the run's outcome. Safe to call twice. */
  end(context: WorkflowContext): void {
    if (this.ended) return;
    this.ended = true;
    for (const agent of this.agents.values()) {
      markError(agent.span, 'cancelled', `the run ended (${context.status}) before this actor reported`);
      agent.span.end();
    }
    this.agents.clear();
    this.root.setAttributes({
      'gepa_aime.status': context.status,
      'gepa_aime.iterations': context.iteration,
      [GEN_AI.usageInputTokens]: context.usage.promptTokens,
      [GEN_AI.usageOutputTokens]: context.usage.completionTokens,
    });
    // The reason may be the model's own words (a planner's `fail`): content, so opt-in.
    if (context.status !== 'completed')
      markError(this.root, context.status === 'cancelled' ? 'cancelled' : 'run_failed', captureContent() ? context.reason : undefined);
    this.root.end();
  }

  /** The run could not start (bad config, unreadable state): the root ends failed. */
  abort(err: unknown): void {
    if (this.ended) return;
    this.ended = true;
    failSpan(this.root, err);
    this.root.end();
  }

  private agentFor(spec: ActorSpec): AgentSpan {
    let agent = this.agents.get(spec.dispatchId);
    if (!agent) {
      const persona = shortText(spec.persona);
      const span = startOperationSpan(
        GEN_AI_OPERATION.invokeAgent,
        persona,
        {
          [GEN_AI.agentName]: persona,
          [GEN_AI.agentId]: spec.dispatchId,
          'gepa_aime.task_id': spec.taskId,
          'gepa_aime.bundles': spec.bundles,
          'gepa_aime.max_steps': spec.maxSteps,
          ...(captureContent() ? { [GEN_AI.agentDescription]: redactText(spec.title) } : {}),
        },
        this.rootCtx,
      );
      agent = { span, ctx: contextWithSpan(span, this.rootCtx), taskId: spec.taskId };
      this.agents.set(spec.dispatchId, agent);
    }
    return agent;
  }

  private toolOutcome(span: Span, ok: boolean, output: string): void {
    if (captureContent()) span.setAttribute(GEN_AI.toolCallResult, redactText(output));
    // The observation is content (file text, say): it is the status message only when content is opted in.
    if (!ok) markError(span, 'tool_error', captureContent() ? output : undefined);
  }
}
