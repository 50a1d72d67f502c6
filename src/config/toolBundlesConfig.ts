/**
 * tool_bundles.json: named groups of tools that personas switch on, extra tool modules,
 * web search settings and I/O limits. Tool names are not checked here: only the tool
 * registry knows which tools exist.
 */
import { z } from 'zod';
import { httpUrl, int, isPlainObject, list, mapping, name, oneOf, text } from './fields.js';
import { packagedConfigFile } from './packaged.js';
import { parseSource, readConfigText, type ParsedSource } from './source.js';
import { validate, valueAt, type CheckIssue } from './validate.js';

export const WEB_SEARCH_PROVIDERS = ['searxng', 'brave', 'tavily'] as const;

export const APPROVAL_POLICIES = ['auto', 'ask', 'deny'] as const;
export type ApprovalPolicy = (typeof APPROVAL_POLICIES)[number];

export const DEFAULT_TOOL_LIMITS = {
  max_write_bytes: 1_048_576,
  max_read_bytes: 262_144,
  max_step_write_bytes: 4_194_304,
  max_tool_calls_per_step: 16,
  custom_tool_load_timeout_ms: 10_000,
  max_reply_chars: 16_384,
  max_argument_chars: 2_097_152,
} as const;

/** `.env`, `.env.local`, `.envrc` (direnv runs it) ... anywhere in the workspace: they hold keys. */
export const DEFAULT_PROTECTED = ['.env*'] as const;

/** The shell's limits when `shell:` leaves a key out (the sandbox uses the same when given none). */
export const DEFAULT_SHELL_LIMITS = { timeout_ms: 30_000, max_output_bytes: 65_536, memory_mb: 512, max_processes: 64 } as const;

const bundle = mapping(
  { description: text('a description'), tools: list(text('a tool name'), 'a list of tool names') },
  'a bundle: {"description": …, "tools": […]}',
);
const bundles = z.record(name(), bundle, { error: 'a mapping of bundle name to bundle' });
export type ToolBundleConfig = z.output<typeof bundle>;

let builtin: Record<string, ToolBundleConfig> | undefined;

/**
 * The bundles used when the file leaves `bundles` out: those of the shipped
 * config/tool_bundles.json (one source), read and checked once; a fresh copy each call.
 */
export function defaultToolBundles(): Record<string, ToolBundleConfig> {
  if (!builtin) {
    const file = packagedConfigFile('tool_bundles.json');
    const src = parseSource(readConfigText(file)!, file, 'json');
    builtin = validate(z.object({ bundles }), src.value, src).bundles;
  }
  return structuredClone(builtin);
}

const stringMap = (expected: string) => z.record(z.string(), z.string({ error: 'a string' }), { error: expected }).default(() => ({}));

const mcpServer = mapping(
  {
    command: text('the command that starts the server, e.g. "npx"').optional(),
    args: list(z.string({ error: 'a string' }), 'a list of arguments').default(() => []),
    env: stringMap('a mapping of environment variable to value'),
    cwd: text('a directory').optional(),
    url: httpUrl('the http:// or https:// URL of a Streamable HTTP endpoint').optional(),
    headers: stringMap('a mapping of header name to value'),
    description: text('a description').optional(),
    // Milliseconds to connect and list tools.
    start_timeout_ms: int('a positive integer (milliseconds)', { gte: 1 }).default(20_000),
    // Milliseconds one tool call may take.
    call_timeout_ms: int('a positive integer (milliseconds)', { gte: 1 }).default(60_000),
    // Tools to treat as read-only (no side effect, approval auto) besides those the server marks readOnlyHint.
    read_only_tools: list(text('a tool name'), 'a list of tool names').default(() => []),
  },
  'an MCP server: {"command": …, "args"?: […]} or {"url": …}',
);

