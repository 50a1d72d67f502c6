/**
 * Extension point: a GEPA adapter. Any system that can run a candidate (named
 * texts) on examples, score the results and explain them can be optimised.
 * This one tunes a keyword list for a toy classifier; `proposeNewTexts` makes
 * its own proposals, so no reflection model is needed.
 */
import { optimize, type GepaAdapter } from 'gepa-aime/gepa';

interface Example {
  text: string;
  urgent: boolean;
}
type Trace = { text: string; predicted: boolean; expected: boolean };

const isUrgent = (keywords: string, text: string) => keywords.split(',').some((k) => k.trim() && text.toLowerCase().includes(k.trim()));

const adapter: GepaAdapter<Example, boolean, Trace> = {
  async evaluate(batch, candidate, captureTraces) {
    const keywords = candidate['keywords'] ?? '';
    const outputs = batch.map((e) => isUrgent(keywords, e.text));
    return {
      outputs,
      scores: outputs.map((o, i) => (o === batch[i]!.urgent ? 1 : 0)),
      trajectories: captureTraces ? batch.map((e, i) => ({ text: e.text, predicted: outputs[i]!, expected: e.urgent })) : null,
    };
  },
  makeReflectiveDataset(_candidate, evalBatch, components) {
    const misses = (evalBatch.trajectories ?? []).filter((t) => t.predicted !== t.expected);
    return Object.fromEntries(
      components.map((c) => [c, misses.map((t) => ({ Inputs: t.text, Feedback: t.expected ? 'should be urgent' : 'should not be urgent' }))]),
    );
  },
  proposeNewTexts(candidate, dataset) {
    // Add the first word of every missed urgent text.
    const missed = (dataset['keywords'] ?? []).filter((r) => r['Feedback'] === 'should be urgent').map((r) => String(r['Inputs']).split(' ')[0]!.toLowerCase());
    return { keywords: [...new Set([...(candidate['keywords'] ?? '').split(','), ...missed])].filter(Boolean).join(',') };
  },
};

const data: Example[] = [
  { text: 'Outage in the payment service', urgent: true },
  { text: 'Breach reported by a customer', urgent: true },
  { text: 'Lunch menu for Friday', urgent: false },
  { text: 'Outage window planned next month', urgent: true },
];
const run = optimize({
  adapter,
  trainset: data,
  valset: data,
  seedCandidate: { keywords: 'fire' },
  settings: { max_metric_calls: 40, seed: 3, minibatch_size: 2 },
});
for await (const event of run.events()) {
  if (event.type === 'optimize.proposal')
    console.log(`iteration ${event.iteration}: proposal ${event.accepted ? 'accepted' : 'rejected'} (${event.parentSum} -> ${event.childSum})`);
}
const result = await run.result;
console.log(`best keywords: ${result.bestCandidate['keywords']} (val ${result.bestValScore})`);
