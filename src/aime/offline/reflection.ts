/**
 * The offline model as GEPA's reflection model. It cannot reason, so it does
 * the honest minimum: it keeps the current instruction and adds the concrete
 * lessons stated in the feedback of failing examples, as a new instruction in
 * ``` fences (the reply format GEPA's default reflection prompt asks for).
 */

const LESSONS = 'Lessons from failed examples:';
const MAX_LESSONS = 8;

export function reflect(prompt: string): string {
  const current = /```\n?([\s\S]*?)```/.exec(prompt)?.[1]?.trim() ?? '';
  const [base, oldSection = ''] = current.split(`\n\n${LESSONS}\n`);
  const known = oldSection
    .split('\n')
    .filter((l) => l.startsWith('- '))
    .map((l) => l.slice(2));
  const fresh = [...prompt.matchAll(/^\s*(?:#+\s*)?Feedback:?\s*\n?(.+)$/gim)]
    .map((m) => m[1]!.trim())
    .filter((f) => f && !/^(correct|the answer is correct)/i.test(f));
  // Newest lessons last; the oldest drop off so the prompt stays bounded.
  const lessons = [...new Set([...known, ...fresh])].slice(-MAX_LESSONS);
  const text = lessons.length ? `${base!.trim()}\n\n${LESSONS}\n${lessons.map((l) => `- ${l}`).join('\n')}` : base!.trim();
  return '```\n' + text + '\n```';
}
