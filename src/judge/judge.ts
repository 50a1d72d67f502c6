/**
 * The judge: asks a model (roles.judge) to score a run against a rubric and
 * validates the structured verdict with zod. Deterministic by default
 * (temperature 0, seed 0); every verdict is cached by content (the judge's
 * identity and everything it read) and every model exchange is journaled.
 *
 * A judge that cannot give a valid verdict is an infrastructure failure: it
 * throws JudgeError, and callers report the evaluation as failed (or retry
 * it). It is never turned into a score of 0, which would teach GEPA that the
 * run was bad when nobody looked at it.
 */
import { hashJson, hashText } from '../../contracts/gepa/hash.js';
import type { ChatModel, ChatRequest, ChatResponse, SamplingSettings } from '../../contracts/llm.js';
import { AppError, errorMessage } from '../../contracts/errors.js';
import { buildJudgeMessages, buildRubricMessages, DEFAULT_JUDGE_PROMPT, type JudgeInput } from './prompt.js';
import { rubricFrom, type Rubric } from './rubric.js';
import { parseReply, rubricReplySchema, rubricResponseFormat, verdictResponseFormat, verdictSchema, type Verdict } from './schema.js';
import { memoryStore, type JudgeStore } from './store.js';

/** The judge could not judge: an infrastructure failure (a failed run, exit 1), never a score. */
export class JudgeError extends AppError {
  readonly category = 'run';
}

/** True for a judge failure anywhere in a cause chain (scorers wrap errors). */
export function isJudgeError(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = (e as Error & { cause?: unknown }).cause, depth++) if (e.name === 'JudgeError') return true;
  return false;
}

export interface JudgeOptions {
  model: ChatModel;
  /** Model name for the identity (the provider's id includes the endpoint). */
  modelName?: string;
  prompt?: string | null;
  sampling?: SamplingSettings;
  store?: JudgeStore;
  /** Re-asks, with the validation errors, after a reply that fails the schema. */
  maxReasks?: number;
}

export interface JudgedVerdict extends Verdict {
  cached: boolean;
}

export const DEFAULT_JUDGE_SAMPLING: SamplingSettings = { temperature: 0, seed: 0 };

export class Judge {
  readonly prompt: string;
  readonly store: JudgeStore;
  private readonly sampling: SamplingSettings;
  private readonly maxReasks: number;
  private readonly inflight = new Map<string, Promise<Verdict>>();

  constructor(private readonly o: JudgeOptions) {
    this.prompt = o.prompt ?? DEFAULT_JUDGE_PROMPT;
    this.store = o.store ?? memoryStore();
    this.sampling = { ...DEFAULT_JUDGE_SAMPLING, ...o.sampling };
    this.maxReasks = o.maxReasks ?? 1;
  }

  /** Stable across processes: judge model, prompt hash and sampling; `identityFor` adds the rubric. */
  get identity(): string {
    return `judge:${this.o.modelName ?? this.o.model.id}|prompt:${hashText(this.prompt).slice(0, 16)}|sampling:${hashJson(this.sampling).slice(0, 8)}`;
  }

  identityFor(rubric: Rubric): string {
    return `${this.identity}|rubric:${hashJson(rubric).slice(0, 16)}`;
  }

  /** The same judge with another prompt (a GEPA candidate), sharing model and store. */
  withPrompt(prompt: string): Judge {
    return new Judge({ ...this.o, prompt, store: this.store });
  }

  verdictKey(input: JudgeInput): string {
    return hashJson({
      identity: this.identityFor(input.rubric),
      goal: input.goal,
      run: input.run,
      trajectory: input.trajectory ?? '',
      evidence: input.evidence ?? [],
    });
  }

  async judge(input: JudgeInput, signal?: AbortSignal): Promise<JudgedVerdict> {
    if (!input.rubric.length) throw new JudgeError('the rubric is empty: there is nothing to judge against');
    const key = this.verdictKey(input);
    const cached = this.store.verdict(key);
    if (cached) return { ...cached, cached: true };
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.ask(key, input, signal).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    const verdict = await pending;
    return { ...verdict, cached: false };
  }

  private async ask(key: string, input: JudgeInput, signal?: AbortSignal): Promise<Verdict> {
    const messages = buildJudgeMessages(this.prompt, input);
    const request: ChatRequest = { messages, responseFormat: verdictResponseFormat(), sampling: this.sampling, purpose: 'judge' };
    const verdict = await this.askValidated(
      `judge:${key}`,
      request,
      (raw) => {
        const r = parseReply(verdictSchema, raw);
        if (!r.ok) return r;
        const bad = r.value.criteria
          .filter((c) => c.criterion > input.rubric.length)
          .map((c) => `criteria: criterion ${c.criterion} is not in the rubric (it has ${input.rubric.length})`);
        return bad.length ? { ok: false as const, errors: bad } : r;
      },
      signal,
    );
    this.store.putVerdict(key, this.identityFor(input.rubric), verdict);
    return verdict;
  }

  /** A rubric for a goal that has none: written once by the judge model, then frozen in the store. */
  async rubricFor(goal: string, signal?: AbortSignal): Promise<Rubric> {
    const goalKey = hashText(goal.trim());
    const frozen = this.store.rubric(goalKey);
    if (frozen) return frozen;
    const request: ChatRequest = {
      messages: buildRubricMessages(goal),
      responseFormat: rubricResponseFormat(),
      sampling: this.sampling,
      purpose: 'judge.rubric',
    };
    const reply = await this.askValidated(`judge.rubric:${goalKey}`, request, (raw) => parseReply(rubricReplySchema, raw), signal);
    const rubric = rubricFrom(reply.criteria);
    if (!rubric) throw new JudgeError(`the judge wrote an empty rubric for the goal ${JSON.stringify(goal.slice(0, 80))}`);
    this.store.putRubric(goalKey, goal, rubric, this.identity);
    return this.store.rubric(goalKey) ?? rubric;
  }

  private async askValidated<T>(
    callKey: string,
    request: ChatRequest,
    validate: (raw: string) => { ok: true; value: T } | { ok: false; errors: string[] },
    signal?: AbortSignal,
  ): Promise<T> {
    let messages = request.messages;
    let errors: string[] = [];
    for (let attempt = 0; attempt <= this.maxReasks; attempt++) {
      const callId = `${callKey}#${attempt}`;
      const response = await this.call({ ...request, messages, callId, ...(signal ? { signal } : {}) });
      const r = validate(response.content);
      if (r.ok) return r.value;
      errors = r.errors;
      messages = [
        ...request.messages,
        { role: 'assistant', content: response.content.slice(0, 4000) },
        {
          role: 'user',
          content: `Your reply did not match the required JSON schema:\n${errors.map((e) => `- ${e}`).join('\n')}\nReply again with one valid JSON object only.`,
        },
      ];
    }
    throw new JudgeError(`the judge's reply failed validation ${this.maxReasks + 1} time(s): ${errors.join('; ')}`);
  }

  private async call(request: ChatRequest): Promise<ChatResponse> {
    // Not answered from the journal: valid answers are already cached as verdicts or
    // frozen rubrics, and replaying an invalid one would make a retry fail the same way.
    const key = request.callId!;
    let response: ChatResponse;
    try {
      response = await this.o.model.complete(request);
    } catch (err) {
      if (request.signal?.aborted) throw err;
      throw new JudgeError(`the judge model failed: ${errorMessage(err)}`);
    }
    this.store.journal({ kind: 'model', key, purpose: request.purpose ?? 'judge', response });
    return response;
  }
}
