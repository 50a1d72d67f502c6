import type { LoadedConfig } from '../config/index.js';
import { resolveRole } from '../config/index.js';
import { Judge, openJudgeStore, type JudgeScoring } from '../judge/index.js';
import type { SamplingSettings } from '../../contracts/llm.js';
import { createProtectedPaths } from '../tools/protectedPaths.js';
import { historyPath } from './learning.js';
import type { ModelSet } from './models.js';

export interface JudgeSetup extends JudgeScoring {
  cacheDir: string;
  close(): void;
}

export async function judgeFromConfig(config: LoadedConfig, models: ModelSet, tracesDir: string, promptOverride?: string): Promise<JudgeSetup> {
  const role = resolveRole(config.model, 'judge');
  const own = config.model.roles.judge;
  const sampling: SamplingSettings = {
    temperature: own.temperature ?? 0,
    seed: own.seed ?? 0,
    ...(role.max_tokens !== null ? { maxTokens: role.max_tokens } : {}),
  };
  const cacheDir = historyPath(config.gepa.judge.cache_dir, tracesDir);
  const store = await openJudgeStore(cacheDir);
  const model = models.judge ?? models.reflection;
  const judge = new Judge({
    model,
    modelName: `${role.provider}:${role.model}`,
    prompt: promptOverride ?? config.gepa.judge.prompt,
    sampling,
    store,
    maxReasks: config.gepa.judge.max_reasks,
  });
  return {
    judge,
    configRubric: config.gepa.judge.rubric,
    cacheDir,
    protectedPaths: (workspace) =>
      createProtectedPaths({
        workspace,
        configDir: config.dir,
        tracesDir,
        globs: config.tools.protected,
        files: [historyPath(config.gepa.online.trace_path, tracesDir)],
      }),
    close: () => store.close(),
  };
}
