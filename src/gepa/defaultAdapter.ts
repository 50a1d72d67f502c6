/**
 * The default adapter: the candidate has one component, the system prompt of
 * a task model; each example's `input` is the user message; a metric scores
 * the reply and explains the score. A model error scores 0 with the error as
 * feedback and the batch goes on; only a cancellation propagates.
 */
import type { ChatModel, SamplingSettings } from '../../contracts/llm.js';
import { errorMessage } from '../../contracts/errors.js';
import type { EvaluationBatch, GepaAdapter, ReflectiveDataset, ReflectiveRecord } from './adapter.js';
import type { DefaultExample } from './dataset.js';
import { containsAnswer, metricFeedback } from './metric.js';
import { toScoreResult, type MetricArgs, type ScoreResult, type Scorer } from './scorer.js';
import { hashText } from '../../contracts/gepa/hash.js';
import { mapPool } from './pool.js';

/** The one component the default adapter evolves: the task model's system prompt. */
export const DEFAULT_COMPONENT = 'system_prompt';

/** What the default adapter records per example for reflection. */
export interface DefaultTrajectory {
  input: string;
  response: string;
  score: number;
  feedback: string;
  error?: string;
}

/** Options of `createDefaultAdapter`: the task model, the component name, the metric and sampling. */
export interface DefaultAdapterOptions {
  model: ChatModel;
  componentName?: string;
  /** The scorer, called as (example, output); default: the answer is contained in the output. */
  metric?: Scorer<MetricArgs<DefaultExample>>;
  /** Identity of the custom metric (e.g. its module path and content hash): part of the cache key. */
  metricId?: string;
  sampling?: SamplingSettings;
  /** Examples of one batch in flight at once; default: the engine's max_concurrency hint, else 4. */
  maxConcurrency?: number;
}

/** The default adapter: one component sent as the system prompt of a task model, scored by a metric (default: the answer is contained in the output). */
export function createDefaultAdapter(opts: DefaultAdapterOptions): GepaAdapter<DefaultExample, string, DefaultTrajectory> {
  const component = opts.componentName ?? DEFAULT_COMPONENT;
  const metric = async (example: DefaultExample, output: string): Promise<ScoreResult> =>
    opts.metric ? toScoreResult(await opts.metric(example, output), 'the metric', metricFeedback(example)) : containsAnswer(example, output);

  // A metric passed as a function with no name is known by its source text.
  const metricId = opts.metricId ?? (opts.metric ? `function#${hashText(opts.metric.toString())}` : 'builtin:contains-answer');
  return {
    scoreIdentity: () => ({
      adapter: 'default',
      component,
      task_model: opts.model.id,
      sampling: opts.sampling ?? null,
      metric: metricId,
    }),

    async evaluate(batch, candidate, captureTraces, options) {
      const system = candidate[component];
      if (system === undefined) throw new Error(`the candidate has no component "${component}" (it has: ${Object.keys(candidate).join(', ') || 'none'})`);
      const limit = opts.maxConcurrency ?? options?.maxConcurrency ?? 4;
      const results = await mapPool(batch, limit, async (example) => {
        let response = '';
        let error: string | undefined;
        try {
          const reply = await opts.model.complete({
            messages: [
              { role: 'system', content: system },
              { role: 'user', content: example.input },
            ],
            purpose: 'gepa.task',
            ...(opts.sampling ? { sampling: opts.sampling } : {}),
            ...(options?.signal ? { signal: options.signal } : {}),
          });
          response = reply.content;
        } catch (err) {
          if (options?.signal?.aborted) throw err;
          error = errorMessage(err);
        }
        const result: Pick<ScoreResult, 'score' | 'feedback'> =
          error === undefined ? await metric(example, response) : { score: 0, feedback: `The model call failed (${error}), so there is no response to judge.` };
        const trajectory: DefaultTrajectory = { input: example.input, response, score: result.score, feedback: result.feedback, ...(error ? { error } : {}) };
        return { response, score: result.score, trajectory };
      });
      const out: EvaluationBatch<string, DefaultTrajectory> = { outputs: results.map((r) => r.response), scores: results.map((r) => r.score) };
      return captureTraces ? { ...out, trajectories: results.map((r) => r.trajectory) } : out;
    },

    makeReflectiveDataset(_candidate, evalBatch, components): ReflectiveDataset {
      const records: ReflectiveRecord[] = (evalBatch.trajectories ?? []).map((t) => ({
        Inputs: t.input,
        'Generated Outputs': t.error ? `(no output: ${t.error})` : t.response,
        Feedback: t.feedback,
      }));
      if (!records.length) throw new Error('no traces to reflect on: the evaluation kept no trajectories');
      // One system prompt: every requested component (normally just it) learns from the same records.
      return Object.fromEntries(components.map((c) => [c, records]));
    },
  };
}
