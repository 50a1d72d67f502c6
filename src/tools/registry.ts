/**
 * The tool registry: every tool the installation offers (built-ins plus the
 * custom tools in the bundles config) and the named bundles that group them.
 * The actor factory grants an actor a set of bundles; bundleFor turns those
 * names into the actor's toolkit, with the update_progress system tool.
 */
import path from 'node:path';
import { createBuiltinTools } from './builtin/index.js';
import { UPDATE_PROGRESS_TOOL } from './builtin/updateProgress.js';
import { ToolConfigError } from './configError.js';
import { loadCustomTool, type CustomToolEntry } from './customTools.js';
import { toolSpec, type ToolSpecJson } from './invoke.js';
import { McpServers } from './mcp/servers.js';
import { createRunCommandTool, probeSandbox, SHELL_BUNDLE } from './shell/runCommand.js';
import type { ToolBundlesConfig } from '../config/toolBundlesConfig.js';
import type { Tool, ToolBundle } from './types.js';

export { ToolConfigError } from './configError.js';

/**
 * What the registry reads of the validated config/tool_bundles.json (`ToolBundlesConfig`, the
 * config schema's output): the bundles, and any of the rest (the library and tests pass parts).
 */
export type RegistryConfig = Pick<ToolBundlesConfig, 'bundles'> &
  Partial<Pick<ToolBundlesConfig, 'default_bundles' | 'web_search' | 'protected' | 'mcp_servers'>> & {
    custom_tools?: CustomToolEntry[];
    limits?: Partial<ToolBundlesConfig['limits']>;
    approvals?: Partial<ToolBundlesConfig['approvals']>;
    shell?: Partial<ToolBundlesConfig['shell']>;
  };

export interface LoadRegistryOptions {
  /** Directory custom tool modules are resolved against (that of the bundles file). */
  configDir: string;
  /** The bundles file, for error messages; defaults to `<configDir>/tool_bundles.json`. */
  configFile?: string;
  /** The run's workspace: `${workspace}` in MCP server settings, and where stdio servers run (default: the current directory). */
  workspace?: string;
  /** Offer the sandboxed shell when bubblewrap works here (default true). */
  shell?: boolean;
}

export interface ToolRegistry {
  tools: Map<string, Tool>;
  bundles: Map<string, ToolBundle>;
  defaultBundles: string[];
  /** The tools of the named bundles, deduplicated, always ending with update_progress. Unknown bundle names are ignored. */
  bundleFor(names: string[]): Tool[];
  /** bundleFor, as the specs the model sees. */
  specsFor(names: string[]): ToolSpecJson[];
  /** The configured MCP servers (bundles `mcp:<name>`), started lazily by `prepare`. */
  mcp: McpServers;
  /** Starts the MCP servers behind these bundle names (once each) so their bundles hold their tools. */
  prepare(bundleNames: Iterable<string>): Promise<void>;
  /** Tools or bundles that are configured or built in but not offered here, with the reason (e.g. the shell without bubblewrap). */
  notOffered: Map<string, string>;
  /** Stops every MCP server this registry started. */
  close(): Promise<void>;
}

export async function loadToolRegistry(config: RegistryConfig, options: LoadRegistryOptions): Promise<ToolRegistry> {
  const configFile = options.configFile ?? path.join(options.configDir, 'tool_bundles.json');
  const tools = new Map<string, Tool>();
  const builtins = createBuiltinTools({
    maxReadBytes: config.limits?.max_read_bytes,
    maxWriteBytes: config.limits?.max_write_bytes,
    webSearch: config.web_search ?? null,
  });
  for (const tool of builtins) tools.set(tool.name, tool);

  for (const entry of config.custom_tools ?? []) {
    const tool = await loadCustomTool(entry, options.configDir, configFile, config.limits?.custom_tool_load_timeout_ms);
    if (tools.has(tool.name)) {
      const what = builtins.some((b) => b.name === tool.name) ? 'a built-in tool' : 'another custom tool';
      throw new ToolConfigError(
        `custom tool module ${JSON.stringify(entry.module)} (listed in ${configFile}) defines "${tool.name}", which is already ${what}; rename it`,
      );
    }
    tools.set(tool.name, tool);
  }

  const bundles = new Map<string, ToolBundle>();
  for (const [name, def] of Object.entries(config.bundles ?? {})) {
    const members = (def.tools ?? []).map((toolName) => {
      const tool = tools.get(toolName);
      if (!tool) {
        throw new ToolConfigError(`bundle "${name}" in ${configFile} names unknown tool "${toolName}"; known tools: ${[...tools.keys()].sort().join(', ')}`);
      }
      return tool;
    });
    bundles.set(name, { name, description: def.description ?? '', tools: members });
  }

  const defaultBundles = config.default_bundles ?? [];
  for (const name of defaultBundles) {
    if (!bundles.has(name)) {
      throw new ToolConfigError(
        `default_bundles in ${configFile} names unknown bundle "${name}"; bundles: ${[...bundles.keys()].sort().join(', ') || '(none)'}`,
      );
    }
  }

  const notOffered = new Map<string, string>();
  if (bundles.has(SHELL_BUNDLE) || tools.has('run_command')) {
    throw new ToolConfigError(`"${SHELL_BUNDLE}" and run_command are built in (the sandboxed shell); remove them from ${configFile}`);
  }
  if (options.shell !== false) {
    const probe = await probeSandbox();
    if (probe.ok) {
      // The config directory holds keys: hidden in the sandbox wherever it lives.
      const shell = createRunCommandTool(config.shell ?? {}, [options.configDir]);
      tools.set(shell.name, shell);
      bundles.set(SHELL_BUNDLE, {
        name: SHELL_BUNDLE,
        description: 'Run shell commands in a sandbox: workspace read-write, no network, time, output and memory limits.',
        tools: [shell],
      });
    } else {
      notOffered.set(SHELL_BUNDLE, probe.reason);
    }
  } else {
    notOffered.set(SHELL_BUNDLE, 'the shell was switched off for this process');
  }
  const mcp = new McpServers(config.mcp_servers ?? {}, { workspace: options.workspace ?? process.cwd(), configDir: options.configDir }, tools, bundles);

  const progress = tools.get(UPDATE_PROGRESS_TOOL)!;
  const bundleFor = (names: string[]): Tool[] => {
    const picked = new Map<string, Tool>();
    for (const name of names) for (const tool of bundles.get(name)?.tools ?? []) picked.set(tool.name, tool);
    picked.delete(UPDATE_PROGRESS_TOOL); // re-added last, where the system tool always sits
    return [...picked.values(), progress];
  };
  return {
    tools,
    bundles,
    defaultBundles,
    bundleFor,
    specsFor: (names) => bundleFor(names).map(toolSpec),
    mcp,
    notOffered,
    prepare: async (names) => void (await mcp.prepare(names)),
    close: () => mcp.close(),
  };
}
