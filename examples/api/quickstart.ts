// The README's ten-line program: a goal on the embedded offline model, its events streamed.
import { runGoal } from 'gepa-aime';

const run = runGoal('Summarise the repository layout and propose next steps', { workspace: process.argv[2] ?? '.', learning: false });
for await (const event of run.events()) {
  if (event.type === 'planner.decided') console.log(`plan #${event.iteration}: ${event.action.type}`);
  if (event.type === 'actor.step' && event.step.action) console.log(`  [${event.taskId}] ${event.step.action.tool}`);
}
const report = await run.report;
console.log(`status: ${report.status}\n${report.answer}`);
