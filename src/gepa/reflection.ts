/**
 * Reflective text proposal (GEPA §3, "Reflective prompt mutation"): show the
 * reflection model the current text of a component and the examples it was
 * judged on (inputs, outputs, feedback), and ask for a better text inside
 * ``` fences. A custom template may replace the built-in one; it must contain
 * <curr_param> (the current text) and <side_info> (the rendered examples).
 */
import type { ChatModel, TokenUsage } from '../../contracts/llm.js';
import type { ReflectiveRecord } from './adapter.js';
import { AppError } from '../../contracts/errors.js';

export const DEFAULT_REFLECTION_TEMPLATE = `I gave an assistant the following instructions for a task:
\`\`\`
<curr_param>
\`\`\`

Below are examples of task inputs the assistant received, the answer it gave for each, and feedback on how each answer could be better:
\`\`\`
<side_info>
\`\`\`

Your job is to write a new instruction for the assistant.

Read the inputs carefully: work out their format and infer a detailed description of the task.

Read every answer and its feedback. Put all niche and domain-specific facts about the task into the new instruction, because the assistant may not have access to them later. If the assistant used a strategy that generalises, describe that strategy in the instruction too.

Provide the new instruction within \`\`\` blocks.`;

export class ReflectionTemplateError extends AppError {
  readonly category = 'input';
}

export function checkTemplate(template: string): void {
  const missing = ['<curr_param>', '<side_info>'].filter((p) => !template.includes(p));
  if (missing.length) throw new ReflectionTemplateError(`the reflection prompt template lacks ${missing.join(' and ')}`);
}

function renderValue(value: unknown, level: number): string {
  const h = '#'.repeat(Math.min(level, 6));
  if (Array.isArray(value)) {
    return value.length ? value.map((v, i) => `${h} Item ${i + 1}\n${renderValue(v, level + 1)}`).join('') : '\n';
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    return entries.length ? entries.map(([k, v]) => `${h} ${k}\n${renderValue(v, level + 1)}`).join('') : '\n';
  }
  return `${typeof value === 'string' ? value.trim() : (JSON.stringify(value) ?? String(value))}\n\n`;
}

/** Records as Markdown: `# Example n`, one `## key` section per field, nested fields one level deeper. */
export function renderSideInfo(records: readonly ReflectiveRecord[]): string {
  return records
    .map(
      (record, i) =>
        `# Example ${i + 1}\n${Object.entries(record)
          .map(([k, v]) => `## ${k}\n${renderValue(v, 3)}`)
          .join('')}`,
    )
    .join('\n\n');
}

/** One pass over the template, so a placeholder inside the current text is never substituted again. */
export function renderReflectionPrompt(template: string | null, current: string, records: readonly ReflectiveRecord[]): string {
  const t = template ?? DEFAULT_REFLECTION_TEMPLATE;
  checkTemplate(t);
  const sideInfo = renderSideInfo(records);
  return t.replace(/<curr_param>|<side_info>/g, (m) => (m === '<curr_param>' ? current : sideInfo));
}

interface Fence {
  line: number;
  info: string;
}

/**
 * The new text from the reflection model's reply. Fences count only at the
 * start of a line. A fence with an info string (```json) always opens; a bare
 * one closes the innermost open block, else opens: so an instruction that
 * itself contains a ```json example survives. Of several top-level blocks
 * (a draft, then a final version) the last non-empty one wins. A reply cut off
 * inside a block gives what follows the opening fence; a reply without fences
 * is taken whole.
 */
export function extractInstruction(reply: string): string {
  const lines = reply.replace(/\r\n/g, '\n').split('\n');
  const oneLine = lines.length === 1 && /^\s*```(.*?)```\s*$/.exec(lines[0]!);
  if (oneLine) return oneLine[1]!.trim();
  const fences: Fence[] = [];
  lines.forEach((l, line) => {
    const m = /^\s*```(.*)$/.exec(l);
    if (m) fences.push({ line, info: m[1]!.trim() });
  });
  const blocks: [number, number][] = [];
  let depth = 0;
  let open = -1;
  for (const f of fences) {
    if (f.info || depth === 0) {
      if (depth === 0) open = f.line;
      depth++;
    } else if (--depth === 0) {
      blocks.push([open, f.line]);
    }
  }
  const body = (from: number, to: number) =>
    lines
      .slice(from + 1, to)
      .join('\n')
      .trim();
  for (let b = blocks.length - 1; b >= 0; b--) {
    const text = body(blocks[b]![0], blocks[b]![1]);
    if (text) return text;
  }
  if (depth > 0) {
    const rest = body(open, lines.length);
    return rest || lines.slice(0, open).join('\n').trim();
  }
  // Only empty blocks: the model proposed nothing (never adopt the bare fences as an instruction).
  if (blocks.length) return '';
  return reply.trim();
}

export interface ProposeWithModelOptions {
  model: ChatModel;
  candidate: Record<string, string>;
  dataset: Record<string, ReflectiveRecord[]>;
  components: readonly string[];
  template: string | null;
  signal?: AbortSignal;
  /** Told the usage of every reflection call (for a token budget). */
  onUsage?: (usage: TokenUsage) => void;
}

/** One reflection call per component, in order (so scripted models see a fixed sequence). */
export async function proposeWithModel(o: ProposeWithModelOptions): Promise<Record<string, string>> {
  const texts: Record<string, string> = {};
  for (const name of o.components) {
    const records = o.dataset[name];
    if (!records?.length) continue; // nothing to learn from for this component
    const prompt = renderReflectionPrompt(o.template, o.candidate[name] ?? '', records);
    const reply = await o.model.complete({
      messages: [{ role: 'user', content: prompt }],
      purpose: 'gepa.reflection',
      ...(o.signal ? { signal: o.signal } : {}),
    });
    o.onUsage?.(reply.usage);
    const text = extractInstruction(reply.content);
    if (text) texts[name] = text;
  }
  return texts;
}
