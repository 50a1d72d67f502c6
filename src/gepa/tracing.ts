/**
 * Spans of a GEPA optimisation, built from the effects provided to the pure
 * statechart:
 *
 *   gepa.optimize                       the whole run (resumed runs: a new trace)
 *   ├─ gepa.iteration                   from its first effect to its persisted record
 *   │  ├─ gepa.evaluate                 one per evaluation batch (split, candidate, examples)
 *   │  │  └─ (the adapter's own spans: a run's invoke_workflow, a team's, a chat)
 *   │  └─ gepa.reflect                  one per reflection (and its chat span)
 *
 * With tracing off `GepaTrace.start` returns null and nothing is created.
 */
import type { EvalOutput, EvalRequest } from '../../contracts/gepa/state.js';
import type { ReflectOutput, ReflectRequest } from '../../contracts/gepa/iteration.js';
import type { GepaResult } from './result.js';
import type { IterationRecord } from '../../contracts/gepa/types.js';
import { contextWithSpan, failSpan, markError, spanBody, startSpan, tracingOn, withContext, type Context, type Span } from '../util/tracing.js';

export class GepaTrace {
  private readonly rootCtx: Context;
  private iteration: { span: Span; ctx: Context } | null = null;

  private constructor(private readonly root: Span) {
    this.rootCtx = contextWithSpan(root);
  }

  static start(attributes: { trainSize: number; valSize: number; maxMetricCalls?: number | undefined }): GepaTrace | null {
    if (!tracingOn()) return null;
    return new GepaTrace(
      startSpan('gepa.optimize', {
        'gepa.train_size': attributes.trainSize,
        'gepa.val_size': attributes.valSize,
        ...(attributes.maxMetricCalls !== undefined ? { 'gepa.max_metric_calls': attributes.maxMetricCalls } : {}),
      }),
    );
  }

  /** Runs `fn` with the optimize span active (the machine's effects inherit it). */
  run<T>(fn: () => Promise<T>): Promise<T> {
    return withContext(this.rootCtx, fn);
  }

  evaluate(input: EvalRequest, fn: () => Promise<EvalOutput>): Promise<EvalOutput> {
    const span = startSpan(
      'gepa.evaluate',
      { 'gepa.split': input.split, 'gepa.candidate': input.hash, 'gepa.examples': input.indices.length, 'gepa.metric_calls_before': input.metricCallsBefore },
      this.iterationCtx(),
    );
    return spanBody(span, this.iterationCtx(), fn, (out) =>
      span.setAttribute(
        'gepa.score_sum',
        out.entries.reduce((n, e) => n + e.record.score, 0),
      ),
    );
  }

  reflect(input: ReflectRequest, fn: () => Promise<ReflectOutput>): Promise<ReflectOutput> {
    const span = startSpan(
      'gepa.reflect',
      { 'gepa.iteration': input.iteration, 'gepa.components': input.components, 'gepa.examples': input.batch.length },
      this.iterationCtx(),
    );
    return spanBody(span, this.iterationCtx(), fn, (out) => span.setAttribute('gepa.proposed', Object.keys(out.texts)));
  }

  /** The iteration's record is persisted: its span ends with the outcome. */
  saved(record: IterationRecord): void {
    const it = this.iteration ?? this.openIteration();
    it.span.setAttributes({
      'gepa.iteration': record.iteration,
      'gepa.kind': record.kind,
      'gepa.outcome': record.outcome,
      ...(record.new_candidate !== null ? { 'gepa.new_candidate': record.new_candidate } : {}),
      ...(record.val_score !== null ? { 'gepa.val_score': record.val_score } : {}),
    });
    it.span.end();
    this.iteration = null;
  }

  end(result: GepaResult | null, err?: unknown): void {
    if (this.iteration) {
      markError(this.iteration.span, 'cancelled', 'the run ended before this iteration was saved');
      this.iteration.span.end();
      this.iteration = null;
    }
    if (result) {
      this.root.setAttributes({
        'gepa.best_val_score': result.bestValScore,
        'gepa.best_candidate': result.bestCandidateId,
        'gepa.metric_calls': result.metricCalls,
        'gepa.iterations': result.iterations,
        ...(result.stopReason ? { 'gepa.stop_reason': result.stopReason } : {}),
      });
    }
    if (err !== undefined) failSpan(this.root, err);
    this.root.end();
  }

  private iterationCtx(): Context {
    return (this.iteration ?? this.openIteration()).ctx;
  }

  private openIteration(): { span: Span; ctx: Context } {
    const span = startSpan('gepa.iteration', {}, this.rootCtx);
    this.iteration = { span, ctx: contextWithSpan(span, this.rootCtx) };
    return this.iteration;
  }
}
