/**
 * Approvals on the command line: `--approve POLICY` / `--approve NAME=POLICY`,
 * `--yes`, and the terminal prompt (yes / no / always) when `run` has one.
 */
import readline from 'node:readline';
import type { Command } from 'commander';
import { parseApproveFlag, type Answer, type Asker, type PendingApproval } from '../tools/approval.js';
import type { RunOptions } from '../runtime/runGoal.js';
import { UsageError } from './common.js';
import { safeText } from './terminal.js';

export interface ApprovalFlags {
  approve?: string[];
  yes?: boolean;
}

const MAX_SHOWN_ARGS = 2_000;

export function approvalOptions(cmd: Command): Command {
  return cmd
    .option(
      '--approve <policy>',
      'approval policy: auto, ask or deny for every tool the config leaves unset, or NAME=POLICY for one tool or bundle (repeatable)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--yes', 'answer yes to every approval question (policy "ask")');
}

/** The run's approval settings from the flags; a terminal prompt when stdin and stderr are terminals. */
export function approvalsFromFlags(flags: ApprovalFlags, hooks: { beforeAsk?: () => void } = {}): NonNullable<RunOptions['approvals']> {
  const parsed = parseApproveFlag(flags.approve ?? []);
  if ('error' in parsed) throw new UsageError(parsed.error);
  const askers: Asker[] = process.stdin.isTTY && process.stderr.isTTY ? [new TerminalAsker(process.stdin, process.stderr, hooks.beforeAsk)] : [];
  return { ...parsed, ...(flags.yes ? { yes: true } : {}), askers };
}

/** Asks on the terminal: y(es), n(o) or a(lways); anything else asks again. */
export class TerminalAsker implements Asker {
  readonly by = 'user' as const;

  constructor(
    private readonly input: NodeJS.ReadableStream,
    private readonly output: NodeJS.WritableStream,
    private readonly beforeAsk?: () => void,
  ) {}

  ask(request: PendingApproval, signal: AbortSignal): Promise<Answer> {
    this.beforeAsk?.();
    const args = safeText(request.arguments);
    this.output.write(
      `\napproval needed: ${request.tool} (task ${safeText(request.taskId)}; ${safeText(request.source)})\n  arguments: ${args.length > MAX_SHOWN_ARGS ? `${args.slice(0, MAX_SHOWN_ARGS)}… (${args.length} chars)` : args}\n`,
    );
    return new Promise<Answer>((resolve, reject) => {
      const rl = readline.createInterface({ input: this.input, output: this.output, terminal: false });
      let settled = false;
      const done = (fn: () => void) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        rl.close();
        fn();
      };
      const onAbort = () =>
        done(() => {
          this.output.write(`\n(${request.tool}: answered on the dashboard or withdrawn)\n`);
          reject(new Error('the question was withdrawn'));
        });
      signal.addEventListener('abort', onAbort, { once: true });
      const prompt = () => this.output.write(`allow ${request.tool}? [y]es / [n]o / [a]lways for ${request.tool}: `);
      rl.on('line', (line) => {
        const a = line.trim().toLowerCase();
        if (a === 'y' || a === 'yes') done(() => resolve('yes'));
        else if (a === 'n' || a === 'no') done(() => resolve('no'));
        else if (a === 'a' || a === 'always') done(() => resolve('always'));
        else prompt();
      });
      rl.on('close', () => done(() => reject(new Error('the terminal closed'))));
      prompt();
    });
  }
}
