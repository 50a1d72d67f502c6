/**
 * The messages one agent run starts from: its instruction with templates
 * filled from shared state (plus the output contract when it has a schema)
 * as the system message, and the team's input as the user message. Pure:
 * the agent statechart builds its context with it.
 */
import type { ChatMessage } from '../llm.js';
import { renderTemplate } from './template.js';
import type { AgentDef, TeamState } from './types.js';

/** The request purpose of team agents: the offline model routes on it. */
export const TEAM_AGENT_PURPOSE = 'team.agent';

export function schemaNote(schema: Record<string, unknown>): string {
  return `Reply with only a JSON object that matches this JSON Schema:\n${JSON.stringify(schema)}`;
}

export function agentMessages(agent: AgentDef, state: TeamState, input: string): ChatMessage[] {
  const instruction = renderTemplate(agent.instruction, state);
  const system = agent.output_schema ? `${instruction.trimEnd()}\n\n${schemaNote(agent.output_schema)}` : instruction;
  return [
    { role: 'system', content: system },
    { role: 'user', content: input },
  ];
}
