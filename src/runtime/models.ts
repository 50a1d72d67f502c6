/**
 * Chooses the chat model for each role from the model config. Planner,
 * actors (per persona) and the reflection model may each have their own.
 * `--record` wraps every model; `--replay` answers every role from a file.
 */
import path from 'node:path';
import { OfflineModel } from '../aime/offline/index.js';
import type { ModelConfig, ResolvedRole } from '../config/index.js';
import { resolveRole } from '../config/index.js';
import { OpenAICompatibleModel, type OpenAIProviderOptions } from '../llm/openai/index.js';
import { RecordingModel, RecordingSink } from '../llm/record.js';
import { ReplayModel, ReplayStore } from '../llm/replay.js';
import type { ChatModel } from '../../contracts/llm.js';
import { ModelError } from '../../contracts/llm.js';
import { traceModel } from './telemetry/chatSpans.js';

export interface ModelSet {
  planner: ChatModel;
  actorFor(persona: string): ChatModel;
  reflection: ChatModel;
  /** roles.judge: the judge scorer (src/judge); optional so hand-made sets for tests need not give one. */
  judge?: ChatModel;
  chat: ChatModel;
  /** What the report says about the model(s) used. */
  describe(): { provider: string; model: string; offline: boolean };
  /** With --replay: the recording every role answers from (its run header's prompts, the drifts it matched). */
  replay?: ReplayStore;
}

export interface ModelSetOptions {
  /** Append every exchange of every role to this JSONL file. */
  record?: string;
  /** Answer every role from this recording, whatever the config says. */
  replay?: string;
  /** Wraps each model (inside its trace span) to watch its calls, e.g. the CLI's status line; must not change them. */
  observe?: (model: ChatModel) => ChatModel;
  /** For tests: the HTTP provider's injectable sleep/random/endpoints. */
  http?: OpenAIProviderOptions;
}

export function createModelSet(config: ModelConfig, options: ModelSetOptions = {}): ModelSet {
  const cache = new Map<string, ChatModel>();
  // One store per file, so all roles consume the same recording.
  const stores = new Map<string, ReplayStore>();
  const storeFor = (file: string) => {
    const full = path.resolve(file);
    let store = stores.get(full);
    if (!store) stores.set(full, (store = ReplayStore.load(full)));
    return store;
  };
  const sink = options.record ? new RecordingSink(path.resolve(options.record)) : undefined;
  const build = (role: 'planner' | 'actor' | 'reflection' | 'judge', persona?: string): ChatModel => {
    const resolved = resolveRole(config, role, persona);
    const settings: ResolvedRole = options.replay ? { ...resolved, provider: 'replay', replay_file: options.replay } : resolved;
    const key = JSON.stringify(settings);
    let model = cache.get(key);
    if (!model) {
      model = createModel(settings, storeFor, options.http);
      if (sink) model = new RecordingModel(model, sink);
      if (options.observe) model = options.observe(model);
      model = traceModel(model, settings); // itself when telemetry is off
      cache.set(key, model);
    }
    return model;
  };
  const provider = options.replay ? 'replay' : config.provider;
  const replay = options.replay ? storeFor(options.replay) : undefined;
  return {
    ...(replay ? { replay } : {}),
    planner: build('planner'),
    actorFor: (persona) => build('actor', persona),
    reflection: build('reflection'),
    judge: build('judge'),
    chat: build('actor'),
    describe: () => ({ provider, model: config.model, offline: provider === 'offline' }),
  };
}

function createModel(settings: ResolvedRole, storeFor: (file: string) => ReplayStore, http?: OpenAIProviderOptions): ChatModel {
  switch (settings.provider) {
    case 'offline':
      return new OfflineModel();
    case 'vllm':
    case 'openai':
      return new OpenAICompatibleModel(settings, http);
    case 'replay':
      if (!settings.replay_file) throw new ModelError('provider replay needs replay_file (or --replay FILE)', 'config');
      return new ReplayModel(storeFor(settings.replay_file));
    default:
      throw new ModelError(`provider "${String(settings.provider)}" is not known (model "${settings.model}")`, 'config');
  }
}
