/**
 * Optimisation settings. The caller passes `GepaConfig['offline']` (snake_case,
 * as loaded from config/gepa_config.yaml), optionally with stop conditions,
 * or any part of it: missing keys take the config defaults.
 *
 * Settings split in two. Algorithmic ones shape the search and are stored in
 * the run state: a resume must use the same ones. Runtime ones (budget,
 * concurrency, stop conditions) only decide when to stop or how fast to go,
 * so a resume may change them, e.g. to raise the budget.
 */
import { gepaConfigSchema, type GepaOfflineConfig } from '../config/gepaConfig.js';
import { AppError } from '../../contracts/errors.js';
import { ALGORITHM_KEYS, type AlgorithmSettings } from '../../contracts/gepa/settings.js';

export interface GepaStopSettings {
  /** Stop once the best mean validation score reaches this. */
  target_score: number | null;
  /** Stop after this much wall time, summed over resumed sessions. */
  max_wall_s: number | null;
  /** Stop (gracefully, between iterations) once this file exists. */
  stop_file: string | null;
  /** Stop once the reflection model has used this many tokens (summed over resumed sessions); no reflection starts past it. */
  max_reflection_tokens: number | null;
}

export type GepaSettings = GepaOfflineConfig & GepaStopSettings;
/** GEPA settings (`offline:` of gepa_config.yaml, plus stop conditions); missing keys take the defaults. */
export type GepaSettingsInput = Partial<GepaOfflineConfig> & Partial<GepaStopSettings>;

export class GepaSettingsError extends AppError {
  readonly category = 'input';
}

const STOP_KEYS = ['target_score', 'max_wall_s', 'stop_file', 'max_reflection_tokens'] as const;

export function resolveSettings(input: GepaSettingsInput = {}): GepaSettings {
  const offline: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) if (!(STOP_KEYS as readonly string[]).includes(k) && v !== undefined) offline[k] = v;
  const parsed = gepaConfigSchema.safeParse({ offline });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.slice(1).join('.') || 'settings'}: expected ${i.message}`);
    throw new GepaSettingsError(`invalid GEPA settings: ${problems.join('; ')}`);
  }
  const stop: GepaStopSettings = {
    target_score: input.target_score ?? null,
    max_wall_s: input.max_wall_s ?? null,
    stop_file: input.stop_file ?? null,
    max_reflection_tokens: input.max_reflection_tokens ?? null,
  };
  if (stop.max_reflection_tokens !== null && !(Number.isInteger(stop.max_reflection_tokens) && stop.max_reflection_tokens > 0)) {
    throw new GepaSettingsError('invalid GEPA settings: max_reflection_tokens: expected an integer > 0 or null');
  }
  if (stop.target_score !== null && !Number.isFinite(stop.target_score))
    throw new GepaSettingsError('invalid GEPA settings: target_score: expected a number or null');
  if (stop.max_wall_s !== null && !(stop.max_wall_s > 0)) throw new GepaSettingsError('invalid GEPA settings: max_wall_s: expected a number > 0 or null');
  return { ...parsed.data.offline, ...stop };
}

export function algorithmSettings(s: GepaSettings): AlgorithmSettings {
  // The config's output must fit the core's type: checked here, where it is handed over.
  const all: AlgorithmSettings = s;
  const picked: Pick<AlgorithmSettings, (typeof ALGORITHM_KEYS)[number]> = Object.fromEntries(ALGORITHM_KEYS.map((k) => [k, all[k]])) as never;
  return picked;
}
