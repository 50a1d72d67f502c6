/**
 * `gepa-aime data generate --from goals.jsonl --workspace DIR --count N --out FILE`:
 * synthetic goals with checkable criteria, kept only when a verification run
 * settles them (src/data/generate.ts). Writes FILE (every kept goal, with its
 * `split`), and beside it FILE's name with `.train.jsonl` and `.val.jsonl`,
 * ready for `optimize --aime --judge --train … --val …`.
 * Exit codes: 0 done (even with fewer than N kept: the summary says so), 1 the generator or
 * the judge failed (what was kept so far is still written), 2 bad input, 130 Ctrl-C (likewise).
 */
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { generateData, type GenerateResult } from '../data/generate.js';
import { loadTeamDataset } from '../teams/dataset.js';
import { judgeFromConfig } from '../runtime/judgeSetup.js';
import { createModelSet } from '../runtime/models.js';
import { writeFileAtomic } from '../util/jsonl.js';
import { EXIT, loadCliConfig, modelOptions, parsePositiveInt, UsageError } from './common.js';
import { withJudgeModel, type JudgeFlags } from './judge.js';
import { interruptController } from './run.js';
import { safeText } from './terminal.js';

interface DataFlags extends JudgeFlags {
  from: string;
  workspace: string;
  count: number;
  out: string;
  seed?: number;
  rounds?: number;
}

export function dataCommand(program: Command): Command {
  const group = program.command('data').description('data sets for optimize: synthetic goals verified by a reference run and the judge');
  modelOptions(group.command('generate').description('propose goals like the seeds, keep those a verification run settles, split train/val'))
    .requiredOption('--from <file>', 'seed goals, JSONL {input, ...}')
    .requiredOption('--workspace <dir>', 'the workspace the goals are about (verification runs use fresh copies of it)')
    .requiredOption('--count <n>', 'goals to keep', parsePositiveInt('--count'))
    .requiredOption('--out <file>', 'output JSONL; .train.jsonl and .val.jsonl are written beside it')
    .option('--judge-model <name>', 'model name of the judge (roles.judge)')
    .option('--traces <dir>', 'where verification runs are recorded (default: a temporary directory)')
    .option('--seed <n>', 'random seed of the proposals and the split', parsePositiveInt('--seed'))
    .option('--rounds <n>', 'rounds of proposals at most (default 4)', parsePositiveInt('--rounds'))
    .option('--json', 'print one JSON summary on stdout and nothing else')
    .action(async (flags: DataFlags) => {
      process.exitCode = await dataGenerateCli(flags);
    });
  return group;
}

/** FILE.jsonl -> FILE.train.jsonl / FILE.val.jsonl */
export function splitPaths(out: string): { train: string; val: string } {
  const base = out.replace(/\.jsonl?$/i, '');
  return { train: `${base}.train.jsonl`, val: `${base}.val.jsonl` };
}

async function dataGenerateCli(f: DataFlags): Promise<number> {
  const workspace = path.resolve(f.workspace);
  const st = await fsp.stat(workspace).catch(() => null);
  if (!st?.isDirectory()) throw new UsageError(`--workspace ${f.workspace}: not a directory`);
  let seeds: string[];
  try {
    seeds = (await loadTeamDataset(f.from)).map((e) => e.input);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (!seeds.length) throw new UsageError(`${f.from}: no seed goals`);
  const loaded = await loadCliConfig(f);
  const config = { ...loaded, model: withJudgeModel(loaded.model, f.judgeModel) };
  const models = createModelSet(config.model);
  const tracesDir = f.traces ? path.resolve(f.traces) : await fsp.mkdtemp(path.join(os.tmpdir(), 'gepa-aime-generate-traces-'));
  const judge = await judgeFromConfig(config, models, tracesDir);
  const outFile = path.resolve(f.out);
  const stop = interruptController('stopping after the current verification');
  let r: GenerateResult;
  try {
    r = await generateData({
      seeds,
      workspace,
      count: f.count,
      config,
      models,
      judge,
      tracesDir,
      outDir: path.dirname(outFile),
      ...(f.seed !== undefined ? { seed: f.seed } : {}),
      ...(f.rounds ? { maxRounds: f.rounds } : {}),
      signal: stop.signal,
      onEvent: (e) => {
        if (f.json || !process.stderr.isTTY) return;
        if (e.type === 'kept')
          process.stderr.write(`kept (${e.passed ? 'passes' : `fails, score ${e.score.toFixed(2)}`}): ${safeText(e.goal).slice(0, 100)}\n`);
        else if (e.type === 'dropped') process.stderr.write(`dropped: ${safeText(e.goal).slice(0, 80)} — ${safeText(e.reason).slice(0, 120)}\n`);
      },
    });
  } finally {
    stop.dispose();
    judge.close();
  }
  const paths = splitPaths(outFile);
  const lines = (rows: object[]) => rows.map((row) => JSON.stringify(row)).join('\n') + (rows.length ? '\n' : '');
  await fsp.mkdir(path.dirname(outFile), { recursive: true });
  const valSet = new Set(r.val);
  await writeFileAtomic(outFile, lines(r.rows.map((row) => ({ ...row, split: valSet.has(row) ? 'val' : 'train' }))));
  await writeFileAtomic(paths.train, lines(r.train));
  await writeFileAtomic(paths.val, lines(r.val));
  const summary = {
    kept: r.rows.length,
    wanted: f.count,
    proposed: r.proposed,
    duplicates: r.duplicates,
    verified: r.verified,
    survival: r.verified ? r.rows.length / r.verified : 0,
    passing: r.rows.filter((x) => x.verification.passed).length,
    failing: r.rows.filter((x) => !x.verification.passed).length,
    rounds: r.rounds,
    dropped: r.dropped,
    out: outFile,
    train: paths.train,
    val: paths.val,
    traces: tracesDir,
    cancelled: stop.signal.aborted,
    error: r.error,
  };
  if (f.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else {
    process.stdout.write(
      [
        `kept ${summary.kept} of ${f.count} wanted (${summary.passing} pass their check, ${summary.failing} fail it for a stated reason)`,
        `proposed ${r.proposed}, near-duplicates dropped ${r.duplicates}, verified ${r.verified}, survived verification ${summary.verified ? Math.round(summary.survival * 100) : 0} %`,
        ...r.dropped.map((d) => `  dropped: ${safeText(d.goal).slice(0, 80)} — ${safeText(d.reason).slice(0, 160)}`),
        `written: ${outFile}, ${paths.train} (${r.train.length}), ${paths.val} (${r.val.length})`,
      ].join('\n') + '\n',
    );
  }
  if (r.error) {
    process.stderr.write(`gepa-aime: generation stopped early, ${r.rows.length} goal(s) kept and written: ${r.error}\n`);
    return EXIT.failed;
  }
  return stop.signal.aborted ? EXIT.interrupted : EXIT.ok;
}
