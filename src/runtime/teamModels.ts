/**
 * The models of an agent team's agents, from the model config: each agent's
 * `role` picks that role's settings and its own `model:` replaces the name.
 */
import type { ModelConfig } from '../config/index.js';
import type { ChatModel } from '../../contracts/llm.js';
import type { AgentModels } from '../pipeline/effects.js';
import type { AgentDef } from '../../contracts/teams/types.js';
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
