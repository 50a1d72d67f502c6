/**
 * `gepa-aime optimize`: offline GEPA on a data set, in one of three modes.
 *
 *   --seed-prompt TEXT   one system prompt for a task model (src/gepa's default adapter)
 *   --team FILE      an agent team's components; the best team is written to --out
 *   --aime               the AIME runtime's planner and persona prompts, on goals; best prompts to --out
 *
 * The task and reflection models come from model_config.yaml (roles.actor and
 * roles.reflection) with --provider/--api-base/--model and --task-model /
 * --reflection-model applied. GEPA settings come from gepa_config.yaml's
 * `offline` section, flags over it. `--json` prints one JSON object (the
 * result: best_candidate, best_val_score, metric_calls, wall_s, candidates...)
 * and nothing else on stdout; on a terminal a progress bar goes to stderr.
 * Exit codes: 0 done, 1 the run failed, 2 bad usage or input, 130 stopped by Ctrl-C.
 */
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { stringify as stringifyYaml } from 'yaml';
import type { LoadedConfig, ModelConfig } from '../config/index.js';
import { EventStream, optimize, optimizeFiles, GepaRunError, type GepaProgressEvent, type GepaResult, type GepaSettingsInput } from '../gepa/index.js';
import { createTeamAdapter } from '../teams/adapter.js';
import { loadTeamDataset } from '../teams/dataset.js';
import { loadTeamFile } from '../teams/load.js';
import { loadScorer, type Scorer, type TeamScorerArgs } from '../gepa/scorer.js';
import { evolvedTeamText } from '../teams/yamlWriter.js';
import { HistoryWriter } from '../gepa/online/history.js';
import { aimeSeedCandidate, aimeToolComponents, createAimeAdapter } from '../runtime/aimeAdapter.js';
import { historyPath } from '../runtime/learning.js';
import { createModelSet } from '../runtime/models.js';
import { judgeGoalScorer, judgeMetric, judgeTeamScorer } from '../judge/index.js';
import { judgeFromConfig, type JudgeSetup } from '../runtime/judgeSetup.js';
import { withJudgeModel } from './judge.js';
import { resolveRole } from '../config/index.js';
import { writeFileAtomic } from '../util/jsonl.js';
import { EXIT, loadCliConfig, parsePositiveInt, UsageError, type ModelFlags } from './common.js';
import { agentModelsFromConfig, teamTools } from '../runtime/teamModels.js';
import { teamModelOptions } from './team.js';
import { interruptController } from './run.js';
import { optimizeScoreIdentity } from './scoreIdentity.js';
import { safeText } from './terminal.js';

export interface OptimizeFlags extends ModelFlags {
  train?: string;
  val?: string;
  /** One per --seed-prompt: the first is the seed, the others further seed candidates. */
  seedPrompt?: string[];
  team?: string;
  aime?: boolean;
  out?: string;
  taskModel?: string;
  reflectionModel?: string;
  maxMetricCalls?: number;
  seed?: number;
  runDir?: string;
  minibatchSize?: number;
  maxConcurrency?: number;
  useMerge?: boolean;
  resume?: boolean;
  json?: boolean;
  metric?: string;
  scorer?: string;
  workspace?: string;
  traces?: string;
  install?: boolean;
  judge?: boolean;
  judgeModel?: string;
  redis?: string;
  chunkSize?: number;
  test?: string;
  events?: string;
  maxReflectionTokens?: number;
  frontier?: 'instance' | 'objective' | 'hybrid';
  toolDescriptions?: boolean;
}

function parseSeed(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`--seed must be a whole number, got "${value}"`);
  return n;
}

