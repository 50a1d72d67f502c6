/**
 * Public API of agent teams ("teams"): load a team from YAML, run it
 * once, and evolve its agents' components with GEPA through the team adapter.
 */
export type { AgentDef, AgentRunTrace, ExitCondition, GenerationSettings, NodeResult, TeamDef, TeamState, WorkflowNode } from '../../contracts/teams/types.js';
export { loadTeamFile, parseTeamText, type LoadedTeam, type TeamLoadOptions } from './load.js';
export { runTeam, TeamRunCancelled, type TeamRunOptions, type TeamRunResult } from './runner.js';
export { provideTeam, provideAgent, effectsFor, type AgentEffects } from './wiring.js';
export type { AgentEnv, AgentModels, AgentTools } from './effects.js';
export { renderTemplate } from '../../contracts/teams/template.js';
export {
  ComponentRegistry,
  ComponentValueError,
  componentHandlers,
  registerComponentHandler,
  parseQualifiedName,
  qualifiedName,
  type ComponentHandler,
} from './components.js';
export { applyCandidate, seedCandidate, CandidateError } from './candidate.js';
export {
  createTeamAdapter,
  checkTeamAdapter,
  TeamAdapterError,
  DEFAULT_TEAM_CONCURRENCY,
  type TeamAdapter,
  type TeamAdapterOptions,
  type TeamEvaluationBatch,
} from './adapter.js';
export type { AgentTrajectory, TeamTrajectory } from './trajectory.js';
export type { Trial } from './reflective.js';
export { exactMatch } from './scorer.js';
export { loadTeamDataset, parseTeamDataset } from './dataset.js';
export { evolvedTeamText, type EvolvedFile } from './yamlWriter.js';
