/**
 * Domain records shared by the planner, the actor factory, the dynamic actors
 * and the progress manager. Plain data: everything here is JSON-serialisable so
 * it can travel in events, snapshots and reports.
 */
import type { ChatMessage, TokenUsage, ToolSpec } from '../llm.js';
import type { TaskList } from './taskList.js';

/** The planner's tactical output (AIME Eq. 1, g_{t+1}). */
export type PlannerAction = { type: 'dispatch'; taskIds: string[] } | { type: 'finish'; answer: string } | { type: 'fail'; reason: string };

/** One planner step: the updated list L_{t+1} and the next action g_{t+1}. */
export interface PlannerDecision {
  rationale: string;
  tasks: TaskList;
  action: PlannerAction;
  /** Optional hints per task id for the actor factory. */
  assignments?: Record<string, { persona?: string; bundles?: string[] }>;
}

/** The structured report o_t an actor ends with (AIME §4.3). */
export interface ActorReport {
  taskId: string;
  status: 'completed' | 'failed';
  summary: string;
  references: string[];
  /**
   * Set when the failure says nothing about the prompts: the infrastructure
   * (a model call or the tool runtime failed) or a limit was hit. Online
   * learning never scores such a failure or learns a lesson from it.
   */
  infrastructure?: string;
}

/** One ReAct step: thought, the action taken (a tool call or `finish`), and what came back. */
export interface ActorStep {
  index: number;
  thought: string;
  action: { tool: string; arguments: string } | null;
  observation: string;
  ok: boolean;
}

/** Everything an actor needs, composed by the actor factory (AIME §4.2). */
export interface ActorSpec {
  taskId: string;
  /** `<taskId>@<iteration>`: which dispatch of the task this actor is; a task may be dispatched again later. */
  dispatchId: string;
  title: string;
  criteria: string;
  persona: string;
  bundles: string[];
  /** Compose(persona, tool descriptions, knowledge, environment, output format). */
  systemPrompt: string;
  /** The first user message: the subtask itself. */
  taskPrompt: string;
  tools: ToolSpec[];
  maxSteps: number;
}

/** Input to one reasoning step of an actor. */
export interface ThinkInput {
  spec: ActorSpec;
  messages: ChatMessage[];
  stepIndex: number;
}

/** What one reasoning step produced. `final` is set when the model ended without tool calls. */
export interface ThinkResult {
  message: ChatMessage;
  reasoning?: string;
  usage: TokenUsage;
  final?: ActorReport;
}

export interface ToolCallRequest {
  id: string;
  name: string;
  arguments: string;
}

export interface ToolCallOutcome {
  id: string;
  name: string;
  arguments: string;
  ok: boolean;
  observation: string;
  references: string[];
  /** The approval gate's verdict (policy, decision, who decided), when the call went through it. */
  approval?: { policy: 'auto' | 'ask' | 'deny'; decision: 'approved' | 'denied'; by: string; reason?: string };
}

/** A planner step outcome as returned by the planStep logic. */
export type PlanStepResult =
  | { ok: true; decision: PlannerDecision; usage: TokenUsage; raw: string }
  | { ok: false; errors: string[]; usage: TokenUsage; raw: string };

export interface PlanStepInput {
  goal: string;
  tasks: TaskList;
  history: ActorReport[];
  iteration: number;
  plannerPrompt: string;
  /** Set on the single re-ask after a schema failure. */
  retry?: { raw: string; errors: string[] };
}
