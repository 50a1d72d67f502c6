/**
 * gepa-aime/gepa: GEPA, reflective Pareto prompt evolution, over any system
 * that implements the adapter protocol (`GepaAdapter`): the default
 * one-prompt adapter, agent teams, or your own.
 *
 * @packageDocumentation
 */
export {
  optimize,
  type AcceptedEvent,
  type IterationEvent,
  type MetricCallsEvent,
  type OptimizeEndEvent,
  type OptimizeEvent,
  type OptimizeOptions,
  type OptimizeRun,
  type OptimizeStartedEvent,
  type ProposalEvent,
} from './optimize.js';
export { GepaInputError, GepaRunError } from '../gepa/optimize.js';
export type { EvaluateOptions, EvaluationBatch, GepaAdapter, ReflectiveDataset, ReflectiveRecord } from '../gepa/adapter.js';
export type { GepaCandidateSummary, GepaResult, GepaResultJson } from '../gepa/result.js';
export type { GepaSettingsInput } from '../gepa/settings.js';
export type { Candidate, IterationOutcome, IterationRecord, StopReason } from '../../contracts/gepa/types.js';
export { createDefaultAdapter, DEFAULT_COMPONENT, type DefaultAdapterOptions, type DefaultTrajectory } from '../gepa/defaultAdapter.js';
export { loadDataset, parseDataset, DatasetError, type DefaultExample } from '../gepa/dataset.js';
export { containsAnswer } from '../gepa/metric.js';
export type { MetricArgs, ScoreMetadata, ScoreResult, ScoreValue, Scorer, TeamScorerArgs } from '../gepa/scorer.js';
export { createTeamAdapter, type TeamAdapter, type TeamAdapterOptions } from '../teams/adapter.js';
export type { TeamExample } from '../../contracts/teams/types.js';
