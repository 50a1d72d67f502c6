/**
 * The data of an agent team: agent definitions, the workflow
 * tree over them, and what running a node produces. Plain JSON throughout:
 * these records travel in statechart inputs, events and GEPA trajectories.
 */
import type { TokenUsage } from '../llm.js';

/** Shared session state: output_key -> the text that agent wrote. */
export type TeamState = Record<string, string>;

export const AGENT_ROLES = ['actor', 'planner', 'reflection'] as const;
export type AgentRoleName = (typeof AGENT_ROLES)[number];

export interface GenerationSettings {
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  seed?: number;
}

export interface AgentDef {
  name: string;
  instruction: string;
  /** Which model_config role's settings the agent's model uses. */
  role: AgentRoleName;
  /** A model name on that role's provider, instead of the configured one. */
  model?: string;
  /** Where the agent's final reply goes in shared state. */
  output_key?: string;
  /** JSON Schema the reply must match (sent as structured output, checked on return). */
  output_schema?: Record<string, unknown>;
  generation: GenerationSettings;
  /** Tool bundles (config/tool_bundles.json); any bundle makes the agent a short ReAct loop. */
  tools: string[];
  /** Model calls allowed when the agent has tools. */
  max_steps: number;
}

/** When a loop stops before max_iterations; checked after every step of its body. */
export type ExitCondition = { key: string; equals: string } | { key: string; contains: string } | { agent: string; contains: string };

export type WorkflowNode =
  | { type: 'agent'; agent: string }
  | { type: 'sequential'; steps: WorkflowNode[] }
  | { type: 'parallel'; steps: WorkflowNode[] }
  | { type: 'loop'; max_iterations: number; until?: ExitCondition; steps: WorkflowNode[] };

export type NodeKind = WorkflowNode['type'];

export interface TeamDef {
  name?: string;
  agents: Record<string, AgentDef>;
  workflow: WorkflowNode;
  /** The agent whose output is scored; required by the GEPA adapter only. */
  primary?: string;
  /** agent -> components that evolve ([] = frozen); required by the GEPA adapter only. */
  components?: Record<string, string[]>;
  share_session: boolean;
  /** Absolute path of a scorer module. */
  scorer?: string;
}

export interface ToolCallTrace {
  name: string;
  arguments: string;
  ok: boolean;
  observation: string;
}

export interface StateChange {
  key: string;
  previous: string | null;
  value: string;
}

/** One run of one agent (an agent in a loop runs once per iteration). */
export interface AgentRunTrace {
  agent: string;
  /** Iteration of the innermost enclosing loop (1-based), or null outside loops. */
  iteration: number | null;
  /** The instruction as sent, templates filled. */
  instruction: string;
  output: string;
  toolCalls: ToolCallTrace[];
  stateChanges: StateChange[];
  usage: TokenUsage;
  error: string | null;
}

/** What every workflow node (an agent, or a nested workflow) hands its parent. */
export interface NodeResult {
  /** The node's final output: the last agent's reply (parallel: the branches' replies, in order). */
  output: string;
  /** State keys the node wrote, with their last values. */
  writes: TeamState;
  /** Every agent run inside the node, in the order they finished. */
  traces: AgentRunTrace[];
  /** Set when an agent failed: the node stopped there. */
  error: string | null;
}

/** What a parent passes to the child actor that runs one node. */
export interface NodeInput {
  node: WorkflowNode;
  agents: Record<string, AgentDef>;
  /** The user's input: every agent's user message. */
  input: string;
  /** Shared state as the node starts. */
  state: TeamState;
  iteration: number | null;
}

/** One example of a team (or AIME goal) data set: the input and the expected output. */
export interface TeamExample {
  input: string;
  expected?: string;
  /** Other fields stay for scorers. */
  [key: string]: unknown;
}
