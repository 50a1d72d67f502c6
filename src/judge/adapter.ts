/**
 * The judge prompt as a GEPA component: a candidate is `{judge: prompt}`, an
 * example is a labelled one (see calibrate.ts), and the score is agreement
 * with the label, 1 - |verdict - label|. The feedback says which way the
 * judge erred, so reflection can make it stricter or more lenient. A judge
 * failure still throws: it ends the optimisation, it is not a disagreement.
 */
import type { GepaAdapter, ReflectiveDataset } from '../gepa/index.js';
import type { LabelledExample } from './calibrate.js';
import { JUDGE_COMPONENT } from './prompt.js';
import { judgeRun, type JudgeScoring } from './scorers.js';

export interface JudgeTrajectory {
  input: string;
  answer: string;
  label: number;
  verdict: number;
  judgeFeedback: string;
  feedback: string;
}

export function createJudgeAdapter(s: JudgeScoring): GepaAdapter<LabelledExample, number, JudgeTrajectory> {
  return {
    async evaluate(batch, candidate, captureTraces, options) {
      const judge = s.judge.withPrompt(candidate[JUDGE_COMPONENT] ?? s.judge.prompt);
      const trajectories: JudgeTrajectory[] = [];
      for (const e of batch) {
        const r = await judgeRun(
          { ...s, judge },
          e,
          { status: e.status ?? 'completed', answer: e.answer },
          {
            ...(e.trajectory ? { trajectory: e.trajectory } : {}),
            workspace: e.workspace ?? null,
            ...(options?.signal ? { signal: options.signal } : {}),
          },
        );
        const gap = r.score - e.label;
        const feedback =
          Math.abs(gap) < 1e-9
            ? `The judge agreed with the known score ${e.label}.`
            : `The judge gave ${round(r.score)} but the known score is ${e.label}: it was too ${gap > 0 ? 'lenient' : 'strict'} here. Its feedback was: ${r.feedback}`;
        trajectories.push({ input: e.input, answer: e.answer, label: e.label, verdict: r.score, judgeFeedback: r.feedback, feedback });
      }
      const out = { outputs: trajectories.map((t) => t.verdict), scores: trajectories.map((t) => 1 - Math.abs(t.verdict - t.label)) };
      return captureTraces ? { ...out, trajectories } : out;
    },
    makeReflectiveDataset(_candidate, evalBatch, components): ReflectiveDataset {
      const records = (evalBatch.trajectories ?? []).map((t) => ({
        Inputs: `Goal: ${t.input}\nAnswer judged: ${t.answer.slice(0, 1500)}`,
        'Generated Outputs': `score ${round(t.verdict)}: ${t.judgeFeedback}`,
        Feedback: t.feedback,
      }));
      return Object.fromEntries(components.map((c) => [c, records]));
    },
  };
}

const round = (x: number) => Math.round(x * 1000) / 1000;
