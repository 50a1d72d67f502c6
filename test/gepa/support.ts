/**
 * A synthetic task where a better prompt really scores higher, and simulated
 * models for it. Every example asks about a word; the task model answers it
 * only when the system prompt holds that word's key (`KEY:<word>`). The
 * feedback for a failure carries the key in `additional_context`, and the
 * reflection model writes the keys it sees in the feedback into the new
 * instruction. All models are instant, deterministic functions of their input.
 */
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ChatModel, ChatRequest, ChatResponse } from '../../contracts/llm.js';
import type { DefaultExample } from '../../src/gepa/dataset.js';
import type { GepaAdapter, ReflectiveDataset } from '../../src/gepa/adapter.js';
import type { Candidate } from '../../contracts/gepa/types.js';

export const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima'];

export function example(word: string): DefaultExample {
  return { input: `word:${word}`, answer: `${word.toUpperCase()}-OK`, additional_context: { key: `KEY:${word}` } };
}

export const trainset = (words = WORDS.slice(0, 8)) => words.map(example);
export const valset = (words = WORDS.slice(0, 8)) => words.map(example);

/** A ChatModel backed by a function, which counts calls and how many were in flight at once. */
export class FnModel implements ChatModel {
  calls = 0;
  inFlight = 0;
  maxInFlight = 0;
  readonly requests: ChatRequest[] = [];
  constructor(
    readonly fn: (req: ChatRequest) => string | Promise<string>,
    readonly id = 'fn',
  ) {}
  async complete(req: ChatRequest): Promise<ChatResponse> {
    this.calls++;
    this.requests.push(req);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      // Yield a few times so concurrent calls really overlap.
      for (let i = 0; i < 3; i++) await Promise.resolve();
      const content = await this.fn(req);
      return { content, toolCalls: [], usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 }, finishReason: 'stop', model: this.id };
    } finally {
      this.inFlight--;
    }
  }
}

export const systemOf = (req: ChatRequest) => req.messages.find((m) => m.role === 'system')?.content ?? '';
export const userOf = (req: ChatRequest) => req.messages.find((m) => m.role === 'user')?.content ?? '';

/** Answers `word:<w>` correctly iff the system prompt holds KEY:<w>. */
export function keywordTaskModel(): FnModel {
  return new FnModel((req) => {
    const word = /word:(\w+)/.exec(userOf(req))?.[1] ?? '';
    return systemOf(req).includes(`KEY:${word}`) ? `The answer is ${word.toUpperCase()}-OK.` : 'I do not know.';
  }, 'task');
}

/** The text between the first pair of fences of the default reflection prompt: the current instruction. */
export function currentInstruction(prompt: string): string {
  return /```\n([\s\S]*?)\n```/.exec(prompt)?.[1] ?? '';
}

/** Adds the keys named in the feedback to the current instruction (mode `append`), or replaces them (mode `replace`). */
export function keywordReflectionModel(mode: 'append' | 'replace' = 'append'): FnModel {
  return new FnModel((req) => {
    const prompt = userOf(req);
    const current = currentInstruction(prompt);
    const seen = [...new Set([...prompt.slice(current.length).matchAll(/KEY:\w+/g)].map((m) => m[0]))];
    const base =
      mode === 'append'
        ? current
        : current
            .split(/\s+/)
            .filter((t) => !t.startsWith('KEY:'))
            .join(' ');
    const extra = seen.filter((k) => mode === 'replace' || !current.includes(k));
    return `Here is the improved instruction:\n\`\`\`\n${[base, ...extra].join(' ').trim()}\n\`\`\``;
  }, 'reflection');
}

/**
 * A two-component system for merge: words of group A need their key in
 * `solver_a`, words of group B in `solver_b`. Proposals rewrite a component
 * with only the keys from the minibatch's feedback, so lineages specialise.
 */
export function twoComponentAdapter(groupA: string[]): GepaAdapter<DefaultExample, string, { word: string; ok: boolean; key: string }> {
  const componentFor = (word: string) => (groupA.includes(word) ? 'solver_a' : 'solver_b');
  return {
    async evaluate(batch, candidate, captureTraces) {
      const words = batch.map((e) => e.input.slice('word:'.length));
      const oks = words.map((w) => (candidate[componentFor(w)] ?? '').includes(`KEY:${w}`));
      return {
        outputs: oks.map((ok) => (ok ? 'ok' : 'no')),
        scores: oks.map((ok) => (ok ? 1 : 0)),
        ...(captureTraces ? { trajectories: words.map((w, i) => ({ word: w, ok: oks[i]!, key: `KEY:${w}` })) } : {}),
      };
    },
    makeReflectiveDataset(_c, evalBatch, components): ReflectiveDataset {
      const ds: ReflectiveDataset = {};
      for (const comp of components) {
        ds[comp] = (evalBatch.trajectories ?? [])
          .filter((t) => componentFor(t.word) === comp)
          .map((t) => ({ Inputs: `word:${t.word}`, 'Generated Outputs': t.ok ? 'ok' : 'no', Feedback: t.ok ? 'correct' : `needs ${t.key}` }));
      }
      return ds;
    },
  };
}

export const seed: Candidate = { system_prompt: 'You answer questions about words.' };

export async function tmpDir(prefix = 'gepa-'): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), prefix));
}

/** A clock the test moves by hand. */
export function manualClock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}
