/**
 * The judge prompt. `JUDGE_COMPONENT` is its name as a GEPA component (the
 * judge prompt itself can be optimized on a labelled file); the output
 * contract is appended by code and never part of the evolvable text.
 */
import type { ChatMessage } from '../../contracts/llm.js';
import { renderChecks, renderExcerpts, type FileEvidence } from './evidence.js';
import { renderRubric, type Rubric } from './rubric.js';

export const JUDGE_COMPONENT = 'judge';

export const DEFAULT_JUDGE_PROMPT = `You are a strict, fair judge of the work a team of agents did for a user's goal.
- Judge only against the rubric: each criterion is met, not met, or cannot be told from the evidence (null).
- Believe the workspace evidence (gathered by code) over what the run's answer claims.
- The score is the share of the criteria that can be told which are met; lower it when the answer claims work the evidence does not show.
- The feedback names, concretely, what is missing or wrong, so the team can fix it next time; at a full score, say why nothing is missing.`;

const OUTPUT_CONTRACT = `Reply with one JSON object and nothing else:
{"score": number from 0 to 1, "feedback": string, "criteria": [{"criterion": 1-based number, "met": true | false | null, "note": string}, ...one per rubric criterion, in order]}`;

export interface JudgeRun {
  status: string;
  answer: string;
  reason?: string;
}

export interface JudgeInput {
  goal: string;
  rubric: Rubric;
  run: JudgeRun;
  /** The run's trajectory as text (planner steps, subtasks, tool calls); bounded by the caller. */
  trajectory?: string;
  evidence?: FileEvidence[];
}

const MAX_ANSWER = 6000;
const MAX_TRAJECTORY = 12000;

export function buildJudgeMessages(prompt: string, input: JudgeInput): ChatMessage[] {
  const run = input.run;
  const user = [
    `# Goal\n${input.goal}`,
    `# Rubric\n${renderRubric(input.rubric)}`,
    // Code-written evidence first: nothing a model wrote comes before it.
    `# Evidence checks\n${renderChecks(input.evidence ?? [])}`,
    `# Run\nstatus: ${run.status}${run.reason ? `\nreason: ${run.reason.slice(0, 1000)}` : ''}\nanswer:\n${run.answer.slice(0, MAX_ANSWER) || '(empty)'}`,
    `# Trajectory\n${input.trajectory ? input.trajectory.slice(0, MAX_TRAJECTORY) : '(not recorded)'}`,
    `# File excerpts\n${renderExcerpts(input.evidence ?? [])}`,
  ].join('\n\n');
  return [
    { role: 'system', content: `${prompt}\n\n${OUTPUT_CONTRACT}` },
    { role: 'user', content: user },
  ];
}

export const RUBRIC_WRITER_PROMPT = `You write the rubric a judge will use to score how well a team of agents met a user's goal.
Write 2 to 6 concrete criteria that can be checked from the run's answer and the workspace. Where you can, use these plain forms:
  file PATH exists | file PATH contains "TEXT" | answer contains "TEXT" | run completed
Reply with one JSON object and nothing else: {"criteria": [string, ...]}`;

export function buildRubricMessages(goal: string): ChatMessage[] {
  return [
    { role: 'system', content: RUBRIC_WRITER_PROMPT },
    { role: 'user', content: `# Goal\n${goal}` },
  ];
}

/** A run report's trajectory as the judge reads it: planner steps, then each subtask with its tool calls. */
export function trajectoryText(report: {
  planner?: { iteration: number; rationale: string; action: { type: string } }[];
  actors?: {
    taskId: string;
    status: string;
    summary: string;
    steps?: { action: { tool: string; arguments: string } | null; observation: string }[];
  }[];
}): string {
  const lines: string[] = [];
  for (const p of report.planner ?? []) lines.push(`planner ${p.iteration}: ${p.action.type}: ${p.rationale.slice(0, 300)}`);
  for (const a of report.actors ?? []) {
    lines.push(`subtask [${a.taskId}] ${a.status}: ${a.summary.slice(0, 600)}`);
    for (const s of a.steps ?? []) {
      if (s.action) lines.push(`  ${s.action.tool}(${s.action.arguments.slice(0, 200)}) -> ${s.observation.replace(/\s+/g, ' ').slice(0, 200)}`);
    }
  }
  return lines.join('\n').slice(0, MAX_TRAJECTORY);
}
