/**
 * Planner prompting and parsing (AIME §4.1). One call per planning step:
 * the model sees the goal, the task list as Markdown and the history of actor
 * reports, and returns JSON matching `plannerDecisionSchema`. The schema goes
 * to the model as JSON Schema (structured output); the reply is validated
 * again here because no server can be trusted to enforce it.
 */
import { z } from 'zod';
import type { ChatMessage, ChatModel, ResponseFormat } from '../../contracts/llm.js';
import { extractJsonObject } from '../util/jsonText.js';
import { renderTaskList } from './markdown.js';
import { taskListSchema } from './taskListSchema.js';
import { validateTaskList } from '../../contracts/aime/taskListOps.js';
import type { PlannerDecision, PlanStepInput, PlanStepResult } from '../../contracts/aime/types.js';

export const PLANNER_SCHEMA_NAME = 'planner_decision';

export const plannerDecisionSchema = z.object({
  rationale: z.string().describe('One or two sentences: why this list and this action.'),
  tasks: taskListSchema.describe('The full updated hierarchical task list.'),
  action: z.discriminatedUnion('type', [
    z.object({ type: z.literal('dispatch'), taskIds: z.array(z.string()).min(1).describe('Ids of pending leaf tasks to run now.') }),
    z.object({ type: z.literal('finish'), answer: z.string().min(1).describe('The final answer for the user.') }),
    z.object({ type: z.literal('fail'), reason: z.string().min(1) }),
  ]),
  assignments: z
    .record(z.string(), z.object({ persona: z.string().optional(), bundles: z.array(z.string()).optional() }))
    .optional()
    .describe('Optional, per task id: which persona and tool bundles the actor should get.'),
});

export interface PlannerTeamInfo {
  personas: { name: string; description: string }[];
  bundles: { name: string; description: string }[];
}

let cachedFormat: ResponseFormat | undefined;
export function plannerResponseFormat(): ResponseFormat {
  cachedFormat ??= { name: PLANNER_SCHEMA_NAME, schema: jsonSchemaOf(plannerDecisionSchema), strict: false };
  return cachedFormat;
}

function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema) as Record<string, unknown>;
  return rest;
}

const OUTPUT_CONTRACT = `Reply with one JSON object and nothing else:
{"rationale": string, "tasks": [task...], "action": {"type": "dispatch", "taskIds": [id...]} | {"type": "finish", "answer": string} | {"type": "fail", "reason": string}, "assignments"?: {taskId: {"persona"?: string, "bundles"?: [string]}}}
where task = {"id": "1" or "1.2", "title": string, "status": "pending"|"in_progress"|"completed"|"failed"|"skipped", "criteria": string, "note"?: string, "children": [task...]}.
Keep ids of existing tasks stable; never mark a task completed yourself (actors do that); you may mark tasks skipped.`;

/** Reports are trimmed so a long run cannot blow up the planner's context. */
const MAX_HISTORY = 20;
const MAX_SUMMARY_CHARS = 1200;

export function buildPlannerMessages(input: PlanStepInput, team: PlannerTeamInfo): ChatMessage[] {
  const history = input.history
    .slice(-MAX_HISTORY)
    .map((r) => JSON.stringify({ taskId: r.taskId, status: r.status, summary: r.summary.slice(0, MAX_SUMMARY_CHARS), references: r.references }));
  const user = [
    `# Goal\n${input.goal}`,
    `# Iteration\n${input.iteration}`,
    `# Task list\n${input.tasks.length ? renderTaskList(input.tasks) : '(empty: this is the first step; create the plan)'}`,
    `# Reports of finished subtasks (JSON lines, oldest first)\n${history.length ? history.join('\n') : '(none yet)'}`,
    `# Team\nPersonas: ${team.personas.map((p) => `${p.name} (${p.description})`).join('; ')}\nTool bundles: ${team.bundles
      .map((b) => `${b.name} (${b.description})`)
      .join('; ')}`,
  ].join('\n\n');
  const messages: ChatMessage[] = [
    { role: 'system', content: `${input.plannerPrompt}\n\n${OUTPUT_CONTRACT}` },
    { role: 'user', content: user },
  ];
  if (input.retry) {
    messages.push({ role: 'assistant', content: input.retry.raw });
    messages.push({
      role: 'user',
      content: `Your reply did not match the required JSON schema:\n${input.retry.errors.map((e) => `- ${e}`).join('\n')}\nReply again with one valid JSON object only.`,
    });
  }
  return messages;
}

export function parsePlannerReply(raw: string): { ok: true; decision: PlannerDecision } | { ok: false; errors: string[] } {
  const extracted = extractJsonObject(raw);
  if ('error' in extracted) return { ok: false, errors: [extracted.error] };
  const parsed = plannerDecisionSchema.safeParse(extracted.value);
  if (!parsed.success) {
    return { ok: false, errors: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`) };
  }
  const decision = parsed.data as PlannerDecision;
  const problems = validateTaskList(decision.tasks);
  if (problems.length) return { ok: false, errors: problems.map((p) => `tasks: ${p}`) };
  return { ok: true, decision };
}

export const PLANNER_MAX_REPLY_CHARS = 1_000_000;

/** One planning step against a model: the implementation of the planner machine's `planStep`. */
export async function planStep(
  model: ChatModel,
  input: PlanStepInput,
  team: PlannerTeamInfo,
  signal?: AbortSignal,
  /** A longer reply is not a plan (the journal has it whole); far above any real plan, it keeps a hostile one out of every snapshot. */
  maxReplyChars = PLANNER_MAX_REPLY_CHARS,
): Promise<PlanStepResult> {
  const response = await model.complete({
    messages: buildPlannerMessages(input, team),
    responseFormat: plannerResponseFormat(),
    purpose: 'planner',
    callId: `planner#${input.iteration}${input.retry ? '.reask' : ''}`,
    ...(signal ? { signal } : {}),
  });
  if (response.content.length > maxReplyChars) {
    const raw = `${response.content.slice(0, 2000)}\n[reply cut: ${response.content.length - 2000} more characters are kept only in the run's journal]`;
    return {
      ok: false,
      errors: [`the reply is ${response.content.length} characters long, over the limit of ${maxReplyChars}; send the plan as one compact JSON object`],
      usage: response.usage,
      raw,
    };
  }
  const raw = response.content;
  const parsed = parsePlannerReply(raw);
  return parsed.ok ? { ok: true, decision: parsed.decision, usage: response.usage, raw } : { ok: false, errors: parsed.errors, usage: response.usage, raw };
}
