/**
 * The worker's side of distributed evaluation: validates a chunk job, skips
 * the examples the shared cache already holds (a retried or repeated job never
 * pays twice), evaluates the rest with an adapter built from the worker's own
 * config through the engine's own evaluator, and caches what it paid for.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { UnrecoverableError, type Job } from 'bullmq';
import { parseDocument } from 'yaml';
import type { LoadedConfig, ModelConfig } from '../config/index.js';
import { createDefaultAdapter, loadScorer, makeEvaluator, type GepaAdapter } from '../gepa/index.js';
import { hashCandidate, hashText } from '../../contracts/gepa/hash.js';
import type { EvalRecord } from '../../contracts/gepa/types.js';
import { judgeGoalScorer, judgeMetric, judgeTeamScorer } from '../judge/index.js';
import { createAimeAdapter } from '../runtime/aimeAdapter.js';
import { judgeFromConfig, type JudgeSetup } from '../runtime/judgeSetup.js';
import { createModelSet, type ModelSet } from '../runtime/models.js';
import { agentModelsFromConfig, teamTools } from '../runtime/teamModels.js';
import { createTeamAdapter } from '../teams/adapter.js';
import { parseTeamText } from '../teams/load.js';
import { errorMessage } from '../../contracts/errors.js';
import type { ChatModel } from '../../contracts/llm.js';
import { extractTraceContext, inSpan } from '../util/tracing.js';
import type { SharedEvalCache } from './cache.js';
import {
  batchSchema,
  defaultExampleSchema,
  evalChunkSchema,
  goalExampleSchema,
  payloadProblem,
  teamExampleSchema,
  type AdapterSpec,
  type BatchJob,
  type EvalChunkResult,
  type JudgeRef,
  type ModuleRef,
  type RoleModels,
} from './jobs.js';

export interface EvalProcessorDeps {
  config: LoadedConfig;
  cache: SharedEvalCache;
  workerId: string;
  /** Examples of one chunk evaluated at once. */
  innerConcurrency: number;
  /** Wraps each model the worker builds (the shared in-flight limit). */
  wrapModels?: (models: ModelSet) => ModelSet;
  signal?: AbortSignal;
  /** Real path of the one directory metric and scorer modules may be imported from; none = no modules. */
  metricsDir?: string;
  /** Where team tools and goal runs work (goal examples' workspaces are resolved inside it), and where goal runs are recorded. */
  workspace: string;
  tracesDir: string;
}

/** The --task-model override, as optimize applies it. */
function withTaskModel(config: ModelConfig, taskModel?: string): ModelConfig {
  return withRoleModels(config, taskModel ? { actor: taskModel } : {});
}

/** The coordinator's model names per role over the worker's config (the endpoints stay the worker's). */
function withRoleModels(config: ModelConfig, models: RoleModels): ModelConfig {
  const roles = { ...config.roles };
  for (const role of ['planner', 'actor'] as const) {
    const name = models[role];
    if (name) roles[role] = { ...roles[role], model: name };
  }
  return { ...config, roles };
}

/** The team file the coordinator sent, without its scorer key: the scorer comes as its own module reference. */
function jobTeam(spec: Extract<AdapterSpec, { kind: 'team' }>) {
  const doc = parseDocument(spec.team, { logLevel: 'error' });
  if (doc.has('scorer')) doc.delete('scorer');
  try {
    return parseTeamText(doc.toString(), path.basename(spec.teamName));
  } catch (err) {
    throw new UnrecoverableError(`invalid gepa.eval payload: adapter.team: ${errorMessage(err)}`);
  }
}

// A job's evaluation uses what its payload names, so every adapter it builds is a fresh one per spec.
type AnyAdapter = GepaAdapter<unknown>;

