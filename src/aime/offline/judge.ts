/**
 * The offline model as judge and rubric writer. It cannot weigh prose, so it
 * settles only the rubric's plain checks (file exists / contains text, answer
 * contains text, run completed), from the evidence lines the judge prompt's
 * code wrote and from the run section; any other criterion it leaves open
 * (met: null) and says so. Its feedback is one line naming what is missing.
 */
import { plainCheckOf } from '../../../contracts/judge.js';
import { outputFileFor } from './goal.js';

function sectionAfter(text: string, heading: string, next: string): string {
  const start = text.indexOf(`# ${heading}\n`);
  if (start < 0) return '';
  const body = text.slice(start + heading.length + 3);
  const end = body.indexOf(`\n\n# ${next}\n`);
  return end < 0 ? body : body.slice(0, end);
}

interface Criterion {
  criterion: number;
  met: boolean | null;
  note: string;
}

export function offlineVerdict(user: string): string {
  const rubric = sectionAfter(user, 'Rubric', 'Evidence checks')
    .split('\n')
    .map((l) => /^\d+\.\s(.*)$/.exec(l)?.[1])
    .filter((c): c is string => c !== undefined);
  const checks = sectionAfter(user, 'Evidence checks', 'Run').split('\n');
  const run = sectionAfter(user, 'Run', 'Trajectory');
  const status = /^status: (.*)$/m.exec(run)?.[1]?.trim() ?? 'unknown';
  const reason = /^reason: (.*)$/m.exec(run)?.[1]?.trim() ?? '';
  const answer = run.slice(run.indexOf('answer:\n') + 8).toLowerCase();
  const line = (prefix: string) => checks.find((l) => l.startsWith(prefix));

  const criteria: Criterion[] = rubric.map((text, i) => {
    const c = plainCheckOf(text);
    const n = i + 1;
    if (!c) return { criterion: n, met: null, note: `not a plain check ("${text}"): the offline judge cannot weigh it` };
    switch (c.kind) {
      case 'completed':
        return {
          criterion: n,
          met: status === 'completed',
          note: status === 'completed' ? 'the run completed' : `the run did not complete (${status}${reason ? `: ${reason.slice(0, 160)}` : ''})`,
        };
      case 'answer_contains': {
        const met = answer.includes(c.text.toLowerCase());
        return { criterion: n, met, note: met ? `the answer contains "${c.text}"` : `the answer does not contain "${c.text}"` };
      }
      case 'file_exists': {
        const l = line(`file ${c.path}: `);
        if (!l || /: refused/.test(l)) return { criterion: n, met: null, note: `no evidence about ${c.path}` };
        const met = /: exists/.test(l);
        return { criterion: n, met, note: met ? `${c.path} exists` : `the file ${c.path} does not exist` };
      }
      case 'file_contains': {
        const l = line(`search "${c.text}" in ${c.path}: `);
        const f = line(`file ${c.path}: `);
        if (!l || !f || /: refused/.test(f)) return { criterion: n, met: null, note: `no evidence about ${c.path}` };
        const met = /: found at line/.test(l);
        return {
          criterion: n,
          met,
          note: met
            ? `${c.path} contains "${c.text}"`
            : /: exists/.test(f)
              ? `${c.path} does not contain "${c.text}"`
              : `the file ${c.path} does not exist, so it does not contain "${c.text}"`,
        };
      }
    }
    return { criterion: n, met: null, note: 'unknown check' };
  });
  const settled = criteria.filter((c) => c.met !== null);
  const missing = criteria.filter((c) => c.met === false);
  const open = criteria.filter((c) => c.met === null);
  const score = settled.length ? settled.filter((c) => c.met).length / settled.length : 0;
  const parts: string[] = [];
  if (!settled.length)
    parts.push('None of the criteria is a plain check the offline judge can settle (file exists / contains text, answer contains text, run completed).');
  else if (missing.length) parts.push(`Missing: ${missing.map((c) => c.note).join('; ')}.`);
  else parts.push(`Every checkable criterion is met: ${settled.map((c) => c.note).join('; ')}.`);
  if (open.length && settled.length) parts.push(`Not checked: criteria ${open.map((c) => c.criterion).join(', ')}.`);
  return JSON.stringify({ score, feedback: parts.join(' '), criteria });
}

/** A rubric from the goal's own words: the file it names, quoted text, and completion. */
export function offlineRubric(user: string): string {
  const goal = sectionAfter(user, 'Goal', '\u0000').trim();
  const criteria = ['run completed'];
  const named = /\b([\w-]+(?:\/[\w-]+)*\.(?:md|txt|json))\b/.exec(goal)?.[1];
  if (named) criteria.push(`file ${named} exists`);
  for (const m of goal.matchAll(/"([^"]{2,60})"/g)) criteria.push(named ? `file ${outputFileFor(goal)} contains "${m[1]}"` : `answer contains "${m[1]}"`);
  return JSON.stringify({ criteria: criteria.slice(0, 6) });
}
