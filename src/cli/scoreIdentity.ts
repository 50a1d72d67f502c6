/**
 * What an `optimize` run's scores depend on, besides candidate and example:
 * the models (provider, name, endpoint, sampling, per role) and the metric or
 * scorer. It keys the evaluation cache, and a resume refuses a change of any
 * part, naming it. Secrets and settings that cannot change a score (timeouts,
 * retries, concurrency, streaming) are left out.
 */
import type { ModelConfig } from '../config/index.js';
import { scorerIdentity } from '../gepa/index.js';

const NOT_SCORING = new Set(['api_key', 'request_timeout', 'max_retries', 'max_concurrency', 'stream']);

function scoring(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(scoring);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => !NOT_SCORING.has(k))
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => [k, scoring(v)]),
    );
  }
  return value;
}

export async function optimizeScoreIdentity(o: { model: ModelConfig; scorer?: string | null; team?: string | null }): Promise<Record<string, unknown>> {
  const { roles, ...base } = o.model;
  const id: Record<string, unknown> = {
    task_model: scoring(base),
    // Reflection does not change a score; the task roles (planner, actor, personas) do.
    task_model_roles: scoring({ planner: roles.planner, actor: roles.actor, personas: roles.personas }),
  };
  if (o.scorer) id['scorer'] = await scorerIdentity(o.scorer);
  if (o.team) id['team'] = await scorerIdentity(o.team);
  return id;
}
