/**
 * `optimize`: run (or resume) a GEPA optimisation to its end and return the
 * result. It checks the inputs, opens the run directory, starts the provided
 * statechart as an actor and turns its events into progress callbacks.
 *
 * Cancelling: `stopSignal` asks for a graceful stop (the current iteration
 * finishes and is saved); `signal` cancels at once (model calls are aborted,
 * the result is the last saved iteration's, and resume redoes the cut one).
 */
import path from 'node:path';
import { createActor, type InspectionEvent } from 'xstate';
import type { GepaOutput } from '../../machines/gepa.js';
import type { ChatModel } from '../../contracts/llm.js';
import type { GepaAdapter } from './adapter.js';
import type { Evaluate } from './evaluation.js';
import { hashCandidate, hashJson } from '../../contracts/gepa/hash.js';
import { checkTemplate } from './reflection.js';
import { buildResult, type GepaResult, type TestScore } from './result.js';
import { makeEvaluator } from './evaluation.js';
import { ensureRunDir, loadRun, RunDirError, RunDirWriter, trimIterations, writeResult } from './runDir.js';
import { changedAlgorithmKeys } from '../../contracts/gepa/settings.js';
import { algorithmSettings, resolveSettings, type GepaSettings, type GepaSettingsInput } from './settings.js';
import { createRunState, evalRequest, seedCandidates, valIndices } from '../../contracts/gepa/state.js';
import type { Candidate, GepaRunState, IterationRecord, ScoreIdentity, StopReason } from '../../contracts/gepa/types.js';
import { GepaTrace } from './tracing.js';
import { runTraced } from '../util/tracing.js';
import { provideGepaMachine } from './wiring.js';
import { AppError } from '../../contracts/errors.js';

export type GepaProgressEvent =
  | { type: 'start'; resumed: boolean; iteration: number; metricCalls: number; maxMetricCalls: number; candidates: number }
  | { type: 'metric_call'; metricCalls: number; maxMetricCalls: number }
  | { type: 'iteration'; record: IterationRecord; maxMetricCalls: number }
  | { type: 'done'; result: GepaResult };

export interface OptimizeOptions<E> {
  adapter: GepaAdapter<E>;
  trainset: readonly E[];
  valset: readonly E[];
  seedCandidate: Candidate;
  /** Further seed candidates (same component names): each is validated and enters the pool before the search. */
  extraSeeds?: Candidate[];
  /** Held-out examples: the chosen candidate is scored on them at the end, beside its validation score (not from the budget). */
  testset?: readonly E[];
  /** Required unless the adapter has proposeNewTexts. */
  reflectionModel?: ChatModel;
  /** `GepaConfig['offline']` plus optional stop conditions; missing keys take the defaults. */
  settings?: GepaSettingsInput;
  /** Where state.json, iterations.jsonl and result.json go; none = in memory only. */
  runDir?: string;
  /** Continue the run saved in runDir (a fresh start if there is none). */
  resume?: boolean;
  onProgress?: (event: GepaProgressEvent) => void;
  /** Cancel now: the result is the last saved iteration's. */
  signal?: AbortSignal;
  /** Stop gracefully after the current iteration. */
  stopSignal?: AbortSignal;
  /**
   * What scores depend on besides candidate and example, merged over the
   * adapter's own `scoreIdentity()` (e.g. the CLI adds the task model's
   * provider settings). Part of the cache key; a resume refuses a change.
   */
  scoreIdentity?: ScoreIdentity;
  /** Clock in milliseconds (tests pass a fake one). */
  now?: () => number;
  inspect?: (event: InspectionEvent) => void;
  /** Evaluate batches elsewhere (see GepaWiring.evaluate); default: the adapter, here. */
  evaluate?: Evaluate;
  /** Score the chosen candidate on `testset` elsewhere (its requests are split 'val', indices into testset); default: the adapter, here. */
  evaluateTest?: Evaluate;
}

/** The optimisation's inputs are unusable (empty data set, no components, no reflection model). */
export class GepaInputError extends AppError {
  readonly category = 'input';
}

/** The run failed; `result` holds what the last saved iteration had, when there was one. */
export class GepaRunError extends AppError {
  readonly category = 'run';
  constructor(
    message: string,
    readonly result: GepaResult | null,
  ) {
    super(message);
  }
}

