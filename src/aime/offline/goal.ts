/**
 * How the offline model reads a goal: split it into clauses and classify each
 * clause and task title into a kind of work it knows how to do with tools.
 */

export type WorkKind = 'survey' | 'summarise' | 'propose' | 'write' | 'research' | 'search';

const KIND_PATTERNS: [WorkKind, RegExp][] = [
  ['write', /\b(write|save|record|persist|store)\b.*\b(file|disk|results?|report|findings)\b|\bwrite the results\b/i],
  ['survey', /\b(survey|list|explore|inventory|layout|structure|tree)\b/i],
  ['propose', /\b(propos\w*|suggest\w*|recommend\w*|next steps?|improv\w*|plan)\b/i],
  ['summarise', /\b(summar\w*|describe|explain|overview|outline|report)\b/i],
  ['research', /\b(research|web|internet|online|look up)\b/i],
];

const LEADING_VERB: [WorkKind, RegExp][] = [
  ['summarise', /^(summar\w*|describe|explain|outline|overview)\b/i],
  ['propose', /^(propos\w*|suggest\w*|recommend\w*|plan)\b/i],
  ['survey', /^(survey|list|explore|inventory)\b/i],
  ['write', /^(write|save|record|document|draft)\b/i],
  ['research', /^(research|look up)\b/i],
];

/** The leading verb decides first ("Summarise the layout" is a summary, not a survey); keywords next. */
export function classify(text: string): WorkKind {
  const trimmed = text.trim();
  for (const [kind, pattern] of LEADING_VERB) if (pattern.test(trimmed)) return kind;
  for (const [kind, pattern] of KIND_PATTERNS) if (pattern.test(trimmed)) return kind;
  return 'search';
}

const VERBS =
  'analyse|analyze|check|compare|count|create|describe|document|draft|explain|find|fix|identify|list|outline|plan|propose|read|recommend|report|research|review|save|search|suggest|summarise|summarize|survey|test|update|write';
const CLAUSE_BREAK = new RegExp(`\\s*(?:;|\\bthen\\b|,?\\s*\\band\\s+(?:then\\s+)?(?=(?:${VERBS})\\b))\\s*`, 'i');

/** "Summarise X and propose Y" -> ["Summarise X", "propose Y"]; "and" splits only before a verb. */
export function splitGoal(goal: string): string[] {
  const clauses = goal
    .replace(/\s+/g, ' ')
    .split(CLAUSE_BREAK)
    .map((c) => c.trim().replace(/^(?:and|then)\s+/i, '').replace(/[.!?,]+$/, ''))
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
