/**
 * model_config.yaml: which LLM provider/model to call and how, with per-role and
 * per-persona overrides. Precedence, lowest to highest:
 *   file < environment (GEPA_AIME_*) < CLI flags (applyOverrides)   — for the base settings
 *   base < roles.<role> < roles.personas.<persona>                   — in resolveRole
 * Env vars and CLI flags set the base (top-level) settings; a role or persona that names
 * its own value in the file keeps it, since the file said so for that role explicitly.
 */
import { z } from 'zod';
import { registerSecret } from '../util/secrets.js';
import { ConfigError, renderValue } from './errors.js';
import { flag, httpUrl, int, isPlainObject, mapping, name, num, oneOf, text } from './fields.js';
import type { Located, ParsedSource } from './source.js';
import { validate, valueAt, type CheckIssue } from './validate.js';

export const PROVIDERS = ['offline', 'vllm', 'openai', 'replay'] as const;
export type Provider = (typeof PROVIDERS)[number];
export const ENDPOINTS = ['/v1/chat/completions', '/v1/completions', '/generate'] as const;
export type Endpoint = (typeof ENDPOINTS)[number];
export type AgentRole = 'planner' | 'actor' | 'reflection' | 'judge';
export type Env = Readonly<Record<string, string | undefined>>;

/** Env var → the top-level key it sets. Empty values count as unset. */
export const MODEL_ENV_VARS = {
  GEPA_AIME_PROVIDER: 'provider',
  GEPA_AIME_API_BASE: 'api_base',
  GEPA_AIME_MODEL: 'model',
  GEPA_AIME_API_KEY: 'api_key',
} as const;
/** Used for api_key only when neither the file nor GEPA_AIME_API_KEY sets one. */
export const API_KEY_FALLBACK_ENV = 'OPENAI_API_KEY';

/** Everything one agent role needs to make calls, overrides applied. */
export type ResolvedRole = Omit<ModelConfig, 'roles'> & { role: AgentRole; persona: string | null };

/** CLI flags; undefined means "not given". */
export interface ModelOverrides {
  provider?: string;
  api_base?: string;
  model?: string;
  api_key?: string;
}

const extraParams = z.record(z.string(), z.unknown(), { error: 'a mapping of extra provider parameters' });
const temperature = num('a number from 0 to 2, or null', { gte: 0, lte: 2 }).nullable();
const topP = num('a number greater than 0 and at most 1, or null', { gt: 0, lte: 1 }).nullable();
const maxTokens = int('an integer >= 1, or null', { gte: 1 }).nullable();
const seed = int('an integer, or null').nullable();
const apiKey = text('an API key string, or null').nullable();

const roleOverride = mapping(
  {
    provider: oneOf(PROVIDERS).optional(),
    model: text('a model name').optional(),
    api_base: httpUrl().optional(),
    api_key: apiKey.optional(),
    endpoint: oneOf(ENDPOINTS).optional(),
    temperature: temperature.optional(),
    top_p: topP.optional(),
    max_tokens: maxTokens.optional(),
    seed: seed.optional(),
    extra_params: extraParams.optional(),
  },
  'a mapping of settings to override (or {})',
);

