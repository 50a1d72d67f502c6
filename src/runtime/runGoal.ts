/**
 * Runs one goal: builds the actor system from config, starts the workflow,
 * records its one event stream, and writes the final report. Every run leaves
 * a directory in the run store (runStore.ts: run.json, journal.jsonl,
 * snapshot.json, inspect.jsonl, report.json), whatever happens; the runtime
 * makes the run id and tells the caller (`onRunStarted`). `resumeRun`
 * finishes a run that a crash cut short.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { createActor, type ActorOptions, type AnyActorLogic, type InspectionEvent, type Snapshot } from 'xstate';
import type { WorkflowContext, WorkflowInput, WorkflowLimits } from '../../machines/workflow.js';
import { DEFAULT_PLANNER_PROMPT, PLANNER_COMPONENT, personaComponent } from '../../contracts/aime/prompts.js';
import type { TaskList } from '../../contracts/aime/taskList.js';
import type { LoadedConfig } from '../config/index.js';
import type { ChatModel } from '../../contracts/llm.js';
import { ApprovalGate, type ApprovalGateOptions, type ApprovalSettings } from '../tools/approval.js';
import { createProtectedPaths } from '../tools/protectedPaths.js';
import { loadToolRegistry, type ToolRegistry } from '../tools/registry.js';
import type { Tool } from '../tools/types.js';
import { errorMessage } from '../../contracts/errors.js';
import { InspectionStream, type InspectRecord } from './inspection.js';
import type { RunJournal } from './journal.js';
import { historyPath, learningEvidence, startLearning, type RunLearning } from './learning.js';
import { createModelSet, type ModelSet } from './models.js';
import { buildReport, type RunReport } from './report.js';
import { wireWorkflow } from './wiring.js';
import type { RunLock } from './runLock.js';
import { RunInputError, type RunMeta } from './runState.js';
import { checkRunId, newRunId, RunStore, type RunPaths } from './runStore.js';
import { flushTelemetry } from './telemetry/index.js';
import { traceModel } from './telemetry/chatSpans.js';
import { RunTrace } from './telemetry/runTrace.js';

/** The default run limits. */
export const DEFAULT_LIMITS: WorkflowLimits = {
  maxIterations: 12,
  maxActorSteps: 10,
  maxParallelActors: 1,
  tokenBudget: null,
  deadlineMs: null,
};

/** Goals longer than this are refused: nothing useful fits, and it protects every prompt downstream. */
export const MAX_GOAL_CHARS = 20_000;

export { RunInputError } from './runState.js';

export interface RunOptions {
  goal: string;
  config: LoadedConfig;
  workspace: string;
  tracesDir: string;
  limits?: Partial<WorkflowLimits>;
  /** Override the models from config (tests use scripted ones). */
  models?: ModelSet;
  /** The run's id; default: the store makes one. Only the queue names its runs (the job id is the run id). */
  runId?: string;
  signal?: AbortSignal;
  clock?: ActorOptions<AnyActorLogic>['clock'];
  now?: () => Date;
  /** Called whenever the progress manager's list changes. */
  onTasks?: (tasks: TaskList) => void;
  /** Told once the run has its id and directory, before its first event (run and resume). */
  onRunStarted?: (run: RunStarted) => void;
  /** Extra inspection observer (Stately inspector, the library's events). */
  inspect?: (event: InspectionEvent) => void;
  /**
   * The run's one event stream, inspect.jsonl (default: the runtime writes it). `forward` hands its records
   * to a receiver that writes the file itself (the dashboard's worker, told where by `onRunStarted`);
   * `false` records none (optimize --aime evaluations that were not asked to keep traces).
   */
  eventStream?: false | { forward: (records: InspectRecord[]) => void };
  /** Online learning; defaults to `online.enabled` in gepa_config.yaml. */
  learn?: boolean;
  /** Tools every actor gets on top of its bundles (library API); a name that clashes with a configured tool is refused. */
  tools?: Tool[];
  /** Prompt components (`planner`, `persona.<name>`) to run with instead of the configured ones; unnamed ones keep theirs. Wins over online learning's. */
  prompts?: Record<string, string>;
  /** More files the runtime owns that tools may not change (--record and --replay files). */
  protectedFiles?: string[];
  /** Things the user should know that do not stop the run (a stale lock taken over); default: stderr. */
  onWarning?: (message: string) => void;
  /** Approval settings (`--approve`, `--yes`), who can answer `ask` (terminal, dashboard, the library's handler) and who hears of decisions. */
  approvals?: Omit<ApprovalSettings, 'config'> & Pick<ApprovalGateOptions, 'askers' | 'handler' | 'notify'>;
  /** Called with the run's approval gate once it exists (the dashboard lists its pending calls). */
  onApprovalGate?: (gate: ApprovalGate) => void;
  /** Told the prompts the run starts with, before its first model call (--record writes them down). */
  onStart?: (start: { runId: string; prompts: Record<string, string> }) => void;
}

