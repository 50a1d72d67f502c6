/**
 * The effects behind a dynamic actor's ReAct substates: one model call
 * (`think`) and the execution of the tool calls it asked for (`runTools`).
 * Everything the model says is untrusted: unknown tools, broken JSON and
 * schema violations become observations, never exceptions.
 */
import { z } from 'zod';
import type { ActorToolOutcome, ActorToolsInput } from '../../machines/actor.js';
import type { ChatModel } from '../../contracts/llm.js';
import { invokeTool } from '../tools/invoke.js';
import { updateProgressParams } from '../tools/builtin/updateProgress.js';
import type { Tool, ToolContext, ToolResult } from '../tools/types.js';
import { errorMessage } from '../../contracts/errors.js';
import { extractJsonObject } from '../util/jsonText.js';
import type { ActorReport, ThinkInput, ThinkResult, ToolCallRequest } from '../../contracts/aime/types.js';

export const UPDATE_PROGRESS = 'update_progress';
/** Observations longer than this are cut so one tool result cannot flood the context. */
export const MAX_OBSERVATION_CHARS = 16_000;

const reportSchema = z.object({
  status: z.enum(['completed', 'failed']),
  summary: z.string(),
  references: z.array(z.string()).default([]),
});

/** The final reply of an actor as its report o_t; prose without JSON still counts as a completed summary. */
export function parseActorReport(taskId: string, content: string): ActorReport {
  const extracted = extractJsonObject(content);
  if ('value' in extracted) {
    const parsed = reportSchema.safeParse(extracted.value);
    if (parsed.success) return { taskId, ...parsed.data };
  }
  const text = content.trim();
  if (!text) return { taskId, status: 'failed', summary: 'the actor ended with an empty reply and no report', references: [] };
  return { taskId, status: 'completed', summary: text, references: [] };
}

/** How much of one reply enters the actor's context (and so every snapshot and later prompt). */
export interface ReplyLimits {
  /** Characters of reply text (content, reasoning) kept; the rest stays in the journal only. */
  maxReplyChars: number;
  /** A tool call whose arguments are longer is not run; its full text stays in the journal only. */
  maxArgumentChars: number;
}

export const DEFAULT_REPLY_LIMITS: ReplyLimits = { maxReplyChars: 16_384, maxArgumentChars: 2_097_152 };

/** Marks arguments replaced by a reference (see boundReply); runTools answers such a call "not run". */
const OMITTED = '{"$omitted":';

/**
 * A reply as it may enter the context: long text cut with a note, oversized
 * tool arguments replaced by a reference. The journal already holds the whole
 * reply under `callId`, so it is kept once, there.
 */
export function boundReply<R extends { content: string; reasoning?: string; toolCalls: ToolCallRequest[] }>(
  response: R,
  callId: string,
  limits: ReplyLimits,
): R {
  const cut = (text: string) =>
    text.length <= limits.maxReplyChars
      ? text
      : `${text.slice(0, limits.maxReplyChars)}\n[reply cut: ${text.length - limits.maxReplyChars} more characters are kept only in the run's journal, under ${callId}]`;
  const tooLong = response.toolCalls.some((c) => c.arguments.length > limits.maxArgumentChars);
  if (response.content.length <= limits.maxReplyChars && (response.reasoning?.length ?? 0) <= limits.maxReplyChars && !tooLong) return response;
  return {
    ...response,
    content: cut(response.content),
    ...(response.reasoning !== undefined ? { reasoning: cut(response.reasoning) } : {}),
    toolCalls: response.toolCalls.map((c) =>
      c.arguments.length <= limits.maxArgumentChars
        ? c
        : { ...c, arguments: `${OMITTED}${JSON.stringify({ chars: c.arguments.length, limit: limits.maxArgumentChars, journal: callId })}}` },
    ),
  };
}

export async function think(model: ChatModel, input: ThinkInput, signal?: AbortSignal, limits: ReplyLimits = DEFAULT_REPLY_LIMITS): Promise<ThinkResult> {
  const callId = `actor:${input.spec.dispatchId}#${input.stepIndex}`;
  const full = await model.complete({
    messages: input.messages,
    tools: input.spec.tools,
    toolChoice: 'auto',
    purpose: 'actor',
    callId,
    ...(signal ? { signal } : {}),
  });
  const response = boundReply(full, callId, limits);
  const message = {
    role: 'assistant' as const,
    content: response.content,
    ...(response.toolCalls.length ? { toolCalls: response.toolCalls } : {}),
  };
  const result: ThinkResult = { message, usage: response.usage, ...(response.reasoning ? { reasoning: response.reasoning } : {}) };
  if (!response.toolCalls.length) result.final = parseActorReport(input.spec.taskId, response.content);
  return result;
}

