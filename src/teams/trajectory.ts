/**
 * What the team adapter keeps of one example: per agent, its tool calls,
 * state changes and token usage (an agent in a loop adds up over its runs),
 * the summed usage of the team, the scored output and the scorer's words.
 * Plain JSON: GEPA caches and persists it.
 */
import { addUsage, ZERO_USAGE, type TokenUsage } from '../../contracts/llm.js';
import type { ScoreMetadata } from '../gepa/scorer.js';
import type { AgentRunTrace, StateChange, TeamState, ToolCallTrace } from '../../contracts/teams/types.js';

export interface AgentTrajectory {
  runs: number;
  /** The reply of each run, in order. */
  outputs: string[];
  toolCalls: ToolCallTrace[];
  stateChanges: StateChange[];
  usage: TokenUsage;
  error: string | null;
}

export interface TeamTrajectory {
  input: string;
  /** The primary agent's output: what was scored. */
  output: string;
  /** The team's final output. */
  teamOutput: string;
  expected: string | null;
  score: number;
  metadata: ScoreMetadata | null;
  agents: Record<string, AgentTrajectory>;
  state: TeamState;
  /** Summed over agents; null when no agent ran. */
  totalUsage: TokenUsage | null;
  error: string | null;
}

export function agentTrajectories(traces: readonly AgentRunTrace[]): Record<string, AgentTrajectory> {
  const out: Record<string, AgentTrajectory> = {};
  for (const t of traces) {
    const a = (out[t.agent] ??= { runs: 0, outputs: [], toolCalls: [], stateChanges: [], usage: ZERO_USAGE, error: null });
    a.runs++;
    a.outputs.push(t.output);
    a.toolCalls.push(...t.toolCalls);
    a.stateChanges.push(...t.stateChanges);
    a.usage = addUsage(a.usage, t.usage);
    if (t.error) a.error = t.error;
  }
  return out;
}

export function totalUsage(agents: Record<string, AgentTrajectory>): TokenUsage | null {
  const list = Object.values(agents);
  return list.length ? list.reduce((u, a) => addUsage(u, a.usage), ZERO_USAGE) : null;
}
