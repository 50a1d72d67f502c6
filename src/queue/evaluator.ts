/**
 * The coordinator's side of distributed evaluation: plugs into the GEPA
 * engine's one evaluation seam (`OptimizeOptions.evaluate`). Each batch the
 * engine asks for (a minibatch or a validation batch of one candidate)
 * becomes a BullMQ flow: a parent job on the batch queue with one child per
 * chunk of examples on the eval queue. Examples the shared cache already
 * holds are never sent. The engine's algorithm does not change: it gets the
 * same records, in the same order, as from the local evaluator, so a run with
 * the same seed chooses the same candidates.
 */
import crypto from 'node:crypto';
import { FlowProducer, Job, Queue, QueueEvents } from 'bullmq';
import { AppError } from '../../contracts/errors.js';
import type { Redis } from 'ioredis';
import type { Evaluate, EvalOutput, EvalRequest } from '../gepa/index.js';
import type { EvalRecord } from '../../contracts/gepa/types.js';
import { injectTraceContext, tracingOn } from '../util/tracing.js';
import { SharedEvalCache } from './cache.js';
import type { AdapterSpec, BatchJob, EvalChunkJob, EvalChunkResult } from './jobs.js';
import { BATCH_QUEUE, EVAL_QUEUE, PREFIX } from './names.js';

export interface DistributedEvaluatorOptions {
  redis: Redis;
  adapter: AdapterSpec;
  namespace: string;
  trainset: readonly unknown[];
  valset: readonly unknown[];
  /** Content hashes of the examples: the engine's example ids, and the cache fields. */
  exampleKeys: { train: readonly string[]; val: readonly string[] };
  /** Examples per child job. */
  chunkSize: number;
  /** Attempts per chunk (a worker's model or Redis failure is retried with backoff). */
  attempts?: number;
  traceparent?: string;
  onMetricCall?: (metricCalls: number) => void;
  /**
   * How a batch's results are learnt. 'parent' (default): when its parent job completes, the
   * children's results are read from Redis. 'chunks': also from each chunk's completion event, so a
   * batch is done as soon as its last chunk is (no wait for a worker to take the parent), at the
   * cost of reading every event of the eval queue: on the bench that was about 0.8 ms more CPU per
   * job and no wall time anyone could measure saved (README, "Beyond one machine").
   */
  gather?: 'chunks' | 'parent';
  /** How often to check that a batch still exists in Redis (it vanishes if Redis restarts without persistence). */
  watchMs?: number;
}

/** The workers could not give a batch's results: the run fails with the reason (exit 1). */
export class DistributedEvaluationError extends AppError {
  readonly category = 'run';
}

export interface DistributedStats {
  batches: number;
  jobs: number;
  sent: number;
  /** Served by the shared cache at the coordinator, before any job. */
  cacheHits: number;
  /** Examples workers evaluated (paid) / found cached when the job ran. */
  evaluated: number;
  cachedOnWorkers: number;
  /** Wall time spent waiting for batches. */
  waitMs: number;
  /** Jobs of each batch sent, in order (benchmarks compute the ideal wait from them). */
  jobsPerBatch: number[];
}

export interface DistributedEvaluator {
  evaluate: Evaluate;
  stats: DistributedStats;
  close(): Promise<void>;
}

