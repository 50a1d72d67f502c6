/**
 * The run journal (traces/runs/<runId>/journal.jsonl): every completed model
 * exchange and tool result is written here before the transition that uses
 * it. On resume, XState restarts the promise actors that were in flight; they
 * ask the journal first, so a model call is never paid twice and a tool never
 * acts twice. A side-effecting tool call that started but never finished is
 * reported to the model as such, not repeated.
 *
 * Calls are found by their `callId` (the runtime names each planner step and
 * actor step), else by the hash of the request; several calls under one key
 * are answered in the order they were recorded.
 */
import crypto from 'node:crypto';
import type { ToolCallRequest } from '../../contracts/aime/types.js';
import { requestHash, stableJson } from '../llm/requestHash.js';
import type { ChatModel, ChatRequest, ChatResponse } from '../../contracts/llm.js';
import type { ApprovalOutcome, ToolResult } from '../tools/types.js';
import { deniedResult } from '../tools/approval.js';
import { JsonlAppender, readJsonl } from '../util/jsonl.js';
import { failpoint } from './failpoints.js';
import { checkState, depthOf, journalRecordSchema, RunStateError } from './runState.js';

/** Tool arguments nest a few levels; invokeTool refuses deeper ones (see tools/invoke.ts). */
const MAX_ARGUMENT_DEPTH = 64;
import { errorMessage } from '../../contracts/errors.js';

type JournalRecord =
  | { kind: 'model'; key: string; purpose?: string; response: ChatResponse }
  | { kind: 'tool-start'; key: string; sideEffect: boolean }
  | { kind: 'tool-done'; key: string; result: ToolResult }
  | { kind: 'approval-pending'; key: string; tool: string }
  | { kind: 'approval'; key: string; tool: string; outcome: ApprovalOutcome; always?: boolean };

export interface JournalStats {
  modelLive: number;
  modelReplayed: number;
  toolLive: number;
  toolReplayed: number;
  toolInterrupted: number;
}

export type ToolLookup = { status: 'done'; result: ToolResult } | { status: 'interrupted'; sideEffect: boolean } | null;

class Queues<T> {
  private readonly map = new Map<string, T[]>();
  push(key: string, value: T): void {
    const q = this.map.get(key);
    if (q) q.push(value);
    else this.map.set(key, [value]);
  }
  shift(key: string): T | undefined {
    return this.map.get(key)?.shift();
  }
}

export class RunJournal {
  readonly stats: JournalStats = { modelLive: 0, modelReplayed: 0, toolLive: 0, toolReplayed: 0, toolInterrupted: 0 };
  private readonly models = new Queues<ChatResponse>();
  private readonly tools = new Queues<ToolLookup>();
  private readonly approvals = new Queues<ApprovalOutcome>();
  /** Tools a person answered "always" for, earlier in this run. */
  readonly alwaysApproved = new Set<string>();
  private readonly appender: JsonlAppender;

  private constructor(
    readonly file: string,
    records: JournalRecord[],
  ) {
    const started = new Map<string, { sideEffect: boolean }[]>();
    for (const r of records) {
      if (r.kind === 'model') this.models.push(r.key, r.response);
      else if (r.kind === 'approval') {
        this.approvals.push(r.key, r.outcome);
        if (r.always) this.alwaysApproved.add(r.tool);
      } else if (r.kind === 'approval-pending') continue;
      else if (r.kind === 'tool-start') {
        const list = started.get(r.key) ?? [];
        list.push({ sideEffect: r.sideEffect });
        started.set(r.key, list);
      } else {
        started.get(r.key)?.shift();
        this.tools.push(r.key, { status: 'done', result: r.result });
      }
    }
    // Starts with no matching result: calls that were running when the process died.
    for (const [key, list] of started) for (const s of list) this.tools.push(key, { status: 'interrupted', sideEffect: s.sideEffect });
    this.appender = new JsonlAppender(file);
  }

  /** Opens (and on resume, reads) a journal; a torn last line is a record the crash cut short, and is skipped. */
  static async open(file: string): Promise<RunJournal> {
    const { records, lines } = await readJsonl<unknown>(file).catch((err: unknown) => {
      throw new RunStateError(errorMessage(err));
    });
    // Every record is checked: a journaled answer is replayed as the model's, so a forged or broken one must not pass.
    const checked = records.map((r, i) => checkState(journalRecordSchema, r, `${file}:${lines[i]}`) as JournalRecord);
    return new RunJournal(file, checked);
  }

