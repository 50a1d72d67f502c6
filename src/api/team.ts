import type { InspectionEvent } from 'xstate';
import type { AgentContext } from '../../machines/teamAgent.js';
import { addUsage, ZERO_USAGE, type TokenUsage } from '../../contracts/llm.js';
import { loadTeamFile, parseTeamText } from '../teams/load.js';
import { runTeam as runtimeRunTeam, TeamRunCancelled, type TeamRunResult } from '../teams/runner.js';
import type { AgentRunTrace, TeamDef, TeamState, ToolCallTrace } from '../../contracts/teams/types.js';
import { RunInputError, settleTools } from '../runtime/runGoal.js';
import { agentModelsFromConfig, teamTools } from '../runtime/teamModels.js';
import { ApprovalGate, type ApprovalHandler } from '../tools/approval.js';
import { HandleCore } from './channel.js';
import type { ApprovalDecidedEvent, ApprovalRequestedEvent, ModelUsageEvent } from './goalEvents.js';
import { givenModels, resolveConfig, type ConfigOptions } from './options.js';

/** A team definition, as `loadTeam` or `parseTeam` return it. */
export type Team = TeamDef;

/** Loads and validates a team file; a bad file throws a ConfigError naming file, line and key. */
export function loadTeam(file: string): Team {
  return loadTeamFile(file).team;
}

/** Parses and validates team YAML; `file` names it in errors and anchors a relative scorer path. */
export function parseTeam(text: string, file = 'team.yaml'): Team {
  return parseTeamText(text, file);
}

/** Options of `runTeam`. Only `input` is required. */
export interface TeamOptions extends ConfigOptions {
  /** The team's input: every agent's user message. */
  input: string;
  /** Where agents with tool bundles work (default: the current directory); file tools never leave it. */
  workspace?: string;
  /** The traces directory to keep the agents' tools out of, like the config directory; default `./traces`. */
  tracesDir?: string;
  /** Default: the team's `share_session`. */
  shareSession?: boolean;
  /** Asked before side-effecting tool calls, as in `runGoal`. */
  approval?: ApprovalHandler;
  signal?: AbortSignal;
}

/** How a team run ended: `cancelled` when `cancel()` (or the signal) stopped it. */
export interface TeamReport extends Omit<TeamRunResult, 'status'> {
  status: 'completed' | 'failed' | 'cancelled';
}

/** An agent of the team started (again, in a loop round). */
export interface AgentStartedEvent {
  type: 'agent.started';
  agent: string;
  /** The innermost loop's round (1-based), or null outside loops. */
  iteration: number | null;
}

/** An agent's tool call and its observation. */
export interface AgentToolCallEvent {
  type: 'agent.tool_call';
  agent: string;
  call: ToolCallTrace;
}

/** An agent finished: its trace (instruction, output, tool calls, state changes, usage, error). */
export interface AgentFinishedEvent {
  type: 'agent.finished';
  agent: string;
  trace: AgentRunTrace;
}

/** The last event of a team run; its status is the report's. */
export interface TeamEndEvent {
  type: 'run.end';
  status: TeamReport['status'];
  output: string;
  error: string | null;
  report: TeamReport;
}

/** Tokens used by one agent run, and the team's total so far. */
export interface AgentUsageEvent extends Omit<ModelUsageEvent, 'role' | 'taskId'> {
  agent: string;
}

/** Every event of a team run. */
export type TeamEvent =
  | AgentStartedEvent
  | AgentToolCallEvent
  | AgentFinishedEvent
  | (AgentUsageEvent & { type: 'model.usage' })
  | ApprovalRequestedEvent
  | ApprovalDecidedEvent
  | TeamEndEvent;

/** A running team. */
export interface TeamRun {
  /** Resolves when the team ends (completed, failed or cancelled); rejects on bad input. */
  readonly report: Promise<TeamReport>;
  readonly signal: AbortSignal;
  cancel(reason?: string): void;
  /** The run's events from the first one; ends after the one `run.end`. */
  events(): AsyncIterableIterator<TeamEvent>;
}

