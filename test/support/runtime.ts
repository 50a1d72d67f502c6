/** Shared set-up for tests that run the real runtime: config, temp dirs, scripted model sets. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type LoadedConfig } from '../../src/config/index.js';
import type { ChatModel } from '../../contracts/llm.js';
import type { ModelSet } from '../../src/runtime/models.js';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');

export function repoConfig(): LoadedConfig {
  return loadConfig(path.join(REPO_ROOT, 'config'), { env: {} });
}

export async function tempDir(prefix = 'gepa-aime-test-'): Promise<string> {
  return fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), prefix)));
}

export function modelSet(planner: ChatModel, actor: ChatModel = planner): ModelSet {
  return {
    planner,
    actorFor: () => actor,
    reflection: planner,
    chat: actor,
    describe: () => ({ provider: 'scripted', model: planner.id, offline: false }),
  };
}
