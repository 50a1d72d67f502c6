/**
 * What `gepa-aime learning` shows and resets: the online optimizer's state as
 * restored from the history file (the candidates, the one in force, the trial
 * with both arms' evidence, the last decisions, the excluded outcomes), and a
 * reset that appends a `reset` record (the history stays append-only).
 */
import path from 'node:path';
import type { LoadedConfig } from '../config/index.js';
import { HistoryWriter, loadHistory } from '../gepa/online/history.js';
import { meanScore, restoreState } from '../../contracts/gepa/onlineState.js';
import type { DecisionSummary } from '../../contracts/gepa/trial.js';
import { probBetter } from '../../contracts/gepa/trialRule.js';
import type { Trial } from '../../contracts/gepa/trial.js';
import { historyPath } from './learning.js';
import { initialPrompts } from './runGoal.js';

export interface LearningStatus {
  historyFile: string;
  inForce: string;
  candidates: {
    id: string;
    parentId: string | null;
    goals: number;
    meanGoalScore: number | null;
    inForce: boolean;
    challenger: boolean;
    components: Record<string, string>;
  }[];
  trial: (Trial & { pBetter: number }) | null;
  decisions: DecisionSummary[];
  /** Outcomes recorded as infrastructure failures: in the history, never scored. */
  excludedOutcomes: number;
  scoredOutcomes: number;
}

export async function learningStatus(config: LoadedConfig, tracesDir: string): Promise<LearningStatus> {
  const file = historyPath(config.gepa.online.trace_path, path.resolve(tracesDir));
  const { records } = await loadHistory(file);
  const state = restoreState(records, initialPrompts(config.personas.personas), config.gepa.online);
  const lastReset = records.map((r) => r.kind).lastIndexOf('reset');
  const live = records.slice(lastReset + 1).filter((r) => r.kind === 'outcome');
  return {
    historyFile: file,
    inForce: state.activeId,
    candidates: state.candidates.map((c) => ({
      id: c.id,
      parentId: c.parentId,
      goals: c.goalScores.length,
      meanGoalScore: meanScore(c),
      inForce: c.id === state.activeId,
      challenger: c.id === state.trial?.challengerId,
      components: c.components,
    })),
    trial: state.trial ? { ...state.trial, pBetter: probBetter(state.trial.champion, state.trial.challenger) } : null,
    decisions: state.decisions,
    excludedOutcomes: live.filter((r) => r.kind === 'outcome' && r.excluded !== undefined).length,
    scoredOutcomes: live.filter((r) => r.kind === 'outcome' && r.excluded === undefined).length,
  };
}

export async function resetLearning(config: LoadedConfig, tracesDir: string, now = new Date()): Promise<string> {
  const file = historyPath(config.gepa.online.trace_path, path.resolve(tracesDir));
  const writer = new HistoryWriter(file);
  await writer.open();
  try {
    writer.append({ kind: 'reset', ts: now.toISOString(), runId: 'gepa-aime-learning', reason: 'gepa-aime learning --reset: back to the configured prompts' });
  } finally {
    writer.close();
  }
  return file;
}
