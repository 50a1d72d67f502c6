/**
 * Runs a team once on one input. With a shared session (the default) the
 * workflow runs as written, every agent reading the state earlier agents
 * wrote. Isolated (share_session: false), every agent runs once on its own,
 * from empty state, so templates do not resolve; the output is the primary's.
 */
import { createActor, toPromise, type InspectionEvent } from 'xstate';
import { addUsage, ZERO_USAGE, type TokenUsage } from '../../contracts/llm.js';
import { checkTeamTools, type AgentEnv } from './effects.js';
import type { AgentRunTrace, NodeResult, TeamDef, TeamState, WorkflowNode } from '../../contracts/teams/types.js';
import { effectsFor, provideTeam, type AgentEffects } from './wiring.js';
import { TeamTrace, tracedTeamEffects } from './tracing.js';
import { runTraced } from '../util/tracing.js';

export interface TeamRunOptions extends AgentEnv {
  team: TeamDef;
  input: string;
  /** Defaults to the team's share_session. */
  shareSession?: boolean;
  /** Replaces the effects built from models/tools (tests, benchmarks). */
  effects?: AgentEffects;
  inspect?: (event: InspectionEvent) => void;
}

export interface TeamRunResult {
  status: 'completed' | 'failed';
  /** The team's final output: the last agent's reply (isolated: the primary's reply). */
  output: string;
  /** Shared state at the end (isolated: every agent's own write, none of which another agent saw). */
  state: TeamState;
  /** Every agent run, in order. */
  traces: AgentRunTrace[];
  usage: TokenUsage;
  error: string | null;
}

export class TeamRunCancelled extends Error {
  constructor() {
    super('the team run was cancelled');
    this.name = 'TeamRunCancelled';
  }
}

/** Isolated sessions: every agent as its own branch from empty state. */
function isolatedWorkflow(team: TeamDef): WorkflowNode {
  return { type: 'parallel', steps: Object.keys(team.agents).map((agent) => ({ type: 'agent' as const, agent })) };
}

export function sumUsage(traces: readonly AgentRunTrace[]): TokenUsage {
  return traces.reduce((u, t) => addUsage(u, t.usage), ZERO_USAGE);
}

export async function runTeam(o: TeamRunOptions): Promise<TeamRunResult> {
  if (o.signal?.aborted) throw new TeamRunCancelled();
  return runTraced(TeamTrace.start(o.team), (t) => runTeamOnce(o, t));
}

async function runTeamOnce(o: TeamRunOptions, trace: TeamTrace | null): Promise<TeamRunResult> {
  const shared = o.shareSession ?? o.team.share_session;
  if (!o.effects) checkTeamTools(o.team, o.tools);
  const effects = o.effects ?? effectsFor(o);
  const machine = provideTeam(trace ? tracedTeamEffects(effects) : effects);
  const actor = createActor(machine, {
    systemId: 'team',
    input: { workflow: shared ? o.team.workflow : isolatedWorkflow(o.team), agents: o.team.agents, input: o.input, state: {} },
    ...(o.inspect ? { inspect: o.inspect } : {}),
  });
  let onAbort = () => {};
  // Rejected before the actor stops, so the race settles as cancelled, not with a stopped actor's empty output.
  const cancelled = new Promise<never>((_, reject) => {
    onAbort = () => {
      reject(new TeamRunCancelled());
      actor.stop();
    };
  });
  o.signal?.addEventListener('abort', onAbort, { once: true });
  let result: NodeResult;
  try {
    const done = toPromise(actor);
    actor.start();
    result = await Promise.race([cancelled, done]); // cancelled first: if both settled already, it wins
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    actor.stop();
  }
  const primary = o.team.primary;
  const primaryTrace = primary ? [...result.traces].reverse().find((t) => t.agent === primary) : undefined;
  return {
    status: result.error === null ? 'completed' : 'failed',
    output: shared || !primaryTrace ? result.output : primaryTrace.output,
    state: result.writes,
    traces: result.traces,
    usage: sumUsage(result.traces),
    error: result.error,
  };
}
