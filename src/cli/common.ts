/**
 * What every CLI command shares: finding and loading the config, applying
 * flag overrides, exit codes, and turning errors into one clear line.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from 'commander';
import { applyOverrides, CONFIG_FILES, ConfigError, defaultConfigDir as packagedConfigDir, loadConfig, type LoadedConfig } from '../config/index.js';
import { ModelError } from '../../contracts/llm.js';
import { errorMessage, AppError } from '../../contracts/errors.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, notFinished: 3, interrupted: 130 } as const;


export class UsageError extends AppError {
  readonly category = 'usage';
  constructor(message: string) {
    super(message);
  }
}

export interface ModelFlags {
  config?: string;
  provider?: string;
  apiBase?: string;
  model?: string;
  apiKey?: string;
  /** --replay FILE (run, chat): it sets the provider itself. */
  replay?: string;
}

/** ./config when the current directory has one, else the config shipped with the package. */
export function cliConfigDir(): string {
  const local = path.resolve('config');
  return fs.existsSync(path.join(local, CONFIG_FILES.model)) ? local : packagedConfigDir();
}

export async function loadCliConfig(flags: ModelFlags): Promise<LoadedConfig> {
  const config = await loadConfig(flags.config ? path.resolve(flags.config) : cliConfigDir());
  const overrides = {
    // `--provider replay --replay FILE` must not be validated as replay without a replay_file.
    ...(flags.provider && !(flags.provider === 'replay' && flags.replay) ? { provider: flags.provider } : {}),
    ...(flags.apiBase ? { api_base: flags.apiBase } : {}),
    ...(flags.model ? { model: flags.model } : {}),
    ...(flags.apiKey ? { api_key: flags.apiKey } : {}),
  };
  return Object.keys(overrides).length ? { ...config, model: applyOverrides(config.model, overrides) } : config;
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
