/**
 * How the offline model reads a goal: split it into clauses and classify each
 * clause and task title into a kind of work it knows how to do with tools.
 */

export type WorkKind = 'survey' | 'summarise' | 'propose' | 'write' | 'research' | 'search' | 'unsupported';

const KIND_PATTERNS: [WorkKind, RegExp][] = [
  ['write', /\b(write|save|record|persist|store)\b.*\b(file|disk|results?|report|findings)\b|\bwrite the results\b/i],
  ['survey', /\b(survey|list|explore|inventory|layout|structure|tree)\b/i],
  ['propose', /\b(propos\w*|suggest\w*|recommend\w*|next steps?|improv\w*|plan)\b/i],
  ['summarise', /\b(summar\w*|describe|explain|overview|outline|report)\b/i],
  ['research', /\b(research|web|internet|online|look up)\b/i],
  ['search', /\b(find|search|grep|locate|occurrences?|mentions?|uses? of|where is)\b/i],
];

const LEADING_VERB: [WorkKind, RegExp][] = [
  ['summarise', /^(summar\w*|describe|explain|outline|overview)\b/i],
  ['propose', /^(propos\w*|suggest\w*|recommend\w*|plan)\b/i],
  ['survey', /^(survey|list|explore|inventory)\b/i],
  ['write', /^(write|save|record|document|draft)\b/i],
  ['research', /^(research|look up)\b/i],
  ['search', /^(find|search|grep|locate|look for)\b/i],
];

/** What the workspace rules can talk about: the workspace itself, its layout, and next steps for it. */
const ABOUT_WORKSPACE =
  /\b(repo\w*|layout|workspace|projects?|structure|files?|director(?:y|ies)|codebase|code|source|tree|folders?|readme|package|next steps?|improvements?|todos?|fixmes?|gaps?|open work|it|this|them)\b/i;
/** What "write" can write: the results of the other tasks, nothing made up. */
const RESULTS = /\b(results?|summar(?:y|ies)|findings|report|notes|overview|layout|next steps|it|them|this|that)\b/i;

/** The leading verb decides first ("Summarise the layout" is a summary, not a survey); keywords next. */
export function classify(text: string): WorkKind {
  // A contingency task is the same work as the task it retries.
  const trimmed = text.trim().replace(/^Retry \[[^\]]*\] another way:\s*/, '');
  const kind = LEADING_VERB.find(([, p]) => p.test(trimmed))?.[0] ?? KIND_PATTERNS.find(([, p]) => p.test(trimmed))?.[0] ?? 'unsupported';
  // The rules know how to survey, summarise and improve a workspace, and to write down those results: nothing else.
  if ((kind === 'survey' || kind === 'summarise' || kind === 'propose') && !ABOUT_WORKSPACE.test(trimmed)) return 'unsupported';
  if (kind === 'write' && !RESULTS.test(trimmed)) return 'unsupported';
  return kind;
}

export const MODEL_SERVER_HINT =
  'point the CLI at a model server: --api-base http://127.0.0.1:8000/v1 --model NAME (or set provider, api_base and model in config/model_config.yaml; check it with gepa-aime doctor)';

/** Why the offline model cannot do a piece of work, and what to do instead. */
export function unsupportedReason(clause: string): string {
  return `the embedded offline model cannot do "${clause}": it follows fixed rules (survey the workspace, summarise its layout, propose next steps, search it for text, write those results to a file) and cannot write or reason freely; ${MODEL_SERVER_HINT}`;
}

const VERBS =
  'analyse|analyze|check|compare|count|create|describe|document|draft|explain|find|fix|identify|list|outline|plan|propose|read|recommend|report|research|review|save|search|suggest|summarise|summarize|survey|test|update|write';
const CLAUSE_BREAK = new RegExp(`\\s*(?:;|\\bthen\\b|,?\\s*\\band\\s+(?:then\\s+)?(?=(?:${VERBS})\\b))\\s*`, 'i');

/** "Summarise X and propose Y" -> ["Summarise X", "propose Y"]; "and" splits only before a verb. */
export function splitGoal(goal: string): string[] {
  const clauses = goal
    .replace(/\s+/g, ' ')
    .split(CLAUSE_BREAK)
    .map((c) =>
      c
        .trim()
        .replace(/^(?:and|then)\s+/i, '')
        .replace(/[.!?,]+$/, ''),
    )
    .filter((c) => c.split(' ').length >= 2);
  return clauses.length ? clauses : [goal.trim() || 'Inspect the workspace'];
}

export function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A file name for the goal's results: one the goal names, else a slug under gepa-aime-output/. */
export function outputFileFor(goal: string): string {
  const named = /\b([\w-]+(?:\/[\w-]+)*\.(?:md|txt|json))\b/.exec(goal);
  if (named?.[1]) return named[1];
  const slug = goal
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .split('-')
    .filter(Boolean)
    .slice(0, 6)
    .join('-');
  return `gepa-aime-output/${slug || 'result'}.md`;
}
