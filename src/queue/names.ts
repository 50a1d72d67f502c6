/** The project's queues and Redis keys: one name per concept, shared by coordinator and workers. */

/** Chunks of examples of one candidate: the unit of work a worker evaluates. */
export const EVAL_QUEUE = 'gepa-aime-eval';
/** One parent job per evaluation batch (minibatch or validation): completes when its chunks have. */
export const BATCH_QUEUE = 'gepa-aime-batch';
/** Whole goal runs (`submit`, `run --redis`). */
export const RUN_QUEUE = 'gepa-aime-run';

export const ALL_QUEUES = [EVAL_QUEUE, BATCH_QUEUE, RUN_QUEUE] as const;

/** BullMQ's key prefix; our own keys live beside it. */
export const PREFIX = 'gepa-aime';

export const cacheKey = (namespace: string, candidateHash: string) => `${PREFIX}:cache:${namespace}:${candidateHash}`;
export const workerKey = (id: string) => `${PREFIX}:workers:${id}`;
export const WORKERS_PATTERN = `${PREFIX}:workers:*`;
export const limitKey = (endpoint: string) => `${PREFIX}:limit:${endpoint}`;
