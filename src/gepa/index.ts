/**
 * Public API of the GEPA engine. `optimize` runs any adapter; `optimizeFiles`
 * is the default-adapter path a CLI needs (JSONL data, one system prompt,
 * contains-answer or custom metric).
 */
import type { ChatModel, SamplingSettings } from '../../contracts/llm.js';
import { loadDataset, type DefaultExample } from './dataset.js';
import { createDefaultAdapter, DEFAULT_COMPONENT } from './defaultAdapter.js';
import { loadScorer, scorerIdentity, type MetricArgs, type Scorer } from './scorer.js';
import { optimize, type OptimizeOptions } from './optimize.js';
import type { GepaResult } from './result.js';

export { optimize, GepaInputError, GepaRunError, type GepaProgressEvent, type OptimizeOptions } from './optimize.js';
export { EventStream, eventLines } from './eventStream.js';
export { resultToJson, type TestScore, type GepaCandidateSummary, type GepaResult, type GepaResultJson } from './result.js';
export { resolveSettings, GepaSettingsError, type GepaSettings, type GepaSettingsInput, type GepaStopSettings } from './settings.js';
export type { EvaluationBatch, EvaluateOptions, GepaAdapter, ReflectiveDataset, ReflectiveRecord } from './adapter.js';
export { createDefaultAdapter, DEFAULT_COMPONENT, type DefaultAdapterOptions, type DefaultTrajectory } from './defaultAdapter.js';
export { loadDataset, parseDataset, DatasetError, type DefaultExample } from './dataset.js';
export { containsAnswer } from './metric.js';
export {
  loadScorer,
  scorerIdentity,
  toScoreResult,
  ScorerError,
  type MetricArgs,
  type Scorer,
  type ScoreMetadata,
  type ScoreResult,
  type ScoreValue,
  type TeamScorerArgs,
} from './scorer.js';
export { DEFAULT_REFLECTION_TEMPLATE, extractInstruction, renderReflectionPrompt } from './reflection.js';
export { loadRun, readIterations, RunDirError, ITERATIONS_FILE, RESULT_FILE, STATE_FILE, type IterationLine } from './runDir.js';
export { proposeWithModel, checkTemplate, ReflectionTemplateError } from './reflection.js';
export { addToFrontier, emptyFrontier, frontierWeights, nonDominated, selectFromFrontier, type Frontier } from '../../contracts/gepa/pareto.js';
export { Rng, seedRng } from '../../contracts/gepa/rng.js';
export { provideGepaMachine, type GepaWiring } from './wiring.js';
export { makeEvaluator, recordsOf, GepaAdapterError, type Evaluate, type EvaluatorDeps } from './evaluation.js';
export type { EvalOutput, EvalRequest } from '../../contracts/gepa/state.js';
export type { Candidate, GepaRunState, IterationOutcome, IterationRecord, StopReason } from '../../contracts/gepa/types.js';

export interface OptimizeFilesOptions
  extends Omit<OptimizeOptions<DefaultExample>, 'adapter' | 'trainset' | 'valset' | 'testset' | 'seedCandidate' | 'reflectionModel'> {
  trainFile: string;
  valFile: string;
  /** Held-out set scored with the chosen candidate at the end. */
  testFile?: string;
  seedPrompt: string;
  /** Further seed prompts: several seed candidates. */
  extraSeedPrompts?: string[];
  taskModel: ChatModel;
  reflectionModel: ChatModel;
  /** Module whose default export scores (example, output); default: the answer is contained in the output. */
  metricModule?: string;
  /** A metric given as a function (e.g. the judge's); used when no metricModule is named. */
  metric?: Scorer<MetricArgs<DefaultExample>>;
  /** The function metric's identity for the cache key (e.g. the judge's model and rubric); default: its source text. */
  metricId?: string;
  /** Name of the one component; default `system_prompt`. */
  componentName?: string;
  taskSampling?: SamplingSettings;
}

/** `gepa-aime optimize --train --val --seed-prompt ...` in one call. */
export async function optimizeFiles(o: OptimizeFilesOptions): Promise<GepaResult> {
  const {
    trainFile,
    valFile,
    testFile,
    seedPrompt,
    extraSeedPrompts,
    taskModel,
    reflectionModel,
    metricModule,
    metric: metricFn,
    metricId: givenMetricId,
    componentName,
    taskSampling,
    ...rest
  } = o;
  const testset = testFile ? await loadDataset(testFile) : undefined;
  const [trainset, valset, metric, metricId] = await Promise.all([
    loadDataset(trainFile),
    loadDataset(valFile),
    metricModule ? loadScorer(metricModule, 'metric') : Promise.resolve(metricFn),
    metricModule ? scorerIdentity(metricModule) : Promise.resolve(givenMetricId),
  ]);
  const component = componentName ?? DEFAULT_COMPONENT;
  const adapter = createDefaultAdapter({
    model: taskModel,
    componentName: component,
    ...(metric ? { metric, ...(metricId ? { metricId } : {}) } : {}),
    ...(taskSampling ? { sampling: taskSampling } : {}),
  });
  return optimize({
    ...rest,
    adapter,
    trainset,
    valset,
    ...(testset ? { testset } : {}),
    seedCandidate: { [component]: seedPrompt },
    ...(extraSeedPrompts?.length ? { extraSeeds: extraSeedPrompts.map((p) => ({ [component]: p })) } : {}),
    reflectionModel,
  });
}