/** Runs one tool call exactly once across crashes (the run journal); absent, the call just runs. */
export type ToolCallGuard = (call: ToolCallRequest, sideEffect: boolean, execute: () => Promise<ToolResult>) => Promise<ToolResult>;

/**
 * Runs the calls one after another (a later call may depend on an earlier
 * write). Only the tools the factory gave this actor can be called.
 */
export interface StepLimits {
  /** Calls of one message that run; the rest are answered "not run: limit". */
  maxToolCalls?: number;
  /** Bytes all calls of one message may write together. */
  maxWriteBytes?: number;
}

export async function runTools(
  input: ActorToolsInput,
  allTools: Map<string, Tool>,
  baseCtx: ToolContext,
  guard?: ToolCallGuard,
  limits: StepLimits = {},
): Promise<ActorToolOutcome[]> {
  // One budget per step (one model message), shared by all its calls.
  const ctx: ToolContext =
    limits.maxWriteBytes !== undefined ? { ...baseCtx, writeBudget: { limit: limits.maxWriteBytes, left: limits.maxWriteBytes } } : baseCtx;
  const maxCalls = limits.maxToolCalls ?? Infinity;
  const granted = new Map<string, Tool>();
  for (const spec of input.spec.tools) {
    const tool = allTools.get(spec.name);
    if (tool) granted.set(spec.name, tool);
  }
  const outcomes: ActorToolOutcome[] = [];
  for (const [index, call] of input.calls.entries()) {
    if (index >= maxCalls) {
      outcomes.push({
        id: call.id,
        name: call.name,
        arguments: preview(call.arguments),
        ok: false,
        observation: `not run: limit of ${maxCalls} tool calls per step (this message asked for ${input.calls.length}); call it again in a later step if it is still needed`,
        references: [],
      });
      continue;
    }
    if (call.arguments.startsWith(OMITTED)) {
      outcomes.push({ id: call.id, name: call.name, arguments: call.arguments, ok: false, observation: omittedObservation(call.arguments), references: [] });
      continue;
    }
    if (call.name === UPDATE_PROGRESS) {
      outcomes.push(progressOutcome(call));
      continue;
    }
    const execute = async (): Promise<ToolResult> => {
      try {
        return await invokeTool(granted, call, ctx);
      } catch (err) {
        return { ok: false, output: `${call.name} failed: ${errorMessage(err)}` };
      }
    };
    const sideEffect = granted.get(call.name)?.sideEffect ?? false;
    const result = guard ? await guard(call, sideEffect, execute) : await execute();
    outcomes.push({
      id: call.id,
      name: call.name,
      arguments: preview(call.arguments),
      ok: result.ok,
      observation: truncate(result.output),
      references: result.references ?? [],
      ...(result.approval ? { approval: result.approval } : {}),
    });
  }
  return outcomes;
}

/** Step records keep a preview of long arguments: the conversation (and the journal) hold them whole, once. */
export const MAX_STEP_ARGUMENT_CHARS = 2_000;

function preview(args: string): string {
  return args.length <= MAX_STEP_ARGUMENT_CHARS
    ? args
    : `${args.slice(0, MAX_STEP_ARGUMENT_CHARS)}… [${args.length} characters; whole in the conversation and the run's journal]`;
}

function omittedObservation(args: string): string {
  let info: { chars?: number; limit?: number; journal?: string } = {};
  try {
    info = (JSON.parse(args) as { $omitted: typeof info }).$omitted;
  } catch {
    /* the marker is ours; keep the generic text */
  }
  return `not run: the arguments were ${info.chars ?? 'too many'} characters, over the limit of ${info.limit ?? '?'} (max_argument_chars); the full call is kept only in the run's journal${info.journal ? ` (${info.journal})` : ''}. Send smaller calls: write a large file in parts with mode "append".`;
}

function progressOutcome(call: { id: string; name: string; arguments: string }): ActorToolOutcome {
  const base = { id: call.id, name: call.name, arguments: call.arguments, references: [] };
  const extracted = extractJsonObject(call.arguments);
  const parsed = 'value' in extracted ? updateProgressParams.safeParse(extracted.value) : null;
  if (!parsed?.success) {
    const why = parsed ? parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') : (extracted as { error: string }).error;
    return {
      ...base,
      ok: false,
      observation: `update_progress: invalid arguments (${why}); expected {"status": "in_progress"|"completed"|"failed"|"blocked", "message": string}`,
    };
  }
  return { ...base, ok: true, observation: 'progress recorded', progress: parsed.data };
}

function truncate(text: string): string {
  return text.length <= MAX_OBSERVATION_CHARS
    ? text
    : `${text.slice(0, MAX_OBSERVATION_CHARS)}\n[observation truncated: ${text.length - MAX_OBSERVATION_CHARS} more characters]`;
}
