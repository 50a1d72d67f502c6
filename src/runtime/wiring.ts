/**
 * Wires the pure statecharts to their effects: the planner's model call, the
 * actor factory, each actor's model call and tool execution. The result is a
 * workflow machine ready for createActor.
 */
import os from 'node:os';
import { fromPromise } from 'xstate';
import { actorMachine, type ActorToolOutcome, type ActorToolsInput } from '../../machines/actor.js';
import { optimizerMachine, type PersistRequest, type ReflectInput, type OnlineReflectOutput } from '../../machines/optimizer.js';
import { plannerMachine } from '../../machines/planner.js';
import { workflowMachine, type ComposeActorsInput } from '../../machines/workflow.js';
import { runTools, think, type ReplyLimits, type StepLimits, type ToolCallGuard } from '../aime/actorLogic.js';
import { composeActor, type FactoryResources, type PersonaDefinition } from '../aime/factory.js';
import { planStep, type PlannerTeamInfo } from '../aime/planner.js';
import type { ActorSpec, PlanStepInput, PlanStepResult, ThinkInput, ThinkResult, ToolCallRequest } from '../../contracts/aime/types.js';
import { deniedResult } from '../tools/approval.js';
import type { ProtectedPaths } from '../tools/protectedPaths.js';
import type { Tool, ToolBundle } from '../tools/types.js';
import { toolSpec } from '../tools/invoke.js';
import type { ApprovalGate } from '../tools/approval.js';
import { RunJournal } from './journal.js';
import type { ModelSet } from './models.js';
import type { RunTrace } from './telemetry/runTrace.js';

export interface RuntimeResources {
  models: ModelSet;
  tools: Map<string, Tool>;
  bundles: Map<string, ToolBundle>;
  personas: Record<string, PersonaDefinition>;
  defaultPersona: string;
  workspace: string;
  /** Wall clock for the environment section; injectable so tests are deterministic. */
  now?: () => Date;
  /** What tools may not touch (config, traces, VCS metadata, protected globs). */
  protectedPaths?: ProtectedPaths;
  /** Per-step bounds on tool calls and bytes written. */
  stepLimits?: StepLimits;
  /** How much of a model reply enters the context (the journal keeps it whole). */
  replyLimits?: ReplyLimits;
  /** Journals tool results so a resumed run never acts twice. */
  journal?: Pick<RunJournal, 'runTool'>;
  /** Starts the MCP servers behind these bundles before an actor gets them (lazy start). */
  prepareBundles?: (names: string[]) => Promise<void>;
  /** Tools every actor gets on top of its bundles (given through the library API); they must be in `tools` too. */
  extraTools?: Tool[];
  /** Approval gate for tool calls (policies; terminal, dashboard and library handler as askers); absent, every call runs. */
  approvals?: ApprovalGate;
  /** Tool executions still running, so the run can wait for them before it reports (a cancelled actor's write may still be landing). */
  toolsInFlight?: Set<Promise<unknown>>;
  /** Online learning effects: the reflection call and the history file. */
  learning?: {
    reflect(input: ReflectInput, signal: AbortSignal): Promise<OnlineReflectOutput>;
    persist(request: PersistRequest): void;
  };
  /** Spans of this run (telemetry on); absent, the effects run untraced. */
  trace?: RunTrace | null;
}

export function factoryResources(res: Pick<RuntimeResources, 'tools' | 'bundles' | 'personas' | 'defaultPersona' | 'extraTools'>): FactoryResources {
  const updateProgress = res.tools.get('update_progress');
  return {
    personas: res.personas,
    defaultPersona: res.defaultPersona,
    bundles: res.bundles,
    toolSpecsFor(names) {
      const seen = new Map<string, Tool>();
      for (const name of names) for (const tool of res.bundles.get(name)?.tools ?? []) seen.set(tool.name, tool);
      for (const tool of res.extraTools ?? []) seen.set(tool.name, tool);
      if (updateProgress) seen.set(updateProgress.name, updateProgress);
      return [...seen.values()].map(toolSpec);
    },
  };
}

export function teamInfo(res: Pick<RuntimeResources, 'bundles' | 'personas'>): PlannerTeamInfo {
  return {
    personas: Object.entries(res.personas).map(([name, p]) => ({ name, description: p.description })),
    bundles: [...res.bundles.values()].map((b) => ({ name: b.name, description: b.description })),
  };
}

export function environmentFor(workspace: string, now: Date, shell = false) {
  return {
    os: `${os.type()} ${os.release()} (${process.platform}/${process.arch}), Node ${process.version}`,
    time: now.toISOString(),
    workspace,
    permissions: `read and write files inside the workspace only; paths outside it, "..", symlinks leading out and hard-linked files are refused; the config and traces directories, VCS metadata (.git, .hg, .svn) and protected files (.env*) may not be changed, and config and .env* may not be read; ${shell ? 'run_command runs shell commands in a sandbox (no network, workspace writable) when the actor has the shell bundle' : 'no shell'}; side-effecting calls may need approval`,
  };
}

