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
}

export interface Tool<P = any> {
  name: string;
  description: string;
  parameters: z.ZodType<P>;
  /** True when the tool changes the world (writes a file, posts...). Used on resume: never repeat blindly. */
  sideEffect: boolean;
  run(args: P, ctx: ToolContext): Promise<ToolResult>;
}

export interface ToolBundle {
  name: string;
  description: string;
  tools: Tool[];
}
