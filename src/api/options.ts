/**
 * Turns the library's options (a config directory or loaded config, a
 * ChatModel or model settings) into what the runtime takes.
 */
import path from 'node:path';
import { OfflineModel } from '../aime/offline/index.js';
import { applyOverrides, defaultConfigDir, loadConfig, type LoadedConfig, type ModelOverrides } from '../config/index.js';
import type { ChatModel } from '../../contracts/llm.js';
import type { ModelSet } from '../runtime/models.js';

/** Model settings that override `model_config.yaml` (validated like the file). */
export type ModelSettings = ModelOverrides;

/** One model per role; actors' model answers every persona, `reflection` defaults to the planner's. */
export interface RoleModels {
  planner: ChatModel;
  actor: ChatModel;
  reflection?: ChatModel;
}

/** Where the config comes from and which model answers. */
export interface ConfigOptions {
  /** A config directory (`model_config.yaml`, `gepa_config.yaml`, `tool_bundles.json`, optional `personas.yaml`); default: the packaged one. Ignored when `config` is given. */
  configDir?: string;
  /** An already loaded config. */
  config?: LoadedConfig;
  /**
   * A `ChatModel` that answers every role (planner, actors, reflection), one
   * model per role (`{planner, actor, reflection?}`), or settings (`provider`, `model`, `api_base`, `api_key`) over the config's.
   * Default: the config's model (the packaged config uses the offline model).
   */
  model?: ChatModel | RoleModels | ModelSettings;
}

export function isChatModel(value: unknown): value is ChatModel {
  return typeof value === 'object' && value !== null && typeof (value as ChatModel).complete === 'function';
}

export function isRoleModels(value: unknown): value is RoleModels {
  return typeof value === 'object' && value !== null && isChatModel((value as RoleModels).planner) && isChatModel((value as RoleModels).actor);
}

/** The models given in code, as the runtime's model set; undefined when the config decides. */
export function givenModels(model: ConfigOptions['model']): ModelSet | undefined {
  if (isChatModel(model)) return singleModelSet(model);
  if (isRoleModels(model)) return roleModelSet(model);
  return undefined;
}

export function resolveConfig(o: ConfigOptions): LoadedConfig {
  const config = o.config ?? loadConfig(path.resolve(o.configDir ?? defaultConfigDir()));
  if (o.model && !isChatModel(o.model) && !isRoleModels(o.model)) return { ...config, model: applyOverrides(config.model, o.model, 'options.model') };
  return config;
}

/** Every role answered by one model. */
export function singleModelSet(model: ChatModel): ModelSet {
  return roleModelSet({ planner: model, actor: model });
}

function roleModelSet(m: RoleModels): ModelSet {
  const offline = m.planner instanceof OfflineModel && m.actor instanceof OfflineModel;
  return {
    planner: m.planner,
    actorFor: () => m.actor,
    reflection: m.reflection ?? m.planner,
    chat: m.actor,
    describe: () => ({
      provider: offline ? 'offline' : 'custom',
      model: m.planner === m.actor ? m.planner.id : `${m.planner.id}+${m.actor.id}`,
      offline,
    }),
  };
}
