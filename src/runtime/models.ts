/**
 * Chooses the chat model for each role from the model config. Planner,
 * actors (per persona) and the reflection model may each have their own.
 */
import { OfflineModel } from '../aime/offline/index.js';
import type { ModelConfig } from '../config/index.js';
import { resolveRole } from '../config/index.js';
import type { ChatModel } from '../llm/types.js';
import { ModelError } from '../llm/types.js';

export type ModelRole = 'planner' | 'actor' | 'reflection' | 'chat';

export interface ModelSet {
  planner: ChatModel;
  actorFor(persona: string): ChatModel;
  reflection: ChatModel;
  chat: ChatModel;
  /** What the report says about the model(s) used. */
  describe(): { provider: string; model: string; offline: boolean };
}

export function createModelSet(config: ModelConfig): ModelSet {
  const cache = new Map<string, ChatModel>();
  const build = (role: 'planner' | 'actor' | 'reflection', persona?: string): ChatModel => {
    const settings = resolveRole(config, role, persona);
    const key = JSON.stringify(settings);
    let model = cache.get(key);
    if (!model) {
      model = createModel(settings.provider, settings);
      cache.set(key, model);
    }
    return model;
  };
  return {
    planner: build('planner'),
    actorFor: (persona) => build('actor', persona),
    reflection: build('reflection'),
    chat: build('actor'),
    describe: () => ({ provider: config.provider, model: config.model, offline: config.provider === 'offline' }),
  };
}

function createModel(provider: string, settings: { model: string; api_base?: string | null }): ChatModel {
  switch (provider) {
    case 'offline':
      return new OfflineModel();
    default:
      throw new ModelError(
        `provider "${provider}" is not available yet in this build (model "${settings.model}"); use provider: offline`,
        'config',
      );
  }
}
