/**
 * The configured MCP servers of one process. Each server is a bundle
 * `mcp:<name>` from the start (so the planner can assign it), but its process
 * or session starts only when an actor is given the bundle: `prepare` starts
 * it, lists its tools and fills the bundle and the tool map in place.
 */
import type { McpServerConfig } from '../../config/toolBundlesConfig.js';
import type { Tool, ToolBundle } from '../types.js';
import { McpServerConnection, type McpServerStatus } from './connection.js';
import { mcpBundleName, mcpTool, modelToolName } from './tools.js';

export interface McpPrepareResult {
  server: string;
  tools: Tool[];
  error?: string;
}

export class McpServers {
  readonly connections = new Map<string, McpServerConnection>();
  private readonly prepared = new Map<string, Promise<McpPrepareResult>>();

  constructor(
    servers: Record<string, McpServerConfig>,
    dirs: { workspace: string; configDir: string },
    private readonly tools: Map<string, Tool>,
    private readonly bundles: Map<string, ToolBundle>,
  ) {
    for (const [name, config] of Object.entries(servers)) {
      const conn = new McpServerConnection(name, config, dirs.workspace, dirs.configDir);
      this.connections.set(name, conn);
      bundles.set(mcpBundleName(name), {
        name: mcpBundleName(name),
        description: config.description ?? `Tools of the MCP server "${name}".`,
        tools: [],
      });
    }
  }

  /** The server behind a bundle name, if it is an MCP bundle. */
  serverOf(bundle: string): string | undefined {
    if (!bundle.startsWith('mcp:')) return undefined;
    const name = bundle.slice(4);
    return this.connections.has(name) ? name : undefined;
  }

  /** Starts the servers behind these bundles (once each) and fills their bundles. */
  async prepare(bundleNames: Iterable<string>): Promise<McpPrepareResult[]> {
    const servers = new Set<string>();
    for (const b of bundleNames) {
      const s = this.serverOf(b);
      if (s) servers.add(s);
    }
    // Start in parallel, but name tools in config order so a clash is resolved the same way every run.
    const ordered = [...this.connections.keys()].filter((s) => servers.has(s));
    const listings = new Map(ordered.map((s) => [s, this.connections.get(s)!.listTools()] as const));
    const results: McpPrepareResult[] = [];
    for (const s of ordered) results.push(await this.prepareServer(s, listings.get(s)));
    return results;
  }

  prepareServer(server: string, listing?: ReturnType<McpServerConnection['listTools']>): Promise<McpPrepareResult> {
    let p = this.prepared.get(server);
    if (!p) {
      p = this.load(server, listing ?? this.connections.get(server)!.listTools());
      this.prepared.set(server, p);
    }
    return p;
  }

  private async load(server: string, listing: ReturnType<McpServerConnection['listTools']>): Promise<McpPrepareResult> {
    const conn = this.connections.get(server)!;
    const bundle = this.bundles.get(mcpBundleName(server))!;
    const listed = await listing;
    if ('error' in listed) {
      bundle.description = `${bundle.description} (unavailable: ${listed.error})`;
      return { server, tools: [], error: listed.error };
    }
    const tools = listed.map((info) => {
      const name = modelToolName(server, info.name, (n) => this.tools.has(n));
      const tool = mcpTool(conn, info, name);
      this.tools.set(name, tool);
      return tool;
    });
    bundle.tools.push(...tools);
    return { server, tools };
  }

  status(): McpServerStatus[] {
    return [...this.connections.values()].map((c) => c.status());
  }

  async close(): Promise<void> {
    await Promise.all([...this.connections.values()].map((c) => c.close()));
  }
}
