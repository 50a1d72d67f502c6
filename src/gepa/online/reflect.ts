/**
 * The online optimizer's reflective mutation: for each prompt component that
 * appears in failing outcomes, show the reflection model its current text and
 * those outcomes (input, output, feedback), GEPA's reflective dataset shape,
 * and take the new text it proposes.
 */
import type { ReflectInput, OnlineReflectOutput } from '../../../machines/optimizer.js';
import type { ChatModel } from '../../../contracts/llm.js';
import type { ReflectiveRecord } from '../adapter.js';
import { proposeWithModel } from '../reflection.js';
import { activeCandidate, failingTraces } from '../../../contracts/gepa/onlineState.js';

/** Enough examples to see a pattern, few enough to keep the reflection prompt small. */
const MAX_EXAMPLES = 5;
const MAX_FIELD_CHARS = 1500;

const clip = (text: string) => (text.length > MAX_FIELD_CHARS ? `${text.slice(0, MAX_FIELD_CHARS)}…` : text);

export function reflectiveDataset(input: ReflectInput): Record<string, ReflectiveRecord[]> {
  const candidate = activeCandidate(input.state);
  const dataset: Record<string, ReflectiveRecord[]> = {};
  for (const component of Object.keys(candidate.components)) {
    const failing = failingTraces(input.state, component).slice(-MAX_EXAMPLES);
    if (failing.length) {
      dataset[component] = failing.map((o) => ({ Inputs: clip(o.input), 'Generated Outputs': clip(o.output), Feedback: clip(o.feedback) }));
    }
  }
  return dataset;
}

export async function reflectOnline(model: ChatModel, input: ReflectInput, template: string | null, signal?: AbortSignal): Promise<OnlineReflectOutput> {
  const candidate = activeCandidate(input.state);
  const dataset = reflectiveDataset(input);
  const texts = await proposeWithModel({
    model,
    candidate: candidate.components,
    dataset,
    components: Object.keys(dataset),
    template,
    ...(signal ? { signal } : {}),
  });
  const changed = Object.fromEntries(Object.entries(texts).filter(([name, text]) => text.trim() && text !== candidate.components[name]));
  return Object.keys(changed).length ? { components: changed } : null;
}
