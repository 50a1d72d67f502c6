/**
 * The effects behind an agent's statechart: the model call (with the agent's
 * generation settings, tools and output schema) and the tool calls it asks
 * for. What the model says is untrusted: unknown tools and broken arguments
 * come back as observations, a reply that breaks the schema as `invalid`.
 */
import type { AgentToolOutcome, CallModelInput, CallModelResult, AgentToolsInput } from '../../machines/teamAgent.js';
import type { ChatModel, ChatRequest, SamplingSettings } from '../../contracts/llm.js';
import { UPDATE_PROGRESS_TOOL } from '../tools/builtin/updateProgress.js';
import { invokeTool, toolSpec } from '../tools/invoke.js';
import type { ApprovalGate } from '../tools/approval.js';
import type { Tool, ToolBundle } from '../tools/types.js';
import { errorMessage, AppError } from '../../contracts/errors.js';
import { checkOutput } from './outputSchema.js';
import { TEAM_AGENT_PURPOSE } from '../../contracts/teams/prompt.js';
import type { AgentDef, GenerationSettings, TeamDef } from '../../contracts/teams/types.js';
import type { ProtectedPaths } from '../tools/protectedPaths.js';

/** Observations longer than this are cut so one tool result cannot flood the context. */
const MAX_OBSERVATION_CHARS = 16_000;

/** The model an agent calls; the runtime decides (per role and model name). */
export type AgentModels = (agent: AgentDef) => ChatModel;

export interface AgentTools {
  bundles: Map<string, ToolBundle>;
  /** Absolute real path: file tools never leave it. */
  workspace: string;
  /** What the tools may not touch (config, VCS metadata, protected globs). */
  protectedPaths?: ProtectedPaths;
  /** Per-step bounds (tool_bundles.json limits): calls that run, bytes all of them may write. */
  stepLimits?: { maxToolCalls: number; maxWriteBytes: number };
}

export interface AgentEnv {
  models: AgentModels;
  tools?: AgentTools;
  signal?: AbortSignal;
  /** Decides each tool call before it runs (approval policies and handler). */
  approval?: Pick<ApprovalGate, 'run'>;
}

export class TeamToolsError extends AppError {
  readonly category = 'input';
}

/** The agent's tools: its bundles' tools, once each. update_progress belongs to AIME's progress manager, not to teams. */
export function agentTools(agent: AgentDef, tools: AgentTools | undefined): Tool[] {
  if (!agent.tools.length) return [];
  if (!tools) throw new TeamToolsError(`agent ${agent.name} uses tool bundles (${agent.tools.join(', ')}) but no tools were provided to the run`);
  const picked = new Map<string, Tool>();
  for (const name of agent.tools) {
    const bundle = tools.bundles.get(name);
    if (!bundle)
      throw new TeamToolsError(`agent ${agent.name}: unknown tool bundle "${name}"; bundles: ${[...tools.bundles.keys()].sort().join(', ') || '(none)'}`);
    for (const tool of bundle.tools) if (tool.name !== UPDATE_PROGRESS_TOOL) picked.set(tool.name, tool);
  }
  return [...picked.values()];
}

/** Fail before the first model call when an agent names a bundle that does not exist. */
export function checkTeamTools(team: TeamDef, tools: AgentTools | undefined): void {
  for (const agent of Object.values(team.agents)) agentTools(agent, tools);
}

export function samplingOf(g: GenerationSettings): SamplingSettings | undefined {
  const s: SamplingSettings = {};
  if (g.temperature !== undefined) s.temperature = g.temperature;
  if (g.top_p !== undefined) s.topP = g.top_p;
  if (g.max_tokens !== undefined) s.maxTokens = g.max_tokens;
  if (g.seed !== undefined) s.seed = g.seed;
  return Object.keys(s).length ? s : undefined;
}

export async function callAgentModel(env: AgentEnv, input: CallModelInput): Promise<CallModelResult> {
  const { agent } = input;
  const tools = agentTools(agent, env.tools);
  const sampling = samplingOf(agent.generation);
  const request: ChatRequest = {
    messages: input.messages,
    purpose: TEAM_AGENT_PURPOSE,
    ...(tools.length ? { tools: tools.map(toolSpec), toolChoice: 'auto' as const } : {}),
    ...(agent.output_schema ? { responseFormat: { name: `${agent.name.replace(/[^A-Za-z0-9_-]/g, '_')}_output`, schema: agent.output_schema } } : {}),
    ...(sampling ? { sampling } : {}),
    ...(env.signal ? { signal: env.signal } : {}),
  };
  const response = await env.models(agent).complete(request);
  // An agent without tools has nothing to run: whatever it says is its answer.
  const toolCalls = tools.length ? response.toolCalls.map((c) => ({ id: c.id, name: c.name, arguments: c.arguments })) : [];
  const message = { role: 'assistant' as const, content: response.content, ...(toolCalls.length ? { toolCalls } : {}) };
  const result: CallModelResult = { message, usage: response.usage, toolCalls };
  if (toolCalls.length) return result;
  if (!agent.output_schema) return { ...result, answer: response.content.trim() };
  const checked = checkOutput(agent.output_schema, response.content);
  return checked.ok ? { ...result, answer: checked.text } : { ...result, invalid: checked.reason };
}

/** One call after another: a later call may depend on an earlier write. */
export async function runAgentTools(env: AgentEnv, input: AgentToolsInput): Promise<AgentToolOutcome[]> {
  const granted = agentTools(input.agent, env.tools);
  const limits = env.tools?.stepLimits;
  const ctx = {
    workspace: env.tools?.workspace ?? process.cwd(),
    ...(env.tools?.protectedPaths ? { protectedPaths: env.tools.protectedPaths } : {}),
    ...(limits ? { writeBudget: { limit: limits.maxWriteBytes, left: limits.maxWriteBytes } } : {}),
    ...(env.signal ? { signal: env.signal } : {}),
  };
  const outcomes: AgentToolOutcome[] = [];
  for (const [index, call] of input.calls.entries()) {
    if (limits && index >= limits.maxToolCalls) {
      outcomes.push({
        id: call.id,
        name: call.name,
        arguments: call.arguments,
        ok: false,
        observation: `not run: limit of ${limits.maxToolCalls} tool calls per step`,
      });
      continue;
    }
    let ok = false;
    let output: string;
    try {
      const invoke = () => invokeTool(granted, call, ctx);
      ({ ok, output } = await (env.approval
        ? env.approval.run(
            call,
            input.agent.name,
            granted.find((t) => t.name === call.name),
            invoke,
            env.signal,
          )
        : invoke()));
    } catch (err) {
      output = `${call.name} failed: ${errorMessage(err)}`;
    }
    const observation = output.length <= MAX_OBSERVATION_CHARS ? output : `${output.slice(0, MAX_OBSERVATION_CHARS)}\n[observation truncated]`;
    outcomes.push({ id: call.id, name: call.name, arguments: call.arguments, ok, observation });
  }
  return outcomes;
}
