/**
 * `optimize --redis`: the default-adapter optimisation with its evaluations
 * on workers. The GEPA algorithm (selection, reflection, merge, the budget)
 * stays here in the coordinator; only the `evaluate` seam is replaced.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { loadDataset, loadMetric, createDefaultAdapter, DEFAULT_COMPONENT, optimize, type GepaResult, type OptimizeOptions } from '../gepa/index.js';
import type { DefaultExample } from '../gepa/dataset.js';
import { hashJson, hashText } from '../gepa/hash.js';
import type { ChatModel } from '../../contracts/llm.js';
import { createDistributedEvaluator, type DistributedStats } from './evaluator.js';
import type { AdapterSpec } from './jobs.js';
import { checkReachable, connect } from './redis.js';

export interface QueueOptimizeOptions
  extends Omit<OptimizeOptions<DefaultExample>, 'adapter' | 'trainset' | 'valset' | 'seedCandidate' | 'reflectionModel' | 'evaluate'> {
  redisUrl: string;
  trainFile: string;
  valFile: string;
  seedPrompt: string;
  /** The coordinator's task model: only for its name's sake (workers call their own endpoints). */
  taskModel: ChatModel;
  /** The task model's name, sent to the workers as their roles.actor model. */
  taskModelName: string;
  reflectionModel: ChatModel;
  metricModule?: string;
  chunkSize?: number;
  traceparent?: string;
  onStats?: (stats: DistributedStats) => void;
}

export async function optimizeOnQueue(o: QueueOptimizeOptions): Promise<GepaResult> {
  const { redisUrl, trainFile, valFile, seedPrompt, taskModel, taskModelName, reflectionModel, metricModule, chunkSize, traceparent, onStats, ...rest } = o;
  await checkReachable(redisUrl);
  const [trainset, valset, metric, metricText] = await Promise.all([
    loadDataset(trainFile),
    loadDataset(valFile),
    metricModule ? loadMetric(metricModule) : Promise.resolve(undefined),
    metricModule ? fs.readFile(metricModule, 'utf8') : Promise.resolve(undefined),
  ]);
  const spec: AdapterSpec = {
    kind: 'prompt',
    component: DEFAULT_COMPONENT,
    taskModel: taskModelName,
    ...(metricModule && metricText !== undefined ? { metric: { path: path.resolve(metricModule), hash: hashText(metricText) } } : {}),
  };
  // The coordinator's adapter only turns cached traces into reflection records; it never calls the model.
  const adapter = createDefaultAdapter({ model: taskModel, componentName: spec.component, ...(metric ? { metric } : {}) });
  const redis = connect(redisUrl);
  const evaluator = await createDistributedEvaluator({
    redis,
    adapter: spec,
    // What decides a score besides the candidate and the example: the adapter, its metric and the task model.
    namespace: hashJson({ kind: spec.kind, component: spec.component, taskModel: spec.taskModel, metric: spec.metric?.hash ?? null }),
    trainset,
    valset,
    exampleKeys: { train: trainset.map(hashJson), val: valset.map(hashJson) },
    chunkSize: chunkSize ?? 1,
    ...(traceparent ? { traceparent } : {}),
    ...(rest.onProgress
      ? {
          onMetricCall: (metricCalls: number) => rest.onProgress?.({ type: 'metric_call', metricCalls, maxMetricCalls: rest.settings?.max_metric_calls ?? 0 }),
        }
      : {}),
  });
  try {
    return await optimize({
      ...rest,
      adapter,
      trainset,
      valset,
      seedCandidate: { [spec.component]: seedPrompt },
      reflectionModel,
      evaluate: evaluator.evaluate,
    });
  } finally {
    onStats?.(evaluator.stats);
    await evaluator.close();
    await redis.quit().catch(() => redis.disconnect());
  }
}
