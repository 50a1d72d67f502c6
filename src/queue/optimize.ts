/**
 * `optimize --redis`: GEPA with its evaluations on workers. The algorithm
 * (selection, reflection, merge, the budget) stays here in the coordinator;
 * only the `evaluate` seam is replaced. The coordinator's own adapter is
 * built as for a local run but never evaluates: it turns the traces the
 * workers send back into reflective records (and, for a team, writes the new
 * texts), so reflection works as it does locally.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import {
  loadDataset,
  loadScorer,
  createDefaultAdapter,
  DEFAULT_COMPONENT,
  optimize,
  type GepaAdapter,
  type GepaResult,
  type MetricArgs,
  type OptimizeOptions,
  type Scorer,
} from '../gepa/index.js';
import type { DefaultExample } from '../gepa/dataset.js';
import { hashJson, hashText } from '../../contracts/gepa/hash.js';
import type { ChatModel } from '../../contracts/llm.js';
import { createDistributedEvaluator, type DistributedStats } from './evaluator.js';
import type { AdapterSpec, JudgeRef, ModuleRef } from './jobs.js';
import { checkReachable, connect } from './redis.js';

type EngineOptions<E> = Omit<OptimizeOptions<E>, 'adapter' | 'trainset' | 'valset' | 'evaluate' | 'evaluateTest'>;

export interface WorkersOptions<E> extends EngineOptions<E> {
  redisUrl: string;
  /** The coordinator's adapter: reflection only (its evaluate is never called). */
  adapter: GepaAdapter<E>;
  /** What the workers build their adapter from. */
  spec: AdapterSpec;
  trainset: readonly E[];
  valset: readonly E[];
  chunkSize?: number;
  traceparent?: string;
  onStats?: (stats: DistributedStats) => void;
}

/** A scoring module as a job names it: its absolute path and its content's hash. */
export async function moduleRef(file: string): Promise<ModuleRef> {
  return { path: path.resolve(file), hash: hashText(await fs.readFile(file, 'utf8')) };
}

/** What decides a score besides the candidate and the example: the adapter spec (its module hashes and team text stand for their content). */
export function namespaceOf(spec: AdapterSpec): string {
  switch (spec.kind) {
    case 'prompt':
      return hashJson({
        kind: spec.kind,
        component: spec.component,
        taskModel: spec.taskModel,
        metric: spec.metric?.hash ?? null,
        ...(spec.judge ? { judge: spec.judge.identity } : {}),
      });
    case 'team':
      return hashJson({
        kind: spec.kind,
        team: hashText(spec.team),
        models: spec.models,
        scorer: spec.scorer?.hash ?? null,
        ...(spec.judge ? { judge: spec.judge.identity } : {}),
      });
    case 'aime':
      return hashJson({ kind: spec.kind, models: spec.models, scorer: spec.scorer?.hash ?? null, ...(spec.judge ? { judge: spec.judge.identity } : {}) });
  }
}

/** Runs the engine with every evaluation on the workers behind `redisUrl`. */
export async function optimizeOnWorkers<E>(o: WorkersOptions<E>): Promise<GepaResult> {
  const { redisUrl, adapter, spec, trainset, valset, chunkSize, traceparent, onStats, ...rest } = o;
  await checkReachable(redisUrl);
  const redis = connect(redisUrl);
  const common = { redis, adapter: spec, namespace: namespaceOf(spec), chunkSize: chunkSize ?? 1, ...(traceparent ? { traceparent } : {}) };
  const evaluator = await createDistributedEvaluator({
    ...common,
    trainset,
    valset,
    exampleKeys: { train: trainset.map(hashJson), val: valset.map(hashJson) },
    ...(rest.onProgress
      ? {
          onMetricCall: (metricCalls: number) => rest.onProgress?.({ type: 'metric_call', metricCalls, maxMetricCalls: rest.settings?.max_metric_calls ?? 0 }),
        }
      : {}),
  });
  // The held-out test set is scored on the workers too: its examples are the 'val' side of a second evaluator.
  const testset = rest.testset;
  const tester = testset?.length
    ? await createDistributedEvaluator({ ...common, trainset: [], valset: testset, exampleKeys: { train: [], val: testset.map(hashJson) } })
    : null;
  try {
    return await optimize({ ...rest, adapter, trainset, valset, evaluate: evaluator.evaluate, ...(tester ? { evaluateTest: tester.evaluate } : {}) });
  } finally {
    onStats?.(evaluator.stats);
    await Promise.all([evaluator.close(), tester?.close()]);
    await redis.quit().catch(() => redis.disconnect());
  }
}

export interface QueueOptimizeOptions
  extends Omit<
    OptimizeOptions<DefaultExample>,
    'adapter' | 'trainset' | 'valset' | 'testset' | 'seedCandidate' | 'reflectionModel' | 'evaluate' | 'evaluateTest'
  > {
  redisUrl: string;
  trainFile: string;
  valFile: string;
  seedPrompt: string;
  /** Further seed candidates (more --seed-prompt flags). */
  extraSeedPrompts?: string[];
  /** Held-out examples: the chosen candidate is scored on them (on the workers). */
  testFile?: string;
  /** The coordinator's task model: only for its name's sake (workers call their own endpoints). */
  taskModel: ChatModel;
  /** The task model's name, sent to the workers as their roles.actor model. */
  taskModelName: string;
  reflectionModel: ChatModel;
  metricModule?: string;
  /** The judge as the metric: the coordinator's for reflection, its reference for the workers. */
  judge?: { metric: Scorer<MetricArgs>; ref: JudgeRef };
  chunkSize?: number;
  traceparent?: string;
  onStats?: (stats: DistributedStats) => void;
}

/** The default (prompt) adapter on workers: `optimize --seed-prompt --redis`. */
export async function optimizeOnQueue(o: QueueOptimizeOptions): Promise<GepaResult> {
  const { trainFile, valFile, testFile, seedPrompt, extraSeedPrompts, taskModel, taskModelName, metricModule, judge, ...rest } = o;
  const [trainset, valset, testset, metric, metricRef] = await Promise.all([
    loadDataset(trainFile),
    loadDataset(valFile),
    testFile ? loadDataset(testFile) : Promise.resolve(undefined),
    judge ? Promise.resolve(judge.metric) : metricModule ? loadScorer(metricModule, 'metric') : Promise.resolve(undefined),
    metricModule ? moduleRef(metricModule) : Promise.resolve(undefined),
  ]);
  const spec: AdapterSpec = {
    kind: 'prompt',
    component: DEFAULT_COMPONENT,
    taskModel: taskModelName,
    ...(metricRef ? { metric: metricRef } : {}),
    ...(judge ? { judge: judge.ref } : {}),
  };
  // The coordinator's adapter only turns cached traces into reflection records; it never calls the model.
  const adapter = createDefaultAdapter({ model: taskModel, componentName: spec.component, ...(metric ? { metric } : {}) });
  return optimizeOnWorkers({
    ...rest,
    adapter,
    spec,
    trainset,
    valset,
    ...(testset ? { testset } : {}),
    seedCandidate: { [spec.component]: seedPrompt },
    ...(extraSeedPrompts?.length ? { extraSeeds: extraSeedPrompts.map((p) => ({ [spec.component]: p })) } : {}),
  });
}
