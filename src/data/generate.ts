/**
 * `data generate`: new goals from seed goals, after the generate-then-verify
 * recipe (DeepSeek-V3.2's synthesised agent tasks are kept only when a
 * verifier can check them):
 *
 *   1. a model (roles.reflection, the "teacher") proposes goals like the seeds,
 *      varied in difficulty and tools, each with completion criteria;
 *   2. near-duplicates of the seeds and of each other are dropped (token-set
 *      Jaccard, dedupe.ts);
 *   3. each survivor gets a reference run by the current prompts in a fresh
 *      copy of the workspace, and the judge settles its criteria on that run.
 *      A goal is kept when every criterion could be settled and the run either
 *      passed (score 1) or failed for a stated reason (a criterion not met);
 *      otherwise it is dropped with the reason;
 *   4. the kept goals are split into train and val, ready for `optimize --aime`.
 */
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { LoadedConfig } from '../config/index.js';
import {
  buildGeneratorMessages,
  generatorReplySchema,
  generatorResponseFormat,
  parseReply,
  type GeneratedGoal,
  type JudgeScoring,
  judgeRun,
  trajectoryText,
} from '../judge/index.js';
import type { ChatModel } from '../../contracts/llm.js';
import { createProtectedPaths } from '../tools/protectedPaths.js';
import { AppError, errorMessage } from '../../contracts/errors.js';
import type { ModelSet } from '../runtime/models.js';
import { runGoal } from '../runtime/runGoal.js';
import { copyWorkspace } from '../runtime/workspaceCopy.js';
import { dropNearDuplicates } from './dedupe.js';
import { splitTrainVal } from './split.js';

/** The generator model failed or kept replying outside its schema: a failed run, not bad input. */
export class GeneratorError extends AppError {
  readonly category = 'run';
}

export interface GenerateOptions {
  seeds: string[];
  /** Absolute path of the workspace the goals are about. */
  workspace: string;
  count: number;
  config: LoadedConfig;
  models: ModelSet;
  judge: JudgeScoring;
  tracesDir: string;
  /** Where the output files go: the workspace is written relative to it. */
  outDir: string;
  seed?: number;
  /** Rounds of proposals before giving up on reaching `count` (default 4). */
  maxRounds?: number;
  signal?: AbortSignal;
  onEvent?: (e: GenerateEvent) => void;
}

export type GenerateEvent =
  | { type: 'proposed'; round: number; n: number }
  | { type: 'dropped'; goal: string; reason: string }
  | { type: 'kept'; goal: string; passed: boolean; score: number };

export interface GeneratedRow {
  input: string;
  rubric: string[];
  workspace: string;
  workspace_copy: true;
  difficulty: GeneratedGoal['difficulty'];
  tools: string[];
  verification: { run_status: string; score: number; passed: boolean; feedback: string };
}

export interface GenerateResult {
  rows: GeneratedRow[];
  train: GeneratedRow[];
  val: GeneratedRow[];
  proposed: number;
  duplicates: number;
  verified: number;
  dropped: { goal: string; reason: string }[];
  rounds: number;
  /** Why generation stopped early: the generator or the judge failed (what was kept so far is still returned). */
  error: string | null;
}

const SKIP_DIRS = new Set(['.git', '.hg', '.svn', 'node_modules', 'traces']);

/** The workspace's files (relative, depth 3, at most 200), protected ones left out. */
export async function listWorkspace(workspace: string, globs?: readonly string[]): Promise<string[]> {
  const guard = createProtectedPaths({ workspace, ...(globs ? { globs } : {}) });
  const out: string[] = [];
  const walk = async (rel: string, depth: number) => {
    if (depth > 3 || out.length >= 200) return;
    const entries = await fsp.readdir(path.join(workspace, rel), { withFileTypes: true }).catch(() => []);
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) await walk(r, depth + 1);
      } else if (e.isFile() && !guard.refusal(path.join(workspace, r), 'read') && out.length < 200) out.push(r);
    }
  };
  await walk('', 1);
  return out;
}

async function propose(model: ChatModel, messages: ReturnType<typeof buildGeneratorMessages>, seed: number, signal?: AbortSignal): Promise<GeneratedGoal[]> {
  let msgs = messages;
  let errors: string[] = [];
  for (let attempt = 0; attempt < 2; attempt++) {
    let content: string;
    try {
      content = (
        await model.complete({
          messages: msgs,
          responseFormat: generatorResponseFormat(),
          sampling: { seed },
          purpose: 'data.generate',
          ...(signal ? { signal } : {}),
        })
      ).content;
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new GeneratorError(`the generator model failed: ${errorMessage(err)}`);
    }
    const r = parseReply(generatorReplySchema, content);
    if (r.ok) return r.value.goals;
    errors = r.errors;
    msgs = [
      ...messages,
      { role: 'assistant', content: content.slice(0, 4000) },
      {
        role: 'user',
        content: `Your reply did not match the required JSON schema:\n${errors.map((e) => `- ${e}`).join('\n')}\nReply again with one valid JSON object only.`,
      },
    ];
  }
  throw new GeneratorError(`the generator's reply failed validation twice: ${errors.slice(0, 5).join('; ')}`);
}

