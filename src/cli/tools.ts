/**
 * `gepa-aime tools`: every tool with its bundle, where it comes from and its
 * approval policy (MCP servers are started to list theirs), and the checks
 * `doctor` runs on the tools: each MCP server starts and lists tools, and the
 * shell sandbox works (or why run_command is not offered).
 */
import type { Command } from 'commander';
import type { LoadedConfig } from '../config/index.js';
import { ApprovalGate } from '../tools/approval.js';
import { loadToolRegistry, type ToolRegistry } from '../tools/registry.js';
import { probeSandbox, SHELL_BUNDLE } from '../tools/shell/runCommand.js';
import { EXIT, loadCliConfig, type ModelFlags } from './common.js';

/** One doctor line (structurally doctor.ts's CheckLine; doctor imports this module, not the other way). */
type CheckStatus = 'ok' | 'warn' | 'FAIL';
interface CheckLine {
  status: CheckStatus;
  name: string;
  detail: string;
}

export interface ToolListing {
  name: string;
  bundles: string[];
  source: string;
  sideEffect: boolean;
  approval: string;
  description: string;
}

export function toolsCommand(program: Command): void {
  program
    .command('tools')
    .description('list every tool with its bundle, where it comes from and its approval policy (starts the MCP servers to list theirs)')
    .option('--config <dir>', 'config directory (default: ./config if present, else the packaged one)')
    .option('--json', 'print the list as JSON')
    .action(async (flags: ModelFlags & { json?: boolean }) => {
      process.exitCode = await listToolsCommand(flags);
    });
}

async function listToolsCommand(flags: ModelFlags & { json?: boolean }): Promise<number> {
  const config = await loadCliConfig(flags);
  const registry = await loadToolRegistry(config.tools, { configDir: config.dir });
  try {
    const problems = (await registry.mcp.prepare(registry.bundles.keys())).filter((r) => r.error);
    const listing = listTools(registry, config);
    if (flags.json) {
      process.stdout.write(
        `${JSON.stringify({ tools: listing, unavailable: [...problems.map((p) => ({ bundle: `mcp:${p.server}`, reason: p.error })), ...[...registry.notOffered].map(([bundle, reason]) => ({ bundle, reason }))] }, null, 2)}\n`,
      );
    } else {
      const rows = listing.map((t) => [t.name, t.bundles.join(', ') || '(no bundle)', t.approval, t.source]);
      const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length), ['tool', 'bundles', 'approval'][i]!.length));
      const line = (r: string[]) => r.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c)).join('  ');
      const out = [line(['tool', 'bundles', 'approval', 'source']), ...rows.map(line)];
      for (const p of problems) out.push(`unavailable: mcp:${p.server}: ${p.error}`);
      for (const [bundle, reason] of registry.notOffered) out.push(`not offered: ${bundle}: ${reason}`);
      process.stdout.write(`${out.join('\n')}\n`);
    }
    return problems.length ? EXIT.failed : EXIT.ok;
  } finally {
    await registry.close();
  }
}

export function listTools(registry: ToolRegistry, config: LoadedConfig): ToolListing[] {
  const gate = new ApprovalGate({ tools: registry.tools, bundles: registry.bundles, config: config.tools.approvals });
  const bundlesOf = new Map<string, string[]>();
  for (const b of registry.bundles.values()) for (const t of b.tools) bundlesOf.set(t.name, [...(bundlesOf.get(t.name) ?? []), b.name]);
  return [...registry.tools.values()].map((t) => {
    const bundles = bundlesOf.get(t.name) ?? [];
    return {
      name: t.name,
      bundles: t.name === 'update_progress' ? ['(every actor)'] : bundles,
      source: t.source ?? (t.name === 'update_progress' ? 'built-in (system tool)' : 'built-in'),
      sideEffect: t.sideEffect,
      approval: t.name === 'update_progress' ? 'auto' : gate.policyFor(t.name, bundles),
      description: t.description,
    };
  });
}

/** doctor's tool checks: one line per MCP server and one for the shell sandbox. */
export async function toolChecks(config: LoadedConfig, say: (line: CheckLine) => void): Promise<boolean> {
  let failed = false;
  const report = (status: CheckStatus, name: string, detail: string) => {
    if (status === 'FAIL') failed = true;
    say({ status, name, detail });
  };
  const sandbox = await probeSandbox();
  if (sandbox.ok)
    report(
      'ok',
      'shell',
      `${SHELL_BUNDLE} bundle offered: run_command runs under ${sandbox.bwrap} (no network, workspace read-write); process limit: ${sandbox.processLimit}`,
    );
  else report('warn', 'shell', `${SHELL_BUNDLE} bundle not offered: ${sandbox.reason}`);
  const registry = await loadToolRegistry(config.tools, { configDir: config.dir, shell: false });
  try {
    for (const [name, conn] of registry.mcp.connections) {
      const started = Date.now();
      const result = await registry.mcp.prepareServer(name);
      if (result.error) report('FAIL', `mcp:${name}`, result.error);
      else
        report(
          'ok',
          `mcp:${name}`,
          `${conn.describe()}: started and listed ${result.tools.length} tool${result.tools.length === 1 ? '' : 's'} in ${Date.now() - started} ms (${result.tools.map((t) => t.name).join(', ')})`,
        );
    }
  } finally {
    await registry.close();
  }
  return !failed;
}
