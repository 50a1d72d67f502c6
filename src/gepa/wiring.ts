/**
 * Gives the pure GEPA statechart its effects: evaluation through the adapter,
 * reflection, persistence to the run directory and the stop probe (stop file,
 * wall-clock limit). Exposed on its own so a runtime or an inspector can run
 * the machine without going through `optimize`.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { fromPromise } from 'xstate';
import { gepaMachine, type CheckStopInput, type PersistInput } from '../../machines/gepa.js';
import type { ChatModel } from '../../contracts/llm.js';
import type { GepaAdapter } from './adapter.js';
import { makeEvaluator, type Evaluate } from './evaluation.js';
import type { ReflectOutput, ReflectRequest } from '../../contracts/gepa/iteration.js';
import { makeReflector } from './reflector.js';
import type { RunDirWriter } from './runDir.js';
import type { GepaSettings } from './settings.js';
import type { EvalOutput, EvalRequest } from '../../contracts/gepa/state.js';
import type { GepaTrace } from './tracing.js';
import type { GepaRunState, IterationRecord, StopReason } from '../../contracts/gepa/types.js';

export interface GepaWiring<E> {
  adapter: GepaAdapter<E>;
  trainset: readonly E[];
  valset: readonly E[];
  reflectionModel?: ChatModel;
  settings: GepaSettings;
  /** Where the run is saved; null = in memory only. */
  runDir: RunDirWriter | null;
  signal?: AbortSignal;
  /** Milliseconds of wall time, this session plus earlier ones. */
  wallMs: () => number;
  onMetricCall?: (metricCalls: number) => void;
  /**
   * The one seam where a batch of evaluations leaves the engine: replaces the
   * local evaluator (e.g. src/queue's, which runs the batch on workers).
   */
  evaluate?: Evaluate;
  /** After each iteration is saved. */
  onSaved?: (run: GepaRunState, record: IterationRecord) => void;
  /** Spans (telemetry on); absent, the effects run untraced. */
  trace?: GepaTrace | null;
}

export function provideGepaMachine<E>(w: GepaWiring<E>) {
  const evaluate =
    w.evaluate ??
    makeEvaluator({
      adapter: w.adapter,
      trainset: w.trainset,
      valset: w.valset,
      maxConcurrency: w.settings.max_concurrency,
      ...(w.signal ? { signal: w.signal } : {}),
      ...(w.onMetricCall ? { onMetricCall: w.onMetricCall } : {}),
    });
  const reflect = makeReflector({
    adapter: w.adapter,
    template: w.settings.reflection_prompt_template,
    ...(w.reflectionModel ? { reflectionModel: w.reflectionModel } : {}),
    ...(w.signal ? { signal: w.signal } : {}),
  });

  const trace = w.trace ?? null;
  return gepaMachine.provide({
    actors: {
      evaluate: fromPromise<EvalOutput, EvalRequest>(({ input }) => (trace ? trace.evaluate(input, () => evaluate(input)) : evaluate(input))),
      reflect: fromPromise<ReflectOutput, ReflectRequest>(({ input }) => (trace ? trace.reflect(input, () => reflect(input)) : reflect(input))),
      persist: fromPromise<void, PersistInput>(async ({ input }) => {
        // Lines first, state second: resume cuts lines the state does not cover.
        await w.runDir?.save({ state: input.run, wallMs: w.wallMs() }, input.evaluations, { ...input.record, elapsed_s: Math.round(w.wallMs()) / 1000 });
        trace?.saved(input.record);
        w.onSaved?.(input.run, input.record);
      }),
      checkStop: fromPromise<StopReason | null, CheckStopInput>(async () => {
        const stopFile = w.settings.stop_file;
        if (stopFile && fs.existsSync(stopFile)) {
          // A stop file is a one-shot request: consume it so a later resume can go on.
          await fsp.rm(stopFile, { force: true });
          return 'stop_file';
        }
        if (w.settings.max_wall_s !== null && w.wallMs() >= w.settings.max_wall_s * 1000) return 'max_wall_s';
        return null;
      }),
    },
  });
}
