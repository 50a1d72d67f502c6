/**
 * `gepa-aime learning`: show the online learning state (candidates, their
 * evidence, the one in force, the running trial, the last decisions), or
 * `--reset` it to the configured prompts.
 */
import type { Command } from 'commander';
import { learningStatus, resetLearning, type LearningStatus } from '../runtime/learningStatus.js';
import { EXIT, loadCliConfig, type ModelFlags } from './common.js';
import { safeText } from './terminal.js';

interface LearningFlags extends ModelFlags {
  traces?: string;
  json?: boolean;
  reset?: boolean;
}

export function learningCommand(program: Command): Command {
  return program
    .command('learning')
    .description('show the online learning state: candidates, their evidence, the one in force; --reset goes back to the configured prompts')
    .option('--config <dir>', 'config directory (default: ./config if present, else the packaged one)')
    .option('--traces <dir>', 'where runs and the learning history are (default: ./traces)')
    .option('--reset', 'forget every candidate and trial (a reset record is appended; the history is never rewritten)')
    .option('--json', 'print one JSON object')
    .action(async (flags: LearningFlags) => {
      process.exitCode = await learningCli(flags);
    });
}

async function learningCli(flags: LearningFlags): Promise<number> {
  const config = await loadCliConfig(flags);
  const traces = flags.traces ?? 'traces';
  if (flags.reset) {
    const file = await resetLearning(config, traces);
    if (flags.json) process.stdout.write(`${JSON.stringify({ reset: true, historyFile: file })}\n`);
    else process.stdout.write(`reset: later runs use the configured prompts (${file})\n`);
    return EXIT.ok;
  }
  const status = await learningStatus(config, traces);
  process.stdout.write(flags.json ? `${JSON.stringify(status, null, 2)}\n` : describe(status));
  return EXIT.ok;
}

const r3 = (x: number | null) => (x === null ? '—' : (Math.round(x * 1000) / 1000).toString());

function describe(s: LearningStatus): string {
  const out = [
    `history: ${s.historyFile}`,
    `in force: ${s.inForce}`,
    `outcomes: ${s.scoredOutcomes} scored, ${s.excludedOutcomes} excluded (infrastructure)`,
    'candidates:',
  ];
  for (const c of s.candidates) {
    const tag = c.inForce ? ' (in force)' : c.challenger ? ' (challenger)' : '';
    out.push(`  ${c.id}${tag}: ${c.goals} goals, mean ${r3(c.meanGoalScore)}, parent ${c.parentId ?? '—'}, components ${Object.keys(c.components).join(', ')}`);
  }
  if (s.trial) {
    const t = s.trial;
    out.push(
      `trial: ${t.challengerId} ${t.challenger.successes}/${t.challenger.successes + t.challenger.failures} vs ${t.championId} ${t.champion.successes}/${t.champion.successes + t.champion.failures}, P(challenger better) ${r3(t.pBetter)}`,
    );
  } else out.push('trial: none');
  for (const d of s.decisions.slice(-5)) out.push(`decision: ${d.verdict} ${d.challengerId}: ${safeText(d.reason)}`);
  return `${out.join('\n')}\n`;
}
