/**
 * Spans of a team run:
 *
 *   invoke_workflow <team>              one per runTeam
 *   └─ invoke_agent <agent>             one per agent run (a loop's rounds are separate runs)
 *      ├─ chat <model>                  one per model call (the traced model)
 *      └─ execute_tool <name>           one per tool call
 *
 * The team run's trace rides in the OpenTelemetry context its actor system
 * starts in, so effects objects shared by many concurrent runs (a GEPA
 * evaluation batch) still put each span under its own run.
 */
import { createContextKey } from '@opentelemetry/api';
import type { AgentToolOutcome, CallModelInput, CallModelResult, AgentToolsInput } from '../../machines/teamAgent.js';
import * as otel from '../util/tracing.js';
import { GEN_AI, GEN_AI_OPERATION, type Context, type Span } from '../util/tracing.js';
import type { TeamDef } from '../../contracts/teams/types.js';
import type { AgentEffects } from './wiring.js';

const TEAM_TRACE = createContextKey('gepa-aime team run trace');

interface AgentRun {
  span: Span;
  ctx: Context;
  input: number;
  output: number;
}

export class TeamTrace {
  private readonly ctx: Context;
  private readonly agents = new Map<string, AgentRun>();

  private constructor(private readonly root: Span) {
    this.ctx = otel.contextWithSpan(root).setValue(TEAM_TRACE, this);
  }

  static start(team: TeamDef): TeamTrace | null {
    if (!otel.tracingOn()) return null;
    const name = team.name ?? 'team';
    return new TeamTrace(
      otel.startOperationSpan(GEN_AI_OPERATION.invokeWorkflow, name, {
        [GEN_AI.workflowName]: name,
        'gepa_aime.team.agents': Object.keys(team.agents),
        'gepa_aime.team.share_session': team.share_session,
      }),
    );
  }

  run<T>(fn: () => Promise<T>): Promise<T> {
    return otel.withContext(this.ctx, fn);
  }

  end(result: { status: string; error: string | null; usage: { promptTokens: number; completionTokens: number } } | null, err?: unknown): void {
    for (const a of this.agents.values()) this.endAgent(a);
    this.agents.clear();
    if (result) {
      this.root.setAttributes({
        'gepa_aime.status': result.status,
        [GEN_AI.usageInputTokens]: result.usage.promptTokens,
        [GEN_AI.usageOutputTokens]: result.usage.completionTokens,
      });
      if (result.error !== null) otel.markError(this.root, 'team_failed', result.error);
    }
    if (err !== undefined) otel.failSpan(this.root, err);
    this.root.end();
  }

  async callModel(input: CallModelInput, fn: () => Promise<CallModelResult>): Promise<CallModelResult> {
    const name = input.agent.name;
    let agent = this.agents.get(name);
    if (!agent || input.step === 0) {
      if (agent) this.endAgent(agent);
      const span = otel.startOperationSpan(GEN_AI_OPERATION.invokeAgent, name, { [GEN_AI.agentName]: name, [GEN_AI.agentId]: name }, this.ctx);
      agent = { span, ctx: otel.contextWithSpan(span, this.ctx), input: 0, output: 0 };
      this.agents.set(name, agent);
    }
    const current = agent;
    try {
      const result = await otel.withContext(current.ctx, fn);
      current.input += result.usage.promptTokens;
      current.output += result.usage.completionTokens;
      if (!result.toolCalls.length) {
        if (result.invalid !== undefined) otel.markError(current.span, 'invalid_output', 'the reply did not match the output schema');
        this.endAgent(current);
        this.agents.delete(name);
      }
      return result;
    } catch (err) {
      otel.failSpan(current.span, err);
      this.endAgent(current);
      this.agents.delete(name);
      throw err;
    }
  }

  /** Calls run one after another anyway: one span each. */
  async runTools(input: AgentToolsInput, fn: (input: AgentToolsInput) => Promise<AgentToolOutcome[]>): Promise<AgentToolOutcome[]> {
    const parent = this.agents.get(input.agent.name)?.ctx ?? this.ctx;
    const outcomes: AgentToolOutcome[] = [];
    for (const call of input.calls) {
      const span = otel.startToolSpan(call, parent);
      const [outcome] = await otel.spanBody(
        span,
        parent,
        () => fn({ ...input, calls: [call] }),
        ([done]) => {
          if (!done) return;
          if (otel.captureContent()) span.setAttribute(GEN_AI.toolCallResult, otel.redactText(done.observation));
          if (!done.ok) otel.markError(span, 'tool_error');
        },
      );
      if (outcome) outcomes.push(outcome);
    }
    return outcomes;
  }

  private endAgent(a: AgentRun): void {
    a.span.setAttributes({ [GEN_AI.usageInputTokens]: a.input, [GEN_AI.usageOutputTokens]: a.output });
    a.span.end();
  }
}

const tracedEffects = new WeakMap<AgentEffects, AgentEffects>();

/** Effects that put their spans under the team run found in the active context (none: they just run). */
export function tracedTeamEffects(effects: AgentEffects): AgentEffects {
  let traced = tracedEffects.get(effects);
  if (!traced) {
    const current = () => otel.activeContext().getValue(TEAM_TRACE) as TeamTrace | undefined;
    traced = {
      callModel: (input, signal) => current()?.callModel(input, () => effects.callModel(input, signal)) ?? effects.callModel(input, signal),
      runTools: (input, signal) => current()?.runTools(input, (one) => effects.runTools(one, signal)) ?? effects.runTools(input, signal),
    };
    tracedEffects.set(effects, traced);
  }
  return traced;
}
