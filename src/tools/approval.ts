/**
 * The approval gate every model tool call passes before it runs. A policy
 * (`auto` runs, `deny` refuses, `ask` asks a person) is found per call:
 *
 *   1. `--approve NAME=POLICY` on the CLI (a tool or bundle name)
 *   2. `approvals.tools[tool]` in tool_bundles.json
 *   3. `approvals.bundles[bundle]` for the actor's bundles holding the tool (the strictest wins)
 *   4. `--approve POLICY` on the CLI (replaces the built-in defaults)
 *   5. the tool's default: reads auto, write_file auto (it stays in the workspace sandbox),
 *      run_command and MCP tools not marked read-only ask.
 *
 * `ask` goes to whoever can answer (the terminal, the dashboard, the library
 * user's `ApprovalHandler`): yes, no, or always (yes for this tool for the
 * rest of the run). With nobody to ask it is a denial that says why, unless
 * `--yes` answers yes. A denial is an observation, never an exception.
 *
 * A tool's default (step 5) is its own `approval` (defineTool) or
 * `defaultApproval`; with a library handler, side-effecting tools without one ask.
 * Decisions are journaled by the run journal (RunJournal.runTool), so a
 * resumed run never asks twice; team runs have no journal and call `run`.
 */
import { errorMessage } from '../../contracts/errors.js';
import type { ApprovalOutcome, ApprovalPolicy, Tool, ToolBundle, ToolResult } from './types.js';

export type { ApprovalOutcome, ApprovalPolicy };

export const APPROVAL_POLICIES: readonly ApprovalPolicy[] = ['auto', 'ask', 'deny'];
const STRICTNESS: Record<ApprovalPolicy, number> = { auto: 0, ask: 1, deny: 2 };

export type Answer = 'yes' | 'no' | 'always';
/** An asker's reply: an answer, or a no with the reason the actor is told. */
export type Reply = Answer | { answer: 'no'; reason: string };

/** One tool call waiting for the library user's decision (public API). */
export interface ApprovalRequest {
  /** Unique within the run, e.g. `approval-3`. */
  id: string;
  /** The subtask (goal runs) or agent (team runs) that wants to call the tool. */
  requester: string;
  tool: string;
  /** The arguments as the model wrote them: untrusted JSON text. */
  arguments: string;
  sideEffect: boolean;
  /** Aborted when the run is cancelled (or someone else answered) while the request is open. */
  signal?: AbortSignal;
}

/** The handler's answer: approve, deny, or deny with a reason the actor is told. */
export type ApprovalDecision = 'approve' | 'deny' | { decision: 'deny'; reason: string };

/** Decides on a tool call (public API). A handler that throws or rejects denies the call. */
export type ApprovalHandler = (request: ApprovalRequest) => ApprovalDecision | Promise<ApprovalDecision>;

/** What the gate reports for every call it does not simply run (the public event stream turns these into events). */
export type ApprovalNotice =
  | { type: 'requested'; request: Omit<ApprovalRequest, 'signal'> }
  | { type: 'decided'; id: string; tool: string; requester: string; decision: 'approve' | 'deny'; reason: string };

/** A tool that may carry its own approval default (public `ToolDefinition`). */
export type ApprovableTool = Tool & { approval?: ApprovalPolicy };

/** A call waiting for a person. */
export interface PendingApproval {
  /** Stable across a kill and resume (the journal key of the call). */
  key: string;
  taskId: string;
  tool: string;
  /** The model's arguments, as it wrote them (untrusted text). */
  arguments: string;
  /** Where the tool comes from, to help the person decide. */
  source: string;
  /** The public request id (`approval-N`), as in the approval events. */
  id?: string;
  sideEffect?: boolean;
}

/** Someone who can answer: the terminal prompt, the dashboard. An asker that cannot answer rejects. */
export interface Asker {
  readonly by: 'user' | 'dashboard' | 'api';
  ask(request: PendingApproval, signal: AbortSignal): Promise<Reply>;
}

