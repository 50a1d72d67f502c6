/**
 * The GEPA benches' synthetic task (bench/gepa.ts, bench/gepaVsReference.ts;
 * bench/gepa_ref_driver.py holds the Python twins for the reference): every
 * example asks about one of 40 words; the task model answers only if the
 * system prompt holds that word's key, and in the right format only with the
 * format rule. The reflection model has a limited span: it adds at most SPAN
 * new facts from the feedback per proposal and garbles every GARBLE_EVERY-th
 * (drops all keys), so the search has to accumulate knowledge.
 */
import { performance } from 'node:perf_hooks';
import type { ChatModel, ChatRequest, ChatResponse } from '../../contracts/llm.js';
import type { DefaultExample } from '../../src/gepa/index.js';

export const N_WORDS = 40;
export const SPAN = 3;
export const GARBLE_EVERY = 7;
export const RULE = 'FORMAT:upper';
const WORDS = Array.from({ length: N_WORDS }, (_, i) => `w${String(i).padStart(3, '0')}`);

const example = (w: string, phrasing: string): DefaultExample => ({
  input: `${phrasing} word:${w}`,
  answer: `${w.toUpperCase()}-OK`,
  additional_context: { key: `KEY:${w}`, rule: RULE },
});
// Train and validation ask about the same words in different phrasings: distinct examples, one skill.
export const trainset = WORDS.map((w) => example(w, 'Look up'));
export const valset = WORDS.map((w) => example(w, 'What is the code of'));

const sleep = (ms: number) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());
const text = (req: ChatRequest, role: 'system' | 'user') => req.messages.find((m) => m.role === role)?.content ?? '';

/** A model from a function, with a fixed latency, timing its own work so the engine's share can be separated out. */
export class SimModel implements ChatModel {
  calls = 0;
  ms = 0;
  constructor(
    readonly id: string,
    private readonly latencyMs: number,
    private readonly fn: (req: ChatRequest) => string,
  ) {}
  async complete(req: ChatRequest): Promise<ChatResponse> {
    await sleep(this.latencyMs);
    const t = performance.now();
    this.calls++;
    const content = this.fn(req);
    this.ms += performance.now() - t;
    return { content, toolCalls: [], usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 }, finishReason: 'stop', model: this.id };
  }
}

export const taskModel = (latency = 0) =>
  new SimModel('sim-task', latency, (req) => {
    const w = /word:(\w+)/.exec(text(req, 'user'))?.[1] ?? '';
    const sys = text(req, 'system');
    if (!sys.includes(`KEY:${w}`)) return 'I do not know.';
    return sys.includes(RULE) ? `${w.toUpperCase()}-OK` : `${w}-ok`;
  });

export function reflectionModel(latency = 0): SimModel {
  let n = 0;
  return new SimModel('sim-reflection', latency, (req) => {
    const prompt = text(req, 'user');
    const current = /```\n([\s\S]*?)\n```/.exec(prompt)?.[1] ?? '';
    const rest = prompt.slice(prompt.indexOf(current) + current.length);
    const fresh = [...new Set(rest.match(/KEY:\w+|FORMAT:\w+/g) ?? [])].filter((k) => !current.includes(k));
    const garbled = ++n % GARBLE_EVERY === 0;
    const body = garbled ? current.replace(/KEY:\w+\s*/g, '') : [current, ...fresh.slice(0, SPAN)].join(' ');
    return `New instruction:\n\`\`\`\n${body.trim()}\n\`\`\``;
  });
}