export const toolBundlesConfigSchema = mapping(
  {
    bundles: bundles.default(defaultToolBundles),
    default_bundles: list(name(), 'a list of bundle names').default(() => ['filesystem']),
    custom_tools: list(
      mapping(
        // module: relative to the config dir; export: "default" unless given.
        { module: text('a module path relative to the config dir'), export: text('an export name').default('default') },
        'a custom tool: {"module": …, "export"?: …}',
      ),
      'a list of custom tools',
    ).default(() => []),
    web_search: mapping(
      {
        provider: oneOf(WEB_SEARCH_PROVIDERS),
        // Endpoint; required for searxng (e.g. "http://localhost:8080/search").
        url: httpUrl().optional(),
        api_key: text('an API key string').optional(),
        // Environment variable holding the API key, read at call time.
        api_key_env: z
          .string({ error: 'an environment variable name' })
          .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'an environment variable name' })
          .optional(),
        // Upper bound on results per call, whatever the model asks for.
        max_results: int('an integer from 1 to 20', { gte: 1, lte: 20 }).optional(),
        timeout_ms: int('a positive integer (milliseconds)', { gte: 1 }).optional(),
      },
      'a web search mapping {"provider": …} or null',
    )
      .nullable()
      .default(null),
    // Globs (relative to the workspace) no tool may read or change; see src/tools/protectedPaths.ts.
    protected: list(text('a glob relative to the workspace, e.g. "secrets/**"'), 'a list of globs').default(() => [...DEFAULT_PROTECTED]),
    limits: mapping(
      {
        max_write_bytes: int('a positive integer (bytes)', { gte: 1 }).default(DEFAULT_TOOL_LIMITS.max_write_bytes),
        max_read_bytes: int('a positive integer (bytes)', { gte: 1 }).default(DEFAULT_TOOL_LIMITS.max_read_bytes),
        // Bytes all the tool calls of one model message may write together.
        max_step_write_bytes: int('a positive integer (bytes)', { gte: 1 }).default(DEFAULT_TOOL_LIMITS.max_step_write_bytes),
        // Tool calls of one model message that run; the rest are answered "not run: limit".
        max_tool_calls_per_step: int('an integer from 1 to 1000', { gte: 1, lte: 1000 }).default(DEFAULT_TOOL_LIMITS.max_tool_calls_per_step),
        // A custom tool module that has not loaded after this long is a config error.
        custom_tool_load_timeout_ms: int('a positive integer (milliseconds)', { gte: 1 }).default(DEFAULT_TOOL_LIMITS.custom_tool_load_timeout_ms),
        // Characters of one model reply's text kept in the agents' context and snapshots (the journal keeps it whole).
        max_reply_chars: int('an integer >= 1000 (characters)', { gte: 1000 }).default(DEFAULT_TOOL_LIMITS.max_reply_chars),
        // A tool call with longer arguments is not run (answered with a reference to the journal).
        max_argument_chars: int('an integer >= 1000 (characters)', { gte: 1000 }).default(DEFAULT_TOOL_LIMITS.max_argument_chars),
      },
      'a mapping of limits (max_write_bytes, max_read_bytes, max_step_write_bytes, max_tool_calls_per_step, custom_tool_load_timeout_ms, max_reply_chars, max_argument_chars)',
    ).prefault(() => ({})),
    mcp_servers: z.record(name(), mcpServer, { error: 'a mapping of server name to MCP server' }).default(() => ({})),
    approvals: mapping(
      {
        // Policy per tool name (wins over the bundle's); per bundle name, e.g. "mcp:memory" or "shell".
        tools: z.record(text('a tool name'), oneOf(APPROVAL_POLICIES), { error: 'a mapping of tool name to auto, ask or deny' }).default(() => ({})),
        bundles: z.record(text('a bundle name'), oneOf(APPROVAL_POLICIES), { error: 'a mapping of bundle name to auto, ask or deny' }).default(() => ({})),
      },
      'a mapping {"tools": {…}, "bundles": {…}}',
    ).prefault(() => ({})),
    shell: mapping(
      {
        timeout_ms: int('a positive integer (milliseconds)', { gte: 1 }).default(DEFAULT_SHELL_LIMITS.timeout_ms),
        max_output_bytes: int('a positive integer (bytes)', { gte: 1 }).default(DEFAULT_SHELL_LIMITS.max_output_bytes),
        memory_mb: int('a positive integer (MiB)', { gte: 16 }).default(DEFAULT_SHELL_LIMITS.memory_mb),
        max_processes: int('a positive integer', { gte: 1 }).default(DEFAULT_SHELL_LIMITS.max_processes),
      },
      'a mapping with timeout_ms, max_output_bytes, memory_mb and max_processes',
    ).prefault(() => ({})),
  },
  'a JSON object with bundles, default_bundles, custom_tools, web_search, protected, limits, mcp_servers, approvals and shell',
);