function checkInputs<E>(o: OptimizeOptions<E>, settings: GepaSettings): void {
  const names = Object.keys(o.seedCandidate ?? {});
  if (!names.length) throw new GepaInputError('the seed candidate has no components: give at least one named text, e.g. {system_prompt: "..."}');
  const bad = names.filter((n) => typeof o.seedCandidate[n] !== 'string');
  if (bad.length) throw new GepaInputError(`seed candidate components must be strings: ${bad.join(', ')}`);
  for (const [k, extra] of (o.extraSeeds ?? []).entries()) {
    const same = Object.keys(extra).sort().join(',') === [...names].sort().join(',') && Object.values(extra).every((v) => typeof v === 'string');
    if (!same) throw new GepaInputError(`seed candidate ${k + 2} must have the same components as the first (${names.join(', ')}), as strings`);
  }
  if (!o.trainset.length) throw new GepaInputError('the train set is empty');
  if (!o.valset.length) throw new GepaInputError('the validation set is empty');
  if (!o.reflectionModel && !o.adapter.proposeNewTexts) throw new GepaInputError('a reflection model is required (the adapter has no proposeNewTexts)');
  if (settings.reflection_prompt_template !== null) checkTemplate(settings.reflection_prompt_template);
}

/** A saved run may only be continued with the same data, seed candidate and search settings. */
function checkResumable(saved: GepaRunState, fresh: GepaRunState, runDir: string): void {
  const problems: string[] = [];
  if (hashJson(saved.exampleIds.train) !== hashJson(fresh.exampleIds.train)) problems.push('the train set differs');
  if (hashJson(saved.exampleIds.val) !== hashJson(fresh.exampleIds.val)) problems.push('the validation set differs');
  if (hashCandidate(saved.seedCandidate) !== hashCandidate(fresh.seedCandidate)) problems.push('the seed candidate differs');
  if (hashJson((saved.extraSeeds ?? []).map(hashCandidate)) !== hashJson((fresh.extraSeeds ?? []).map(hashCandidate)))
    problems.push('the further seed candidates differ');
  const changed = changedAlgorithmKeys(saved.settings, fresh.settings);
  if (changed.length) problems.push(`settings changed: ${changed.join(', ')}`);
  for (const key of new Set([...Object.keys(saved.scoreIdentity), ...Object.keys(fresh.scoreIdentity)])) {
    const [was, now] = [JSON.stringify(saved.scoreIdentity[key]) ?? 'none', JSON.stringify(fresh.scoreIdentity[key]) ?? 'none'];
    if (was !== now) problems.push(`${key.replace(/_/g, ' ')} changed (run: ${was}, now: ${now}), so cached scores would not be comparable`);
  }
  if (problems.length) throw new RunDirError(`cannot resume the run in ${runDir}: ${problems.join('; ')}. Use the original inputs, or a new --run-dir.`);
}

async function openRun<E>(
  o: OptimizeOptions<E>,
  settings: GepaSettings,
): Promise<{ run: GepaRunState; wallMs: number; resumed: boolean; writer: RunDirWriter | null }> {
  const fresh = createRunState({
    seedCandidate: o.seedCandidate,
    ...(o.extraSeeds?.length ? { extraSeeds: o.extraSeeds } : {}),
    settings: algorithmSettings(settings),
    exampleIds: { train: o.trainset.map(hashJson), val: o.valset.map(hashJson) },
    scoreIdentity: { ...(o.adapter.scoreIdentity?.() ?? {}), ...(o.scoreIdentity ?? {}) },
  });
  if (!o.runDir) return { run: fresh, wallMs: 0, resumed: false, writer: null };
  await ensureRunDir(o.runDir);
  const saved = await loadRun(o.runDir);
  if (saved && !o.resume) throw new RunDirError(`${o.runDir} already holds a GEPA run: pass resume (--resume) to continue it, or choose another run directory`);
  if (!saved) {
    await trimIterations(o.runDir, null);
    return { run: fresh, wallMs: 0, resumed: false, writer: new RunDirWriter(o.runDir, 0) };
  }
  checkResumable(saved.state, fresh, o.runDir);
  await trimIterations(o.runDir, saved.state.candidates.length ? saved.state.iteration : null);
  return { run: saved.state, wallMs: saved.wallMs, resumed: true, writer: new RunDirWriter(o.runDir, saved.state.candidates.length) };
}

/** The budget is a hard cap: one that cannot pay for the seed's validation is an input error, not a silent overrun. */
function checkBudget(run: GepaRunState, max: number): void {
  if (run.candidates.length) return;
  const seedCalls = seedCandidates(run).reduce((n, c) => n + evalRequest(run, 'val', c, valIndices(run)).indices.length, 0);
  if (max < seedCalls) {
    throw new GepaInputError(
      `max_metric_calls ${max} cannot cover the seed candidate's validation (${seedCalls} metric calls, one per distinct validation example${run.extraSeeds?.length ? ` and seed` : ''}): raise it to at least ${seedCalls}, or use a smaller validation set`,
    );
  }
}

export function optimize<E>(o: OptimizeOptions<E>): Promise<GepaResult> {
  const trace = GepaTrace.start({ trainSize: o.trainset.length, valSize: o.valset.length, maxMetricCalls: o.settings?.max_metric_calls });
  return runTraced(
    trace,
    (t) => optimizeRun(o, t),
    (err) => (err instanceof GepaRunError ? err.result : null),
  );
}

