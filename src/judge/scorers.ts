/**
 * The judge as a scorer wherever one is taken: the AIME runtime's goals
 * (`optimize --aime --judge`, data generation), agent teams (`--team
 * --judge`) and single prompts (`--seed-prompt --judge`). The rubric comes
 * from the example (`rubric`, else one implied by `expected`), else the
 * config (`judge.rubric`), else the judge writes one for the goal, once, and
 * it is frozen in the judge's store.
 */
import { realpath } from 'node:fs/promises';
import type { ProtectedPaths } from '../tools/protectedPaths.js';
import { gatherEvidence } from './evidence.js';
import type { Judge, JudgedVerdict } from './judge.js';
import { trajectoryText, type JudgeRun } from './prompt.js';
import { rubricFrom, rubricFromExpected, type Rubric } from './rubric.js';

export interface JudgeScoring {
  judge: Judge;
  /** `judge.rubric` from the config. */
  configRubric: Rubric | null;
  protectedPaths?: (workspace: string) => ProtectedPaths;
}

export interface JudgedScore {
  score: number;
  feedback: string;
  judge: string;
  criteria: JudgedVerdict['criteria'];
  rubric: Rubric;
  cached: boolean;
}

/**
 * The scoring's stable identity, for evaluation cache keys: judge model, prompt
 * hash, sampling, and the config rubric (an example's own rubric is part of the
 * example). Every scorer below carries it as `.identity`.
 */
export function scoringIdentity(s: JudgeScoring): string {
  return s.configRubric ? s.judge.identityFor(s.configRubric) : s.judge.identity;
}

function withIdentity<F extends object>(s: JudgeScoring, fn: F): F & { identity: string } {
  return Object.assign(fn, { identity: scoringIdentity(s) });
}

type ExampleLike = { input: string; expected?: unknown; rubric?: unknown; [key: string]: unknown };

export async function rubricForExample(s: JudgeScoring, example: ExampleLike, signal?: AbortSignal): Promise<Rubric> {
  return (
    rubricFrom(example.rubric) ??
    (typeof example.expected === 'string' && example.expected ? rubricFromExpected(example.expected) : null) ??
    s.configRubric ??
    (await s.judge.rubricFor(example.input, signal))
  );
}

export async function judgeRun(
  s: JudgeScoring,
  example: ExampleLike,
  run: JudgeRun,
  extra: { trajectory?: string; workspace?: string | null; signal?: AbortSignal } = {},
): Promise<JudgedScore> {
  const rubric = await rubricForExample(s, example, extra.signal);
  // Real path: protected-path rules compare real paths.
  const workspace = extra.workspace ? await realpath(extra.workspace).catch(() => extra.workspace!) : null;
  const evidence = await gatherEvidence(rubric, {
    workspace,
    ...(workspace && s.protectedPaths ? { protectedPaths: s.protectedPaths(workspace) } : {}),
  });
  const v = await s.judge.judge({ goal: example.input, rubric, run, ...(extra.trajectory ? { trajectory: extra.trajectory } : {}), evidence }, extra.signal);
  return { score: v.score, feedback: v.feedback, judge: s.judge.identityFor(rubric), criteria: v.criteria, rubric, cached: v.cached };
}

type ReportLike = Parameters<typeof trajectoryText>[0] & { status: string; answer: string; reason: string };

/** For the AIME adapter: `example.report` is the run report, `example.runWorkspace` where it ran. */
export function judgeGoalScorer(s: JudgeScoring) {
  return withIdentity(s, async (_input: string, output: string, _expected: string | undefined, example: ExampleLike) => {
    const report = example['report'] as ReportLike | undefined;
    const workspace = typeof example['runWorkspace'] === 'string' ? example['runWorkspace'] : null;
    const run: JudgeRun = report ? { status: report.status, answer: report.answer, reason: report.reason } : { status: 'completed', answer: output };
    const r = await judgeRun(s, example, run, { ...(report ? { trajectory: trajectoryText(report) } : {}), workspace });
    return { score: r.score, feedback: r.feedback, judge: r.judge, criteria: r.criteria };
  });
}

/** For agent teams: the primary agent's output is the answer. */
export function judgeTeamScorer(s: JudgeScoring) {
  return withIdentity(s, async (_input: string, output: string, _expected: string | undefined, example: ExampleLike) => {
    const r = await judgeRun(s, example, { status: 'completed', answer: output });
    return { score: r.score, feedback: r.feedback, judge: r.judge };
  });
}

/** For the default (single prompt) adapter: `{input, answer, additional_context}`; the answer becomes the rubric's expectation unless the example has a rubric. */
export function judgeMetric(s: JudgeScoring) {
  return withIdentity(s, async (example: { input: string; answer: string; [key: string]: unknown }, output: string) => {
    const r = await judgeRun(s, { ...example, expected: example.answer }, { status: 'completed', answer: output });
    return { score: r.score, feedback: r.feedback };
  });
}