/** What a caller learns when a run starts: where it is recorded, and what runs it. */
export interface RunStarted {
  runId: string;
  runDir: string;
  /** The run's event stream (inspect.jsonl), whoever writes it; null when none is recorded. */
  inspectFile: string | null;
  goal: string;
  workspace: string;
  model: { provider: string; model: string; offline: boolean };
  resumed: boolean;
}

export function checkGoal(goal: string): string {
  const trimmed = goal.trim();
  if (!trimmed) throw new RunInputError('the goal is empty: say what you want done, e.g. gepa-aime run "Summarise the repository layout"');
  if (trimmed.length > MAX_GOAL_CHARS)
    throw new RunInputError(
      `the goal is ${trimmed.length} characters long; the limit is ${MAX_GOAL_CHARS}. Put long material in a file in the workspace and refer to it.`,
    );
  return trimmed;
}

export async function checkWorkspace(dir: string): Promise<string> {
  let real: string;
  try {
    real = await fsp.realpath(dir);
  } catch {
    throw new RunInputError(`workspace "${dir}" does not exist`);
  }
  if (!(await fsp.stat(real)).isDirectory()) throw new RunInputError(`workspace "${dir}" is not a directory`);
  return real;
}

export function initialPrompts(personas: Record<string, { prompt: string }>): Record<string, string> {
  const prompts: Record<string, string> = { [PLANNER_COMPONENT]: DEFAULT_PLANNER_PROMPT };
  for (const [name, p] of Object.entries(personas)) prompts[personaComponent(name)] = p.prompt;
  return prompts;
}

export async function runGoal(opts: RunOptions): Promise<RunReport> {
  const goal = checkGoal(opts.goal);
  const workspace = await checkWorkspace(opts.workspace);
  const now = opts.now ?? (() => new Date());
  const startedAt = now();
  const store = new RunStore(opts.tracesDir);
  const runId = opts.runId === undefined ? newRunId(startedAt) : checkRunId(opts.runId);
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const learn = opts.learn ?? opts.config.gepa.online.enabled;
  const meta: RunMeta = {
    version: 1,
    runId,
    goal,
    workspace,
    tracesDir: store.tracesDir,
    configDir: opts.config.dir,
    model: { provider: opts.config.model.provider, model: opts.config.model.model, api_base: opts.config.model.api_base },
    limits,
    learn,
    startedAt: startedAt.toISOString(),
  };
  const trace = RunTrace.start({ runId, goal, resumed: false });
  if (trace) meta.traceparent = trace.traceparent;
  let run: OpenRun;
  try {
    run = await openRun(store, meta, opts, now, trace);
  } catch (err) {
    trace?.abort(err);
    await flushTelemetry();
    throw err;
  }
  await store.writeMeta(meta);
  const prompts = opts.prompts ? { ...run.seedPrompts, ...opts.prompts } : (run.learning?.prompts ?? run.seedPrompts);
  opts.onStart?.({ runId, prompts });
  return executeRun(run, opts, { input: { goal, limits, prompts, optimizer: run.learning?.optimizer ?? null }, again: false });
}

export type { RunMeta } from './runState.js';

interface OpenRun {
  store: RunStore;
  meta: RunMeta;
  paths: RunPaths;
  models: ModelSet;
  journal: RunJournal;
  lock: RunLock;
  learning: RunLearning | null;
  seedPrompts: Record<string, string>;
  machine: ReturnType<typeof wireWorkflow>;
  trace: RunTrace | null;
  registry: ToolRegistry;
  toolsInFlight: Set<Promise<unknown>>;
}

