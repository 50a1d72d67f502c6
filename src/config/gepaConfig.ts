/**
 * gepa_config.yaml: when and how prompts evolve — `online` (during normal runs, driven by
 * goal outcomes) and `offline` (a GEPA optimisation run). Every key is optional; unknown
 * keys are errors so a typo cannot silently leave a default in force.
 */
import { z } from 'zod';
import { flag, int, mapping, num, oneOf, text } from './fields.js';
import type { ParsedSource } from './source.js';
import { validate } from './validate.js';
import { CANDIDATE_SELECTIONS, COMPONENT_SELECTIONS, FRONTIER_TYPES } from '../../contracts/gepa/settings.js';

const TEMPLATE_EXPECTED = 'a template containing <curr_param> and <side_info>, or null';

export const gepaConfigSchema = mapping(
  {
    // What each online key means: OnlineSettings in contracts/gepa/settings.ts.
    online: mapping(
      {
        enabled: flag().default(true),
        trace_path: text('a file path').default('traces/gepa_history.jsonl'),
        window: int('an integer >= 1', { gte: 1 }).default(20),
        recency_decay: num('a number greater than 0 and at most 1', { gt: 0, lte: 1 }).default(0.85),
        threshold: num('a number from 0 to 1', { gte: 0, lte: 1 }).default(0.5),
        every_n_goals: int('an integer >= 0 (0 = only on threshold)', { gte: 0 }).default(5),
        pool_size: int('an integer >= 1', { gte: 1 }).default(4),
        min_outcomes: int('an integer >= 1', { gte: 1 }).default(3),
        success_score: num('a number from 0 to 1', { gte: 0, lte: 1 }).default(1),
        challenger_share: num('a number greater than 0 and less than 1', { gt: 0, lt: 1 }).default(0.5),
        confidence: num('a number from 0.5 to 1 (exclusive)', { gte: 0.5, lt: 1 }).default(0.95),
        min_trial_goals: int('an integer >= 1', { gte: 1 }).default(10),
        max_trial_goals: int('an integer >= 2', { gte: 2 }).default(80),
      },
      'a mapping of online evolution settings',
    ).prefault(() => ({})),
    offline: mapping(
      {
        max_metric_calls: int('an integer >= 1', { gte: 1 }).default(200),
        minibatch_size: int('an integer >= 1', { gte: 1 }).default(3),
        candidate_selection: oneOf(CANDIDATE_SELECTIONS).default('pareto'),
        epsilon: num('a number from 0 to 1', { gte: 0, lte: 1 }).default(0.1),
        component_selection: oneOf(COMPONENT_SELECTIONS).default('round_robin'),
        use_merge: flag().default(false),
        max_merge_invocations: int('an integer >= 0', { gte: 0 }).default(5),
        max_concurrency: int('an integer >= 1', { gte: 1 }).default(4),
        seed: int('an integer').default(0),
        perfect_score: num('a number').default(1),
        // Must contain <curr_param> and <side_info>; null = built-in template.
        reflection_prompt_template: z
          .string({ error: TEMPLATE_EXPECTED })
          .refine((s) => s.includes('<curr_param>') && s.includes('<side_info>'), { error: TEMPLATE_EXPECTED })
          .nullable()
          .default(null),
        // Stop with stop_reason reflection_failed after this many failed reflections in a row.
        max_reflection_failures: int('an integer >= 1', { gte: 1 }).default(5),
        // What the Pareto frontier is over: validation instances, objectives (the metric's named scores), or both.
        frontier_type: oneOf(FRONTIER_TYPES).default('instance'),
        // Minibatch-accepted reflective steps chained before one validation; 1 = validate every accepted child (the reference).
        chain_length: int('an integer >= 1', { gte: 1 }).default(8),
      },
      'a mapping of offline optimisation settings',
    ).prefault(() => ({})),
    judge: mapping(
      {
        // Criteria used when an example brings none; null = the judge writes one per goal, once, and it is frozen.
        rubric: z
          .array(text('a criterion (text)'), { error: 'a list of criteria (texts), or null' })
          .min(1, { error: 'at least one criterion, or null' })
          .nullable()
          .default(null),
        // The judge's instructions; null = the built-in prompt.
        prompt: text('the judge prompt (text), or null').nullable().default(null),
        // `judge check`: a verdict within this distance of the label counts as agreeing.
        tolerance: num('a number from 0 to 1', { gte: 0, lte: 1 }).default(0.2),
        // Verdict cache, frozen rubrics and the judge's journal (a relative `traces/...` follows --traces).
        cache_dir: text('a directory path').default('traces/judge'),
        // Re-asks after a reply that fails the verdict schema, before the judgement counts as failed.
        max_reasks: int('an integer >= 0', { gte: 0 }).default(1),
      },
      'a mapping of judge settings',
    ).prefault(() => ({})),
  },
  'a mapping with online, offline and judge sections',
);

// The types are the schema's output: what a key means is said once, in the schema and
// (for what the GEPA core reads) in contracts/gepa/settings.ts.
export type GepaConfig = z.output<typeof gepaConfigSchema>;
export type GepaOnlineConfig = GepaConfig['online'];
export type GepaOfflineConfig = GepaConfig['offline'];
/** The judge scorer (src/judge): a model that scores a run against a rubric. */
export type GepaJudgeConfig = GepaConfig['judge'];

export function parseGepaConfig(src: ParsedSource): GepaConfig {
  return validate(gepaConfigSchema, src.value ?? {}, src); // empty file = all defaults
}
