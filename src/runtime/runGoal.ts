/**
 * Runs one goal: builds the actor system from config, starts the workflow,
 * records its events, and writes the final report. Every run leaves
 * traces/runs/<runId>/ with run.json (how to rebuild it), journal.jsonl
 * (every model exchange and tool result), snapshot.json (the persisted actor
 * system), events.jsonl and report.json, whatever happens; `resumeRun`
 * finishes a run that a crash cut short.
 */
import crypto from 'node:crypto';
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
import { errorMessage, AppError } from '../../contracts/errors.js';
import { JsonlAppender, writeFileAtomic } from '../util/jsonl.js';
import { EventRecorder, type RunEventRecord } from './eventLog.js';
import { RunJournal } from './journal.js';
import { historyPath, learningEvidence, startLearning, type RunLearning } from './learning.js';
import { SnapshotWriter } from './snapshots.js';
import { createModelSet, type ModelSet } from './models.js';
import { buildReport, type RunReport } from './report.js';
import { wireWorkflow } from './wiring.js';
import { acquireRunLock, type RunLock } from './runLock.js';
import { checkRunId, checkState, runMetaSchema, snapshotSchema, RunStateError, type RunMeta } from './runState.js';
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

/** Bad input to a run (empty goal, missing workspace, a tool name clash): nothing ran. */
export class RunInputError extends AppError {
  readonly category = 'usage';
  constructor(message: string) {
    super(message);
  }
}

