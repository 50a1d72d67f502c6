/**
 * The one door through which model tool calls reach tools. The model's call
 * is untrusted: an unknown name, arguments that are not JSON or do not fit
 * the schema, and a tool that throws all come back as ok:false observations
 * the model can read and correct, never as exceptions.
 */
import { z } from 'zod';
import { errorMessage } from '../../contracts/errors.js';
import type { Tool, ToolContext, ToolResult } from './types.js';

export interface ToolInvocation {
  name: string;
  /** Raw JSON text exactly as the model produced it. */
  arguments: string;
}

/** A tool as the model sees it (structurally the same as llm's ToolSpec). */
export interface ToolSpecJson {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

export async function invokeTool(tools: Map<string, Tool> | Tool[], call: ToolInvocation, ctx: ToolContext): Promise<ToolResult> {
  const byName = tools instanceof Map ? tools : new Map(tools.map((t) => [t.name, t] as const));
  const name = typeof call?.name === 'string' ? call.name : '';
  const tool = byName.get(name);
  if (!tool) {
    const available = [...byName.keys()].sort().join(', ') || '(none)';
    return { ok: false, output: `unknown tool ${JSON.stringify(name)}; available tools: ${available}` };
  }

  const raw = typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments ?? {});
  let args: unknown;
  try {
    // Some models send "" for a call without arguments.
    args = raw.trim() === '' ? {} : JSON.parse(raw);
  } catch (err) {
    return { ok: false, output: `${name}: arguments are not valid JSON (${errorMessage(err)}); send a JSON object such as {"path": "README.md"}` };
  }

  // Deep nesting would overflow recursive walks (schemas, tools, hashing): refuse it as an observation.
  if (nestingDepth(args, MAX_ARGUMENT_DEPTH) > MAX_ARGUMENT_DEPTH) {
    return { ok: false, output: `${name}: arguments nest deeper than ${MAX_ARGUMENT_DEPTH} levels; send a flat JSON object such as {"path": "README.md"}` };
  }

  const parsed = tool.parameters.safeParse(args);
  if (!parsed.success) return { ok: false, output: `${name}: invalid arguments:\n${formatIssues(parsed.error.issues)}` };

  try {
    return normaliseResult(name, await tool.run(parsed.data, ctx));
  } catch (err) {
    return { ok: false, output: `${name} failed: ${errorMessage(err)}` };
  }
}

export const MAX_ARGUMENT_DEPTH = 64;

/** Nesting depth of parsed JSON, iteratively, stopping once past `limit`. */
export function nestingDepth(value: unknown, limit: number): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (!v || typeof v !== 'object') continue;
    if (d > max) max = d;
    if (max > limit) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (child && typeof child === 'object') stack.push([child, d + 1]);
  }
  return max;
}

/** One line per zod issue: "- path.to.field: message" (the root is "(arguments)"). */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const where = issue.path.length ? issue.path.map(String).join('.') : '(arguments)';
      return `- ${where}: ${issue.message}`;
    })
    .join('\n');
}

/** Custom tools are plain JS: do not trust their return value to be a ToolResult. */
function normaliseResult(name: string, result: unknown): ToolResult {
  const r = result as Partial<ToolResult> | null | undefined;
  if (!r || typeof r !== 'object' || typeof r.ok !== 'boolean' || typeof r.output !== 'string') {
    return { ok: false, output: `${name} failed: the tool returned an invalid result (expected {ok, output})` };
  }
  const refs = Array.isArray(r.references) ? r.references.filter((x): x is string => typeof x === 'string') : [];
  return refs.length ? { ok: r.ok, output: r.output, references: refs } : { ok: r.ok, output: r.output };
}

/** The spec sent to the model: name, description and the parameters as JSON Schema (input side, so defaults are optional). */
/** Specs are derived once per tool: every actor of every run asks for them. */
const specCache = new WeakMap<Tool, ToolSpecJson>();

export function toolSpec(tool: Tool): ToolSpecJson {
  let spec = specCache.get(tool);
  if (!spec && tool.inputSchema) {
    spec = { name: tool.name, description: tool.description, parameters: tool.inputSchema };
    specCache.set(tool, spec);
  }
  if (!spec) {
    const schema = z.toJSONSchema(tool.parameters, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
    const { $schema: _ignored, ...parameters } = schema;
    spec = { name: tool.name, description: tool.description, parameters: dropSafeIntegerBounds(parameters) as Record<string, unknown> };
    specCache.set(tool, spec);
  }
  return spec;
}

/** z.int() adds ±MAX_SAFE_INTEGER bounds: noise in every prompt, so they are dropped. */
function dropSafeIntegerBounds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(dropSafeIntegerBounds);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if ((key === 'maximum' && value === Number.MAX_SAFE_INTEGER) || (key === 'minimum' && value === Number.MIN_SAFE_INTEGER)) continue;
    out[key] = dropSafeIntegerBounds(value);
  }
  return out;
}
