/**
 * The `reflect` effect of the statechart: build the reflective dataset from
 * the parent's cached minibatch results, then let the adapter propose texts
 * or ask the reflection model.
 */
import type { ChatModel } from '../../contracts/llm.js';
import type { EvaluationBatch, GepaAdapter } from './adapter.js';
import type { ReflectOutput, ReflectRequest } from '../../contracts/gepa/iteration.js';
import { proposeWithModel } from './reflection.js';

export interface ReflectorDeps<E> {
  adapter: GepaAdapter<E>;
  reflectionModel?: ChatModel;
  template: string | null;
  signal?: AbortSignal;
}

export function makeReflector<E>(deps: ReflectorDeps<E>): (req: ReflectRequest) => Promise<ReflectOutput> {
  return async (req) => {
    const evalBatch: EvaluationBatch = {
      outputs: req.records.map((r) => r.output),
      scores: req.records.map((r) => r.score),
      trajectories: req.records.map((r) => r.trajectory),
    };
    const dataset = await deps.adapter.makeReflectiveDataset(req.candidate, evalBatch, req.components);
    if (deps.adapter.proposeNewTexts) return { texts: await deps.adapter.proposeNewTexts(req.candidate, dataset, req.components) };
    if (!deps.reflectionModel) throw new Error('no reflection model: pass reflectionModel, or give the adapter proposeNewTexts');
    let tokens = 0;
    const texts = await proposeWithModel({
      onUsage: (u) => (tokens += u.totalTokens || u.promptTokens + u.completionTokens),
      model: deps.reflectionModel,
      candidate: req.candidate,
      dataset,
      components: req.components,
      template: deps.template,
      ...(deps.signal ? { signal: deps.signal } : {}),
    });
    return { texts, tokens };
  };
}