/** Everything a run needs besides the actor itself: directory, journal-backed models, tools, learning. */
async function openRun(store: RunStore, meta: RunMeta, opts: RunOptions, now: () => Date, trace: RunTrace | null): Promise<OpenRun> {
  const paths = await store.create(meta.runId);
  // One writer per run: a second process driving it would pay and act twice.
  const lock = store.lock(meta.runId, { onWarning: opts.onWarning ?? warnOnStderr });
  try {
    return await openLocked(store, meta, opts, now, paths, lock, trace);
  } catch (err) {
    lock.release();
    throw err;
  }
}

async function openLocked(
  store: RunStore,
  meta: RunMeta,
  opts: RunOptions,
  now: () => Date,
  paths: RunPaths,
  lock: RunLock,
  trace: RunTrace | null,
): Promise<OpenRun> {
  const { config } = opts;
  const journal = await store.openJournal(meta.runId);
  // Chat spans sit inside the journal: a call the journal answers on resume costs nothing and has no span.
  const models = journaled(traced(opts.models ?? createModelSet(config.model)), journal);
  const registry = await loadToolRegistry(config.tools, { configDir: config.dir, workspace: meta.workspace });
  for (const tool of opts.tools ?? []) {
    if (registry.tools.has(tool.name)) throw new RunInputError(`tool "${tool.name}" given to the run clashes with a configured tool of that name; rename it`);
    registry.tools.set(tool.name, tool);
  }
  const gate = new ApprovalGate({
    tools: registry.tools,
    bundles: registry.bundles,
    config: config.tools.approvals,
    ...opts.approvals,
    always: journal.alwaysApproved,
  });
  opts.onApprovalGate?.(gate);
  const personas = config.personas.personas;
  const seedPrompts = initialPrompts(personas);
  const learning = meta.learn
    ? await startLearning({ gepa: config.gepa, tracesDir: meta.tracesDir, runId: meta.runId, seedPrompts, reflectionModel: models.reflection, now })
    : null;
  // Tools never touch what runs them: this config, these traces, the history file, VCS metadata, protected globs.
  const protectedPaths = createProtectedPaths({
    workspace: meta.workspace,
    configDir: config.dir,
    tracesDir: meta.tracesDir,
    globs: config.tools.protected,
    files: [
      learning ? learning.historyFile : historyPath(config.gepa.online.trace_path, meta.tracesDir),
      ...(config.model.replay_file ? [path.resolve(config.model.replay_file)] : []),
      ...(opts.protectedFiles ?? []).map((f) => path.resolve(f)),
    ],
  });
  for (const skipped of learning?.skippedRecords.slice(0, 5) ?? [])
    (opts.onWarning ?? warnOnStderr)(`learning history record skipped (it failed its schema): ${skipped}`);
  const toolsInFlight = new Set<Promise<unknown>>();
  const machine = wireWorkflow({
    models,
    tools: registry.tools,
    toolsInFlight,
    protectedPaths,
    stepLimits: { maxToolCalls: config.tools.limits.max_tool_calls_per_step, maxWriteBytes: config.tools.limits.max_step_write_bytes },
    replyLimits: { maxReplyChars: config.tools.limits.max_reply_chars, maxArgumentChars: config.tools.limits.max_argument_chars },
    bundles: registry.bundles,
    personas,
    defaultPersona: config.personas.default_persona,
    workspace: meta.workspace,
    now,
    journal,
    approvals: gate,
    prepareBundles: (names) => registry.prepare(names),
    ...(opts.tools?.length ? { extraTools: opts.tools } : {}),
    ...(learning ? { learning: learning.effects } : {}),
    trace,
  });
  return { store, meta, paths, models, journal, lock, learning, seedPrompts, machine, trace, registry, toolsInFlight };
}

export function warnOnStderr(message: string): void {
  process.stderr.write(`gepa-aime: warning: ${message}\n`);
}

function traced(set: ModelSet): ModelSet {
  return {
    ...set,
    planner: traceModel(set.planner),
    actorFor: (p) => traceModel(set.actorFor(p)),
    reflection: traceModel(set.reflection),
    chat: traceModel(set.chat),
  };
}

function journaled(set: ModelSet, journal: RunJournal): ModelSet {
  const cache = new Map<ChatModel, ChatModel>();
  const wrap = (m: ChatModel) => {
    let w = cache.get(m);
    if (!w) cache.set(m, (w = journal.wrapModel(m)));
    return w;
  };
  return { ...set, planner: wrap(set.planner), actorFor: (p) => wrap(set.actorFor(p)), reflection: wrap(set.reflection), chat: set.chat };
}

