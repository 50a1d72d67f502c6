/**
 * Online learning with the judge: after `gepa-aime run --judge`, the run's
 * goal is scored by the judge (in the workspace it ran in) and, when online
 * learning is on, the judged outcome is appended to the learning history as a
 * goal outcome of the candidate that ran. The next run's optimizer warm-starts
 * from that history, so the judge's score enters its composite and the judge's
 * feedback is what reflection reads when that outcome fails. (The run's own
 * completion outcome stays as it was recorded during the run.)
 */
import path from 'node:path';
import type { LoadedConfig } from '../config/index.js';
import { HistoryWriter, loadHistory } from '../gepa/online/history.js';
import { composite, recordOutcome, restoreState, type Outcome } from '../../contracts/gepa/onlineState.js';
import { judgeRun, rubricFrom, trajectoryText, type JudgedScore } from '../judge/index.js';
import { judgeFromConfig } from './judgeSetup.js';
import { initialPrompts } from './runGoal.js';
import type { ModelSet } from './models.js';
import type { RunReport } from './report.js';

export interface JudgedRun extends JudgedScore {
  /** The history file the judged outcome went to, or null (learning off). */
  historyFile: string | null;
}

export async function judgeRunOutcome(a: {
  config: LoadedConfig;
  models: ModelSet;
  report: RunReport;
  workspace: string;
  tracesDir: string;
  rubric?: string[];
}): Promise<JudgedRun> {
  const setup = await judgeFromConfig(a.config, a.models, a.tracesDir);
  try {
    const r = a.report;
    const example = { input: r.goal, ...(a.rubric && rubricFrom(a.rubric) ? { rubric: rubricFrom(a.rubric) } : {}) };
    const judged = await judgeRun(
      setup,
      example,
      { status: r.status, answer: r.answer, reason: r.reason },
      { trajectory: trajectoryText(r), workspace: a.workspace },
    );
    const historyFile = r.learning.enabled ? r.learning.historyFile : null;
    if (historyFile) await appendJudgedOutcome(a.config, historyFile, r, judged);
    return { ...judged, historyFile };
  } finally {
    setup.close();
  }
}

async function appendJudgedOutcome(config: LoadedConfig, file: string, r: RunReport, judged: JudgedScore): Promise<void> {
  const settings = config.gepa.online;
  const outcome: Outcome = {
    outcome: 'goal',
    candidateId: r.learning.candidateId ?? 'seed',
    components: Object.keys(r.learning.prompts),
    input: `Goal: ${r.goal}`,
    output: r.status === 'completed' ? r.answer : r.reason,
    score: judged.score,
    feedback: `The judge scored the goal ${judged.score}: ${judged.feedback}`,
  };
  const { records } = await loadHistory(file);
  const state = recordOutcome(restoreState(records, initialPrompts(config.personas.personas), settings), outcome, settings);
  const writer = new HistoryWriter(path.resolve(file));
  await writer.open();
  try {
    writer.append({
      kind: 'outcome',
      ts: new Date().toISOString(),
      runId: r.runId,
      ...outcome,
      composite: composite(state.outcomes, settings.recency_decay) ?? judged.score,
    });
  } finally {
    writer.close();
  }
}