export function wireWorkflow(res: RuntimeResources) {
  const factory = factoryResources(res);
  const team = teamInfo(res);
  const now = res.now ?? (() => new Date());
  const toolCtx = { workspace: res.workspace, ...(res.protectedPaths ? { protectedPaths: res.protectedPaths } : {}) };
  const journal = res.journal;
  const gate = res.approvals;
  const trace = res.trace ?? null;
  const plan = (input: PlanStepInput, signal: AbortSignal) => planStep(res.models.planner, input, team, signal);
  const step = (input: ThinkInput, signal: AbortSignal) => think(res.models.actorFor(input.spec.persona), input, signal, res.replyLimits);
  const tools = async (input: ActorToolsInput, signal: AbortSignal) => {
    // A resumed actor comes from the snapshot, not the factory: its MCP servers start here.
    const lazy = input.spec.bundles.filter((b) => b.startsWith('mcp:'));
    if (lazy.length && res.prepareBundles) await res.prepareBundles(lazy);
    const approve = (call: ToolCallRequest, key: string) =>
      gate ? (onAsk: () => void) => gate.decide({ key, taskId: input.spec.taskId, call, bundles: input.spec.bundles, onAsk, signal }) : undefined;
    // Approval sits inside the journal: a decision put to someone is on record, so a resumed run never asks again.
    const journaled: ToolCallGuard | undefined = journal
      ? (call, sideEffect, exec) => {
          const key = RunJournal.toolKey(input.spec.taskId, call);
          return journal.runTool(key, sideEffect, exec, approve(call, key));
        }
      : gate
        ? async (call, _sideEffect, exec) => {
            const { transient: _t, always: _a, ...outcome } = await approve(call, RunJournal.toolKey(input.spec.taskId, call))!(() => {});
            return outcome.decision === 'approved' ? { ...(await exec()), approval: outcome } : deniedResult(call.name, outcome);
          }
        : undefined;
    if (!trace) return runTools(input, res.tools, { ...toolCtx, signal }, journaled, res.stepLimits);
    const guard: ToolCallGuard = (call, sideEffect, exec) =>
      trace.tool(input.spec, call, sideEffect, () => (journaled ? journaled(call, sideEffect, exec) : exec()));
    const outcomes = await runTools(input, res.tools, { ...toolCtx, signal }, guard, res.stepLimits);
    trace.systemTools(input.spec, outcomes);
    return outcomes;
  };

  const planner = plannerMachine.provide({
    actors: {
      planStep: fromPromise<PlanStepResult, PlanStepInput>(({ input, signal }) => (trace ? trace.plan(input, () => plan(input, signal)) : plan(input, signal))),
    },
  });
  const dynamicActor = actorMachine.provide({
    actors: {
      think: fromPromise<ThinkResult, ThinkInput>(({ input, signal }) => (trace ? trace.think(input, () => step(input, signal)) : step(input, signal))),
      runTools: fromPromise<ActorToolOutcome[], ActorToolsInput>(({ input, signal }) => {
        const running = tools(input, signal);
        const inFlight = res.toolsInFlight;
        if (inFlight) {
          inFlight.add(running);
          running.then(
            () => inFlight.delete(running),
            () => inFlight.delete(running),
          );
        }
        return running;
      }),
    },
  });
  const learning = res.learning;
  const optimizer = learning
    ? optimizerMachine.provide({
        actors: { reflect: fromPromise<OnlineReflectOutput, ReflectInput>(({ input, signal }) => learning.reflect(input, signal)) },
        actions: { persist: (_, request: PersistRequest) => learning.persist(request) },
      })
    : optimizerMachine;
  return workflowMachine.provide({
    actors: {
      planner,
      dynamicActor,
      optimizer,
      composeActors: fromPromise<ActorSpec[], ComposeActorsInput>(async ({ input }) => {
        const environment = environmentFor(res.workspace, now(), res.bundles.has('shell'));
        const compose = () =>
          input.taskIds.map((taskId) =>
            composeActor(
              {
                goal: input.goal,
                tasks: input.tasks,
                taskId,
                ...(input.assignments?.[taskId] ? { assignment: input.assignments[taskId] } : {}),
                prompts: input.prompts,
                history: input.history,
                maxSteps: input.maxSteps,
                iteration: input.iteration,
                environment,
              },
              factory,
            ),
          );
        const first = compose();
        // MCP servers start when an actor is first given their bundle; then the specs include their tools.
        const lazy = [...new Set(first.flatMap((spec) => spec.bundles.filter((b) => b.startsWith('mcp:'))))];
        if (!lazy.length || !res.prepareBundles) return first;
        await res.prepareBundles(lazy);
        return compose();
      }),
    },
  });
}