/** The library's ApprovalHandler as an asker. It always answers: a throw or a bad answer is a no that says why. */
export function handlerAsker(handler: ApprovalHandler): Asker {
  return {
    by: 'api',
    async ask(request, signal) {
      try {
        const answer = await handler({
          id: request.id ?? request.key,
          requester: request.taskId,
          tool: request.tool,
          arguments: request.arguments,
          sideEffect: request.sideEffect ?? false,
          signal,
        });
        if (answer === 'approve') return 'yes';
        if (answer === 'deny') return { answer: 'no', reason: 'denied by the approval handler' };
        if (answer && typeof answer === 'object' && answer.decision === 'deny') return { answer: 'no', reason: String(answer.reason) };
        return { answer: 'no', reason: `the approval handler answered ${JSON.stringify(answer)}, not 'approve' or 'deny'` };
      } catch (err) {
        return { answer: 'no', reason: `the approval handler failed: ${errorMessage(err)}` };
      }
    },
  };
}

/** One call through the gate. */
export interface GateRequest {
  key: string;
  taskId: string;
  call: { id: string; name: string; arguments: string };
  /** The bundles the actor was given. */
  bundles: readonly string[];
  /** The tool itself when the gate's map does not hold it (team runs). */
  tool?: ApprovableTool;
  signal?: AbortSignal;
  /** Called just before a person is asked (the journal records the open question here). */
  onAsk?: () => void;
}

export interface ApprovalSettings {
  /** `approvals` in tool_bundles.json. */
  config?: { tools?: Record<string, ApprovalPolicy>; bundles?: Record<string, ApprovalPolicy> };
  /** `--approve POLICY`: the policy for every tool the config does not set. */
  cliDefault?: ApprovalPolicy;
  /** `--approve NAME=POLICY`: wins over the config. */
  cliNames?: Record<string, ApprovalPolicy>;
  /** `--yes`: answer every question with yes. */
  yes?: boolean;
}

export interface ApprovalGateOptions extends ApprovalSettings {
  tools?: Map<string, ApprovableTool>;
  bundles?: Map<string, ToolBundle>;
  askers?: Asker[];
  /** The library user's handler: one more asker (by "api"); side-effecting tools without a default ask it. */
  handler?: ApprovalHandler;
  /** Told of every call the gate does not simply run (the public approval events). */
  notify?: (notice: ApprovalNotice) => void;
  /** Tools answered "always" earlier in this run (read back from the journal on resume). */
  always?: Iterable<string>;
}

/** The gate's verdict; `transient` (cancelled, nobody answered) is not journaled, `always` is. */
export type GateOutcome = ApprovalOutcome & { transient?: boolean; always?: boolean };

/** What a gate listener sees, for the dashboard's list of pending approvals. */
export type ApprovalEvent = { type: 'pending'; request: PendingApproval } | { type: 'resolved'; key: string; outcome: ApprovalOutcome };

export class ApprovalGate {
  private readonly always: Set<string>;
  private readonly askers: Asker[];
  private queue: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<(e: ApprovalEvent) => void>();
  private readonly tools: Map<string, ApprovableTool>;
  private readonly bundles: Map<string, ToolBundle>;
  private nextId = 0;
  private runCalls = 0;
  readonly pending = new Map<string, PendingApproval>();

  constructor(private readonly opts: ApprovalGateOptions = {}) {
    this.always = new Set(opts.always ?? []);
    this.askers = [...(opts.askers ?? []), ...(opts.handler ? [handlerAsker(opts.handler)] : [])];
    this.tools = opts.tools ?? new Map();
    this.bundles = opts.bundles ?? new Map();
  }

  addAsker(asker: Asker): void {
    this.askers.push(asker);
  }

