/**
 * Extension point: a scorer (a metric, called as (example, output)). GEPA's default adapter sends the candidate's
 * `system_prompt` to a task model and scores each output with your metric;
 * the feedback is what the reflection model reads when it rewrites the
 * prompt. The task and reflection models here are tiny stand-ins so the
 * example runs offline.
 */
import type { ChatModel } from 'gepa-aime';
import { createDefaultAdapter, optimize, type DefaultExample, type MetricArgs, type Scorer } from 'gepa-aime/gepa';
import { ScriptedModel } from 'gepa-aime/testing';

// Exact match (surrounding space ignored), with feedback that says what was expected.
const exactMatch: Scorer<MetricArgs<DefaultExample>> = (example, output) =>
  output.trim() === example.answer.trim() ? 1 : { score: 0, feedback: `expected "${example.answer}", got "${output.trim()}"` };

// A task model that shouts only when its system prompt tells it to.
const taskModel: ChatModel = {
  id: 'shouter',
  async complete(request) {
    const system = request.messages[0]?.content ?? '';
    const input = request.messages.at(-1)?.content ?? '';
    const content = /uppercase/i.test(system) ? input.toUpperCase() : input;
    return {
      content,
      toolCalls: [],
      usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
      finishReason: 'stop',
      model: 'shouter',
    };
  },
};
const reflection = new ScriptedModel(Array.from({ length: 10 }, () => ({ content: '```\nRepeat the input in UPPERCASE.\n```' })));

const data: DefaultExample[] = ['hello', 'gepa', 'aime'].map((w) => ({ input: w, answer: w.toUpperCase(), additional_context: {} }));
const run = optimize({
  adapter: createDefaultAdapter({ model: taskModel, metric: exactMatch }),
  trainset: data,
  valset: data,
  seedCandidate: { system_prompt: 'Repeat the input.' },
  reflectionModel: reflection,
  settings: { max_metric_calls: 30, seed: 0 },
});
for await (const event of run.events()) if (event.type === 'optimize.accepted') console.log(`accepted candidate ${event.candidateId} (val ${event.valScore})`);
const result = await run.result;
console.log(`best: ${JSON.stringify(result.bestCandidate.system_prompt)} score ${result.bestValScore}`);