/** Registers `gepa-aime optimize`. */
export function optimizeCommand(program: Command): Command {
  return teamModelOptions(
    program
      .command('optimize')
      .description('evolve prompts with GEPA on a data set: a system prompt (--seed-prompt), an agent team (--team) or the AIME runtime (--aime)'),
  )
    .requiredOption('--train <file>', 'training examples, JSONL')
    .requiredOption('--val <file>', 'validation examples, JSONL')
    .option(
      '--seed-prompt <text>',
      'the system prompt to start from (default adapter); repeat it for several seed candidates',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('--team <file>', 'evolve this agent team (its YAML file); needs --out')
    .addOption(new Option('--pipeline <file>', 'old spelling of --team').hideHelp())
    .option('--aime', "evolve the AIME runtime's planner and persona prompts on a data set of goals")
    .option('--out <file>', '--team: the evolved team file; --aime: the best prompts (.yaml or .json)')
    .option('--task-model <name>', 'model name of the task model (roles.actor)')
    .option('--reflection-model <name>', 'model name of the reflection model (roles.reflection)')
    .option('--max-metric-calls <n>', 'budget: evaluations of one candidate on one example (a hard cap)', parsePositiveInt('--max-metric-calls'))
    .option(
      '--max-reflection-tokens <n>',
      'budget for the reflection model: no reflection starts once it has used this many tokens',
      parsePositiveInt('--max-reflection-tokens'),
    )
    .addOption(
      new Option('--frontier <type>', 'Pareto frontier over validation instances, objectives (named metric scores) or both').choices([
        'instance',
        'objective',
        'hybrid',
      ]),
    )
    .option('--tool-descriptions', '--aime: also evolve how each bundle tool is described to the agents (components tool.<name>.description)')
    .option('--test <file>', 'held-out examples, JSONL: the chosen candidate is scored on them and reported beside its validation score')
    .option('--events <file>', 'append the run as JSON Lines (start, iteration, proposal, acceptance, done) for outside tools')
    .option('--seed <n>', 'random seed', parseSeed)
    .option('--run-dir <dir>', 'where the run state goes (needed for --resume)')
    .option('--minibatch-size <n>', 'training examples per reflection step', parsePositiveInt('--minibatch-size'))
    .option('--max-concurrency <n>', 'evaluations at once', parsePositiveInt('--max-concurrency'))
    .option('--use-merge', 'also try merging candidates that improved different components')
    .option('--resume', 'continue the run saved in --run-dir')
    .option('--json', 'print one JSON object on stdout and nothing else')
    .option('--metric <module>', 'default mode: module whose default export scores (example, output)')
    .option('--scorer <module>', "--team / --aime: module whose export scores (input, output, expected, example); overrides the team's scorer")
    .option('--traces <dir>', '--aime: where the evaluation runs are recorded (default: a temporary directory)')
    .option('--judge', "score with the LLM judge (roles.judge) against each example's rubric, the config's judge.rubric, or one the judge writes once per goal")
    .option('--judge-model <name>', 'model name of the judge (roles.judge)')
    .option('--install', "--aime: make the best prompts the live ones of later runs (a candidate in ./traces/gepa_history.jsonl, online learning's warm start)")
    .option('--redis <url>', 'run the evaluations on workers (gepa-aime worker) through this Redis')
    .option('--chunk-size <n>', '--redis: examples per worker job (default 1)', parsePositiveInt('--chunk-size'))
    .action(async ({ pipeline, ...flags }: OptimizeFlags & { pipeline?: string }) => {
      if (pipeline !== undefined) {
        if (flags.team !== undefined) throw new UsageError('give --team once (--pipeline is its old spelling)');
        flags.team = pipeline;
      }
      process.exitCode = await optimizeCli(flags);
    });
}

type Mode = 'prompt' | 'team' | 'aime';

function modeOf(f: OptimizeFlags): Mode {
  const chosen = [f.seedPrompt !== undefined && 'prompt', f.team !== undefined && 'team', f.aime && 'aime'].filter(Boolean) as Mode[];
  if (chosen.length > 1) throw new UsageError('give one of --seed-prompt, --team or --aime');
  if (!chosen.length)
    throw new UsageError('say what to optimize: --seed-prompt TEXT (a system prompt), --team FILE (an agent team) or --aime (the AIME runtime)');
  const mode = chosen[0]!;
  if (mode === 'team' && !f.out) throw new UsageError('--team needs --out FILE: where the evolved team is written (the original is left untouched)');
  if (f.judge && (f.metric || f.scorer)) throw new UsageError('--judge is the scorer: give it, or --metric / --scorer, not both');
  if (mode !== 'prompt' && f.metric) throw new UsageError('--metric is for --seed-prompt; teams and goals take --scorer');
  if (mode === 'prompt' && (f.out || f.scorer)) throw new UsageError('--out and --scorer are for --team and --aime');
  if (mode !== 'aime' && (f.install || f.traces || f.toolDescriptions)) throw new UsageError('--install, --traces and --tool-descriptions are for --aime');
  if (f.chunkSize && !f.redis) throw new UsageError('--chunk-size is for --redis');
  if (f.resume && !f.runDir) throw new UsageError('--resume needs --run-dir: the directory of the run to continue');
  if (f.team && f.out && path.resolve(f.out) === path.resolve(f.team))
    throw new UsageError('--out is the --team file itself: choose another path, the original is never overwritten');
  return mode;
}

/** --task-model and --reflection-model, as role overrides (a role's own model in the file is replaced). */
export function withRoleModels(config: ModelConfig, task?: string, reflection?: string): ModelConfig {
  if (!task && !reflection) return config;
  return {
    ...config,
    roles: {
      ...config.roles,
      ...(task ? { actor: { ...config.roles.actor, model: task } } : {}),
      ...(reflection ? { reflection: { ...config.roles.reflection, model: reflection } } : {}),
    },
  };
}

function settingsFrom(config: LoadedConfig, f: OptimizeFlags): GepaSettingsInput {
  return {
    ...config.gepa.offline,
    ...(f.maxMetricCalls !== undefined ? { max_metric_calls: f.maxMetricCalls } : {}),
    ...(f.seed !== undefined ? { seed: f.seed } : {}),
    ...(f.minibatchSize !== undefined ? { minibatch_size: f.minibatchSize } : {}),
    ...(f.maxConcurrency !== undefined ? { max_concurrency: f.maxConcurrency } : {}),
    ...(f.useMerge ? { use_merge: true } : {}),
    ...(f.maxReflectionTokens !== undefined ? { max_reflection_tokens: f.maxReflectionTokens } : {}),
    ...(f.frontier ? { frontier_type: f.frontier } : {}),
  };
}

/** Input problems of every kind are bad usage (exit 2), with their own message. */
export async function optimizeCli(flags: OptimizeFlags): Promise<number> {
  try {
    return await runOptimize(flags);
  } catch (err) {
    if (err instanceof GepaRunError) {
      process.stderr.write(`gepa-aime: ${err.message}\n`);
      if (err.result && flags.json) process.stdout.write(`${JSON.stringify({ ...err.result.toJson(), error: err.message }, null, 2)}\n`);
      return EXIT.failed;
    }
    throw err;
  }
}

async function runOptimize(f: OptimizeFlags): Promise<number> {
  const mode = modeOf(f);
  const config = await loadCliConfig(f);
  const modelConfig = withJudgeModel(withRoleModels(config.model, f.taskModel, f.reflectionModel), f.judgeModel);
  const models = createModelSet(modelConfig);
  const judgeTraces = path.resolve(f.traces ?? 'traces');
  const judge = f.judge ? await judgeFromConfig({ ...config, model: modelConfig }, models, judgeTraces) : null;
  const settings = settingsFrom(config, f);
  const progress = new ProgressBar(process.stderr, settings.max_metric_calls ?? 0);
  const stop = interruptController('stopping after the current iteration');
  const scoreIdentity = await optimizeScoreIdentity({
    model: modelConfig,
    scorer: mode === 'prompt' || judge ? null : (f.scorer ?? (mode === 'team' ? loadTeamFile(f.team!).team.scorer : null)),
    team: mode === 'team' ? f.team! : null,
  });
  // The judge scores: its model, rubric and settings are part of what a score means.
  if (judge) scoreIdentity['judge'] = judge.judge.identity;
  const events = f.events ? new EventStream(f.events) : null;
  const common = {
    settings,
    scoreIdentity,
    stopSignal: stop.signal,
    onProgress: (e: GepaProgressEvent) => {
      progress.update(e);
      events?.write(e);
    },
    ...(f.runDir ? { runDir: path.resolve(f.runDir) } : {}),
    ...(f.resume ? { resume: true } : {}),
  };

  let result: GepaResult;
  const extra: Record<string, unknown> = { mode };
  try {
    // The default adapter's run, local or on the queue: the data files, the seeds, the models, the metric.
    const promptRun = () => ({
      ...common,
      trainFile: f.train!,
      valFile: f.val!,
      seedPrompt: f.seedPrompt![0]!,
      ...(f.seedPrompt!.length > 1 ? { extraSeedPrompts: f.seedPrompt!.slice(1) } : {}),
      ...(f.test ? { testFile: f.test } : {}),
      taskModel: models.chat,
      reflectionModel: models.reflection,
      ...(f.metric ? { metricModule: f.metric } : {}),
    });
    if (mode === 'prompt' && f.redis) {
      // Loaded on demand: BullMQ is slow to import and only --redis needs it.
      const { optimizeOnQueue } = await import('../queue/optimize.js');
      result = await optimizeOnQueue({
        ...promptRun(),
        redisUrl: f.redis,
        taskModelName: resolveRole(modelConfig, 'actor').model,
        ...(judge ? { judge: { metric: judgeMetric(judge), ref: judgeRef(judge, modelConfig) } } : {}),
        ...(f.chunkSize ? { chunkSize: f.chunkSize } : {}),
      });
    } else if (mode === 'prompt') {
      result = await optimizeFiles({
        ...promptRun(),
        ...(judge ? { metric: judgeMetric(judge), metricId: `judge:${JSON.stringify(judge.judge.identity)}` } : {}),
      });
    } else if (mode === 'team') {
      const loaded = loadTeamFile(f.team!);
      const [trainset, valset] = await Promise.all([loadTeamDataset(f.train!), loadTeamDataset(f.val!)]);
      const scorerPath = f.scorer ?? loaded.team.scorer;
      const scorer: Scorer<TeamScorerArgs> | null = judge ? judgeTeamScorer(judge) : scorerPath ? await loadScorer(scorerPath, 'scorer') : null;
      const tools = await teamTools(loaded.team, config, f.workspace);
      const adapter = createTeamAdapter({
        team: loaded.team,
        models: agentModelsFromConfig(modelConfig),
        reflectionModel: models.reflection,
        reflectionTemplate: config.gepa.offline.reflection_prompt_template,
        scorer,
        ...(tools ? { tools } : {}),
        ...(f.maxConcurrency ? { maxConcurrency: f.maxConcurrency } : {}),
      });
      const seed = adapter.seedCandidate();
      if (!Object.keys(seed).length) throw new UsageError(`${f.team}: every agent is frozen (components: all []), so there is nothing to evolve`);
      const testset = f.test ? await loadTeamDataset(f.test) : undefined;
      if (f.redis) {
        const { moduleRef, optimizeOnWorkers } = await import('../queue/optimize.js');
        result = await optimizeOnWorkers({
          ...common,
          redisUrl: f.redis,
          adapter,
          spec: {
            kind: 'team',
            team: loaded.text,
            teamName: path.basename(f.team!),
            models: workerRoleModels(modelConfig),
            ...(judge ? { judge: judgeRef(judge, modelConfig) } : scorerPath ? { scorer: await moduleRef(scorerPath) } : {}),
          },
          trainset,
          valset,
          ...(testset ? { testset } : {}),
          seedCandidate: seed,
          ...(f.chunkSize ? { chunkSize: f.chunkSize } : {}),
        });
      } else result = await optimize({ ...common, adapter, trainset, valset, ...(testset ? { testset } : {}), seedCandidate: seed });
      const evolved = evolvedTeamText({
        text: loaded.text,
        seed,
        best: result.bestCandidate,
        fromDir: path.dirname(path.resolve(f.team!)),
        toDir: path.dirname(path.resolve(f.out!)),
        header: ` Evolved by gepa-aime optimize from ${path.basename(f.team!)}: best validation score ${round(result.bestValScore)} (candidate ${result.bestCandidateId}, ${result.metricCalls} metric calls).`,
      });
      await writeOut(f.out!, evolved.text);
      Object.assign(extra, { out: path.resolve(f.out!), changed_components: evolved.changed, unwritten_components: evolved.skipped });
    } else {
      const [trainset, valset] = await Promise.all([loadTeamDataset(f.train!), loadTeamDataset(f.val!)]);
      const scorer: Scorer<TeamScorerArgs> | null = judge ? judgeGoalScorer(judge) : f.scorer ? await loadScorer(f.scorer, 'scorer') : null;
      const tracesDir = f.traces ? path.resolve(f.traces) : await fsp.mkdtemp(path.join(os.tmpdir(), 'gepa-aime-optimize-traces-'));
      const adapter = createAimeAdapter({
        config: { ...config, model: modelConfig },
        models,
        scorer,
        tracesDir,
        // Asked for traces: each evaluation keeps its event stream, so the dashboard can replay it.
        eventStream: Boolean(f.traces),
        baseDir: path.dirname(path.resolve(f.train!)),
      });
      const testset = f.test ? await loadTeamDataset(f.test) : undefined;
      const seedCandidate = { ...aimeSeedCandidate(config), ...(f.toolDescriptions ? await aimeToolComponents(config) : {}) };
      if (f.redis) {
        checkRemoteWorkspaces(f.train!, trainset);
        checkRemoteWorkspaces(f.val!, valset);
        const { moduleRef, optimizeOnWorkers } = await import('../queue/optimize.js');
        result = await optimizeOnWorkers({
          ...common,
          redisUrl: f.redis,
          adapter,
          spec: {
            kind: 'aime',
            models: workerRoleModels(modelConfig),
            ...(judge ? { judge: judgeRef(judge, modelConfig) } : f.scorer ? { scorer: await moduleRef(f.scorer) } : {}),
          },
          trainset,
          valset,
          ...(testset ? { testset } : {}),
          seedCandidate,
          reflectionModel: models.reflection,
          ...(f.chunkSize ? { chunkSize: f.chunkSize } : {}),
        });
      } else
        result = await optimize({ ...common, adapter, trainset, valset, ...(testset ? { testset } : {}), seedCandidate, reflectionModel: models.reflection });
      if (f.out) {
        await writeOut(f.out, promptsFile(f.out, result));
        extra['out'] = path.resolve(f.out);
      }
      if (f.install) extra['installed'] = await installPrompts(config, result);
      extra['traces'] = tracesDir;
    }
  } finally {
    progress.end();
    stop.dispose();
    judge?.close();
    events?.close();
  }
  if (judge) extra['judge'] = { identity: judge.judge.identity, cache_dir: judge.cacheDir };

  if (f.json) process.stdout.write(`${JSON.stringify({ ...result.toJson(), ...extra }, null, 2)}\n`);
  else process.stdout.write(summary(result, extra));
  if (result.stopReason === 'reflection_failed') {
    process.stderr.write(
      `gepa-aime: the run stopped: ${settings.max_reflection_failures ?? 5} reflections in a row failed (is the reflection model reachable?)\n`,
    );
    return EXIT.failed;
  }
  return result.stopReason === 'stop_requested' ? EXIT.interrupted : EXIT.ok;
}

/** The model names the workers use for the evaluated roles (their endpoints are their own). */
function workerRoleModels(config: ModelConfig): { planner: string; actor: string } {
  return { planner: resolveRole(config, 'planner').model, actor: resolveRole(config, 'actor').model };
}

/** The judge the workers must score with: its identity (model, prompt, sampling, config rubric) and the judge model's name. */
function judgeRef(judge: JudgeSetup, config: ModelConfig): { identity: string; model: string } {
  return { identity: judgeMetric(judge).identity, model: resolveRole(config, 'judge').model };
}

/** On workers a goal's workspace is resolved inside the worker's --workspace: it must be a relative path that stays there. */
function checkRemoteWorkspaces(file: string, examples: readonly Record<string, unknown>[]): void {
  examples.forEach((e, i) => {
    const ws = e['workspace'];
    if (typeof ws !== 'string') return;
    if (path.isAbsolute(ws) || path.normalize(ws).split(path.sep)[0] === '..')
      throw new UsageError(`${file}: example ${i + 1}: workspace "${ws}" must be a relative path inside the workers' --workspace with --redis`);
  });
}

async function writeOut(file: string, text: string): Promise<void> {
  await fsp.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await writeFileAtomic(path.resolve(file), text);
}

/** The AIME prompts file: `prompts: {planner, persona.<name>}` as YAML, or JSON for a .json path. */
function promptsFile(file: string, r: GepaResult): string {
  const doc = { best_val_score: r.bestValScore, metric_calls: r.metricCalls, prompts: r.bestCandidate };
  if (file.toLowerCase().endsWith('.json')) return `${JSON.stringify(doc, null, 2)}\n`;
  return `# Best AIME prompts found by gepa-aime optimize --aime. Apply them with config/personas.yaml\n# (persona.<name> -> personas.<name>.prompt) and the planner prompt (see README).\n${stringifyYaml(doc, { lineWidth: 0 })}`;
}

/**
 * Online learning warm-starts every run from the active candidate of its
 * history file, so appending the best prompts as a candidate and switching to
 * it makes them the prompts of the next `gepa-aime run` (planner included).
 */
async function installPrompts(config: LoadedConfig, r: GepaResult): Promise<string> {
  const file = historyPath(config.gepa.online.trace_path, path.resolve('traces'));
  const writer = new HistoryWriter(file);
  await writer.open();
  const ts = new Date().toISOString();
  const id = `offline-${ts.replace(/[-:.]/g, '')}`;
  const runId = 'gepa-aime-optimize';
  try {
    writer.append({
      kind: 'candidate',
      ts,
      runId,
      id,
      parentId: null,
      components: r.bestCandidate,
      reason: `optimize --aime: best validation score ${round(r.bestValScore)}`,
    });
    writer.append({ kind: 'switch', ts, runId, from: '', to: id, reason: 'installed by gepa-aime optimize --aime --install' });
  } finally {
    writer.close();
  }
  return file;
}

const round = (x: number) => Math.round(x * 1000) / 1000;

function summary(r: GepaResult, extra: Record<string, unknown>): string {
  const out = [
    `best validation score: ${round(r.bestValScore)} (candidate ${r.bestCandidateId} of ${r.candidates.length})${r.test ? `, test score: ${round(r.test.score)} (${r.test.metricCalls} examples)` : ''}`,
    `metric calls: ${r.metricCalls}, iterations: ${r.iterations}, time: ${round(r.wallS)} s, stopped: ${r.stopReason ?? 'unknown'}`,
    'best candidate:',
    ...Object.entries(r.bestCandidate).map(
      ([k, v]) =>
        `  ${k}:\n${safeText(v)
          .split('\n')
          .map((l) => `    ${l}`)
          .join('\n')}`,
    ),
  ];
  if (r.runDir) out.push(`run dir: ${r.runDir}`);
  if (typeof extra['out'] === 'string') out.push(`written: ${extra['out']}`);
  if (typeof extra['installed'] === 'string') out.push(`installed as the live prompts of later runs (online learning on): ${extra['installed']}`);
  return `${out.join('\n')}\n`;
}

/** One redrawn line on stderr, only on a terminal: stdout stays clean for --json. */
class ProgressBar {
  private best: number | null = null;
  private calls = 0;
  private iteration = 0;
  private drawn = false;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private max: number,
  ) {}

  private get on(): boolean {
    return Boolean(this.stream.isTTY) && !process.env['CI'];
  }

  update(e: GepaProgressEvent): void {
    if (e.type === 'start') [this.calls, this.iteration, this.max] = [e.metricCalls, e.iteration, e.maxMetricCalls];
    else if (e.type === 'metric_call') [this.calls, this.max] = [e.metricCalls, e.maxMetricCalls];
    else if (e.type === 'iteration') [this.iteration, this.best, this.calls] = [e.record.iteration, e.record.best_val_score, e.record.metric_calls];
    else return;
    this.draw();
  }

  private draw(): void {
    if (!this.on) return;
    const width = 24;
    const filled = this.max ? Math.min(width, Math.round((this.calls / this.max) * width)) : 0;
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    const best = this.best === null ? '—' : String(round(this.best));
    this.stream.write(`\r\x1b[2K[${bar}] ${this.calls}/${this.max} metric calls · iteration ${this.iteration} · best ${best}`);
    this.drawn = true;
  }

  end(): void {
    if (this.drawn && this.on) this.stream.write('\n');
  }
}
