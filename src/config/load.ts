/**
 * Entry points: parse config text (no disk but the package's own defaults, for tests and fuzzers), load one file, or load
 * a whole config dir. Whatever the content, the only error that escapes is ConfigError.
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { registerSecret } from '../util/secrets.js';
import { ConfigError } from './errors.js';
import { parseGepaConfig, type GepaConfig } from './gepaConfig.js';
import { API_KEY_FALLBACK_ENV, parseModelConfig, type Env, type ModelConfig } from './modelConfig.js';
import { defaultPersonasConfig, parsePersonasConfig, type PersonasConfig } from './personasConfig.js';
import { findPackagedConfigDir } from './packaged.js';
import { parseSource, readConfigText } from './source.js';
import { parseToolBundlesConfig, type ToolBundlesConfig } from './toolBundlesConfig.js';

export const CONFIG_FILES = {
  model: 'model_config.yaml',
  gepa: 'gepa_config.yaml',
  tools: 'tool_bundles.json',
  personas: 'personas.yaml',
} as const;

export type ConfigKind = keyof typeof CONFIG_FILES;

export interface ConfigByKind {
  model: ModelConfig;
  gepa: GepaConfig;
  tools: ToolBundlesConfig;
  personas: PersonasConfig;
}

export interface ParseOptions {
  /** For `model`: the environment for GEPA_AIME_* overrides. Default: none (pure). */
  env?: Env;
  /** For `personas`: bundle names that exist. */
  knownBundles?: readonly string[];
  /** For `model`: persona names that roles.personas may name. */
  knownPersonas?: readonly string[];
  /** Told about legal but suspicious content (a key that looks like a typo of a known one). */
  onWarning?: (message: string) => void;
}

/** A validated config directory: model, GEPA, tool bundles and personas. */
export interface LoadedConfig {
  model: ModelConfig;
  gepa: GepaConfig;
  tools: ToolBundlesConfig;
  personas: PersonasConfig;
  /** Absolute config dir; custom_tools modules are relative to it. */
  dir: string;
  /** Paths read (as built from the dir given); personas is null when the built-in defaults were used. */
  files: { model: string; gepa: string; tools: string; personas: string | null };
  /** Legal but suspicious content, one line each with file and line (e.g. "did you mean request_timeout?"). */
  warnings?: string[];
}

/** Parse and validate config text of one kind. `fileName` is only used in error messages. */
export function parseConfigText<K extends ConfigKind>(kind: K, text: string, fileName: string = CONFIG_FILES[kind], opts: ParseOptions = {}): ConfigByKind[K] {
  return contain(fileName, () => {
    const src = parseSource(text, fileName, kind === 'tools' ? 'json' : 'yaml');
    const parsers: { [P in ConfigKind]: () => ConfigByKind[P] } = {
      model: () =>
        parseModelConfig(src, opts.env ?? {}, {
          ...(opts.knownPersonas ? { knownPersonas: opts.knownPersonas } : {}),
          ...(opts.onWarning ? { onWarning: opts.onWarning } : {}),
        }),
      gepa: () => parseGepaConfig(src),
      tools: () => parseToolBundlesConfig(src),
      personas: () => parsePersonasConfig(src, opts.knownBundles ? { knownBundles: opts.knownBundles } : {}),
    };
    return parsers[kind]() as ConfigByKind[K];
  });
}

export function loadModelConfig(
  path: string,
  env: Env = process.env,
  opts: { knownPersonas?: readonly string[]; onWarning?: (message: string) => void } = {},
): ModelConfig {
  return parseConfigText('model', readConfigText(path)!, path, { ...opts, env });
}

export function loadGepaConfig(path: string): GepaConfig {
  return parseConfigText('gepa', readConfigText(path)!, path);
}

export function loadToolBundlesConfig(path: string): ToolBundlesConfig {
  return parseConfigText('tools', readConfigText(path)!, path);
}

/** The file is optional: when it does not exist, the built-in personas are returned. */
export function loadPersonasConfig(path: string, opts: { knownBundles?: readonly string[] } = {}): PersonasConfig {
  const text = readConfigText(path, { optional: true });
  return text === undefined ? defaultPersonasConfig(opts.knownBundles) : parseConfigText('personas', text, path, opts);
}

/**
 * Load every file of a config dir and check them against each other (persona bundles
 * exist, persona overrides name real personas). Problems in all files are reported together.
 */
export function loadConfig(dir: string = defaultConfigDir(), { env = process.env }: { env?: Env } = {}): LoadedConfig {
  if (!isDirectory(dir)) {
    throw new ConfigError({ file: dir, expected: 'a config directory', found: 'nothing there', text: 'config directory not found' });
  }
  const files = {
    model: join(dir, CONFIG_FILES.model),
    gepa: join(dir, CONFIG_FILES.gepa),
    tools: join(dir, CONFIG_FILES.tools),
    personas: join(dir, CONFIG_FILES.personas),
  };
  const errors: ConfigError[] = [];
  const attempt = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      errors.push(error);
      return undefined;
    }
  };

  // Order matters: each file is checked against the ones before it when they loaded.
  const tools = attempt(() => loadToolBundlesConfig(files.tools));
  // MCP servers are bundles `mcp:<name>`; `shell` is built in (offered where bubblewrap works).
  const knownBundles = tools ? [...Object.keys(tools.bundles), ...Object.keys(tools.mcp_servers).map((n) => `mcp:${n}`), 'shell'] : undefined;
  const personasPresent = existsSync(files.personas);
  const personas = attempt(() => loadPersonasConfig(files.personas, knownBundles ? { knownBundles } : {}));
  const knownPersonas = personas ? Object.keys(personas.personas) : undefined;
  const warnings: string[] = [];
  const model = attempt(() => loadModelConfig(files.model, env, { ...(knownPersonas ? { knownPersonas } : {}), onWarning: (w) => warnings.push(w) }));
  const gepa = attempt(() => loadGepaConfig(files.gepa));

  if (errors.length > 0) throw ConfigError.merge(errors);
  // Every key in use is redacted by value wherever it would be written or shown.
  registerModelSecrets(model!);
  registerSecret(tools!.web_search?.api_key);
  if (tools!.web_search?.api_key_env) registerSecret(env[tools!.web_search.api_key_env]);
  for (const variable of ['GEPA_AIME_API_KEY', API_KEY_FALLBACK_ENV]) registerSecret(env[variable]);
  return {
    model: model!,
    gepa: gepa!,
    tools: tools!,
    personas: personas!,
    dir: resolve(dir),
    files: { ...files, personas: personasPresent ? files.personas : null },
    ...(warnings.length ? { warnings } : {}),
  };
}

/** The model config's keys (base and every role override), for redaction by value. */
export function registerModelSecrets(model: ModelConfig): void {
  registerSecret(model.api_key);
  for (const role of [model.roles.planner, model.roles.actor, model.roles.reflection, ...Object.values(model.roles.personas)]) registerSecret(role.api_key);
}

/** The package's own config/ dir (works from src/ and dist/); ./config when this copy ships none. */
export function defaultConfigDir(): string {
  return findPackagedConfigDir() ?? resolve('config');
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Last line of defence: a bug or a library surprise still reaches the user as a ConfigError. */
function contain<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const reason =
      error instanceof RangeError ? 'content is nested too deeply' : `cannot process file: ${String((error as Error)?.message ?? error).slice(0, 200)}`;
    throw new ConfigError({ file, expected: 'a valid config file', found: 'an unexpected failure', text: reason });
  }
}