type Verification = { keep: true; row: GeneratedRow } | { keep: false; reason: string };

async function verify(o: GenerateOptions, g: GeneratedGoal, workspaceRel: string): Promise<Verification> {
  const temp = await fsp.mkdtemp(path.join(os.tmpdir(), 'gepa-aime-verify-'));
  try {
    await copyWorkspace(o.workspace, temp);
    const report = await runGoal({
      goal: g.goal,
      config: o.config,
      workspace: temp,
      tracesDir: o.tracesDir,
      learn: false,
      models: o.models,
      ...(o.signal ? { signal: o.signal } : {}),
    });
    const r = await judgeRun(
      o.judge,
      { input: g.goal, rubric: g.criteria },
      { status: report.status, answer: report.answer, reason: report.reason },
      { trajectory: trajectoryText(report), workspace: temp, ...(o.signal ? { signal: o.signal } : {}) },
    );
    const open = g.criteria.map((c, i) => ({ c, v: r.criteria.find((x) => x.criterion === i + 1) })).filter((x) => !x.v || x.v.met === null);
    if (open.length) return { keep: false, reason: `not settleable: the judge cannot check ${open.map((x) => JSON.stringify(x.c)).join(', ')}` };
    const passed = r.score >= 1;
    if (!passed && !r.criteria.some((x) => x.met === false))
      return { keep: false, reason: `unsettled: the reference run scored ${r.score} but no criterion is stated as unmet` };
    return {
      keep: true,
      row: {
        input: g.goal,
        rubric: g.criteria,
        workspace: workspaceRel,
        workspace_copy: true,
        difficulty: g.difficulty,
        tools: g.tools,
        verification: { run_status: report.status, score: r.score, passed, feedback: r.feedback },
      },
    };
  } finally {
    await fsp.rm(temp, { recursive: true, force: true });
  }
}

export async function generateData(o: GenerateOptions): Promise<GenerateResult> {
  const model = o.models.reflection;
  const files = await listWorkspace(o.workspace, o.config.tools.protected);
  const workspaceRel = path.relative(o.outDir, o.workspace).split(path.sep).join('/') || '.';
  const rows: GeneratedRow[] = [];
  const dropped: { goal: string; reason: string }[] = [];
  const seen: string[] = [...o.seeds];
  const asked: string[] = [];
  let proposed = 0;
  let duplicates = 0;
  let verified = 0;
  const maxRounds = o.maxRounds ?? 4;
  let round = 0;
  let error: string | null = null;
  try {
    for (; round < maxRounds && rows.length < o.count; round++) {
      if (o.signal?.aborted) break;
      const want = Math.min(50, Math.max(2, (o.count - rows.length) * 2));
      const goals = await propose(
        model,
        buildGeneratorMessages({ seeds: o.seeds, files, count: want, round, avoid: asked.slice(-60) }),
        (o.seed ?? 0) + round,
        o.signal,
      );
      proposed += goals.length;
      asked.push(...goals.map((g) => g.goal));
      o.onEvent?.({ type: 'proposed', round, n: goals.length });
      if (!goals.length) {
        round++;
        break;
      }
      const { kept, dropped: dups } = dropNearDuplicates(goals, (g) => g.goal, seen);
      duplicates += dups.length;
      for (const d of dups) {
        const reason = `near-duplicate (Jaccard ${d.similarity.toFixed(2)}) of ${JSON.stringify(d.of.slice(0, 80))}`;
        dropped.push({ goal: d.item.goal, reason });
        o.onEvent?.({ type: 'dropped', goal: d.item.goal, reason });
      }
      for (const g of kept) {
        seen.push(g.goal);
        if (rows.length >= o.count || o.signal?.aborted) break;
        const v = await verify(o, g, workspaceRel);
        // A run cut short by Ctrl-C settles nothing.
        if (o.signal?.aborted) break;
        verified++;
        if (v.keep) {
          rows.push(v.row);
          o.onEvent?.({ type: 'kept', goal: g.goal, passed: v.row.verification.passed, score: v.row.verification.score });
        } else {
          dropped.push({ goal: g.goal, reason: v.reason });
          o.onEvent?.({ type: 'dropped', goal: g.goal, reason: v.reason });
        }
      }
    }
  } catch (err) {
    // Infrastructure failures stop generation but keep what was verified so far.
    if (!(err instanceof Error) || (err.name !== 'JudgeError' && err.name !== 'GeneratorError')) throw err;
    error = err.message;
    round++;
  }
  const { train, val } = splitTrainVal(rows, o.seed ?? 0, (r) => `${r.difficulty}/${r.verification.passed ? 'pass' : 'fail'}`);
  return { rows, train, val, proposed, duplicates, verified, dropped, rounds: round, error };
}