// The types are the schema's output: each key is said once, in the schema. src/tools imports
// them from here (the layer below it), so there is one ToolBundlesConfig and one WebSearchConfig.
export type ToolBundlesConfig = z.output<typeof toolBundlesConfigSchema>;
export type CustomToolConfig = ToolBundlesConfig['custom_tools'][number];
export type WebSearchConfig = NonNullable<ToolBundlesConfig['web_search']>;
export type WebSearchProvider = WebSearchConfig['provider'];
/** One MCP server: stdio (`command`) or Streamable HTTP (`url`), never both. */
export type McpServerConfig = z.output<typeof mcpServer>;
export type ApprovalsConfig = ToolBundlesConfig['approvals'];
export type ShellConfig = ToolBundlesConfig['shell'];
export type ToolLimits = ToolBundlesConfig['limits'];

export function parseToolBundlesConfig(src: ParsedSource): ToolBundlesConfig {
  return validate(toolBundlesConfigSchema, src.value, src, { checks: toolChecks });
}

function toolChecks(raw: unknown): CheckIssue[] {
  const issues: CheckIssue[] = [];
  const given = valueAt(raw, ['bundles']);
  const defaults = valueAt(raw, ['default_bundles']);
  const known = given === undefined ? Object.keys(defaultToolBundles()) : isPlainObject(given) ? Object.keys(given) : undefined;
  const wanted = defaults === undefined ? ['filesystem'] : defaults;
  if (known && Array.isArray(wanted)) {
    wanted.forEach((b, i) => {
      if (typeof b === 'string' && !known.includes(b)) {
        issues.push({
          path: defaults === undefined ? ['default_bundles'] : ['default_bundles', i],
          expected: known.length ? `a bundle defined in "bundles" (${known.join(', ')})` : 'a bundle defined in "bundles" (none are)',
          found: `unknown bundle ${JSON.stringify(b)}`,
        });
      }
    });
  }
  const ws = valueAt(raw, ['web_search']);
  if (isPlainObject(ws) && ws.provider === 'searxng' && ws.url === undefined) {
    issues.push({ path: ['web_search', 'url'], expected: 'the URL of the SearXNG instance (required for searxng)' });
  }
  const servers = valueAt(raw, ['mcp_servers']);
  if (isPlainObject(servers)) {
    for (const [key, server] of Object.entries(servers)) {
      if (!isPlainObject(server)) continue;
      const hasCommand = server.command !== undefined;
      const hasUrl = server.url !== undefined;
      if (hasCommand === hasUrl) {
        issues.push({
          path: ['mcp_servers', key],
          expected: 'exactly one of "command" (stdio) or "url" (Streamable HTTP)',
          found: hasCommand ? 'both' : 'neither',
        });
      }
      if (hasUrl)
        for (const k of ['args', 'env', 'cwd'] as const)
          if (server[k] !== undefined)
            issues.push({ path: ['mcp_servers', key, k], expected: `no "${k}" on a server given by "url" (it is for stdio servers)` });
      if (hasCommand && server.headers !== undefined)
        issues.push({ path: ['mcp_servers', key, 'headers'], expected: 'no "headers" on a stdio server (they are for "url" servers)' });
    }
  }
  return issues;
}
