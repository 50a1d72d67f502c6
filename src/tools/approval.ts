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
 * `ask` goes to whoever can answer (the terminal, the dashboard): yes, no, or
 * always (yes for this tool for the rest of the run). With nobody to ask it is
 * a denial that says why, unless `--yes` answers yes. A denial is an
 * observation, never an exception.
 */
import type { ApprovalOutcome, ApprovalPolicy, Tool, ToolBundle, ToolResult } from './types.js';

export type { ApprovalOutcome, ApprovalPolicy };

export const APPROVAL_POLICIES: readonly ApprovalPolicy[] = ['auto', 'ask', 'deny'];
const STRICTNESS: Record<ApprovalPolicy, number> = { auto: 0, ask: 1, deny: 2 };

export type Answer = 'yes' | 'no' | 'always';

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
}

/** Someone who can answer: the terminal prompt, the dashboard. An asker that cannot answer rejects. */
export interface Asker {
  readonly by: 'user' | 'dashboard';
  ask(request: PendingApproval, signal: AbortSignal): Promise<Answer>;
}

export interface ApprovalRequest {
  key: string;
  taskId: string;
  call: { id: string; name: string; arguments: string };
  /** The bundles the actor was given. */
  bundles: readonly string[];
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
  tools: Map<string, Tool>;
  bundles: Map<string, ToolBundle>;
  askers?: Asker[];
  /** Tools answered "always" earlier in this run (read back from the journal on resume). */
  always?: Iterable<string>;
}

/** What a gate listener sees, for the dashboard's list of pending approvals. */
export type ApprovalEvent = { type: 'pending'; request: PendingApproval } | { type: 'resolved'; key: string; outcome: ApprovalOutcome };

export class ApprovalGate {
  private readonly always: Set<string>;
  private readonly askers: Asker[];
  private queue: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<(e: ApprovalEvent) => void>();
  readonly pending = new Map<string, PendingApproval>();

  constructor(private readonly opts: ApprovalGateOptions) {
    this.always = new Set(opts.always ?? []);
    this.askers = [...(opts.askers ?? [])];
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

  policyFor(toolName: string, actorBundles: readonly string[]): ApprovalPolicy {
    const { cliNames = {}, config = {}, cliDefault } = this.opts;
    const holding = actorBundles.filter((b) => this.opts.bundles.get(b)?.tools.some((t) => t.name === toolName));
    const cliHit = cliNames[toolName] ?? strictest(holding.map((b) => cliNames[b]));
    if (cliHit) return cliHit;
    const toolHit = config.tools?.[toolName];
    if (toolHit) return toolHit;
    const bundleHit = strictest(holding.map((b) => config.bundles?.[b]));
    if (bundleHit) return bundleHit;
    if (cliDefault) return cliDefault;
    return this.opts.tools.get(toolName)?.defaultApproval ?? 'auto';
  }

  async decide(req: ApprovalRequest): Promise<ApprovalOutcome & { transient?: boolean; always?: boolean }> {
    const tool = this.opts.tools.get(req.call.name);
    // An unknown or ungranted tool is refused by the invoker with the list of real ones.
    if (!tool) return { policy: 'auto', decision: 'approved', by: 'policy' };
    const policy = this.policyFor(tool.name, req.bundles);
    if (policy === 'auto') return { policy, decision: 'approved', by: 'policy' };
    if (policy === 'deny') return { policy, decision: 'denied', by: 'policy', reason: `the approval policy for ${tool.name} is "deny"` };
    if (this.always.has(tool.name)) return { policy, decision: 'approved', by: 'always' };
    if (this.opts.yes) return { policy, decision: 'approved', by: 'yes' };
    if (this.askers.length === 0) {
      return {
        policy,
        decision: 'denied',
        by: 'no-terminal',
        reason: `the approval policy for ${tool.name} is "ask" and there is no terminal or dashboard to ask; rerun with --yes, or set "approvals": {"tools": {"${tool.name}": "auto"}} in tool_bundles.json`,
      };
    }
    // One question at a time: parallel actors must not talk over each other on the terminal.
    const turn = this.queue.then(() => this.askNow(tool, policy, req));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async askNow(tool: Tool, policy: ApprovalPolicy, req: ApprovalRequest): Promise<ApprovalOutcome & { transient?: boolean; always?: boolean }> {
    if (this.always.has(tool.name)) return { policy, decision: 'approved', by: 'always' };
    req.onAsk?.();
    const request: PendingApproval = { key: req.key, taskId: req.taskId, tool: tool.name, arguments: req.call.arguments, source: tool.source ?? 'built-in' };
    this.pending.set(req.key, request);
    this.emit({ type: 'pending', request });
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    // The run may have been cancelled while this call waited its turn: an aborted signal fires no event.
    if (req.signal?.aborted) stop.abort();
    else req.signal?.addEventListener('abort', onAbort, { once: true });
    let outcome: ApprovalOutcome & { transient?: boolean; always?: boolean };
    try {
      const { answer, by } = await firstAnswer(this.askers, request, stop.signal);
      if (answer === 'always') this.always.add(tool.name);
      outcome = answer === 'no' ? { policy, decision: 'denied', by, reason: `the ${by === 'dashboard' ? 'dashboard user' : 'user'} said no` } : { policy, decision: 'approved', by, ...(answer === 'always' ? { always: true } : {}) };
    } catch {
      // Cancelled, or nobody could answer: a denial for now that is not journaled, so resume asks again.
      outcome = { policy, decision: 'denied', by: 'no-terminal', reason: req.signal?.aborted ? 'the run was cancelled while the call waited for approval' : 'nobody answered the approval request', transient: true };
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
function firstAnswer(askers: Asker[], request: PendingApproval, signal: AbortSignal): Promise<{ answer: Answer; by: 'user' | 'dashboard' }> {
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
  return { ok: false, output: `${toolName}: not run: the call was denied (${outcome.reason ?? 'denied'}). Do something else or report that this step needs approval.`, approval: outcome };
}

/** `--approve` values: "ask", or "NAME=POLICY" (repeatable). */
export function parseApproveFlag(values: readonly string[]): { cliDefault?: ApprovalPolicy; cliNames: Record<string, ApprovalPolicy> } | { error: string } {
  const cliNames: Record<string, ApprovalPolicy> = {};
  let cliDefault: ApprovalPolicy | undefined;
  for (const v of values) {
    const eq = v.lastIndexOf('=');
    const [name, policy] = eq >= 0 ? [v.slice(0, eq), v.slice(eq + 1)] : [undefined, v];
    if (!APPROVAL_POLICIES.includes(policy as ApprovalPolicy)) return { error: `--approve ${JSON.stringify(v)}: expected auto, ask or deny, or NAME=auto|ask|deny for a tool or bundle` };
    if (name === undefined) cliDefault = policy as ApprovalPolicy;
    else if (!name) return { error: `--approve ${JSON.stringify(v)}: the tool or bundle name before "=" is empty` };
    else cliNames[name] = policy as ApprovalPolicy;
  }
  return cliDefault ? { cliDefault, cliNames } : { cliNames };
}