/** Starts the workflow (fresh from input, or restored from a snapshot), persists it as it goes, and reports. */
async function executeRun(
  run: OpenRun,
  opts: Pick<RunOptions, 'signal' | 'clock' | 'now' | 'onTasks' | 'onRunStarted' | 'inspect' | 'eventStream' | 'onWarning'>,
  start: { input: WorkflowInput; snapshot?: Snapshot<unknown> /** `resume` of a run that died (with or without a snapshot). */; again: boolean },
): Promise<RunReport> {
  const now = opts.now ?? (() => new Date());
  const startedAt = new Date(run.meta.startedAt);
  const resumed = start.snapshot !== undefined;
  const { runId, goal } = run.meta;
  const stream = openEventStream(run, opts, start.again);
  opts.onRunStarted?.({
    runId,
    runDir: run.paths.runDir,
    inspectFile: stream ? run.paths.inspect : null,
    goal,
    workspace: run.meta.workspace,
    model: run.models.describe(),
    resumed: start.again,
  });
  stream?.begin({ runId, goal, resumed: start.again });

  const snapshots = run.store.snapshotWriter(runId);
  const actor = createActor(run.machine, {
    systemId: 'workflow',
    // On restore XState takes the context from the snapshot; the input is only for a fresh start.
    input: start.input,
    ...(start.snapshot ? { snapshot: start.snapshot } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
    inspect: (ev) => {
      stream?.inspect(ev);
      if (ev.type === '@xstate.snapshot') snapshots.schedule(actor);
      run.trace?.observe(ev);
      opts.inspect?.(ev);
    },
  });

  let lastTasks: TaskList | null = null;
  const finished = new Promise<WorkflowContext>((resolve, reject) => {
    actor.subscribe({
      next: (snap) => {
        if (snap.context.tasks !== lastTasks) {
          lastTasks = snap.context.tasks;
          opts.onTasks?.(lastTasks);
        }
        if (snap.status === 'done') resolve(snap.context);
      },
      error: reject,
    });
  });
  // A string abort reason (the library's `cancel(reason)`) is the run's reason; anything else is Ctrl-C.
  const cancel = () =>
    actor.send({ type: 'WORKFLOW.CANCEL', reason: typeof opts.signal?.reason === 'string' ? opts.signal.reason : 'interrupted by the user' });
  if (opts.signal?.aborted) queueMicrotask(cancel);
  opts.signal?.addEventListener('abort', cancel, { once: true });
  // Delayed events are not persisted by XState: a resumed run's deadline is kept by a timer here.
  const deadline = resumed ? resumedDeadline(run.meta, now(), () => actor.send({ type: 'WORKFLOW.DEADLINE' })) : null;

  let context: WorkflowContext;
  try {
    actor.start();
    const snap = actor.getSnapshot();
    context = snap.status === 'done' ? snap.context : await finished;
  } catch (err) {
    // A bug in the runtime must still leave a report that says what happened.
    context = { ...actor.getSnapshot().context, status: 'failed', reason: `internal error: ${errorMessage(err)}` };
  } finally {
    if (deadline) clearTimeout(deadline);
    opts.signal?.removeEventListener('abort', cancel);
    snapshots.flush(actor);
    actor.stop();
    // Stopping aborts in-flight tool calls; let them end (bounded) so nothing touches the workspace or the journal after the report.
    await settleTools(run.toolsInFlight);
    run.learning?.close();
    run.journal.close();
    await run.registry.close().catch(() => undefined);
  }
  run.trace?.end(context);

  const model = run.models.describe();
  const learnt = learningEvidence(actor.getSnapshot());
  const report = buildReport({
    runId: run.meta.runId,
    context,
    model: model.offline ? { ...model, note: 'This run used the embedded offline model: deterministic rules, no language model.' } : model,
    startedAt,
    endedAt: now(),
    paths: { runDir: run.paths.runDir, inspect: stream ? run.paths.inspect : null, report: run.paths.report },
    learning: {
      enabled: run.learning !== null,
      candidateId: learnt.candidateId,
      change: learnt.change,
      historyFile: run.learning?.historyFile ?? null,
      tornHistoryTail: run.learning?.tornTail ?? false,
      skippedHistoryRecords: run.learning?.skippedRecords ?? [],
      prompts: context.prompts,
      played: start.input.prompts,
      trial: learnt.trial,
      decision: learnt.decision,
    },
    durability: { resumed, ...run.journal.stats },
  });
  stream?.end({ runId, status: report.status, reason: report.reason });
  try {
    await stream?.close();
    await run.store.writeReport(runId, report);
  } finally {
    run.lock.release();
  }
  // Every run's spans leave when it ends (a dashboard or chat session may live on long after).
  if (run.trace) await flushTelemetry();
  return report;
}

/**
 * The run's one event stream: inspect.jsonl written here (a resumed run appends, its numbers and times going
 * on from the first process's), or records forwarded to whoever writes it; null when none is wanted.
 */
function openEventStream(run: OpenRun, opts: Pick<RunOptions, 'eventStream' | 'onWarning'>, again: boolean): InspectionStream | null {
  if (opts.eventStream === false) return null;
  const onError = (m: string) => (opts.onWarning ?? warnOnStderr)(m);
  const startedAt = new Date(run.meta.startedAt).getTime();
  const resume = again ? { startedAt, firstSeq: run.store.continueInspect(run.meta.runId).nextSeq } : {};
  if (opts.eventStream) return new InspectionStream({ forward: opts.eventStream.forward, onError, ...resume });
  return new InspectionStream({ file: run.paths.inspect, retain: false, onError, ...resume });
}

/** How long a run waits at its end for tool calls that ignore their abort signal. */
export const TOOL_SETTLE_MS = 10_000;

/** Waits (bounded) for tool calls still running after a cancel: the tool saw the abort, its write may still be landing. */
export async function settleTools(inFlight: Set<Promise<unknown>>): Promise<void> {
  if (!inFlight.size) return;
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, TOOL_SETTLE_MS);
  });
  await Promise.race([Promise.allSettled([...inFlight]), waited]);
  clearTimeout(timer);
}

