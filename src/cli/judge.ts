/**
 * `gepa-aime judge check --data FILE`: run the judge on labelled examples and
 * print its agreement with the labels (accuracy within a tolerance, Spearman
 * rank correlation, mean absolute error), so a judge prompt can be trusted, or
 * not, before anything is optimized against it.
 * `gepa-aime judge optimize --train FILE --val FILE --out FILE`: the judge
 * prompt as a GEPA component, evolved for agreement with the labels.
 * Exit codes: 0 done (check: and accuracy >= --min-accuracy), 1 failed, 2 bad input.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import type { LoadedConfig, ModelConfig } from '../config/index.js';
import { optimize } from '../gepa/index.js';
import { checkJudge, createJudgeAdapter, JUDGE_COMPONENT, loadLabelled } from '../judge/index.js';
import { judgeFromConfig } from '../runtime/judgeSetup.js';
import { createModelSet } from '../runtime/models.js';
import { writeFileAtomic } from '../util/jsonl.js';
import { EXIT, loadCliConfig, modelOptions, parsePositiveInt, UsageError, type ModelFlags } from './common.js';
import { interruptController } from './run.js';
import { safeText } from './terminal.js';

export interface JudgeFlags extends ModelFlags {
  judgeModel?: string;
  judgePrompt?: string;
  traces?: string;
  json?: boolean;
}

/** --judge-model NAME: roles.judge's model (the file's own roles.judge model is replaced). */
export function withJudgeModel(config: ModelConfig, name?: string): ModelConfig {
  return name ? { ...config, roles: { ...config.roles, judge: { ...config.roles.judge, model: name } } } : config;
}

export function parseUnit(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError(`${name} must be a number from 0 to 1, got "${value}"`);
    return n;
  };
}

export async function judgeSetupFor(flags: JudgeFlags): Promise<{ config: LoadedConfig; setup: Awaited<ReturnType<typeof judgeFromConfig>> }> {
  const loaded = await loadCliConfig(flags);
  const config = { ...loaded, model: withJudgeModel(loaded.model, flags.judgeModel) };
  const prompt = flags.judgePrompt ? await readPromptFile(flags.judgePrompt) : undefined;
  const setup = await judgeFromConfig(config, createModelSet(config.model), path.resolve(flags.traces ?? 'traces'), prompt);
  return { config, setup };
}