  private write(record: JournalRecord): void {
    this.appender.append(record);
    this.appender.flush();
  }

  /** A model that answers from the journal when it can, and journals every live answer before returning it. */
  wrapModel(inner: ChatModel): ChatModel {
    const journal = this;
    return {
      id: inner.id,
      async complete(request: ChatRequest): Promise<ChatResponse> {
        // The runtime names its calls; anything else is known by the hash of what it asks.
        const key = request.callId ?? requestHash(request);
        const recorded = journal.models.shift(key);
        if (recorded) {
          journal.stats.modelReplayed++;
          return recorded;
        }
        failpoint('model-before');
        const response = await inner.complete(request);
        journal.write({ kind: 'model', key, ...(request.purpose ? { purpose: request.purpose } : {}), response });
        journal.stats.modelLive++;
        failpoint('model-after');
        return response;
      },
    };
  }

  static toolKey(taskId: string, call: ToolCallRequest): string {
    // Canonical JSON so key order does not matter; arguments nested absurdly deep are hashed as written (a recursive walk would overflow).
    const parsed = safeParse(call.arguments);
    const canonical = depthOf(parsed, MAX_ARGUMENT_DEPTH) > MAX_ARGUMENT_DEPTH ? call.arguments : stableJson(parsed);
    const args = crypto.createHash('sha256').update(canonical).digest('hex').slice(0, 16);
    return `${taskId}|${call.id}|${call.name}|${args}`;
  }

  /**
   * Runs a tool call once: a journaled result is returned as it was; an interrupted side effect is not repeated.
   * With `approve`, the call first passes the approval gate: a decision already journaled is reused (resume never
   * asks twice), a question that was open when the process died is asked again, and a denial is journaled as the result.
   */
  async runTool(
    key: string,
    sideEffect: boolean,
    execute: () => Promise<ToolResult>,
    approve?: (onAsk: () => void) => Promise<ApprovalOutcome & { transient?: boolean; always?: boolean }>,
  ): Promise<ToolResult> {
    const previous = this.tools.shift(key);
    if (previous?.status === 'done') {
      this.stats.toolReplayed++;
      return previous.result;
    }
    if (previous?.status === 'interrupted' && previous.sideEffect) {
      this.stats.toolInterrupted++;
      const result = {
        ok: false,
        output:
          'this call was running when the run was interrupted; it may or may not have taken effect, so it was not repeated. Check the current state (e.g. read the file) before doing it again.',
      };
      this.write({ kind: 'tool-done', key, result });
      return result;
    }
    let approval: ApprovalOutcome | undefined;
    if (approve) {
      approval = this.approvals.shift(key);
      if (approval) approval = { ...approval, by: 'journal' };
      else {
        const tool = key.split('|')[2] ?? '';
        let asked = false;
        // Only a question to a person is journaled: a policy's answer is simply given again on resume.
        const decided = await approve(() => {
          asked = true;
          this.write({ kind: 'approval-pending', key, tool });
          failpoint('approval-pending');
        });
        const { transient, always, ...outcome } = decided;
        approval = outcome;
        if (transient) return deniedResult(tool, outcome);
        if (asked) this.write({ kind: 'approval', key, tool, outcome, ...(always ? { always } : {}) });
      }
      if (approval.decision === 'denied') {
        const result = deniedResult(key.split('|')[2] ?? '', approval);
        this.write({ kind: 'tool-done', key, result });
        return result;
      }
    }
    // Only a side effect needs its start on record: a read cut short is simply read again.
    if (sideEffect) this.write({ kind: 'tool-start', key, sideEffect });
    failpoint('tool-before');
    const executed = await execute();
    const result = approval ? { ...executed, approval } : executed;
    failpoint('tool-after');
    this.write({ kind: 'tool-done', key, result });
    this.stats.toolLive++;
    failpoint('tool-done');
    return result;
  }

  close(): void {
    this.appender.close();
  }
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
