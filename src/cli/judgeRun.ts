/**
 * `run --judge`: the judge scores the finished run; the verdict is printed
 * (or added to the --json report as `judge`) and written to the run
 * directory as judge.json. A judge that cannot judge makes the command fail
 * (exit 1) with the reason; the run itself and its report are kept.
 */
import path from 'node:path';
import { JudgeError } from '../judge/index.js';
import { judgeRunOutcome } from '../runtime/judgeOutcome.js';
import { createModelSet } from '../runtime/models.js';
import type { RunReport } from '../runtime/report.js';
import { RunStore } from '../runtime/runStore.js';
import { EXIT, loadCliConfig, type ModelFlags } from './common.js';
import { safeText } from './terminal.js';

/** What `run` passes on (a subset of its flags). */
export interface JudgeRunFlags extends ModelFlags {
  json?: boolean;
  workspace?: string;
  traces?: string;
  rubric?: string[];
}

/** `print` is run.ts's report printer (passed in, so the two modules do not import each other). */
export async function judgeAfterRun(
  report: RunReport,
  flags: JudgeRunFlags,
  runCode: number,
  printReport: (report: RunReport, json: boolean) => void,
): Promise<number> {
  const config = await loadCliConfig(flags);
  let judged: Awaited<ReturnType<typeof judgeRunOutcome>>;
  try {
    judged = await judgeRunOutcome({
      config,
      models: createModelSet(config.model),
      report,
      workspace: path.resolve(flags.workspace ?? '.'),
      tracesDir: path.resolve(flags.traces ?? 'traces'),
      ...(flags.rubric ? { rubric: flags.rubric } : {}),
    });
  } catch (err) {
    printReport(report, Boolean(flags.json));
    if (err instanceof JudgeError) {
      process.stderr.write(`gepa-aime: the run was not judged: ${err.message}\n`);
      return EXIT.failed;
    }
    throw err;
  }
  const verdict = {
    score: judged.score,
    feedback: judged.feedback,
    rubric: judged.rubric,
    criteria: judged.criteria,
    judge: judged.judge,
    cached: judged.cached,
    history: judged.historyFile,
  };
  await new RunStore(path.resolve(flags.traces ?? 'traces')).writeJudgement(report.runId, verdict);
  if (flags.json) process.stdout.write(`${JSON.stringify({ ...report, judge: verdict }, null, 2)}\n`);
  else {
    printReport(report, false);
    process.stdout.write(
      `judge: ${judged.score} — ${safeText(judged.feedback)}${judged.historyFile ? `\n(judged outcome added to ${judged.historyFile})` : ''}\n`,
    );
  }
  return runCode;
}
