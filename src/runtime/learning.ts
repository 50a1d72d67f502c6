/**
 * Online learning for one run: restore the optimizer's state from the history
 * file (warm start: the live prompts are the active candidate's), and provide
 * its effects: the reflection model call and appending to the history.
 */
import path from 'node:path';
import type { OptimizerSettledEvent } from '../../machines/events.js';
import type { OptimizerContext, OptimizerInput, PersistRequest, ReflectInput, OnlineReflectOutput } from '../../machines/optimizer.js';
import type { GepaConfig } from '../config/index.js';
import { HistoryWriter, loadHistory } from '../gepa/online/history.js';
import type { HistoryRecord } from '../../contracts/gepa/history.js';
import { reflectOnline } from '../gepa/online/reflect.js';
import { activeCandidate, candidateById, restoreState } from '../../contracts/gepa/onlineState.js';
import { playsChallenger } from '../../contracts/gepa/trialRule.js';
import type { ChatModel } from '../../contracts/llm.js';

export interface RunLearning {
  optimizer: OptimizerInput;
  /** The prompts this run plays: the champion's, or the challenger's when a trial assigns this run to it. */
  prompts: Record<string, string>;
  /** The candidate whose prompts these are. */
  armId: string;
  historyFile: string;
  /** The history ended in a torn line (a crash mid-write); it was skipped. */
  tornTail: boolean;
  /** History records that failed their schema: skipped (`file:line: why`). */
  skippedRecords: string[];
  effects: {
    reflect(input: ReflectInput, signal: AbortSignal): Promise<OnlineReflectOutput>;
    persist(request: PersistRequest): void;
  };
  close(): void;
}

/**
 * A relative `trace_path` that starts with `traces/` lives in the run's traces
 * directory (so `--traces DIR` moves it too); other relative paths are taken
 * from the current directory.
 */
export function historyPath(tracePath: string, tracesDir: string): string {
  if (path.isAbsolute(tracePath)) return tracePath;
  const [first, ...rest] = tracePath.split(/[\\/]/);
  return first === 'traces' && rest.length ? path.join(tracesDir, ...rest) : path.resolve(tracePath);
}

export async function startLearning(args: {
  gepa: GepaConfig;
  tracesDir: string;
  runId: string;
  seedPrompts: Record<string, string>;
  reflectionModel: ChatModel;
  now: () => Date;
}): Promise<RunLearning> {
  const settings = args.gepa.online;
  const historyFile = historyPath(settings.trace_path, args.tracesDir);
  const { records, tornTail, skipped } = await loadHistory(historyFile);
  const state = restoreState(records, args.seedPrompts, settings);
  const writer = new HistoryWriter(historyFile);
  await writer.open();

  const stamp = () => ({ ts: args.now().toISOString(), runId: args.runId });
  const persist = (req: PersistRequest) => {
    let record: HistoryRecord;
    if (req.kind === 'outcome') record = { kind: 'outcome', ...stamp(), ...req.outcome, composite: req.composite };
    else if (req.kind === 'candidate')
      record = { kind: 'candidate', ...stamp(), id: req.id, parentId: req.parentId, components: req.components, reason: req.reason };
    else {
      const { kind: _k, ...d } = req;
      record = { kind: 'decision', ...stamp(), ...d };
    }
    writer.append(record);
  };

  // While a trial runs, a share of runs (chosen by run id) plays the challenger.
  const challenger = state.trial && playsChallenger(args.runId, settings.challenger_share) ? candidateById(state, state.trial.challengerId) : null;
  const arm = challenger ?? activeCandidate(state);

  return {
    optimizer: { runId: args.runId, settings, state, armId: arm.id },
    prompts: arm.components,
    armId: arm.id,
    historyFile,
    tornTail,
    skippedRecords: skipped,
    effects: {
      reflect: (input, signal) => reflectOnline(args.reflectionModel, input, args.gepa.offline.reflection_prompt_template, signal),
      persist,
    },
    close: () => writer.close(),
  };
}

/** What online learning concluded for a run, for its report: read from the optimizer child, which owns it. */
export interface LearningEvidence {
  /** The candidate this run played; null without learning. */
  candidateId: string | null;
  change: string | null;
  trial: OptimizerSettledEvent['trial'];
  decision: OptimizerSettledEvent['decision'];
}

export function learningEvidence(workflow: { children: Record<string, unknown> }): LearningEvidence {
  const ref = workflow.children['optimizer'] as { getSnapshot(): { context?: Partial<OptimizerContext> } } | undefined;
  const context = ref?.getSnapshot().context;
  if (!context) return { candidateId: null, change: null, trial: null, decision: null };
  const settled = context.settled ?? null;
  return { candidateId: context.armId ?? null, change: settled?.change ?? null, trial: settled?.trial ?? null, decision: settled?.decision ?? null };
}
