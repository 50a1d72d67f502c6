/**
 * The distributed evaluator's contract with the engine, on a real
 * redis-server with an in-process BullMQ worker: for any batch (any indices,
 * chunk size, and any part of it already in the shared cache) it returns one
 * entry per requested index, in request order, with the record the adapter
 * gives, and sends only what the cache lacks, whether it learns the results
 * from the chunks' events or from the parent job. Plus the payload schemas.
 */
import { Worker } from 'bullmq';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashCandidate } from '../../contracts/gepa/hash.js';
import { SharedEvalCache } from '../../src/queue/cache.js';
import { createDistributedEvaluator } from '../../src/queue/evaluator.js';
import { processBatch } from '../../src/queue/evalProcessor.js';
import { evalChunkSchema, goalJobSchema, payloadProblem, type EvalChunkJob, type EvalChunkResult } from '../../src/queue/jobs.js';
import { BATCH_QUEUE, EVAL_QUEUE, PREFIX } from '../../src/queue/names.js';
import { startRedis, type RedisServer } from '../support/redisServer.js';

let redis: RedisServer;
let connection: Redis;
let workers: Worker[] = [];
/** Examples each chunk job carried, across the test. */
const seen: number[][] = [];

const record = (candidate: Record<string, string>, index: number) => ({
  score: (index % 3) / 2,
  output: `${candidate['p']}#${index}`,
  trajectory: { index },
});

beforeAll(async () => {
  redis = await startRedis();
  connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  // A stand-in worker that evaluates in process: the score is a function of candidate and index.
  const evalWorker = new Worker(
    EVAL_QUEUE,
    async (job): Promise<EvalChunkResult> => {
      const data = job.data as EvalChunkJob;
      seen.push(data.examples.map((e) => e.index));
      return {
        entries: data.examples.map((e) => ({ index: e.index, record: record(data.candidate, e.index) })),
        evaluated: data.examples.length,
        cached: 0,
        worker: 'test',
      };
    },
    { connection, prefix: PREFIX, concurrency: 4 },
  );
  workers = [evalWorker, new Worker(BATCH_QUEUE, processBatch, { connection, prefix: PREFIX, concurrency: 8 })];
  await Promise.all(workers.map((w) => w.waitUntilReady()));
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.close()));
  connection.disconnect();
  await redis.stop();
});

describe('createDistributedEvaluator', () => {
  it('returns one entry per index in request order, sending only what the cache lacks', async () => {
    const size = 12;
    const examples = Array.from({ length: size }, (_, i) => ({ input: `q${i}`, answer: 'a' }));
    const keys = examples.map((_, i) => `key${i}`);
    let namespace = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 0, max: size - 1 }), { minLength: 1, maxLength: size }),
        fc.integer({ min: 1, max: 5 }),
        fc.subarray(Array.from({ length: size }, (_, i) => i)),
        fc.string({ maxLength: 4 }),
        // From the chunks' events, or from the parent alone (the fallback when events were missed).
        fc.constantFrom('chunks' as const, 'parent' as const),
        async (indices, chunkSize, cachedIdx, text, gather) => {
          const ns = `prop${namespace++}`;
          let reported = -1;
          const candidate = { p: text };
          const hash = hashCandidate(candidate);
          // Some examples are already known (a distinct record, so a cache hit is visible).
          await new SharedEvalCache(connection).put(
            ns,
            hash,
            cachedIdx.map((i) => ({ key: keys[i]!, record: { score: 1, output: 'cached' } })),
          );
          const evaluator = await createDistributedEvaluator({
            redis: connection,
            adapter: { kind: 'prompt', component: 'p' },
            namespace: ns,
            trainset: examples,
            valset: examples,
            exampleKeys: { train: keys, val: keys },
            chunkSize,
            gather,
            onMetricCall: (n) => (reported = n),
          });
          seen.length = 0;
          try {
            const before = 10;
            const out = await evaluator.evaluate({ split: 'train', candidate, hash, indices, captureTraces: true, scoreKey: 'k', metricCallsBefore: before });
            expect(out.entries.map((e) => e.index)).toEqual(indices);
            for (const { index, record: r } of out.entries) {
              expect(r).toEqual(cachedIdx.includes(index) ? { score: 1, output: 'cached' } : record(candidate, index));
            }
            const sent = seen.flat();
            expect(new Set(sent).size).toBe(sent.length);
            expect(sent.sort((a, b) => a - b)).toEqual(indices.filter((i) => !cachedIdx.includes(i)).sort((a, b) => a - b));
            for (const chunk of seen) expect(chunk.length).toBeLessThanOrEqual(chunkSize);
            expect(reported).toBe(before + indices.length);
          } finally {
            await evaluator.close();
          }
        },
      ),
      { numRuns: 25 },
    );
  }, 60_000);
});

describe('job payloads', () => {
  it('a chunk job that is not one names every bad field', () => {
    const bad = evalChunkSchema.safeParse({ kind: 'gepa.eval', candidate: { p: 1 }, split: 'test', examples: [] });
    expect(bad.success).toBe(false);
    expect(payloadProblem(bad.error!)).toMatch(/^adapter: .*; namespace: .*; candidate\.p: .*; candidateHash: .*; split: /);
  });

  it('a goal job: the goal is required and bounded, limits are checked, traceparent is optional', () => {
    expect(goalJobSchema.safeParse({ kind: 'goal', goal: 'x', submittedAt: 'now' }).success).toBe(true);
    expect(goalJobSchema.safeParse({ kind: 'goal', goal: 'x', submittedAt: 'now', traceparent: '00-abc-def-01' }).success).toBe(true);
    expect(payloadProblem(goalJobSchema.safeParse({ kind: 'goal', goal: '', submittedAt: 'now' }).error!)).toMatch(/^goal: /);
    expect(payloadProblem(goalJobSchema.safeParse({ kind: 'goal', goal: 'x', submittedAt: 'now', limits: { maxIterations: 0, rm: true } }).error!)).toMatch(
      /limits/,
    );
  });
});
