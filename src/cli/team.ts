/**
 * `gepa-aime team run FILE --input TEXT`: runs an agent team once and
 * prints every agent's reply, the final output and the shared state; `--json`
 * prints one JSON object instead. Exit codes: 0 the team finished, 1 an agent
 * failed, 2 bad usage or a bad team file.
 */
import path from 'node:path';
import type { Command } from 'commander';
import type { LoadedConfig } from '../config/index.js';
import { loadTeamFile } from '../teams/load.js';
import type { TeamRunResult } from '../teams/runner.js';
import { runTeam, type TeamReport } from '../api/team.js';
import type { TeamDef } from '../../contracts/teams/types.js';
import { createModelSet } from '../runtime/models.js';
import { EXIT, loadCliConfig, modelOptions, UsageError, type ModelFlags } from './common.js';
import { interruptController } from './run.js';
import { safeText } from './terminal.js';

export interface TeamFlags extends ModelFlags {
  input?: string;
  json?: boolean;
  workspace?: string;
}

/** --config, --provider, --api-base, --model, --api-key: the same as `run`. */
export function teamModelOptions(cmd: Command): Command {
  return modelOptions(cmd).option('--workspace <dir>', 'directory the file tools of agents with tool bundles work in (default: current directory)');
}

/** Registers `gepa-aime team run`. */
export function teamCommand(program: Command): Command {
  const group = program.command('team').alias('pipeline').description('agent teams defined in YAML (see examples/teams); `pipeline` is the old spelling');
  teamModelOptions(group.command('run').description('run an agent team once on an input').argument('<file>', 'the team YAML file'))
    .requiredOption('--input <text>', "the team's input (every agent's user message)")
    .option('--json', 'print one JSON object on stdout and nothing else')
    .action(async (file: string, flags: TeamFlags) => {
      process.exitCode = await teamRunCommand(file, flags);
    });
  return group;
}

export function describeModels(config: LoadedConfig): { provider: string; model: string; offline: boolean } {
  return createModelSet(config.model).describe();
}

export async function teamRunCommand(file: string, flags: TeamFlags): Promise<number> {
  const input = flags.input ?? '';
  if (!input.trim()) throw new UsageError('--input is empty: give the text the team should work on');
  const { team } = loadTeamFile(file);
  const config = await loadCliConfig(flags);
  const interrupt = interruptController();
  const started = Date.now();
  let report: TeamReport;
  try {
    // The library's runTeam: the same models (per agent role) and tools (workspace checked) as before.
    report = await runTeam(team, { input, config, signal: interrupt.signal, ...(flags.workspace ? { workspace: flags.workspace } : {}) }).report;
  } finally {
    interrupt.dispose();
  }
  if (report.status === 'cancelled') {
    process.stderr.write('gepa-aime: the team run was cancelled\n');
    return EXIT.interrupted;
  }
  const result: TeamRunResult = { ...report, status: report.status };
  const model = describeModels(config);
  const primary = team.primary;
  const primaryKey = primary ? team.agents[primary]?.output_key : undefined;
  if (flags.json) {
    const json = {
      team: path.resolve(file),
      input,
      status: result.status,
      output: result.output,
      primary: primary ?? null,
      primary_output: primary ? (primaryKey && Object.hasOwn(result.state, primaryKey) ? result.state[primaryKey] : result.output) : null,
      state: result.state,
      agents: result.traces,
      usage: result.usage,
      error: result.error,
      model,
      duration_ms: Date.now() - started,
    };
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  } else {
    process.stdout.write(render(result, team, model.offline, Date.now() - started));
  }
  return result.status === 'completed' ? EXIT.ok : EXIT.failed;
}

const indent = (text: string) =>
  safeText(text)
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');

function render(r: TeamRunResult, team: TeamDef, offline: boolean, ms: number): string {
  const out: string[] = [];
  for (const t of r.traces) {
    const key = team.agents[t.agent]?.output_key;
    const where = [t.iteration !== null ? `round ${t.iteration}` : null, key ? `-> ${key}` : null].filter(Boolean).join(', ');
    out.push(`${t.agent}${where ? ` (${where})` : ''}:`);
    for (const c of t.toolCalls) out.push(`  [tool] ${c.name} ${safeText(c.arguments).slice(0, 120)} -> ${c.ok ? 'ok' : 'failed'}`);
    out.push(t.error ? `  failed: ${safeText(t.error)}` : indent(t.output));
  }
  out.push('output:', indent(r.output));
  const keys = Object.keys(r.state);
  out.push(keys.length ? 'state:' : 'state: (empty)');
  for (const k of keys) out.push(`  ${k}: ${safeText(r.state[k]!).replace(/\n/g, '\n    ')}`);
  out.push(`status: ${r.status}${r.error ? ` (${safeText(r.error)})` : ''}`);
  out.push(`agent runs: ${r.traces.length}, tokens: ${r.usage.totalTokens}, time: ${ms} ms`);
  if (offline) out.push('This run used the embedded offline model: deterministic rules, no language model.');
  return `${out.join('\n')}\n`;
}
