/**
 * MCP tools as our Tools: the server's JSON Schema goes to the model as is
 * (the server validates arguments), and every result (text, structured
 * content, resource links, embedded resources; images and audio as a
 * placeholder) becomes one text observation. `isError` results and protocol
 * failures are observations too. Path-like arguments pass the protected-path
 * rules before the call leaves the process.
 */
import path from 'node:path';
import { z } from 'zod';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Tool, ToolContext, ToolResult } from '../types.js';
import type { McpServerConnection, McpToolInfo } from './connection.js';

/** Keys whose string values are taken for paths (the filesystem server's and most others'). */
const PATH_KEY = /(^|_)(path|paths|file|files|filename|dir|directory|source|destination|target|root)s?$/i;
const MAX_TOOL_NAME = 64;
/** A server may answer with megabytes; the journal and the model get at most this much of it. */
export const MAX_MCP_OUTPUT_CHARS = 65_536;

export function mcpBundleName(server: string): string {
  return `mcp:${server}`;
}

/** Arguments pass through as an object; the server's own schema is the contract. */
const anyObject = z.record(z.string(), z.unknown());

export function mcpTool(conn: McpServerConnection, info: McpToolInfo, name: string): Tool<Record<string, unknown>> {
  const readOnly = info.annotations?.readOnlyHint === true || conn.config.read_only_tools.includes(info.name);
  const description = [info.description?.trim() || info.title || info.name, `(MCP server "${conn.name}"${readOnly ? ', read-only' : ''})`].join(' ');
  return {
    name,
    description,
    parameters: anyObject,
    inputSchema: jsonSchemaFor(info.inputSchema),
    sideEffect: !readOnly,
    defaultApproval: readOnly ? 'auto' : 'ask',
    source: `mcp server "${conn.name}" (${conn.describe()}), tool ${info.name}`,
    async run(args, ctx) {
      const refused = protectedArgument(args, ctx, readOnly ? 'read' : 'write');
      if (refused) return { ok: false, output: `${name}: refused: ${refused}; nothing was sent to the MCP server` };
      const outcome = await conn.callTool(info.name, args, ctx.signal);
      if (!outcome.ok) return { ok: false, output: `${name}: ${outcome.message}` };
      return observationOf(name, outcome.result);
    },
  };
}

/** Tool names the model sees: the server's name, unless two servers share one (then `server__tool`). */
export function modelToolName(server: string, tool: string, taken: (name: string) => boolean): string {
  const clean = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '_');
  const plain = clean(tool).slice(0, MAX_TOOL_NAME);
  if (!taken(plain)) return plain;
  return `${clean(server)}__${clean(tool)}`.slice(0, MAX_TOOL_NAME);
}

function jsonSchemaFor(schema: McpToolInfo['inputSchema'] | undefined): Record<string, unknown> {
  const s = (schema ?? {}) as Record<string, unknown>;
  const { $schema: _drop, ...rest } = s;
  return { type: 'object', properties: {}, ...rest };
}

/** The first path-like argument the protected-path rules refuse, as a reason. */
function protectedArgument(args: Record<string, unknown>, ctx: ToolContext, access: 'read' | 'write'): string | undefined {
  const rules = ctx.protectedPaths;
  if (!rules) return undefined;
  const check = (value: unknown): string | undefined => {
    if (typeof value === 'string' && value !== '') {
      const abs = path.resolve(ctx.workspace, value);
      const why = rules.refusal(abs, access);
      return why ? `${JSON.stringify(value)} ${why}` : undefined;
    }
    if (Array.isArray(value))
      for (const v of value) {
        const w = check(v);
        if (w) return w;
      }
    if (value && typeof value === 'object') return walk(value as Record<string, unknown>);
    return undefined;
  };
  const walk = (obj: Record<string, unknown>): string | undefined => {
    for (const [key, value] of Object.entries(obj)) {
      if (PATH_KEY.test(key)) {
        const w = check(value);
        if (w) return w;
      } else if (value && typeof value === 'object') {
        const w = walk(value as Record<string, unknown>);
        if (w) return w;
      }
    }
    return undefined;
  };
  return walk(args);
}

export function observationOf(name: string, result: CallToolResult): ToolResult {
  const parts: string[] = [];
  const references: string[] = [];
  for (const item of result.content ?? []) {
    switch (item.type) {
      case 'text':
        parts.push(item.text);
        break;
      case 'image':
        parts.push(`[image: ${item.mimeType}, ${approxBytes(item.data)} bytes, not shown]`);
        break;
      case 'audio':
        parts.push(`[audio: ${item.mimeType}, ${approxBytes(item.data)} bytes, not shown]`);
        break;
      case 'resource_link':
        parts.push(`[resource link: ${item.name}${item.description ? ` (${item.description})` : ''} ${item.uri}${item.mimeType ? ` ${item.mimeType}` : ''}]`);
        references.push(item.uri);
        break;
      case 'resource': {
        const r = item.resource;
        if ('text' in r && typeof r.text === 'string') parts.push(`[resource ${r.uri}]\n${r.text}`);
        else parts.push(`[resource ${r.uri}${r.mimeType ? ` (${r.mimeType})` : ''}: binary, not shown]`);
        references.push(r.uri);
        break;
      }
      default:
        parts.push(`[${(item as { type?: string }).type ?? 'unknown'} content, not shown]`);
    }
  }
  if (result.structuredContent !== undefined) {
    const json = JSON.stringify(result.structuredContent);
    if (!parts.some((p) => p.trim() === json)) parts.push(`structured content: ${json}`);
  }
  let text = parts.join('\n') || '(the tool returned no content)';
  if (text.length > MAX_MCP_OUTPUT_CHARS) text = `${text.slice(0, MAX_MCP_OUTPUT_CHARS)}\n[cut: ${text.length - MAX_MCP_OUTPUT_CHARS} more characters]`;
  const output = result.isError ? `${name}: the MCP tool reported an error: ${text}` : text;
  const ok = result.isError !== true;
  return references.length ? { ok, output, references } : { ok, output };
}

function approxBytes(base64: string): number {
  return Math.floor((base64.length * 3) / 4);
}