async function optimizeRun<E>(o: OptimizeOptions<E>, trace: GepaTrace | null): Promise<GepaResult> {
  const settings = resolveSettings({
    ...o.settings,
    stop_file: o.settings?.stop_file ?? (o.runDir ? path.join(o.runDir, 'STOP') : null),
  });
  checkInputs(o, settings);
  const now = o.now ?? Date.now;
  const { run, wallMs: priorMs, resumed, writer } = await openRun(o, settings);
  checkBudget(run, settings.max_metric_calls);
  const started = now();
  const wallMs = () => priorMs + (now() - started);
  const runDir = o.runDir ?? null;
  const max = settings.max_metric_calls;
  const emit = (e: GepaProgressEvent) => o.onProgress?.(e);
  let saved: GepaRunState | null = run.candidates.length ? run : null;

  const machine = provideGepaMachine({
    adapter: o.adapter,
    trainset: o.trainset,
    valset: o.valset,
    settings,
    runDir: writer,
    wallMs,
    onMetricCall: (metricCalls) => emit({ type: 'metric_call', metricCalls, maxMetricCalls: max }),
    onSaved: (r) => (saved = r),
    trace,
    ...(o.reflectionModel ? { reflectionModel: o.reflectionModel } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.evaluate ? { evaluate: o.evaluate } : {}),
  });
  const testScore = async (r: GepaRunState): Promise<TestScore | undefined> => {
    if (!o.testset?.length || !r.candidates.length) return undefined;
    const best = buildResult(r, { wallS: 0, stopReason: null, runDir }).bestCandidate;
    const evaluate =
      o.evaluateTest ??
      makeEvaluator({
        adapter: o.adapter,
        trainset: [],
        valset: o.testset,
        maxConcurrency: settings.max_concurrency,
        ...(o.signal ? { signal: o.signal } : {}),
      });
    const indices = o.testset.map((_, i) => i);
    const out = await evaluate({
      split: 'val',
      candidate: best,
      hash: hashCandidate(best),
      indices,
      captureTraces: false,
      scoreKey: r.scoreKey,
      metricCallsBefore: 0,
    });
    const scores = out.entries.map((e) => e.record.score);
    return { score: scores.reduce((a, b) => a + b, 0) / scores.length, scores, metricCalls: scores.length };
  };
  const finish = async (r: GepaRunState, stopReason: StopReason | null): Promise<GepaResult> => {
    const test = stopReason === 'aborted' ? undefined : await testScore(r);
    const result = buildResult(r, { wallS: wallMs() / 1000, stopReason, runDir, ...(test ? { test } : {}) });
    if (runDir) await writeResult(runDir, result.toJson());
    return result;
  };

  if (o.signal?.aborted) throw new GepaRunError('cancelled before the run started', saved ? await finish(saved, 'aborted') : null);
  emit({ type: 'start', resumed, iteration: run.iteration, metricCalls: run.metricCalls, maxMetricCalls: max, candidates: run.candidates.length });

  const actor = createActor(machine, {
    systemId: 'gepa',
    input: {
      run,
      limits: {
        maxMetricCalls: max,
        targetScore: settings.target_score,
        maxReflectionFailures: settings.max_reflection_failures,
        maxReflectionTokens: settings.max_reflection_tokens,
      },
    },
    ...(o.inspect ? { inspect: o.inspect } : {}),
  });
  actor.on('GEPA.ITERATION', (e) => emit({ type: 'iteration', record: e.record, maxMetricCalls: max }));

  const output = await new Promise<GepaOutput | 'aborted'>((resolve, reject) => {
    const onAbort = () => {
      resolve('aborted'); // first: stopping the actor completes it
      actor.stop();
    };
    const onStop = () => actor.send({ type: 'GEPA.STOP' });
    o.signal?.addEventListener('abort', onAbort, { once: true });
    o.stopSignal?.addEventListener('abort', onStop, { once: true });
    if (o.stopSignal?.aborted) onStop();
    actor.subscribe({
      complete: () => {
        o.signal?.removeEventListener('abort', onAbort);
        o.stopSignal?.removeEventListener('abort', onStop);
        resolve(actor.getSnapshot().output as GepaOutput);
      },
      error: reject,
    });
    actor.start();
  });

  if (output === 'aborted') {
    if (!saved) throw new GepaRunError('cancelled before the seed candidate was evaluated', null);
    const result = await finish(saved, 'aborted');
    emit({ type: 'done', result });
    return result;
  }
  if (output.status === 'failed') {
    throw new GepaRunError(
      `GEPA optimisation failed: ${output.error}`,
      saved ? buildResult(saved, { wallS: wallMs() / 1000, stopReason: null, runDir }) : null,
    );
  }
  const result = await finish(output.run, output.stopReason);
  emit({ type: 'done', result });
  return result;
}
