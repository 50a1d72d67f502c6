/**
 * `optimize` from code: GEPA over any adapter, with a handle like a goal
 * run's: the result as a promise, cancellation, and typed events derived from
 * the engine's own progress events (start, metric calls, one record per
 * iteration, done).
 */
import { optimize as engineOptimize, GepaRunError, type GepaProgressEvent, type OptimizeOptions as EngineOptions } from '../gepa/optimize.js';
import { isProposal } from '../gepa/eventStream.js';
import type { GepaResult } from '../gepa/result.js';
import type { IterationRecord } from '../../contracts/gepa/types.js';
import { HandleCore } from './channel.js';

/** What `optimize` takes: the adapter, data, seed candidate, reflection model and settings. */
export type OptimizeOptions<E> = Omit<EngineOptions<E>, 'onProgress' | 'inspect' | 'now'>;

/** The optimisation started (or resumed from its run directory). */
export interface OptimizeStartedEvent {
  type: 'optimize.started';
  resumed: boolean;
  iteration: number;
  metricCalls: number;
  maxMetricCalls: number;
  candidates: number;
}

/** The budget used so far (one per metric call). */
export interface MetricCallsEvent {
  type: 'optimize.metric_calls';
  metricCalls: number;
  maxMetricCalls: number;
}

/** A proposal was made and scored on the minibatch: a reflective mutation or a merge. */
export interface ProposalEvent {
  type: 'optimize.proposal';
  iteration: number;
  kind: IterationRecord['kind'];
  parents: number[];
  components: string[];
  parentSum: number | null;
  childSum: number | null;
  /** Whether it was accepted into the pool. */
  accepted: boolean;
}

/** A proposal became a candidate: its id and validation score. */
export interface AcceptedEvent {
  type: 'optimize.accepted';
  iteration: number;
  candidateId: number;
  valScore: number | null;
  bestCandidate: number;
  bestValScore: number;
}

/** One iteration finished (whatever its outcome), as written to iterations.jsonl. */
export interface IterationEvent {
  type: 'optimize.iteration';
  record: IterationRecord;
  maxMetricCalls: number;
}

/** The last event: `completed` with the result, `cancelled` (result of the last saved iteration, if any) or `failed`. */
export interface OptimizeEndEvent {
  type: 'run.end';
  status: 'completed' | 'cancelled' | 'failed';
  reason: string;
  result: GepaResult | null;
}

/** Every event of an optimisation, discriminated by `type`. */
export type OptimizeEvent = OptimizeStartedEvent | MetricCallsEvent | ProposalEvent | AcceptedEvent | IterationEvent | OptimizeEndEvent;

/** A running optimisation. */
export interface OptimizeRun {
  /** The result; rejects with GepaInputError / RunDirError on bad input, GepaRunError when the run fails or is cancelled before anything was saved. */
  readonly result: Promise<GepaResult>;
  readonly signal: AbortSignal;
  /** Cancel now: the result is the last saved iteration's. */
  cancel(reason?: string): void;
  /** Finish the current iteration, save it, and stop. */
  stop(): void;
  /** The events from the first one; ends after the one `run.end` (also when the result rejects after the start). */
  events(): AsyncIterableIterator<OptimizeEvent>;
}

/** Starts a GEPA optimisation. */
export function optimize<E>(options: OptimizeOptions<E>): OptimizeRun {
  const core = new HandleCore<OptimizeEvent>(options.signal);
  const { channel, controller } = core;
  const stopper = new AbortController();
  let started = false;
  if (options.stopSignal?.aborted) stopper.abort();
  else options.stopSignal?.addEventListener('abort', () => stopper.abort(), { once: true });

  const onProgress = (e: GepaProgressEvent) => {
    if (e.type === 'start') {
      started = true;
      channel.push({
        type: 'optimize.started',
        resumed: e.resumed,
        iteration: e.iteration,
        metricCalls: e.metricCalls,
        maxMetricCalls: e.maxMetricCalls,
        candidates: e.candidates,
      });
    } else if (e.type === 'metric_call') {
      channel.push({ type: 'optimize.metric_calls', metricCalls: e.metricCalls, maxMetricCalls: e.maxMetricCalls });
    } else if (e.type === 'iteration') {
      const r = e.record;
      const accepted = r.outcome === 'accepted' && r.new_candidate !== null;
      if (isProposal(r)) {
        channel.push({
          type: 'optimize.proposal',
          iteration: r.iteration,
          kind: r.kind,
          parents: r.parents,
          components: r.components,
          parentSum: r.parent_sum,
          childSum: r.child_sum,
          accepted,
        });
      }
      if (accepted) {
        channel.push({
          type: 'optimize.accepted',
          iteration: r.iteration,
          candidateId: r.new_candidate!,
          valScore: r.val_score,
          bestCandidate: r.best_candidate,
          bestValScore: r.best_val_score,
        });
      }
      channel.push({ type: 'optimize.iteration', record: r, maxMetricCalls: e.maxMetricCalls });
    }
  };
  const result = engineOptimize({ ...options, signal: controller.signal, stopSignal: stopper.signal, onProgress });
  core.settle(
    result,
    (r) => {
      const cancelled = r.stopReason === 'aborted';
      channel.push({ type: 'run.end', status: cancelled ? 'cancelled' : 'completed', reason: cancelled ? 'cancelled' : (r.stopReason ?? ''), result: r });
    },
    (err) => {
      // Bad input fails before anything started: the stream throws it. A run that started ends with an event.
      if (!started) return false;
      channel.push({
        type: 'run.end',
        status: controller.signal.aborted ? 'cancelled' : 'failed',
        reason: err instanceof Error ? err.message : String(err),
        result: err instanceof GepaRunError ? err.result : null,
      });
      return true;
    },
  );
  return {
    result,
    signal: core.signal,
    cancel: core.cancel,
    events: core.events,
    stop: () => stopper.abort(),
  };
}
