/**
 * How the offline planner follows lessons that reflection added to its
 * prompt: feedback such as `notes/a.md does not contain "next steps"` becomes
 * a standing rule to cover that text. It is the offline stand-in for a
 * model reading its instructions; a real planner reads the prose itself.
 */
const LESSONS = 'Lessons from failed examples:';
const MAX_TERMS = 5;

export function lessonTerms(systemPrompt: string): string[] {
  const at = systemPrompt.indexOf(LESSONS);
  if (at < 0) return [];
  const lines = systemPrompt
    .slice(at + LESSONS.length)
    .split('\n')
    .filter((l) => l.startsWith('- '));
  const terms = lines.flatMap((l) => [...l.matchAll(/does not contain "([^"]{1,60})"/g)].map((m) => m[1]!.trim()));
  return [...new Set(terms.map((t) => t.toLowerCase()))].slice(0, MAX_TERMS);
}
