/**
 * What an agent team runs with, from the config: the models of its agents
 * (each agent's `role` picks that role's settings and its own `model:`
 * replaces the name) and the tools of agents with bundles, confined to the
 * workspace and its protected paths. The CLI and the library share these.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { LoadedConfig } from '../config/index.js';
import type { ModelConfig } from '../config/index.js';
import type { ChatModel } from '../../contracts/llm.js';
import type { AgentModels, AgentTools } from '../teams/effects.js';
import { createProtectedPaths } from '../tools/protectedPaths.js';
import { loadToolRegistry } from '../tools/registry.js';
import { RunInputError } from './runGoal.js';
import type { AgentDef, TeamDef } from '../../contracts/teams/types.js';
import { createModelSet, type ModelSet, type ModelSetOptions } from './models.js';

/**
 * The model each agent calls: its `role` picks that role's settings in
 * model_config.yaml (roles.actor by default) and its own `model:` replaces the
 * model name. Built once per (role, model); they share the endpoint's pool and cap.
 */
export function agentModelsFromConfig(config: ModelConfig, options: ModelSetOptions = {}): AgentModels {
  const sets = new Map<string, ModelSet>();
  const setFor = (agent: AgentDef): ModelSet => {
    const key = `${agent.role}\u0000${agent.model ?? ''}`;
    let set = sets.get(key);
    if (!set) {
      const cfg: ModelConfig = agent.model
        ? { ...config, roles: { ...config.roles, [agent.role]: { ...config.roles[agent.role], model: agent.model } } }
        : config;
      sets.set(key, (set = createModelSet(cfg, options)));
    }
    return set;
  };
  return (agent): ChatModel => {
    const set = setFor(agent);
    return agent.role === 'planner' ? set.planner : agent.role === 'reflection' ? set.reflection : set.chat;
  };
}

/**
 * The tools of agents with bundles, from config/tool_bundles.json; none needed, none loaded.
 * `tracesDir` is protected from them like the config directory.
 */
export async function teamTools(
  team: TeamDef,
  config: LoadedConfig,
  workspace: string | undefined,
  tracesDir = path.resolve('traces'),
): Promise<AgentTools | undefined> {
  if (!Object.values(team.agents).some((a) => a.tools.length)) return undefined;
  const dir = path.resolve(workspace ?? '.');
  let real: string;
  try {
    real = await fsp.realpath(dir);
  } catch {
    throw new RunInputError(`workspace "${dir}" does not exist`);
  }
  const registry = await loadToolRegistry(config.tools, { configDir: config.dir });
  const protectedPaths = createProtectedPaths({
    workspace: real,
    configDir: config.dir,
    tracesDir: path.resolve(tracesDir),
    globs: config.tools.protected,
  });
  const stepLimits = { maxToolCalls: config.tools.limits.max_tool_calls_per_step, maxWriteBytes: config.tools.limits.max_step_write_bytes };
  return { bundles: registry.bundles, workspace: real, protectedPaths, stepLimits };
}
