/**
 * gepa-aime: run a goal as a team of LLM agents (AIME), run agent teams, and
 * stream what happens. This is the package's root entry; `gepa-aime/gepa` has
 * the optimizer and the adapter protocol, `gepa-aime/testing` the scripted
 * model and test helpers. Everything else in the package is internal.
 *
 * @example
 * ```ts
 * import { runGoal } from 'gepa-aime';
 * const run = runGoal('Summarise the repository layout', { workspace: '.' });
 * for await (const event of run.events()) if (event.type === 'tasks.changed') console.log(event.markdown);
 * console.log((await run.report).status);
 * ```
 *
 * @packageDocumentation
 */
export { runGoal, type GoalOptions, type GoalRun, type Limits } from './goal.js';
export type {
  ActorReportedEvent,
  ActorStepEvent,
  ApprovalDecidedEvent,
  ApprovalRequestedEvent,
  GoalEvent,
  ModelUsageEvent,
  PlannerDecidedEvent,
  PlannerFailedEvent,
  RunEndEvent,
  RunStartedEvent,
  TasksChangedEvent,
} from './goalEvents.js';
export {
  loadTeam,
  parseTeam,
  runTeam,
  type AgentFinishedEvent,
  type AgentStartedEvent,
  type AgentToolCallEvent,
  type AgentUsageEvent,
  type Team,
  type TeamEndEvent,
  type TeamEvent,
  type TeamOptions,
  type TeamReport,
  type TeamRun,
} from './team.js';
export { defineTool, type ToolDefinition, type ToolDefinitionInput } from './tool.js';
export type { ConfigOptions, ModelSettings, RoleModels } from './options.js';
export type { ApprovalDecision, ApprovalHandler, ApprovalPolicy, ApprovalRequest } from '../tools/approval.js';
export type { ToolContext, ToolResult } from '../tools/types.js';
export { ModelError } from '../../contracts/llm.js';
export type {
  ChatMessage,
  ChatModel,
  ChatRequest,
  ChatResponse,
  ResponseFormat,
  Role,
  SamplingSettings,
  TokenUsage,
  ToolCall,
  ToolSpec,
} from '../../contracts/llm.js';
export { OfflineModel } from '../aime/offline/index.js';
export { DEFAULT_LIMITS, RunInputError } from '../runtime/runGoal.js';
export type { RunReport, RunStatus } from '../runtime/report.js';
export type { TaskItem, TaskList, TaskStatus } from '../../contracts/aime/taskList.js';
export type { ActorReport, ActorStep, PlannerAction } from '../../contracts/aime/types.js';
export { ConfigError, defaultConfigDir, loadConfig, type LoadedConfig } from '../config/index.js';
