/**
 * Tool approval: the one place that decides whether a tool call may run.
 * A tool's policy is `auto` (run), `ask` (ask the approval handler) or `deny`
 * (never run). A denied call never reaches the tool: the actor gets an
 * observation that says it was denied, and carries on.
 *
 * Kept in one module on purpose: the CLI's prompt and configured policies
 * (issue 14) plug in here as another `ApprovalHandler` and policy source.
 */
import { errorMessage } from '../../contracts/errors.js';
import type { Tool, ToolResult } from './types.js';

/** How a tool call is approved: run it, ask the approval handler first, or never run it. */
export type ApprovalPolicy = 'auto' | 'ask' | 'deny';

/** One tool call waiting for a decision. */
export interface ApprovalRequest {
  /** Unique within the run, e.g. `approval-3`. */
  id: string;
  /** The subtask (goal runs) or agent (team runs) that wants to call the tool. */
  requester: string;
  tool: string;
  /** The arguments as the model wrote them: untrusted JSON text. */
  arguments: string;
  sideEffect: boolean;
  /** Aborted when the run is cancelled while the request is open. */
  signal?: AbortSignal;
}

/** The handler's answer: approve, deny, or deny with a reason the actor is told. */
export type ApprovalDecision = 'approve' | 'deny' | { decision: 'deny'; reason: string };

/** Decides on a tool call. A handler that throws or rejects denies the call. */
export type ApprovalHandler = (request: ApprovalRequest) => ApprovalDecision | Promise<ApprovalDecision>;

/** What the gate reports as it goes (the public event stream turns these into events). */
export type ApprovalNotice =
  | { type: 'requested'; request: Omit<ApprovalRequest, 'signal'> }
  | { type: 'decided'; id: string; tool: string; requester: string; decision: 'approve' | 'deny'; reason: string };

/** A tool that may carry its own approval default (public `ToolDefinition`). */
export type ApprovableTool = Tool & { approval?: ApprovalPolicy };

/**
 * The policy of a tool: its own `approval` when set; else, with a handler,
 * side-effecting tools ask and the others run; with no handler everything
 * runs (the behaviour before approval existed).
 */
export function policyFor(tool: ApprovableTool | undefined, hasHandler: boolean): ApprovalPolicy {
  if (tool?.approval) return tool.approval;
  return hasHandler && tool?.sideEffect ? 'ask' : 'auto';
}

export interface ApprovalGateOptions {
  handler?: ApprovalHandler;
  notify?: (notice: ApprovalNotice) => void;
}

/** Runs `execute` only when the call is approved; otherwise returns the denial as a failed result. */
export type ApprovalGate = (
  call: { name: string; arguments: string },
  requester: string,
  tool: ApprovableTool | undefined,
  execute: () => Promise<ToolResult>,
  signal?: AbortSignal,
) => Promise<ToolResult>;

export function createApprovalGate(options: ApprovalGateOptions): ApprovalGate {
  let next = 0;
  const { handler, notify } = options;
  return async (call, requester, tool, execute, signal) => {
    const policy = policyFor(tool, handler !== undefined);
    if (policy === 'auto' || !tool) return execute(); // an unknown tool is refused by invokeTool itself
    const id = `approval-${++next}`;
    const base = { id, tool: call.name, requester };
    notify?.({ type: 'requested', request: { ...base, arguments: call.arguments, sideEffect: tool.sideEffect } });
    const { decision, reason } =
      policy === 'deny'
        ? { decision: 'deny' as const, reason: `the approval policy of ${call.name} is deny` }
        : await ask(handler, { ...base, arguments: call.arguments, sideEffect: tool.sideEffect, ...(signal ? { signal } : {}) }, signal);
    notify?.({ type: 'decided', ...base, decision, reason });
    if (decision === 'approve') return execute();
    return {
      ok: false,
      output: `${call.name} was not run: the call was denied (${reason}). Do not retry it; finish the task another way or report that it could not be done.`,
    };
  };
}

async function ask(
  handler: ApprovalHandler | undefined,
  request: ApprovalRequest,
  signal?: AbortSignal,
): Promise<{ decision: 'approve' | 'deny'; reason: string }> {
  if (!handler) return { decision: 'deny', reason: `${request.tool} needs approval and no approval handler was given` };
  let onAbort = () => {};
  const aborted = new Promise<ApprovalDecision>((resolve) => {
    onAbort = () => resolve({ decision: 'deny', reason: 'the run was cancelled while the request was open' });
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const answer = await Promise.race([Promise.resolve().then(() => handler(request)), aborted]);
    if (answer === 'approve') return { decision: 'approve', reason: 'approved' };
    if (answer === 'deny') return { decision: 'deny', reason: 'denied by the approval handler' };
    if (answer && typeof answer === 'object' && answer.decision === 'deny') return { decision: 'deny', reason: String(answer.reason) };
    return { decision: 'deny', reason: `the approval handler answered ${JSON.stringify(answer)}, not 'approve' or 'deny'` };
  } catch (err) {
    return { decision: 'deny', reason: `the approval handler failed: ${errorMessage(err)}` };
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