  onEvent(listener: (e: ApprovalEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tools answered "always" so far. */
  alwaysApproved(): string[] {
    return [...this.always];
  }

  policyFor(toolName: string, actorBundles: readonly string[], given?: ApprovableTool): ApprovalPolicy {
    const { cliNames = {}, config = {}, cliDefault } = this.opts;
    const holding = actorBundles.filter((b) => this.bundles.get(b)?.tools.some((t) => t.name === toolName));
    const cliHit = cliNames[toolName] ?? strictest(holding.map((b) => cliNames[b]));
    if (cliHit) return cliHit;
    const toolHit = config.tools?.[toolName];
    if (toolHit) return toolHit;
    const bundleHit = strictest(holding.map((b) => config.bundles?.[b]));
    if (bundleHit) return bundleHit;
    if (cliDefault) return cliDefault;
    const tool = given ?? this.tools.get(toolName);
    if (tool?.approval) return tool.approval;
    if (this.opts.handler && tool?.sideEffect && !tool.defaultApproval) return 'ask';
    return tool?.defaultApproval ?? 'auto';
  }

  async decide(req: GateRequest): Promise<GateOutcome> {
    const tool = req.tool ?? this.tools.get(req.call.name);
    // An unknown or ungranted tool is refused by the invoker with the list of real ones.
    if (!tool) return { policy: 'auto', decision: 'approved', by: 'policy' };
    const policy = this.policyFor(tool.name, req.bundles, tool);
    if (policy === 'auto') return { policy, decision: 'approved', by: 'policy' };
    const id = `approval-${++this.nextId}`;
    const base = { id, tool: tool.name, requester: req.taskId };
    this.opts.notify?.({ type: 'requested', request: { ...base, arguments: req.call.arguments, sideEffect: tool.sideEffect } });
    const outcome = await this.decideAsked(tool, policy, req, id);
    const { transient: _t, always: _a, ...told } = outcome;
    this.opts.notify?.({
      type: 'decided',
      ...base,
      decision: told.decision === 'approved' ? 'approve' : 'deny',
      reason: told.reason ?? `approved (${told.by})`,
    });
    return outcome;
  }

  /** Team runs (no journal): decide, then run the call or return the denial. */
  async run(
    call: { id?: string; name: string; arguments: string },
    requester: string,
    tool: ApprovableTool | undefined,
    execute: () => Promise<ToolResult>,
    signal?: AbortSignal,
  ): Promise<ToolResult> {
    const {
      transient: _t,
      always: _a,
      ...outcome
    } = await this.decide({
      key: `${requester}|${call.id ?? ''}|${call.name}|${++this.runCalls}`,
      taskId: requester,
      call: { id: call.id ?? '', name: call.name, arguments: call.arguments },
      bundles: [],
      ...(tool ? { tool } : {}),
      ...(signal ? { signal } : {}),
    });
    return outcome.decision === 'approved' ? execute() : deniedResult(call.name, outcome);
  }

  private async decideAsked(tool: ApprovableTool, policy: ApprovalPolicy, req: GateRequest, id: string): Promise<GateOutcome> {
    if (policy === 'deny') return { policy, decision: 'denied', by: 'policy', reason: `the approval policy for ${tool.name} is "deny"` };
    if (this.always.has(tool.name)) return { policy, decision: 'approved', by: 'always' };
    if (this.opts.yes) return { policy, decision: 'approved', by: 'yes' };
    if (this.askers.length === 0) {
      return {
        policy,
        decision: 'denied',
        by: 'no-terminal',
        reason: `the approval policy for ${tool.name} is "ask" and there is no terminal, dashboard or approval handler to ask; rerun with --yes, or set "approvals": {"tools": {"${tool.name}": "auto"}} in tool_bundles.json`,
      };
    }
    // One question at a time: parallel actors must not talk over each other on the terminal.
    const turn = this.queue.then(() => this.askNow(tool, policy, req, id));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async askNow(tool: ApprovableTool, policy: ApprovalPolicy, req: GateRequest, id: string): Promise<GateOutcome> {
    if (this.always.has(tool.name)) return { policy, decision: 'approved', by: 'always' };
    req.onAsk?.();
    const request: PendingApproval = {
      key: req.key,
      taskId: req.taskId,
      tool: tool.name,
      arguments: req.call.arguments,
      source: tool.source ?? 'built-in',
      id,
      sideEffect: tool.sideEffect,
    };
    this.pending.set(req.key, request);
    this.emit({ type: 'pending', request });
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    // The run may have been cancelled while this call waited its turn: an aborted signal fires no event.
    if (req.signal?.aborted) stop.abort();
    else req.signal?.addEventListener('abort', onAbort, { once: true });
    let outcome: GateOutcome;
    try {
      const { answer, by } = await firstAnswer(this.askers, request, stop.signal);
      if (answer === 'always') this.always.add(tool.name);
      outcome =
        typeof answer === 'object'
          ? { policy, decision: 'denied', by, reason: answer.reason }
          : answer === 'no'
            ? {
                policy,
                decision: 'denied',
                by,
                reason: by === 'api' ? 'denied by the approval handler' : `the ${by === 'dashboard' ? 'dashboard user' : 'user'} said no`,
              }
            : { policy, decision: 'approved', by, ...(answer === 'always' ? { always: true } : {}) };
    } catch {
      // Cancelled, or nobody could answer: a denial for now that is not journaled, so resume asks again.
      outcome = {
        policy,
        decision: 'denied',
        by: 'no-terminal',
        reason: req.signal?.aborted ? 'the run was cancelled while the call waited for approval' : 'nobody answered the approval request',
        transient: true,
      };
    } finally {
      stop.abort();
      req.signal?.removeEventListener('abort', onAbort);
      this.pending.delete(req.key);
    }
    this.emit({ type: 'resolved', key: req.key, outcome });
    return outcome;
  }

  private emit(e: ApprovalEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        /* a broken listener must not block approvals */
      }
    }
  }
}

/** The first asker to answer wins; the others are told to stop through the signal. Rejects when all fail. */
function firstAnswer(askers: Asker[], request: PendingApproval, signal: AbortSignal): Promise<{ answer: Reply; by: Asker['by'] }> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error('cancelled'));
    let failed = 0;
    for (const asker of askers) {
      asker.ask(request, signal).then(
        (answer) => resolve({ answer, by: asker.by }),
        () => {
          if (++failed === askers.length) reject(new Error('no asker could answer'));
        },
      );
    }
    signal.addEventListener('abort', () => reject(new Error('cancelled')), { once: true });
  });
}

