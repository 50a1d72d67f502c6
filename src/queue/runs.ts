/**
 * Goal runs on the queue: submit one, list them, read a result, follow one
 * live. The job id is the run id, so `result <id>` and the worker's
 * traces/runs/<id>/ name the same run.
 */
import { Queue, type QueueEvents, type Job } from 'bullmq';
import { AppError } from '../../contracts/errors.js';
import type { Redis } from 'ioredis';
import type { WorkflowLimits } from '../../machines/workflow.js';
import type { RunReport } from '../runtime/report.js';
import { newRunId } from '../runtime/runStore.js';
import { SpanKind } from '@opentelemetry/api';
import { contextWithSpan, errorType, injectTraceContext, markError, startSpan, tracingOn } from '../util/tracing.js';
import { goalJobSchema, payloadProblem, type GoalJob, type GoalProgress } from './jobs.js';
import { PREFIX, RUN_QUEUE, WORKERS_PATTERN } from './names.js';
import type { WorkerHealth } from './worker.js';

/** A goal that cannot be queued, or a queued run that is gone. */
export class RunQueueError extends AppError {
  readonly category = 'input';
}

export const runQueue = (redis: Redis) => new Queue(RUN_QUEUE, { connection: redis, prefix: PREFIX });

export async function submitGoal(queue: Queue, goal: string, limits: Partial<WorkflowLimits>, traceparent?: string): Promise<string> {
  const id = newRunId(new Date());
  if (traceparent || !tracingOn()) {
    await addGoal(queue, id, goal, limits, traceparent ? { traceparent } : {});
    return id;
  }
  // Tracing on and no context given: a producer span of our own, whose context the worker's run joins.
  const span = startSpan(
    `send ${RUN_QUEUE}`,
    { 'messaging.system': 'bullmq', 'messaging.destination.name': RUN_QUEUE, 'messaging.message.id': id },
    undefined,
    SpanKind.PRODUCER,
  );
  try {
    await addGoal(queue, id, goal, limits, injectTraceContext({}, contextWithSpan(span)));
  } catch (err) {
    markError(span, errorType(err), err instanceof Error ? err.message : String(err));
    throw err;
  } finally {
    span.end();
  }
  return id;
}

async function addGoal(queue: Queue, id: string, goal: string, limits: Partial<WorkflowLimits>, trace: Record<string, string>): Promise<void> {
  const data: GoalJob = { kind: 'goal', goal, limits, submittedAt: new Date().toISOString(), ...trace };
  const checked = goalJobSchema.safeParse(data);
  if (!checked.success) throw new RunQueueError(`the goal cannot be queued: ${payloadProblem(checked.error)}`);
  // A goal's run is not repeated on a plain error (it already wrote its own report); a dead worker's is (stall).
  await queue.add('goal', checked.data, { jobId: id, attempts: 1, removeOnComplete: false, removeOnFail: false });
}

export type RunState = 'queued' | 'active' | 'completed' | 'failed' | 'delayed' | 'unknown';

/** A goal job on the queue (not a run directory: the run store lists those). */
export interface JobListing {
  id: string;
  state: RunState;
  goal: string;
  submittedAt: string;
  /** For finished runs: the report's status, or the failure reason. */
  outcome: string;
}

function stateOf(s: string): RunState {
  if (s === 'waiting' || s === 'prioritized' || s === 'waiting-children' || s === 'wait') return 'queued';
  if (s === 'active' || s === 'completed' || s === 'failed' || s === 'delayed') return s;
  return 'unknown';
}

async function listing(job: Job): Promise<JobListing> {
  const state = stateOf(await job.getState());
  const report = job.returnvalue as RunReport | null;
  const outcome = state === 'completed' ? (report?.status ?? '') : state === 'failed' ? job.failedReason : '';
  const data = job.data as Partial<GoalJob>;
  return { id: job.id!, state, goal: String(data.goal ?? ''), submittedAt: String(data.submittedAt ?? ''), outcome };
}

export async function listJobs(queue: Queue): Promise<JobListing[]> {
  const jobs = await queue.getJobs(['waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed'], 0, 999);
  const rows = await Promise.all(jobs.filter(Boolean).map(listing));
  return rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export async function listWorkers(redis: Redis): Promise<WorkerHealth[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', WORKERS_PATTERN, 'COUNT', 100);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  if (!keys.length) return [];
  const values = await redis.mget(...keys);
  return values.flatMap((v) => {
    try {
      return v ? [JSON.parse(v) as WorkerHealth] : [];
    } catch {
      return [];
    }
  });
}

export type RunResult = { state: 'completed'; report: RunReport } | { state: 'failed'; reason: string } | { state: Exclude<RunState, 'completed' | 'failed'> };

export async function runResult(queue: Queue, id: string): Promise<RunResult | null> {
  const job = await queue.getJob(id);
  if (!job) return null;
  const state = stateOf(await job.getState());
  if (state === 'completed') return { state, report: job.returnvalue as RunReport };
  if (state === 'failed') return { state, reason: job.failedReason };
  return { state };
}

/**
 * Follow a run until it ends: `onProgress` with each checklist update, then
 * its result. Progress and the end come over BullMQ's event stream; the job
 * is polled too, so an end that happened before we listened is not missed.
 */
export async function followRun(queue: Queue, events: QueueEvents, id: string, onProgress: (p: GoalProgress) => void, pollMs = 1000): Promise<RunResult> {
  await events.waitUntilReady();
  return new Promise<RunResult>((resolve, reject) => {
    let done = false;
    const finish = (r: RunResult | null) => {
      if (done || !r || r.state === 'queued' || r.state === 'active' || r.state === 'delayed') return;
      done = true;
      events.off('progress', onEvent);
      events.off('completed', onEnd);
      events.off('failed', onEnd);
      clearInterval(timer);
      resolve(r);
    };
    const onEvent = ({ jobId, data }: { jobId: string; data: unknown }) => {
      if (jobId === id && data && typeof data === 'object') onProgress(data as GoalProgress);
    };
    const check = () =>
      runResult(queue, id).then(
        (r) => {
          if (r === null && !done) {
            done = true;
            clearInterval(timer);
            reject(new RunQueueError(`run ${id} is gone from Redis`));
          } else finish(r);
        },
        () => undefined,
      );
    const onEnd = ({ jobId }: { jobId: string }) => {
      if (jobId === id) void check();
    };
    events.on('progress', onEvent);
    events.on('completed', onEnd);
    events.on('failed', onEnd);
    const timer = setInterval(() => void check(), pollMs);
    void check();
  });
}