export interface RunOptions {
  goal: string;
  config: LoadedConfig;
  workspace: string;
  tracesDir: string;
  limits?: Partial<WorkflowLimits>;
  /** Override the models from config (tests use scripted ones). */
  models?: ModelSet;
  runId?: string;
  signal?: AbortSignal;
  clock?: ActorOptions<AnyActorLogic>['clock'];
  now?: () => Date;
  /** Called whenever the progress manager's list changes. */
  onTasks?: (tasks: TaskList) => void;
  onEvent?: (record: RunEventRecord) => void;
  /** Extra inspection observer (dashboard, Stately inspector). */
  inspect?: (event: InspectionEvent) => void;
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

export function newRunId(now: Date): string {
  return `${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${crypto.randomBytes(3).toString('hex')}`;
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
  const runId = checkRunId(opts.runId ?? newRunId(startedAt));
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const learn = opts.learn ?? opts.config.gepa.online.enabled;
  const meta: RunMeta = {
    version: 1,
    runId,
    goal,
    workspace,
    tracesDir: path.resolve(opts.tracesDir),
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
    run = await openRun(meta, opts, now, trace);
  } catch (err) {
    trace?.abort(err);
    await flushTelemetry();
    throw err;
  }
  await writeFileAtomic(path.join(run.paths.runDir, RUN_META_FILE), `${JSON.stringify(meta, null, 2)}\n`);
  const prompts = opts.prompts ? { ...run.seedPrompts, ...opts.prompts } : (run.learning?.prompts ?? run.seedPrompts);
  opts.onStart?.({ runId, prompts });
  return executeRun(run, opts, { input: { goal, limits, prompts, optimizer: run.learning?.optimizer ?? null } });
}

export type { RunMeta } from './runState.js';

export const RUN_META_FILE = 'run.json';
export const SNAPSHOT_FILE = 'snapshot.json';
export const JOURNAL_FILE = 'journal.jsonl';

interface OpenRun {
  meta: RunMeta;
  paths: RunReport['paths'];
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
async function openRun(meta: RunMeta, opts: RunOptions, now: () => Date, trace: RunTrace | null): Promise<OpenRun> {
  const runDir = path.join(meta.tracesDir, 'runs', checkRunId(meta.runId));
  await fsp.mkdir(runDir, { recursive: true });
  // One writer per run: a second process driving it would pay and act twice.
  const lock = acquireRunLock(runDir, meta.runId, { onWarning: opts.onWarning ?? warnOnStderr });
  try {
    return await openLocked(meta, opts, now, runDir, lock, trace);
  } catch (err) {
    lock.release();
    throw err;
  }
}

async function openLocked(meta: RunMeta, opts: RunOptions, now: () => Date, runDir: string, lock: RunLock, trace: RunTrace | null): Promise<OpenRun> {
  const paths = { runDir, events: path.join(runDir, 'events.jsonl'), report: path.join(runDir, 'report.json') };
  const { config } = opts;
  const journal = await RunJournal.open(path.join(runDir, JOURNAL_FILE));
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
  return { meta, paths, models, journal, lock, learning, seedPrompts, machine, trace, registry, toolsInFlight };
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
  opts: Pick<RunOptions, 'signal' | 'clock' | 'now' | 'onTasks' | 'onEvent' | 'inspect'>,
  start: { input: WorkflowInput; snapshot?: Snapshot<unknown> },
): Promise<RunReport> {
  const now = opts.now ?? (() => new Date());
  const startedAt = new Date(run.meta.startedAt);
  const resumed = start.snapshot !== undefined;
  const log = new JsonlAppender(run.paths.events);
  const recorder = new EventRecorder(startedAt.getTime(), () => now().getTime());
  const record = (r: RunEventRecord) => {
    log.append(r);
    opts.onEvent?.(r);
  };
  record({
    seq: -1,
    t: now().getTime() - startedAt.getTime(),
    kind: 'actor',
    actor: 'run',
    data: { runId: run.meta.runId, goal: run.meta.goal, workspace: run.meta.workspace, model: run.models.describe(), resumed },
  });

  const snapshots = new SnapshotWriter(path.join(run.paths.runDir, SNAPSHOT_FILE));
  const actor = createActor(run.machine, {
    systemId: 'workflow',
    // On restore XState takes the context from the snapshot; the input is only for a fresh start.
    input: start.input,
    ...(start.snapshot ? { snapshot: start.snapshot } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
    inspect: (ev) => {
      for (const r of recorder.fromInspection(ev)) record(r);
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
    paths: run.paths,
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
  record({ seq: -1, t: now().getTime() - startedAt.getTime(), kind: 'actor', actor: 'run', data: { status: report.status, reason: report.reason } });
  log.close();
  try {
    await writeFileAtomic(run.paths.report, `${JSON.stringify(report, null, 2)}\n`);
  } finally {
    run.lock.release();
  }
  // Every run's spans leave when it ends (a dashboard or chat session may live on long after).
  if (run.trace) await flushTelemetry();
  return report;
}

/** How long a run waits at its end for tool calls that ignore their abort signal. */
export const TOOL_SETTLE_MS = 10_000;

async function settleTools(inFlight: Set<Promise<unknown>>): Promise<void> {
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
  const tracesDir = path.resolve(opts.tracesDir);
  const runDir = path.join(tracesDir, 'runs', checkRunId(opts.runId));
  const meta = await readRunMeta(runDir);
  if (meta.runId !== opts.runId)
    throw new RunStateError(
      `${path.join(runDir, RUN_META_FILE)}: runId: expected ${JSON.stringify(opts.runId)} (the run's directory), found ${JSON.stringify(meta.runId)}`,
    );
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
  meta.tracesDir = tracesDir;
  const now = opts.now ?? (() => new Date());
  const trace = RunTrace.start({ runId: meta.runId, goal: meta.goal, resumed: true, continueFrom: meta.traceparent });
  let run: OpenRun;
  let snapshot: Snapshot<unknown> | null;
  try {
    // No snapshot yet: the run died before its first transition was saved; it starts again (the journal still answers).
    snapshot = await readSnapshot(path.join(runDir, SNAPSHOT_FILE));
    run = await openRun(meta, { ...opts, goal: meta.goal, workspace: meta.workspace }, now, trace);
  } catch (err) {
    trace?.abort(err);
    await flushTelemetry();
    throw err;
  }
  try {
    const input = { goal: meta.goal, limits: meta.limits, prompts: run.learning?.prompts ?? run.seedPrompts, optimizer: run.learning?.optimizer ?? null };
    return await executeRun(run, opts, snapshot ? { input, snapshot } : { input });
  } finally {
    run.lock.release();
  }
}

export async function readRunMeta(runDir: string): Promise<RunMeta> {
  const file = path.join(runDir, RUN_META_FILE);
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch {
    throw new RunInputError(`no run at ${runDir} (missing ${RUN_META_FILE}); list runs with: gepa-aime runs`);
  }
  return checkState(runMetaSchema, parseJson(text, file), file);
}

async function readSnapshot(file: string): Promise<Snapshot<unknown> | null> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new RunStateError(`${file} cannot be read (${errorMessage(err)})`);
  }
  return checkState(snapshotSchema, parseJson(text, file), file) as unknown as Snapshot<unknown>;
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new RunStateError(`${file}: not valid JSON (${errorMessage(err)}); it is written atomically, so this file was changed by hand or by something else`);
  }
}
