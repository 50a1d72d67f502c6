/**
 * `gepa-aime chat`: a REPL. Plain text chats with the configured model;
 * `/goal <text>` runs the workflow; `/quit` or `/exit` leaves.
 *
 * Ctrl-C on a terminal: with text typed it clears the line; during a model
 * call or a goal it cancels that; on an empty line it says how to leave, and a
 * second Ctrl-C there quits.
 */
import readline from 'node:readline';
import type { ChatMessage } from '../../contracts/llm.js';
import { Activity } from './activity.js';
import { describeError, loadCliConfig } from './common.js';
import { startProgressView } from './progressView.js';
import { executeGoal, modelSetFor, printReport, type RunFlags } from './run.js';
import { safeText } from './terminal.js';

const HELP = 'Type a message to chat, /goal <text> to run a goal, /help for this, /quit or /exit to leave.';
/** Keep the chat context bounded: the system prompt plus the latest turns. */
const MAX_TURNS = 40;

export async function chatCommand(flags: RunFlags): Promise<number> {
  const config = await loadCliConfig(flags);
  const activity = new Activity(config.model.max_retries);
  const model = modelSetFor(config.model, flags, activity).chat;
  const terminal = Boolean(process.stdin.isTTY);
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal });
  const history: ChatMessage[] = [];
  const say = (text: string) => process.stdout.write(`${text}\n`);

  // What Ctrl-C cancels while a model call or a goal runs.
  let busy: AbortController | null = null;
  let quitArmed = false;
  rl.on('SIGINT', () => {
    if (busy) {
      busy.abort();
      return;
    }
    if (rl.line.length > 0) {
      quitArmed = false;
      // Cursor to the end, then delete back to the start: the typed text is gone, the prompt stays.
      rl.write(null, { ctrl: true, name: 'e' });
      rl.write(null, { ctrl: true, name: 'u' });
      return;
    }
    if (quitArmed) {
      process.stdout.write('\n');
      rl.close();
      return;
    }
    quitArmed = true;
    process.stdout.write('\n(press Ctrl-C again to quit, or type /quit)\n');
    rl.prompt();
  });

  say(`gepa-aime chat with ${model.id}. ${HELP}`);
  rl.setPrompt('> ');
  rl.prompt();
  for await (const raw of rl) {
    quitArmed = false;
    const line = raw.trim();
    if (line === '/quit' || line === '/exit') break;
    if (!line) {
      rl.prompt();
      continue;
    }
    busy = new AbortController();
    const signal = busy.signal;
    try {
      if (line === '/help') say(HELP);
      else if (line === '/goal' || line.startsWith('/goal ')) {
        const report = await executeGoal(line.slice(5).trim(), { ...flags, json: false }, { approvals: { askers: [] }, ...(terminal ? { signal } : {}) });
        printReport(report, false, flags);
      } else if (line.startsWith('/')) say(`unknown command ${safeText(line.split(' ')[0] ?? '')}. ${HELP}`);
      else {
        history.push({ role: 'user', content: line });
        const view = startProgressView(activity, { ...flags, json: false });
        try {
          const response = await model.complete({
            messages: [{ role: 'system', content: 'You are a helpful assistant.' }, ...history.slice(-MAX_TURNS)],
            purpose: 'chat',
            signal,
          });
          view.dispose();
          history.push({ role: 'assistant', content: response.content });
          say(safeText(response.content));
        } finally {
          view.dispose();
        }
      }
    } catch (err) {
      if (signal.aborted) {
        if (history[history.length - 1]?.role === 'user') history.pop();
        say('cancelled');
      } else say(`error: ${describeError(err).message}`);
    } finally {
      busy = null;
    }
    rl.prompt();
  }
  rl.close();
  return 0;
}