export const modelConfigSchema = mapping(
  {
    provider: oneOf(PROVIDERS).default('offline'),
    model: text('a model name').default('gepa-aime-offline'),
    api_base: httpUrl().default('http://127.0.0.1:8000/v1'),
    api_key: apiKey.default(null),
    endpoint: oneOf(ENDPOINTS).default('/v1/chat/completions'),
    // Seconds without a byte of progress before an attempt is abandoned (idle timeout).
    request_timeout: num('a positive number', { gt: 0 }).default(60),
    // Seconds a whole request may take, retries included, however steadily the server trickles.
    request_deadline: num('a positive number (seconds)', { gt: 0 }).default(600),
    // Bytes one reply may have (streamed or whole).
    max_response_bytes: int('an integer >= 1024 (bytes)', { gte: 1024 }).default(33_554_432),
    max_retries: int('an integer >= 0', { gte: 0 }).default(4),
    // Concurrent requests per endpoint.
    max_concurrency: int('an integer >= 1', { gte: 1 }).default(8),
    stream: flag().default(true),
    temperature: temperature.default(0.2),
    top_p: topP.default(null),
    max_tokens: maxTokens.default(2048),
    seed: seed.default(null),
    replay_file: text('a file path, or null').nullable().default(null),
    // Passed to the provider untouched; unknown top-level keys of the file land here too.
    extra_params: extraParams.default(() => ({})),
    roles: mapping(
      {
        planner: roleOverride.prefault(() => ({})),
        actor: roleOverride.prefault(() => ({})),
        reflection: roleOverride.prefault(() => ({})),
        // The judge scorer's model (src/judge); temperature and seed default to 0 there.
        judge: roleOverride.prefault(() => ({})),
        personas: z.record(name(), roleOverride, { error: 'a mapping of persona name to overrides' }).default(() => ({})),
      },
      'a mapping with planner, actor, reflection, judge and personas',
    ).prefault(() => ({})),
  },
  'a mapping of model settings',
);

// The types are the schema's output: each key is said once, in the schema.
export type ModelConfig = z.output<typeof modelConfigSchema>;
/** What a role or persona may override. `null` clears a base value; absent inherits it. */
export type RoleOverride = z.output<typeof roleOverride>;

const OVERRIDE_KEYS = Object.keys(roleOverride.shape) as (keyof RoleOverride)[];

/** Validate parsed model_config.yaml, after env overrides. */
export function parseModelConfig(
  src: ParsedSource,
  env: Env = process.env,
  opts: { knownPersonas?: readonly string[]; onWarning?: (message: string) => void } = {},
): ModelConfig {
  const raw = src.value ?? {}; // an empty file means "all defaults"
  if (!isPlainObject(raw)) {
    throw new ConfigError({
      file: src.file,
      keyPath: '',
      line: src.lineOf([]) ?? 1,
      expected: 'a mapping of model settings (key: value lines)',
      found: renderValue(raw),
    });
  }
  if (opts.onWarning) for (const w of typoWarnings(raw, src)) opts.onWarning(w);
  const input = foldUnknownKeys(raw);
  const origins: Record<string, string> = {};
  for (const [variable, key] of Object.entries(MODEL_ENV_VARS)) {
    const value = env[variable];
    if (value) [input[key], origins[key]] = [value, `$${variable}`];
  }
  const fallbackKey = env[API_KEY_FALLBACK_ENV];
  if ((input.api_key === undefined || input.api_key === null) && fallbackKey) {
    [input.api_key, origins.api_key] = [fallbackKey, `$${API_KEY_FALLBACK_ENV}`];
  }
  return validate(modelConfigSchema, input, src, { origins, checks: (v) => modelChecks(v, opts.knownPersonas) });
}

/** CLI flags over a loaded config (highest precedence), validated again. */
export function applyOverrides(config: ModelConfig, overrides: ModelOverrides, source = 'command line'): ModelConfig {
  registerSecret(overrides.api_key); // --api-key: redacted by value wherever it would be written or shown
  const input: Record<string, unknown> = { ...config };
  for (const key of ['provider', 'api_base', 'model', 'api_key'] as const) {
    if (overrides[key] !== undefined) input[key] = overrides[key];
  }
  const at: Located = { file: source, lineOf: () => undefined };
  return validate(modelConfigSchema, input, at, { checks: (v) => modelChecks(v) });
}