export function makeEvalProcessor(deps: EvalProcessorDeps) {
  const adapters = new Map<string, Promise<AnyAdapter>>();
  const wrap = (models: ModelSet) => (deps.wrapModels ? deps.wrapModels(models) : models);

  /** A module a job names, for this process to import: only from the directory the worker's owner allowed, and only as the coordinator saw it. */
  const moduleFile = async (ref: ModuleRef, kind: string): Promise<string> => {
    if (!deps.metricsDir)
      throw new UnrecoverableError(`worker ${deps.workerId} loads no ${kind} modules (the job asks for ${ref.path}); start it with --metrics-dir DIR`);
    const real = await fs.realpath(ref.path).catch(() => null);
    if (real === null) throw new UnrecoverableError(`the ${kind} module ${ref.path} does not exist on worker ${deps.workerId}`);
    const rel = path.relative(deps.metricsDir, real);
    if (rel.startsWith('..') || path.isAbsolute(rel))
      throw new UnrecoverableError(`the ${kind} module ${ref.path} is outside this worker's --metrics-dir ${deps.metricsDir}`);
    const text = await fs.readFile(real, 'utf8');
    if (hashText(text) !== ref.hash) throw new UnrecoverableError(`the ${kind} module ${ref.path} on worker ${deps.workerId} differs from the coordinator's`);
    return real;
  };

  const judges = new Map<string, Promise<JudgeSetup>>();
  /** The worker's own judge, which must be the one the coordinator scores with (same model, prompt, sampling, rubric). */
  const judgeFor = (ref: JudgeRef): Promise<JudgeSetup> => {
    const key = JSON.stringify(ref);
    let setup = judges.get(key);
    if (!setup) {
      setup = (async () => {
        const model = ref.model
          ? { ...deps.config.model, roles: { ...deps.config.model.roles, judge: { ...deps.config.model.roles.judge, model: ref.model } } }
          : deps.config.model;
        const judge = await judgeFromConfig({ ...deps.config, model }, wrap(createModelSet(model)), deps.tracesDir);
        const mine = judgeMetric(judge).identity;
        if (mine !== ref.identity) {
          judge.close();
          throw new UnrecoverableError(
            `the judge on worker ${deps.workerId} (${mine}) differs from the coordinator's (${ref.identity}): give the worker the same roles.judge and gepa.judge settings`,
          );
        }
        return judge;
      })();
      judges.set(key, setup);
      setup.catch(() => judges.delete(key));
    }
    return setup;
  };

  const buildAdapter = async (spec: AdapterSpec): Promise<AnyAdapter> => {
    const judge = spec.judge ? await judgeFor(spec.judge) : null;
    if (spec.kind === 'prompt') {
      const metric = judge ? judgeMetric(judge) : spec.metric ? await loadScorer(await moduleFile(spec.metric, 'metric'), 'metric') : undefined;
      const models = wrap(createModelSet(withTaskModel(deps.config.model, spec.taskModel)));
      return createDefaultAdapter({ model: models.chat, componentName: spec.component, ...(metric ? { metric } : {}) }) as unknown as AnyAdapter;
    }
    const scorer = judge
      ? spec.kind === 'team'
        ? judgeTeamScorer(judge)
        : judgeGoalScorer(judge)
      : spec.scorer
        ? await loadScorer(await moduleFile(spec.scorer, 'scorer'), 'scorer')
        : null;
    const modelConfig = withRoleModels(deps.config.model, spec.models);
    if (spec.kind === 'team') {
      const team = jobTeam(spec);
      const tools = await teamTools(team, deps.config, deps.workspace, deps.tracesDir);
      const agentModels = agentModelsFromConfig(modelConfig);
      const limited = new Map<ChatModel, ChatModel>();
      // Each agent's model behind the shared in-flight cap (the wrapper takes a model set: one model in every role).
      const limit = (m: ChatModel): ChatModel => {
        const known = limited.get(m);
        if (known) return known;
        const w = wrap({ planner: m, actorFor: () => m, reflection: m, chat: m, describe: () => ({ provider: '', model: '', offline: false }) }).chat;
        limited.set(m, w);
        return w;
      };
      return createTeamAdapter({
        team,
        models: (agent) => limit(agentModels(agent)),
        // Reflection stays with the coordinator; the adapter needs a model to be built.
        reflectionModel: createModelSet(modelConfig).reflection,
        scorer,
        ...(tools ? { tools } : {}),
        maxConcurrency: deps.innerConcurrency,
      }) as unknown as AnyAdapter;
    }
    return createAimeAdapter({
      config: { ...deps.config, model: modelConfig },
      models: wrap(createModelSet(modelConfig)),
      scorer,
      tracesDir: deps.tracesDir,
      baseDir: deps.workspace,
    }) as unknown as AnyAdapter;
  };

  const adapterFor = (spec: AdapterSpec) => {
    const key = JSON.stringify(spec);
    let adapter = adapters.get(key);
    if (!adapter) {
      adapter = buildAdapter(spec);
      adapters.set(key, adapter);
      adapter.catch(() => adapters.delete(key));
    }
    return adapter;
  };

  /** The examples of a chunk, each checked against its adapter's example shape. */
  const examplesOf = (spec: AdapterSpec, raw: readonly { example: unknown }[]): unknown[] =>
    raw.map((e, k) => {
      const schema = spec.kind === 'prompt' ? defaultExampleSchema : spec.kind === 'team' ? teamExampleSchema : goalExampleSchema;
      const ok = schema.safeParse(e.example);
      if (!ok.success) throw new UnrecoverableError(`invalid gepa.eval payload: examples.${k}.example: ${payloadProblem(ok.error)}`);
      const ws = (ok.data as { workspace?: string }).workspace;
      if (spec.kind === 'aime' && ws !== undefined) {
        // A job may only run goals inside the worker's own workspace.
        const rel = path.relative(deps.workspace, path.resolve(deps.workspace, ws));
        if (path.isAbsolute(ws) || rel.startsWith('..') || path.isAbsolute(rel))
          throw new UnrecoverableError(
            `invalid gepa.eval payload: examples.${k}.example.workspace: "${ws}" is not a relative path inside the worker's workspace`,
          );
      }
      return ok.data;
    });

  const run = async (job: Job, data: ReturnType<typeof evalChunkSchema.parse>, examples: unknown[]): Promise<EvalChunkResult> => {
    // The coordinator sent only what the cache lacked; a job started again (its worker died, or it
    // failed) may find part of its chunk cached by the earlier attempt.
    const known =
      job.attemptsStarted > 1 || job.attemptsMade > 0
        ? await deps.cache.get(
            data.namespace,
            data.candidateHash,
            data.examples.map((e) => e.key),
          )
        : [];
    const todo = data.examples.map((_, k) => k).filter((k) => !known[k]);
    const fresh = new Map<number, EvalRecord>();
    if (todo.length) {
      const adapter = await adapterFor(data.adapter);
      const chunk = todo.map((k) => examples[k]);
      const evaluate = makeEvaluator({
        adapter,
        trainset: chunk,
        valset: chunk,
        maxConcurrency: deps.innerConcurrency,
        ...(deps.signal ? { signal: deps.signal } : {}),
      });
      const out = await evaluate({
        split: 'train',
        candidate: data.candidate,
        hash: data.candidateHash,
        indices: chunk.map((_, i) => i),
        // Traces kept: the coordinator keeps them only where reflection reads them (train examples).
        captureTraces: true,
        scoreKey: data.namespace,
        metricCallsBefore: 0,
      });
      for (const { index, record } of out.entries) fresh.set(todo[index]!, record);
      // Not awaited: the result does not wait a round trip for the cache. Sent on the connection
      // BullMQ completes the job on, it reaches Redis first; a failed write only costs a later
      // run an evaluation (the job's result carries the records).
      void deps.cache
        .put(
          data.namespace,
          data.candidateHash,
          [...fresh].map(([k, record]) => ({ key: data.examples[k]!.key, record })),
        )
        .catch(() => undefined);
    }
    return {
      entries: data.examples.map((e, k) => ({ index: e.index, record: (known[k] ?? fresh.get(k))! })),
      evaluated: fresh.size,
      cached: data.examples.length - fresh.size,
      worker: deps.workerId,
    };
  };

  return async (job: Job): Promise<EvalChunkResult> => {
    const parsed = evalChunkSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`invalid gepa.eval payload: ${payloadProblem(parsed.error)}`);
    const data = parsed.data;
    if (hashCandidate(data.candidate) !== data.candidateHash)
      throw new UnrecoverableError('invalid gepa.eval payload: candidateHash is not the hash of candidate');
    const examples = examplesOf(data.adapter, data.examples);
    // The job's span is a child of the coordinator's gepa.evaluate span: one trace across processes.
    return inSpan(
      'gepa.evaluate',
      {
        'gepa.split': data.split,
        'gepa.candidate': data.candidateHash,
        'gepa.examples': data.examples.length,
        'gepa.adapter': data.adapter.kind,
        'gepa.worker': deps.workerId,
        'messaging.system': 'bullmq',
        'messaging.message.id': String(job.id),
        'messaging.destination.name': job.queueName,
      },
      async (span) => {
        const result = await run(job, data, examples);
        span?.setAttributes({ 'gepa.evaluated': result.evaluated, 'gepa.cached': result.cached });
        return result;
      },
      extractTraceContext(data),
    );
  };
}

/**
 * A batch (parent) job completes when its chunks have. It carries no results: the coordinator reads
 * each chunk's from its completion event (or, as a fallback, from the parent's children once it
 * completes), so the records are not copied, parsed and sent once more per batch.
 */
export async function processBatch(job: Job): Promise<{ size: number }> {
  const parsed = batchSchema.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`invalid gepa.batch payload: ${payloadProblem(parsed.error)}`);
  return { size: parsed.data.size };
}

export type { BatchJob };