function strictest(policies: Array<ApprovalPolicy | undefined>): ApprovalPolicy | undefined {
  let best: ApprovalPolicy | undefined;
  for (const p of policies) if (p && (!best || STRICTNESS[p] > STRICTNESS[best])) best = p;
  return best;
}

/** The observation a denied call gives the actor (and, through its report, the planner). */
export function deniedResult(toolName: string, outcome: ApprovalOutcome): ToolResult {
  return {
    ok: false,
    output: `${toolName} was not run: the call was denied (${outcome.reason ?? 'denied'}). Do not retry it; do something else or report that this step needs approval.`,
    approval: outcome,
  };
}

/** `--approve` values: "ask", or "NAME=POLICY" (repeatable). */
export function parseApproveFlag(values: readonly string[]): { cliDefault?: ApprovalPolicy; cliNames: Record<string, ApprovalPolicy> } | { error: string } {
  const cliNames: Record<string, ApprovalPolicy> = {};
  let cliDefault: ApprovalPolicy | undefined;
  for (const v of values) {
    const eq = v.lastIndexOf('=');
    const [name, policy] = eq >= 0 ? [v.slice(0, eq), v.slice(eq + 1)] : [undefined, v];
    if (!APPROVAL_POLICIES.includes(policy as ApprovalPolicy))
      return { error: `--approve ${JSON.stringify(v)}: expected auto, ask or deny, or NAME=auto|ask|deny for a tool or bundle` };
    if (name === undefined) cliDefault = policy as ApprovalPolicy;
    else if (!name) return { error: `--approve ${JSON.stringify(v)}: the tool or bundle name before "=" is empty` };
    else cliNames[name] = policy as ApprovalPolicy;
  }
  return cliDefault ? { cliDefault, cliNames } : { cliNames };
}
