/**
 * The gepa-aime command line. Commands live in their own modules; this file
 * only declares them. Exit codes: 0 done, 1 failed, 2 bad usage or config,
 * 130 interrupted.
 */
import { Command, CommanderError } from 'commander';
import { approvalOptions } from './approvals.js';
import { chatCommand } from './chat.js';
import { dataCommand } from './data.js';
import { dashboardCommand, runWithDashboard, vizOptions, wantsServer, type VizFlags } from './dashboard.js';
import { EXIT, fail, modelOptions, runLimitOptions, UsageError, type ModelFlags } from './common.js';
import { configCommand, initCommand } from './configCommands.js';
import { doctorCommand } from './doctor.js';
import { judgeCommand } from './judge.js';
import { learningCommand } from './learning.js';
import { optimizeCommand } from './optimize.js';
import { teamCommand } from './team.js';
import { resumeCommand, runsCommand, type ResumeFlags } from './resume.js';
import { runCommand, type RunFlags } from './run.js';
import { redactProcessOutput } from '../util/secrets.js';
import { queueRunsCommand, resultCommand, runOnQueue, submitCommand, workerCommand } from './queue.js';
import { addOtelOption, endCliTelemetry, shutdownTelemetry } from './telemetry.js';
import { toolsCommand } from './tools.js';
import { packageVersion } from './version.js';

function viewOptions(cmd: Command): Command {
  return cmd.option('--verbose', 'log model calls, tool calls and retries on stderr').option('-q, --quiet', 'print only the result');
}

function runOptions(cmd: Command): Command {
  return runLimitOptions(viewOptions(modelOptions(cmd)))
    .option('--workspace <dir>', 'directory the agents work in (default: current directory)')
    .option('--traces <dir>', 'where runs are recorded (default: ./traces)')
    .option('--record <file>', 'append every model exchange to this JSONL file')
    .option('--replay <file>', 'answer every model call from a --record file, with no network; pins the recorded prompts, no learning')
    .option('--no-learn', 'no online learning for this run: prompts in force, nothing recorded or proposed');
}

export function buildProgram(): Command {
  const program = new Command('gepa-aime')
    .description('Run goals with a team of LLM agents (AIME) that improves its own prompts (GEPA).')
    .version(packageVersion(), '-V, --version', 'print the version')
    .exitOverride();

  vizOptions(
    approvalOptions(
      runOptions(program.command('run').description('run a goal with the planner and a team of actors').argument('<goal...>', 'what you want done')),
    ),
  )
    .option('--json', 'print the full JSON report on stdout and nothing else')
    .option('--judge', 'score the run with the judge afterwards; with online learning on, the judged outcome goes to the learning history')
    .option('--rubric <criteria...>', '--judge: the criteria (default: judge.rubric, else one the judge writes for the goal)')
    .option('--redis <url>', "queue the goal for a worker on this Redis and follow it live (the worker's config and workspace apply)")
    .action(async (goal: string[], flags: VizFlags & { judge?: boolean; redis?: string }) => {
      if (flags.judge && wantsServer(flags))
        throw new UsageError('--judge cannot be combined with --viz or --inspect yet: judge the run without the dashboard');
      if (flags.redis && (flags.judge || wantsServer(flags)))
        throw new UsageError('--redis cannot be combined with --judge, --viz or --inspect yet: the run happens on a worker');
      if (flags.redis) process.exitCode = await runOnQueue(goal, { ...flags, redis: flags.redis });
      else process.exitCode = wantsServer(flags) ? await runWithDashboard(goal, flags) : await runCommand(goal, flags);
    });

  runOptions(program.command('chat').description('chat with the configured model; /goal <text> runs a goal')).action(async (flags: RunFlags) => {
    process.exitCode = await chatCommand(flags);
  });

  modelOptions(program.command('doctor').description('check the configured model endpoint: health, models, tool calls, JSON-schema output')).action(
    async (flags: ModelFlags) => {
      process.exitCode = await doctorCommand(flags);
    },
  );

  viewOptions(
    approvalOptions(
      modelOptions(
        program.command('resume').description('finish a run that a crash or kill cut short').argument('<runId>', 'the run to resume (see: gepa-aime runs)'),
      ),
    ),
  )
    .option('--workspace <dir>', 'workspace, if not the one the run started in')
    .option('--traces <dir>', 'where runs are recorded (default: ./traces)')
    .option('--json', 'print the full JSON report on stdout and nothing else')
    .action(async (runId: string, flags: ResumeFlags) => {
      process.exitCode = await resumeCommand(runId, flags);
    });

  program
    .command('runs')
    .description('list recorded runs with their id and status')
    .option('--traces <dir>', 'where runs are recorded (default: ./traces)')
    .option('--json', 'print the list as JSON')
    .option('--redis <url>', 'list the goal runs on this Redis queue (queued, active, finished, failed) and the workers instead')
    .action(async (flags: { traces?: string; json?: boolean; redis?: string }) => {
      process.exitCode = flags.redis ? await queueRunsCommand({ ...flags, redis: flags.redis }) : await runsCommand(flags);
    });

  toolsCommand(program);
  dashboardCommand(program);
  teamCommand(program);
  optimizeCommand(program);
  judgeCommand(program);
  dataCommand(program);
  workerCommand(program, modelOptions);
  submitCommand(program);
  resultCommand(program);
  learningCommand(program);
  initCommand(program);
  configCommand(program, modelOptions);
  addOtelOption(program);

  // A usage error is one line and a pointer to the help of the command it was for.
  const oneLineErrors = (cmd: Command, name: string) => {
    cmd.showHelpAfterError(`see: ${name} --help`);
    for (const sub of cmd.commands) oneLineErrors(sub, `${name} ${sub.name()}`);
  };
  oneLineErrors(program, program.name());
  return program;
}

/** `gepa-aime runs | head -2`: the reader left; stop quietly instead of a stack trace. */
function quietOnEpipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? EXIT.ok);
    throw err;
  });
}

async function main(argv: string[]): Promise<void> {
  redactProcessOutput(); // whatever a server echoes, a configured key never reaches the terminal
  quietOnEpipe(process.stdout);
  quietOnEpipe(process.stderr);
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    await endCliTelemetry();
  } catch (err) {
    await shutdownTelemetry(); // bounded; the exits below also end any exporter retries
    if (err instanceof CommanderError) {
      // Help and version are not errors; everything else commander rejects is bad usage.
      process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage);
    }
    fail(err);
  }
}

void main(process.argv);