export async function createDistributedEvaluator(o: DistributedEvaluatorOptions): Promise<DistributedEvaluator> {
  const cache = new SharedEvalCache(o.redis);
  const flows = new FlowProducer({ connection: o.redis, prefix: PREFIX });
  const batches = new Queue(BATCH_QUEUE, { connection: o.redis, prefix: PREFIX });
  const chunks = new Queue(EVAL_QUEUE, { connection: o.redis, prefix: PREFIX });
  /** Why a batch failed, in its chunks' own words (the parent only says which child failed). */
  const childFailures = async (job: Job, err: unknown): Promise<string[]> => {
    const failed = await job.getFailedChildrenValues().catch(() => ({}) as Record<string, string>);
    const reasons = new Set(Object.values(failed));
    const named = /child \S*?:([^:\s]+) failed/.exec(err instanceof Error ? err.message : String(err));
    if (named) {
      const child = await Job.fromId(chunks, named[1]!).catch(() => undefined);
      if (child?.failedReason) reasons.add(child.failedReason);
    }
    return [...reasons];
  };
  // Its own connection: QueueEvents blocks on XREAD.
  const eventsConnection = o.redis.duplicate();
  const events = new QueueEvents(BATCH_QUEUE, { connection: eventsConnection, prefix: PREFIX });
  // With gather 'chunks': the chunks' own completion events carry their results, and a chunk's final
  // failure comes with its own reason; the parent's completion stays the fallback (an event missed
  // while reconnecting).
  const chunkEventsConnection = o.gather === 'chunks' ? o.redis.duplicate() : null;
  const chunkEvents = chunkEventsConnection ? new QueueEvents(EVAL_QUEUE, { connection: chunkEventsConnection, prefix: PREFIX }) : null;
  const waiting = new Map<string, { done: (r: EvalChunkResult) => void; failed: (reason: string) => void }>();
  chunkEvents?.on('completed', ({ jobId, returnvalue }) => {
    const w = waiting.get(jobId);
    waiting.delete(jobId);
    w?.done(returnvalue as unknown as EvalChunkResult);
  });
  chunkEvents?.on('failed', ({ jobId, failedReason }) => {
    const w = waiting.get(jobId);
    waiting.delete(jobId);
    w?.failed(failedReason);
  });
  await Promise.all([events.waitUntilReady(), chunkEvents?.waitUntilReady()]);
  class ChunkFailed extends Error {}
  const gathered = (values: readonly EvalChunkResult[]): EvalChunkResult => ({
    entries: values.flatMap((v) => v.entries),
    evaluated: values.reduce((n, v) => n + v.evaluated, 0),
    cached: values.reduce((n, v) => n + v.cached, 0),
    worker: '',
  });
  /** The gathered results of the chunks with these ids, registered before the jobs exist. */
  const chunksDone = (ids: readonly string[]): Promise<EvalChunkResult> =>
    Promise.all(
      ids.map(
        (id) =>
          new Promise<EvalChunkResult>((resolve, reject) => {
            waiting.set(id, { done: resolve, failed: (reason) => reject(new ChunkFailed(reason)) });
          }),
      ),
    ).then(gathered);
  /** The fallback: a completed parent's children's results, read from Redis. */
  const childrenOf = async (job: Job): Promise<EvalChunkResult> => {
    await job.waitUntilFinished(events);
    return gathered(Object.values(await job.getChildrenValues<EvalChunkResult>()));
  };
  const stats: DistributedStats = {
    batches: 0,
    jobs: 0,
    sent: 0,
    cacheHits: 0,
    evaluated: 0,
    cachedOnWorkers: 0,
    waitMs: 0,
    jobsPerBatch: [],
  };
  const attempts = o.attempts ?? 3;
  const watchMs = o.watchMs ?? 2000;

  const waitFor = async (job: Job, chunkIds: readonly string[]): Promise<EvalChunkResult> => {
    let watch: NodeJS.Timeout | undefined;
    const vanished = new Promise<never>((_, reject) => {
      watch = setInterval(() => {
        void Job.fromId(batches, job.id!).then(
          (found) => {
            if (!found)
              reject(
                new DistributedEvaluationError(`batch job ${job.id} is gone from Redis (was Redis restarted without persistence?); the run cannot finish`),
              );
          },
          () => undefined, // Redis unreachable for now: the connection retries, so does the next check
        );
      }, watchMs);
    });
    try {
      return await Promise.race([...(chunkEvents ? [chunksDone(chunkIds)] : []), childrenOf(job), vanished]);
    } catch (err) {
      if (err instanceof DistributedEvaluationError) throw err;
      const reasons = err instanceof ChunkFailed ? [err.message] : await childFailures(job, err);
      const reason = reasons.length ? reasons.join('; ') : err instanceof Error ? err.message : String(err);
      throw new DistributedEvaluationError(`a ${job.data.split} batch failed on the workers: ${reason}`);
    } finally {
      clearInterval(watch);
      for (const id of chunkIds) waiting.delete(id);
    }
  };

  const evaluate: Evaluate = async (req: EvalRequest): Promise<EvalOutput> => {
    if (!req.indices.length) return { split: req.split, hash: req.hash, entries: [] };
    const examples = req.split === 'train' ? o.trainset : o.valset;
    const keys = req.split === 'train' ? o.exampleKeys.train : o.exampleKeys.val;
    const keyOf = (i: number) => {
      const k = keys[i];
      if (k === undefined) throw new DistributedEvaluationError(`internal: no ${req.split} example ${i}`);
      return k;
    };
    const records = new Map<number, EvalRecord>();
    const hits = await cache.get(o.namespace, req.hash, req.indices.map(keyOf));
    req.indices.forEach((index, k) => {
      const hit = hits[k];
      if (hit) records.set(index, hit);
    });
    stats.cacheHits += records.size;
    const missing = req.indices.filter((i) => !records.has(i));

    if (missing.length) {
      const chunks: number[][] = [];
      for (let i = 0; i < missing.length; i += o.chunkSize) chunks.push(missing.slice(i, i + o.chunkSize));
      // The active span (the engine's gepa.evaluate) is the parent of every job's span on the workers.
      const active = tracingOn() ? injectTraceContext() : {};
      const trace = active['traceparent'] ? active : o.traceparent ? { traceparent: o.traceparent } : {};
      const parent: BatchJob = { kind: 'gepa.batch', candidateHash: req.hash, split: req.split, size: missing.length, ...trace };
      const started = Date.now();
      // Ids of our own, so the chunks are awaited before they exist (a fast worker cannot finish one unseen).
      const chunkIds = chunks.map(() => crypto.randomUUID());
      const flow = await flows.add({
        name: 'batch',
        queueName: BATCH_QUEUE,
        data: parent,
        opts: { removeOnComplete: { count: 1000 }, removeOnFail: { count: 1000 } },
        children: chunks.map((chunk, k) => {
          const data: EvalChunkJob = {
            kind: 'gepa.eval',
            adapter: o.adapter,
            namespace: o.namespace,
            candidate: req.candidate,
            candidateHash: req.hash,
            split: req.split,
            examples: chunk.map((index) => ({ index, key: keyOf(index), example: examples[index] })),
            ...trace,
          };
          return {
            name: 'eval',
            queueName: EVAL_QUEUE,
            data,
            opts: {
              jobId: chunkIds[k]!,
              attempts,
              backoff: { type: 'exponential', delay: 200 },
              failParentOnFailure: true,
              removeOnComplete: { count: 1000 },
              removeOnFail: { count: 5000 },
            },
          };
        }),
      });
      stats.batches++;
      stats.jobs += chunks.length;
      stats.jobsPerBatch.push(chunks.length);
      stats.sent += missing.length;
      const result = await waitFor(flow.job, chunkIds);
      stats.waitMs += Date.now() - started;
      stats.evaluated += result.evaluated;
      stats.cachedOnWorkers += result.cached;
      const wanted = new Set(missing);
      for (const { index, record } of result.entries) if (wanted.has(index)) records.set(index, record as EvalRecord);
    }

    const entries = req.indices.map((index) => {
      const record = records.get(index);
      if (!record) throw new DistributedEvaluationError(`the workers returned no result for ${req.split} example ${index}`);
      return { index, record };
    });
    o.onMetricCall?.(req.metricCallsBefore + entries.length);
    return { split: req.split, hash: req.hash, entries };
  };

  return {
    evaluate,
    stats,
    close: async () => {
      await Promise.allSettled([flows.close(), batches.close(), chunks.close(), events.close(), chunkEvents?.close()]);
      // The connections we duplicated are ours to close.
      eventsConnection.disconnect();
      chunkEventsConnection?.disconnect();
    },
  };
}
