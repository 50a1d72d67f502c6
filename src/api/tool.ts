/**
 * A tool, as a library user writes one: zod parameters (validated before
 * `run` is called; the model's arguments are untrusted), a side-effect flag
 * and an optional approval default.
 */
import type { z } from 'zod';
import type { ApprovalPolicy } from '../tools/approval.js';
import type { Tool, ToolContext, ToolResult } from '../tools/types.js';

/**
 * A tool the runtime can hand to actors. `parameters` is a zod schema (sent to
 * the model as JSON Schema); `sideEffect` marks tools that change the world
 * (they are never repeated blindly on resume, and ask the approval handler);
 * `approval` overrides the default policy (`ask` for side-effecting tools when
 * a handler is given, else `auto`).
 */
export interface ToolDefinition<P = any> extends Tool<P> {
  approval?: ApprovalPolicy;
}

/** What `defineTool` takes: `run` gets arguments already parsed by `parameters`. */
export interface ToolDefinitionInput<S extends z.ZodType> {
  /** Letters, digits, `_` and `-`, at most 64 (what model APIs accept). */
  name: string;
  /** What the tool does and when to use it: the model reads this. */
  description: string;
  parameters: S;
  /** Default false. */
  sideEffect?: boolean;
  approval?: ApprovalPolicy;
  run(args: z.output<S>, ctx: ToolContext): ToolResult | Promise<ToolResult>;
}

const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Builds a typed tool; throws a TypeError naming the field when the definition is unusable. */
export function defineTool<S extends z.ZodType>(def: ToolDefinitionInput<S>): ToolDefinition<z.output<S>> {
  if (typeof def?.name !== 'string' || !TOOL_NAME.test(def.name))
    throw new TypeError(`defineTool: name must be 1-64 letters, digits, "_" or "-", got ${JSON.stringify(def?.name)}`);
  if (typeof def.description !== 'string' || !def.description.trim()) throw new TypeError(`defineTool(${def.name}): description must be a non-empty string`);
  if (!def.parameters || typeof (def.parameters as { safeParse?: unknown }).safeParse !== 'function')
    throw new TypeError(`defineTool(${def.name}): parameters must be a zod schema`);
  if (typeof def.run !== 'function') throw new TypeError(`defineTool(${def.name}): run must be a function`);
  if (def.approval !== undefined && !['auto', 'ask', 'deny'].includes(def.approval))
    throw new TypeError(`defineTool(${def.name}): approval must be "auto", "ask" or "deny", got ${JSON.stringify(def.approval)}`);
  const run = def.run;
  return {
    name: def.name,
    description: def.description,
    parameters: def.parameters as unknown as z.ZodType<z.output<S>>,
    sideEffect: def.sideEffect ?? false,
    ...(def.approval ? { approval: def.approval } : {}),
    run: async (args, ctx) => run(args, ctx),
  };
}

export type { ApprovalPolicy, ToolContext, ToolResult };
