/**
 * `gepa-aime chat`: a REPL. Plain text chats with the configured model;
 * `/goal <text>` runs the workflow; `/quit` or `/exit` leaves.
 */
import readline from 'node:readline';
import type { ChatMessage } from '../../contracts/llm.js';
import { createModelSet } from '../runtime/models.js';
import { describeError, loadCliConfig } from './common.js';
import { executeGoal, modelSetFor, printReport, type RunFlags } from './run.js';
import { safeText } from './terminal.js';

const HELP = 'Type a message to chat, /goal <text> to run a goal, /help for this, /quit or /exit to leave.';
/** Keep the chat context bounded: the system prompt plus the latest turns. */
const MAX_TURNS = 40;

export async function chatCommand(flags: RunFlags): Promise<number> {
  const config = await loadCliConfig(flags);
  const model = (modelSetFor(config.model, flags) ?? createModelSet(config.model)).chat;
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
  const history: ChatMessage[] = [];
  const say = (text: string) => process.stdout.write(`${text}\n`);
  say(`gepa-aime chat with ${model.id}. ${HELP}`);
  rl.setPrompt('> ');
  rl.prompt();
  for await (const raw of rl) {
    const line = raw.trim();
    if (line === '/quit' || line === '/exit') break;
    if (!line) {
      rl.prompt();
      continue;
    }
    try {
      if (line === '/help') say(HELP);
      else if (line === '/goal' || line.startsWith('/goal ')) {
        const report = await executeGoal(line.slice(5).trim(), { ...flags, json: false }, { approvals: { askers: [] } });
        printReport(report, false);
      } else if (line.startsWith('/')) say(`unknown command ${safeText(line.split(' ')[0] ?? '')}. ${HELP}`);
      else {
        history.push({ role: 'user', content: line });
        const response = await model.complete({
          messages: [{ role: 'system', content: 'You are a helpful assistant.' }, ...history.slice(-MAX_TURNS)],
          purpose: 'chat',
        });
        history.push({ role: 'assistant', content: response.content });
        say(safeText(response.content));
      }
    } catch (err) {
      say(`error: ${describeError(err).message}`);
    }
    rl.prompt();
  }
  rl.close();
  return 0;
}
