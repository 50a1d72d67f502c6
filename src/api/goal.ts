/**
 * `runGoal`: a goal run from code. It returns at once with a handle: the
 * report as a promise, cancellation, and the run's typed events as an async
 * iterable. It is the same runtime the CLI's `run` uses.
 */
import path from 'node:path';
import type { WorkflowLimits } from '../../machines/workflow.js';
import type { RunReport } from '../runtime/report.js';
import { runGoal as runtimeRunGoal, type RunOptions } from '../runtime/runGoal.js';
import type { ApprovalHandler } from '../tools/approval.js';
import { HandleCore } from './channel.js';
import { GoalEventDeriver, type GoalEvent } from './goalEvents.js';
import { givenModels, resolveConfig, type ConfigOptions } from './options.js';
import type { ToolDefinition } from './tool.js';

/** Run limits; every one has a default (12 iterations, 10 steps per actor, 1 actor at a time, no token budget, no deadline). */
export type Limits = WorkflowLimits;

/** Options of `runGoal`. Only `workspace` is required. */
export interface GoalOptions extends ConfigOptions {
  /** The directory the agents work in; file tools never leave it. */
  workspace: string;
  /** Where the run is recorded (`runs/<runId>/`); default `./traces` (as the CLI). */
  tracesDir?: string;
  /** Tools every actor gets on top of its bundles. */
  tools?: ToolDefinition[];
  limits?: Partial<Limits>;
  /** Online prompt learning (GEPA); default: `online.enabled` in gepa_config.yaml. */
  learning?: boolean;
  /** Asked before a side-effecting tool runs (and any tool whose approval is `ask`); a denied call becomes an observation. Without one, tools run as configured. */
  approval?: ApprovalHandler;
  /** Aborting it cancels the run, like `handle.cancel()`. */
  signal?: AbortSignal;
  /** Prompt components (`planner`, `persona.<name>`) to use instead of the configured ones. */
  prompts?: Record<string, string>;
  /**
   * Hooks for the CLI and the dashboard (inspection observer, where the run
   * is recorded once it starts, the event stream's receiver, clock, a model
   * set per role, the live checklist, files the tools may not touch, the
   * prompts the run starts with for --record).
   * Not part of the published types, and not covered by semver.
   * @internal
   */
  runtime?: Pick<
    RunOptions,
    'inspect' | 'onRunStarted' | 'eventStream' | 'clock' | 'now' | 'models' | 'onTasks' | 'protectedFiles' | 'approvals' | 'onApprovalGate' | 'onStart'
  >;
}

/** A running goal. */
export interface GoalRun {
  /** Resolves with the final report when the run ends (completed, failed or cancelled); rejects on bad input (empty goal, missing workspace, bad config). */
  readonly report: Promise<RunReport>;
  /** Aborted when the run is cancelled. */
  readonly signal: AbortSignal;
  /** Cancels the run: actors stop, and the report says `cancelled` with this reason. */
  cancel(reason?: string): void;
  /**
   * The run's events from the first one, each call a new iterator. It ends
   * after the one `run.end` event (whose status is the report's), or throws
   * the error the report rejects with.
   */
  events(): AsyncIterableIterator<GoalEvent>;
}

/** Starts a goal run. */
export function runGoal(goal: string, options: GoalOptions): GoalRun {
  const core = new HandleCore<GoalEvent>(options.signal);
  const derive = new GoalEventDeriver((e) => core.channel.push(e));

  const report = (async () => {
    if (typeof goal !== 'string') throw new TypeError(`runGoal: the goal must be a string, got ${typeof goal}`);
    if (!options || typeof options.workspace !== 'string') throw new TypeError('runGoal: options.workspace (the directory the agents work in) is required');
    const config = resolveConfig(options);
    const hooks = options.runtime ?? {};
    const models = hooks.models ?? givenModels(options.model);
    return runtimeRunGoal({
      goal,
      config,
      workspace: path.resolve(options.workspace),
      tracesDir: path.resolve(options.tracesDir ?? 'traces'),
      signal: core.signal,
      onRunStarted: (run) => {
        derive.started(run);
        hooks.onRunStarted?.(run);
      },
      ...(hooks.eventStream !== undefined ? { eventStream: hooks.eventStream } : {}),
      ...(hooks.onTasks ? { onTasks: hooks.onTasks } : {}),
      ...(hooks.onStart ? { onStart: hooks.onStart } : {}),
      inspect: (ev) => {
        derive.fromInspection(ev);
        hooks.inspect?.(ev);
      },
      ...(models ? { models } : {}),
      ...(options.limits ? { limits: options.limits } : {}),
      ...(options.learning !== undefined ? { learn: options.learning } : {}),
      ...(options.tools?.length ? { tools: options.tools } : {}),
      ...(options.prompts ? { prompts: options.prompts } : {}),
      // One gate: the CLI's settings and askers (runtime hooks), the handler as one more asker, decisions as events.
      approvals: { ...hooks.approvals, ...(options.approval ? { handler: options.approval } : {}), notify: (n) => derive.fromApproval(n) },
      ...(hooks.onApprovalGate ? { onApprovalGate: hooks.onApprovalGate } : {}),
      ...(hooks.clock ? { clock: hooks.clock } : {}),
      ...(hooks.now ? { now: hooks.now } : {}),
      ...(hooks.protectedFiles?.length ? { protectedFiles: hooks.protectedFiles } : {}),
    });
  })();
  core.settle(report, (r) => derive.end(r));
  return { report, signal: core.signal, cancel: core.cancel, events: core.events };
}
