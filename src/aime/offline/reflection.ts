/**
 * The offline model as GEPA's reflection model. It cannot reason, so it does
 * the honest minimum: it keeps the current instruction and adds the concrete
 * lessons stated in the feedback of failing examples, as a new instruction in
 * ``` fences (the reply format GEPA's default reflection prompt asks for).
 */

export function reflect(prompt: string): string {
  const current = /```\n?([\s\S]*?)```/.exec(prompt)?.[1]?.trim() ?? '';
  const lessons = [...prompt.matchAll(/^\s*(?:#+\s*)?Feedback:?\s*\n?(.+)$/gim)]
    .map((m) => m[1]!.trim())
    .filter((f) => f && !/^(correct|the answer is correct)/i.test(f));
  const unique = [...new Set(lessons)].slice(0, 8);
  const additions = unique.filter((l) => !current.includes(l)).map((l) => `- ${l}`);
  const text = additions.length ? `${current}\n\nLessons from failed examples:\n${additions.join('\n')}` : current;
  return '```\n' + text + '\n```';
}
