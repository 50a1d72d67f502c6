/**
 * What every CLI command shares: finding and loading the config, applying
 * flag overrides, exit codes, and turning errors into one clear line.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { applyOverrides, CONFIG_FILES, defaultConfigDir as packagedConfigDir, loadConfig, type LoadedConfig } from '../config/index.js';
import { errorMessage, AppError } from '../../contracts/errors.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, notFinished: 3, interrupted: 130 } as const;

export class UsageError extends AppError {
  readonly category = 'usage';
}

export interface ModelFlags {
  config?: string;
  provider?: string;
  apiBase?: string;
  model?: string;
  apiKey?: string;
  /** --replay FILE (run, chat): it sets the provider itself. */
  replay?: string;
  /** --quiet: no notes on stderr. */
  quiet?: boolean;
}

/** ./config when the current directory has one, else the config shipped with the package. */
export function cliConfigDir(): string {
  const local = path.resolve('config');
  return fs.existsSync(path.join(local, CONFIG_FILES.model)) ? local : packagedConfigDir();
}

/** Each config warning is said once per process, however often the config is loaded. */
const warned = new Set<string>();

export async function loadCliConfig(flags: ModelFlags): Promise<LoadedConfig> {
  const config = await loadConfig(flags.config ? path.resolve(flags.config) : cliConfigDir());
  for (const w of config.warnings ?? []) {
    if (flags.quiet || warned.has(w)) continue;
    warned.add(w);
    process.stderr.write(`gepa-aime: warning: ${w}\n`);
  }
  const implied = flags.provider ? undefined : impliedProvider(flags, config.model.provider);
  const provider = flags.provider ?? implied?.provider;
  const overrides = {
    // `--provider replay --replay FILE` must not be validated as replay without a replay_file.
    ...(provider && !(provider === 'replay' && flags.replay) ? { provider } : {}),
    ...(flags.apiBase ? { api_base: flags.apiBase } : {}),
    ...(flags.model ? { model: flags.model } : {}),
    ...(flags.apiKey ? { api_key: flags.apiKey } : {}),
  };
  const loaded = Object.keys(overrides).length ? { ...config, model: applyOverrides(config.model, overrides) } : config;
  if (implied && !impliedSaid && !flags.quiet) {
    impliedSaid = true;
    process.stderr.write(`gepa-aime: ${implied.note}\n`);
  }
  return loaded;
}

let impliedSaid = false;

/**
 * --api-base or --model without --provider mean "talk to that server": when
 * the config would stay offline (or replay), the OpenAI-compatible provider is
 * chosen. The note says so once, on stderr.
 */
function impliedProvider(flags: ModelFlags, configured: string): { provider: string; note: string } | undefined {
  if (flags.replay || !(flags.apiBase || flags.model) || (configured !== 'offline' && configured !== 'replay')) return undefined;
  const given = [flags.apiBase ? '--api-base' : '', flags.model ? '--model' : ''].filter(Boolean).join(' and ');
  return {
    provider: 'openai',
    note: `${given} without --provider: using the OpenAI-compatible provider (openai); pass --provider vllm or --provider offline to choose another`,
  };
}

export function parsePositiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a whole number of at least 1, got "${value}"`);
    return n;
  };
}

/** One line for the user, and the exit code that goes with the error's kind. */
export function describeError(err: unknown): { message: string; code: number } {
  // Bad usage and bad input are the user's to fix (exit 2); anything else is a failed run.
  if (err instanceof AppError && err.category !== 'run') return { message: err.message, code: EXIT.usage };
  return { message: errorMessage(err), code: EXIT.failed };
}

export function fail(err: unknown): never {
  const { message, code } = describeError(err);
  process.stderr.write(`gepa-aime: ${message}\n`);
  if (process.env['GEPA_AIME_DEBUG'] && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  process.exit(code);
}

/** The model flags every command shares: which config, which provider and endpoint, which model, which key. */
export function modelOptions(cmd: Command): Command {
  return cmd
    .option('--config <dir>', 'config directory (default: ./config if present, else the packaged one)')
    .addOption(new Option('--provider <name>', 'model provider, overrides the config').choices(['offline', 'vllm', 'openai', 'replay']))
    .option('--api-base <url>', 'OpenAI-compatible endpoint base URL, e.g. http://127.0.0.1:8000/v1')
    .option('--model <name>', 'model name on the server (roles with their own model keep it)')
    .option('--api-key <key>', 'bearer key (prefer the GEPA_AIME_API_KEY environment variable)');
}

/** The limits of one goal run, for `run`, `chat` and `submit`. */
export function runLimitOptions(cmd: Command): Command {
  return cmd
    .option('--max-iterations <n>', 'planner iterations before giving up', parsePositiveInt('--max-iterations'))
    .option('--max-parallel <n>', 'actors running at once (default 1, as in the AIME paper)', parsePositiveInt('--max-parallel'))
    .option('--max-steps <n>', 'ReAct steps per actor', parsePositiveInt('--max-steps'))
    .option('--token-budget <n>', 'stop when the run has used this many tokens', parsePositiveInt('--token-budget'))
    .option('--deadline <seconds>', 'stop after this many seconds of wall-clock time', parsePositiveInt('--deadline'));
}
