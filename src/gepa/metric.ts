/**
 * The default adapter's scoring: the built-in "answer is contained in the output" check,
 * and the feedback a custom metric's bare score gets (metrics are scorers with
 * `MetricArgs`, loaded by src/gepa/scorer.ts).
 */
import type { DefaultExample } from './dataset.js';
import type { FeedbackFallback, ScoreResult } from './scorer.js';

function contextLines(example: DefaultExample): string {
  return Object.entries(example.additional_context ?? {})
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');
}

/** Score 1 when the expected answer appears in the output (case-insensitive, trimmed), else 0. */
export function containsAnswer(example: DefaultExample, output: string): ScoreResult {
  const answer = example.answer.trim();
  if (output.toLowerCase().includes(answer.toLowerCase())) {
    return { score: 1, feedback: `The response is correct: it contains the expected answer '${answer}'.`, metadata: null };
  }
  const ctx = contextLines(example);
  return {
    score: 0,
    feedback:
      `The response is incorrect. The correct answer is '${answer}'. Make sure the response contains the correct answer exactly as written.` +
      (ctx ? ` Here is some additional context that may help:\n${ctx}` : ''),
    metadata: null,
  };
}

/** For a metric's value without feedback: reflection still learns the expected answer from a bare number. */
export function metricFeedback(example: DefaultExample): FeedbackFallback {
  return (score, bare) => {
    if (!bare) return `The response scored ${score}.`;
    const ctx = contextLines(example);
    return `The response scored ${score}. The expected answer is '${example.answer}'.${ctx ? `\n${ctx}` : ''}`;
  };
}
