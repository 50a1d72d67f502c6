/**
 * The worker's side of distributed evaluation: validates a chunk job, skips
 * the examples the shared cache already holds (a retried or repeated job never
 * pays twice), evaluates the rest with an adapter built from the worker's own
 * config through the engine's own evaluator, and caches what it paid for.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { UnrecoverableError, type Job } from 'bullmq';
import type { LoadedConfig } from '../config/index.js';
import { createDefaultAdapter, loadMetric, makeEvaluator, type GepaAdapter } from '../gepa/index.js';
import type { DefaultExample } from '../gepa/dataset.js';
import { hashCandidate, hashText } from '../gepa/hash.js';
import type { EvalRecord } from '../gepa/types.js';
import { createModelSet, type ModelSet } from '../runtime/models.js';
import type { SharedEvalCache } from './cache.js';
import { defaultExampleSchema, evalChunkSchema, payloadProblem, type AdapterSpec, type BatchJob, type EvalChunkResult } from './jobs.js';
import { batchSchema } from './jobs.js';
import type { ModelConfig } from '../config/index.js';

export interface EvalProcessorDeps {
  config: LoadedConfig;
  cache: SharedEvalCache;
  workerId: string;
  /** Examples of one chunk evaluated at once. */
  innerConcurrency: number;
  /** Wraps each model the worker builds (the shared in-flight limit). */
  wrapModels?: (models: ModelSet) => ModelSet;
  signal?: AbortSignal;
  /** Real path of the one directory metric modules may be imported from; none = no metric modules. */
  metricsDir?: string;
}

/** The --task-model override, as optimize applies it. */
function withTaskModel(config: ModelConfig, taskModel?: string): ModelConfig {
  if (!taskModel) return config;
  return { ...config, roles: { ...config.roles, actor: { ...config.roles.actor, model: taskModel } } };
}

export function makeEvalProcessor(deps: EvalProcessorDeps) {
  const adapters = new Map<string, Promise<GepaAdapter<DefaultExample>>>();

  const buildAdapter = async (spec: AdapterSpec): Promise<GepaAdapter<DefaultExample>> => {
    let metric: Awaited<ReturnType<typeof loadMetric>> | undefined;
    if (spec.metric) {
      // A job names a module for this process to import: only from the directory the worker's owner allowed.
      if (!deps.metricsDir)
        throw new UnrecoverableError(`worker ${deps.workerId} loads no metric modules (the job asks for ${spec.metric.path}); start it with --metrics-dir DIR`);
      const real = await fs.realpath(spec.metric.path).catch(() => null);
      if (real === null) throw new UnrecoverableError(`the metric module ${spec.metric.path} does not exist on worker ${deps.workerId}`);
      const rel = path.relative(deps.metricsDir, real);
      if (rel.startsWith('..') || path.isAbsolute(rel))
        throw new UnrecoverableError(`the metric module ${spec.metric.path} is outside this worker's --metrics-dir ${deps.metricsDir}`);
      const text = await fs.readFile(real, 'utf8');
      if (hashText(text) !== spec.metric.hash)
        throw new UnrecoverableError(`the metric module ${spec.metric.path} on worker ${deps.workerId} differs from the coordinator's`);
      metric = await loadMetric(real);
    }
    let models = createModelSet(withTaskModel(deps.config.model, spec.taskModel));
    if (deps.wrapModels) models = deps.wrapModels(models);
    return createDefaultAdapter({ model: models.chat, componentName: spec.component, ...(metric ? { metric } : {}) });
  };

  const adapterFor = (spec: AdapterSpec) => {
    const key = JSON.stringify(spec);
    let adapter = adapters.get(key);
    if (!adapter) {
      adapter = buildAdapter(spec);
      adapters.set(key, adapter);
      adapter.catch(() => adapters.delete(key));
    }
    return adapter;
  };

  return async (job: Job): Promise<EvalChunkResult> => {
    const parsed = evalChunkSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`invalid gepa.eval payload: ${payloadProblem(parsed.error)}`);
    const data = parsed.data;
    if (hashCandidate(data.candidate) !== data.candidateHash)
      throw new UnrecoverableError('invalid gepa.eval payload: candidateHash is not the hash of candidate');
    const examples: DefaultExample[] = [];
    for (const [k, e] of data.examples.entries()) {
      const ok = defaultExampleSchema.safeParse(e.example);
      if (!ok.success) throw new UnrecoverableError(`invalid gepa.eval payload: examples.${k}.example: ${payloadProblem(ok.error)}`);
      examples.push(ok.data as DefaultExample);
    }

    // The coordinator sent only what the cache lacked; a job started again (its worker died, or it
    // failed) may find part of its chunk cached by the earlier attempt.
    const known =
      job.attemptsStarted > 1 || job.attemptsMade > 0
        ? await deps.cache.get(
            data.namespace,
            data.candidateHash,
            data.examples.map((e) => e.key),
          )
        : [];
    const todo = data.examples.map((_, k) => k).filter((k) => !known[k]);
    const fresh = new Map<number, EvalRecord>();
    if (todo.length) {
      const adapter = await adapterFor(data.adapter);
      const chunk = todo.map((k) => examples[k]!);
      const evaluate = makeEvaluator({
        adapter,
        trainset: chunk,
        valset: chunk,
        maxConcurrency: deps.innerConcurrency,
        ...(deps.signal ? { signal: deps.signal } : {}),
      });
      const out = await evaluate({
        split: 'train',
        candidate: data.candidate,
        hash: data.candidateHash,
        indices: chunk.map((_, i) => i),
        // Traces kept: the coordinator keeps them only where reflection reads them (train examples).
        captureTraces: true,
        scoreKey: data.namespace,
        metricCallsBefore: 0,
      });
      for (const { index, record } of out.entries) fresh.set(todo[index]!, record);
      await deps.cache.put(
        data.namespace,
        data.candidateHash,
        [...fresh].map(([k, record]) => ({ key: data.examples[k]!.key, record })),
      );
    }
    return {
      entries: data.examples.map((e, k) => ({ index: e.index, record: (known[k] ?? fresh.get(k))! })),
      evaluated: fresh.size,
      cached: data.examples.length - fresh.size,
      worker: deps.workerId,
    };
  };
}

/** A batch (parent) job completes when its chunks have: it gathers their results in one answer. */
export async function processBatch(job: Job): Promise<Omit<EvalChunkResult, 'worker'>> {
  const parsed = batchSchema.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`invalid gepa.batch payload: ${payloadProblem(parsed.error)}`);
  const values = Object.values(await job.getChildrenValues<EvalChunkResult>());
  return {
    entries: values.flatMap((v) => v.entries),
    evaluated: values.reduce((n, v) => n + v.evaluated, 0),
    cached: values.reduce((n, v) => n + v.cached, 0),
  };
}

export type { BatchJob };