/** Settings for one role: persona override over role override over base; extra_params merged shallowly. */
export function resolveRole(config: ModelConfig, role: AgentRole, persona?: string): ResolvedRole {
  const { roles, extra_params, ...base } = config;
  const out: ResolvedRole = { ...base, extra_params: { ...extra_params }, role, persona: persona ?? null };
  const personaOverride = persona !== undefined && Object.hasOwn(roles.personas, persona) ? roles.personas[persona] : undefined;
  for (const layer of [roles[role], personaOverride]) {
    if (!layer) continue;
    for (const key of OVERRIDE_KEYS) {
      const value = layer[key];
      if (value === undefined) continue;
      if (key === 'extra_params') out.extra_params = { ...out.extra_params, ...(value as Record<string, unknown>) };
      else (out as unknown as Record<string, unknown>)[key] = value;
    }
  }
  return out;
}

/**
 * Unknown keys are legal (they go to the provider), so a typo of a known key
 * would pass silently: one close to a known key gets a warning.
 */
function typoWarnings(raw: Record<string, unknown>, src: ParsedSource): string[] {
  const known = Object.keys(modelConfigSchema.shape);
  const warnings: string[] = [];
  for (const key of Object.keys(raw)) {
    if (known.includes(key) || PROVIDER_PARAMS.has(key)) continue;
    const near = closestKey(key, known);
    if (!near) continue;
    const line = src.lineOf([key]);
    warnings.push(
      `${src.file}${line !== undefined ? `:${line}` : ''}: ${key} is not a known setting (it is passed to the provider in extra_params); did you mean ${near}?`,
    );
  }
  return warnings;
}

/** Sampling and serving parameters of vLLM and OpenAI-compatible servers: meant for extra_params, never typos. */
const PROVIDER_PARAMS = new Set([
  'top_k',
  'min_p',
  'repetition_penalty',
  'presence_penalty',
  'frequency_penalty',
  'structured_outputs',
  'chat_template_kwargs',
  'stop',
  'n',
  'best_of',
  'logprobs',
  'top_logprobs',
  'ignore_eos',
  'min_tokens',
  'logit_bias',
  'user',
  'guided_json',
  'response_format',
]);

/** The known key within a small edit distance (a typo, not a different word), if any. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const limit = key.length <= 5 ? 1 : key.length <= 9 ? 2 : 3;
  let best: { name: string; d: number } | undefined;
  for (const name of known) {
    const d = editDistance(key.toLowerCase(), name);
    if (d <= limit && (!best || d < best.d)) best = { name, d };
  }
  return best?.name;
}

/** Levenshtein distance with adjacent transpositions (optimal string alignment). */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  }
  return rows[a.length]![b.length]!;
}

/** Unknown top-level keys become extra_params; an explicit extra_params wins on conflict. */
function foldUnknownKeys(raw: Record<string, unknown>): Record<string, unknown> {
  const known = new Set(Object.keys(modelConfigSchema.shape));
  // fromEntries defines own properties, so a "__proto__" key stays an ordinary key.
  const input = Object.fromEntries(Object.entries(raw).filter(([k]) => known.has(k)));
  const unknown = Object.fromEntries(Object.entries(raw).filter(([k]) => !known.has(k)));
  if (Object.keys(unknown).length > 0 && (raw.extra_params === undefined || isPlainObject(raw.extra_params))) {
    input.extra_params = { ...unknown, ...(raw.extra_params ?? {}) };
  }
  return input;
}

function modelChecks(v: unknown, knownPersonas?: readonly string[]): CheckIssue[] {
  const issues: CheckIssue[] = [];
  if (valueAt(v, ['provider']) === 'replay' && (valueAt(v, ['replay_file']) ?? null) === null) {
    issues.push({ path: ['replay_file'], expected: 'a replay file path (required when provider is replay)' });
  }
  const personas = valueAt(v, ['roles', 'personas']);
  if (knownPersonas && isPlainObject(personas)) {
    for (const p of Object.keys(personas)) {
      if (!knownPersonas.includes(p)) {
        issues.push({
          path: ['roles', 'personas', p],
          expected: `the name of a defined persona (${knownPersonas.join(', ')})`,
          found: `unknown persona ${JSON.stringify(p)}`,
        });
      }
    }
  }
  return issues;
}
