import type { z } from 'zod';
import type { ProtectedPaths } from './protectedPaths.js';

/** Bytes the side-effecting tools of one ReAct step may still write, across all its calls. */
export interface WriteBudget {
  /** The step's total, for messages. */
  readonly limit: number;
  /** Bytes left; tools subtract what they write. */
  left: number;
}

/** What a tool gets besides its arguments. */
export interface ToolContext {
  /** Absolute, real path of the workspace root; file tools never leave it. */
  workspace: string;
  signal?: AbortSignal;
  /** Paths tools must refuse (config, traces, VCS metadata, protected globs); see protectedPaths.ts. Absent: VCS metadata and `.env*` only. */
  protectedPaths?: ProtectedPaths;
  /** The per-step write budget (one per model message); absent: only the per-call limit applies. */
  writeBudget?: WriteBudget;
}

/** What a tool returns: the observation the model reads, and the references it produced. */
export interface ToolResult {
  ok: boolean;
  /** Text shown to the model as the observation. */
  output: string;
  /** Files, ids or URLs the call produced or used, for the actor's report. */
  references?: string[];
  /** How the approval gate decided on this call (absent when no gate ran, e.g. update_progress); telemetry reads it. */
  approval?: ApprovalOutcome;
}

/** How a tool call is approved: run it (`auto`), ask whoever can answer first (`ask`), or never run it (`deny`). */
export type ApprovalPolicy = 'auto' | 'ask' | 'deny';

/** The gate's verdict on one call: the policy that applied, the decision, and who made it. */
export interface ApprovalOutcome {
  policy: ApprovalPolicy;
  decision: 'approved' | 'denied';
  /** policy: the policy alone decided; user: answered on the terminal; always: an earlier "always"; yes: --yes; dashboard: the dashboard page; api: the library's ApprovalHandler; no-terminal: ask with nobody to ask. */
  by: 'policy' | 'user' | 'always' | 'yes' | 'dashboard' | 'api' | 'no-terminal' | 'journal';
  reason?: string;
}

export interface Tool<P = any> {
  name: string;
  description: string;
  parameters: z.ZodType<P>;
  /** True when the tool changes the world (writes a file, posts...). Used on resume: never repeat blindly. */
  sideEffect: boolean;
  /** JSON Schema sent to the model instead of one derived from `parameters` (MCP tools bring their own). */
  inputSchema?: Record<string, unknown>;
  /** Approval policy when the config says nothing; `auto` when absent. */
  defaultApproval?: ApprovalPolicy;
  /** Where the tool comes from, for `gepa-aime tools` (e.g. "built-in", "mcp server memory (stdio: …)"). */
  source?: string;
  run(args: P, ctx: ToolContext): Promise<ToolResult>;
}

export interface ToolBundle {
  name: string;
  description: string;
  tools: Tool[];
}