/** Runs a team (a definition, or the path of a team YAML file) once on `options.input`. */
export function runTeam(team: Team | string, options: TeamOptions): TeamRun {
  const core = new HandleCore<TeamEvent>(options.signal);
  const { channel, controller } = core;
  const agents = new AgentEventDeriver((e) => channel.push(e));

  const report = (async (): Promise<TeamReport> => {
    if (!options || typeof options.input !== 'string' || !options.input.trim())
      throw new RunInputError('runTeam: options.input is empty: give the text the team should work on');
    const def = typeof team === 'string' ? loadTeam(team) : team;
    const config = resolveConfig(options);
    const models = givenModels(options.model);
    const tools = await teamTools(def, config, options.workspace, options.tracesDir);
    const gate = new ApprovalGate({
      ...(options.approval ? { handler: options.approval } : {}),
      notify: (n) =>
        channel.push(
          n.type === 'requested'
            ? { type: 'approval.requested', ...n.request }
            : { type: 'approval.decided', id: n.id, requester: n.requester, tool: n.tool, decision: n.decision, reason: n.reason },
        ),
    });
    // Every tool call passes the gate; tracked so a cancelled team ends only after its calls have.
    const inFlight = new Set<Promise<unknown>>();
    const approval: Pick<ApprovalGate, 'run'> = {
      run: (...args) => {
        const running = gate.run(...args);
        inFlight.add(running);
        running.then(
          () => inFlight.delete(running),
          () => inFlight.delete(running),
        );
        return running;
      },
    };
    try {
      const result = await runtimeRunTeam({
        team: def,
        input: options.input,
        models: models
          ? (agent) => (agent.role === 'planner' ? models.planner : agent.role === 'reflection' ? models.reflection : models.chat)
          : agentModelsFromConfig(config.model),
        signal: controller.signal,
        approval,
        inspect: (ev) => agents.fromInspection(ev),
        ...(tools ? { tools } : {}),
        ...(options.shareSession !== undefined ? { shareSession: options.shareSession } : {}),
      });
      return result;
    } catch (err) {
      if (!(err instanceof TeamRunCancelled)) throw err;
      await settleTools(inFlight);
      const traces = agents.finished;
      return {
        status: 'cancelled',
        output: '',
        state: {} as TeamState,
        traces,
        usage: traces.reduce((u, t) => addUsage(u, t.usage), ZERO_USAGE),
        error: 'the team run was cancelled',
      };
    }
  })();
  core.settle(report, (r) => channel.push({ type: 'run.end', status: r.status, output: r.output, error: r.error, report: r }));
  return { report, signal: core.signal, cancel: core.cancel, events: core.events };
}

/** Agent events from the inspection stream: one per start, tool call and finish of a `teamAgent` actor. */
class AgentEventDeriver {
  readonly finished: AgentRunTrace[] = [];
  private readonly seen = new Map<string, number>();
  private total: TokenUsage = ZERO_USAGE;

  constructor(private readonly emit: (e: TeamEvent) => void) {}

  fromInspection(ev: InspectionEvent): void {
    if (ev.type !== '@xstate.snapshot') return;
    const ref = ev.actorRef as { sessionId: string; logic?: { id?: string } };
    if (ref.logic?.id !== 'teamAgent') return;
    const snap = ev.snapshot as { status: string; context?: AgentContext; output?: { traces?: AgentRunTrace[] } };
    const agent = snap.context?.agent?.name;
    if (!agent) return;
    let calls = this.seen.get(ref.sessionId);
    if (calls === undefined) {
      this.seen.set(ref.sessionId, (calls = 0));
      this.emit({ type: 'agent.started', agent, iteration: snap.context!.iteration });
    }
    const made = snap.context!.toolCalls;
    for (; calls < made.length; calls++) this.emit({ type: 'agent.tool_call', agent, call: made[calls]! });
    this.seen.set(ref.sessionId, calls);
    const trace = snap.status === 'done' ? snap.output?.traces?.[0] : undefined;
    if (trace && this.seen.get(`${ref.sessionId}:done`) === undefined) {
      this.seen.set(`${ref.sessionId}:done`, 1);
      this.finished.push(trace);
      this.total = addUsage(this.total, trace.usage);
      this.emit({ type: 'model.usage', agent, usage: trace.usage, total: this.total });
      this.emit({ type: 'agent.finished', agent, trace });
    }
  }
}