async function readPromptFile(file: string): Promise<string> {
  try {
    const text = (await fsp.readFile(file, 'utf8')).trim();
    if (!text) throw new UsageError(`${file}: the judge prompt file is empty`);
    return text;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot read the judge prompt file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function judgeOptions(cmd: Command): Command {
  return modelOptions(cmd)
    .option('--judge-model <name>', 'model name of the judge (roles.judge)')
    .option('--judge-prompt <file>', "a file holding the judge's instructions (default: judge.prompt in gepa_config.yaml, else the built-in)")
    .option('--traces <dir>', 'where the judge store goes when judge.cache_dir is under traces/ (default: ./traces)')
    .option('--json', 'print one JSON object on stdout and nothing else');
}

const round = (x: number) => Math.round(x * 1000) / 1000;

export function judgeCommand(program: Command): Command {
  const group = program.command('judge').description('the LLM judge scorer: calibrate it on labelled examples, or optimize its prompt');
  judgeOptions(group.command('check').description('run the judge on examples with known scores and print its agreement with them'))
    .requiredOption('--data <file>', 'labelled examples, JSONL: {input, answer, label, status?, rubric?, expected?, trajectory?, workspace?}')
    .option('--tolerance <x>', 'a verdict within this of the label agrees (default: judge.tolerance, 0.2)', parseUnit('--tolerance'))
    .option('--min-accuracy <x>', 'exit 1 when the accuracy is below this', parseUnit('--min-accuracy'))
    .action(async (flags: JudgeFlags & { data: string; tolerance?: number; minAccuracy?: number }) => {
      process.exitCode = await judgeCheckCli(flags);
    });
  judgeOptions(group.command('optimize').description('evolve the judge prompt with GEPA for agreement with labelled examples'))
    .requiredOption('--train <file>', 'labelled examples to learn from, JSONL')
    .requiredOption('--val <file>', 'labelled examples to validate on, JSONL')
    .requiredOption('--out <file>', 'where the best judge prompt is written (text)')
    .option('--max-metric-calls <n>', 'budget: judgements of one prompt on one example', parsePositiveInt('--max-metric-calls'))
    .option('--seed <n>', 'random seed', parsePositiveInt('--seed'))
    .option('--run-dir <dir>', 'where the GEPA run state goes')
    .action(async (flags: JudgeFlags & { train: string; val: string; out: string; maxMetricCalls?: number; seed?: number; runDir?: string }) => {
      process.exitCode = await judgeOptimizeCli(flags);
    });
  return group;
}

async function judgeCheckCli(flags: JudgeFlags & { data: string; tolerance?: number; minAccuracy?: number }): Promise<number> {
  const examples = await loadLabelled(flags.data);
  const { config, setup } = await judgeSetupFor(flags);
  const stop = interruptController();
  try {
    const r = await checkJudge(setup, examples, flags.tolerance ?? config.gepa.judge.tolerance, stop.signal);
    if (flags.json) process.stdout.write(`${JSON.stringify({ ...r, cache_dir: setup.cacheDir }, null, 2)}\n`);
    else {
      const lines = r.rows.map(
        (row, i) =>
          `${String(i + 1).padStart(3)}  label ${row.label.toFixed(2)}  judge ${row.score.toFixed(2)}  ${row.agrees ? 'agrees  ' : 'DIFFERS '} ${safeText(row.input).slice(0, 60)}${row.agrees ? '' : `\n       ${safeText(row.feedback).slice(0, 200)}`}`,
      );
      lines.push(
        `examples: ${r.n}, accuracy within ±${r.tolerance}: ${round(r.accuracy)} (${r.rows.filter((x) => x.agrees).length}/${r.n}), Spearman rho: ${r.spearman === null ? 'undefined (constant scores)' : round(r.spearman)}, mean |error|: ${round(r.meanAbsError)}`,
        `judge: ${r.judge}`,
      );
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    if (flags.minAccuracy !== undefined && r.accuracy < flags.minAccuracy) {
      process.stderr.write(`gepa-aime: the judge's accuracy ${round(r.accuracy)} is below --min-accuracy ${flags.minAccuracy}\n`);
      return EXIT.failed;
    }
    return EXIT.ok;
  } finally {
    stop.dispose();
    setup.close();
  }
}

async function judgeOptimizeCli(
  flags: JudgeFlags & { train: string; val: string; out: string; maxMetricCalls?: number; seed?: number; runDir?: string },
): Promise<number> {
  const [trainset, valset] = await Promise.all([loadLabelled(flags.train), loadLabelled(flags.val)]);
  const { config, setup } = await judgeSetupFor(flags);
  const stop = interruptController('stopping after the current iteration');
  try {
    const result = await optimize({
      adapter: createJudgeAdapter(setup),
      trainset,
      valset,
      seedCandidate: { [JUDGE_COMPONENT]: setup.judge.prompt },
      reflectionModel: createModelSet(config.model).reflection,
      settings: {
        ...config.gepa.offline,
        ...(flags.maxMetricCalls ? { max_metric_calls: flags.maxMetricCalls } : {}),
        ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
      },
      stopSignal: stop.signal,
      ...(flags.runDir ? { runDir: path.resolve(flags.runDir) } : {}),
    });
    const best = result.bestCandidate[JUDGE_COMPONENT] ?? setup.judge.prompt;
    await fsp.mkdir(path.dirname(path.resolve(flags.out)), { recursive: true });
    await writeFileAtomic(path.resolve(flags.out), `${best}\n`);
    const seedScore = result.candidates[0]?.valScore ?? null;
    if (flags.json) process.stdout.write(`${JSON.stringify({ ...result.toJson(), out: path.resolve(flags.out) }, null, 2)}\n`);
    else
      process.stdout.write(
        `best agreement on val: ${round(result.bestValScore)} (seed prompt: ${seedScore === null ? '?' : round(seedScore)}), metric calls: ${result.metricCalls}\nwritten: ${path.resolve(flags.out)} (use it with --judge-prompt or judge.prompt)\n`,
      );
    return EXIT.ok;
  } finally {
    stop.dispose();
    setup.close();
  }
}