function resumedDeadline(meta: RunMeta, now: Date, fire: () => void): NodeJS.Timeout | null {
  if (meta.limits.deadlineMs === null) return null;
  const left = meta.limits.deadlineMs - (now.getTime() - new Date(meta.startedAt).getTime());
  return setTimeout(fire, Math.max(0, left));
}

export interface ResumeOptions extends Omit<RunOptions, 'goal' | 'workspace' | 'runId' | 'limits' | 'learn'> {
  runId: string;
  /** The workspace to finish the run in (e.g. the run was moved); absent: the current directory, which must be the run's own. */
  workspace?: string;
}

/**
 * Reads what a run left on disk (run.json, snapshot.json, journal) and finishes
 * it. Nothing in run.json decides where tools act: the workspace and traces
 * dir come from the caller, and a workspace not given must be the recorded one.
 */
export async function resumeRun(opts: ResumeOptions): Promise<RunReport> {
  const store = new RunStore(opts.tracesDir);
  const meta = await store.readMeta(opts.runId);
  const recorded = meta.workspace;
  if (opts.workspace) meta.workspace = await checkWorkspace(opts.workspace);
  else {
    const here = await checkWorkspace(process.cwd());
    const original = await fsp.realpath(recorded).catch(() => recorded);
    if (original !== here) {
      throw new RunInputError(
        `run ${meta.runId} was started in workspace ${JSON.stringify(recorded)}, not the current directory; resume it from there, or pass --workspace ${JSON.stringify(recorded)} to confirm it`,
      );
    }
    meta.workspace = here;
  }
  meta.tracesDir = store.tracesDir;
  const now = opts.now ?? (() => new Date());
  const trace = RunTrace.start({ runId: meta.runId, goal: meta.goal, resumed: true, continueFrom: meta.traceparent });
  let run: OpenRun;
  let snapshot: Snapshot<unknown> | null;
  try {
    // No snapshot yet: the run died before its first transition was saved; it starts again (the journal still answers).
    snapshot = await store.readSnapshot(meta.runId);
    run = await openRun(store, meta, { ...opts, goal: meta.goal, workspace: meta.workspace }, now, trace);
  } catch (err) {
    trace?.abort(err);
    await flushTelemetry();
    throw err;
  }
  try {
    const input = { goal: meta.goal, limits: meta.limits, prompts: run.learning?.prompts ?? run.seedPrompts, optimizer: run.learning?.optimizer ?? null };
    return await executeRun(run, opts, snapshot ? { input, snapshot, again: true } : { input, again: true });
  } finally {
    run.lock.release();
  }
}
