/**
 * Extension point: a tool. Zod parameters (the model's arguments are checked
 * before `run` sees them), a side-effect flag, and an approval default. Here a
 * scripted model stands in for a real one so the example runs offline; with a
 * server, pass `model: { provider: 'vllm', api_base, model }` instead.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { defineTool, runGoal, type ApprovalHandler } from 'gepa-aime';
import { actorReport, plannerReply, reply, ScriptedModel, task, tempWorkspace } from 'gepa-aime/testing';

const wordCount = defineTool({
  name: 'word_count',
  description: 'Counts the words of a text file in the workspace.',
  parameters: z.object({ path: z.string().describe('a file path relative to the workspace') }),
  run: async ({ path: rel }, ctx) => {
    const file = path.resolve(ctx.workspace, rel);
    if (!file.startsWith(ctx.workspace + path.sep)) return { ok: false, output: `${rel} is outside the workspace` };
    const words = (await fs.readFile(file, 'utf8')).split(/\s+/).filter(Boolean).length;
    return { ok: true, output: `${rel} has ${words} words`, references: [rel] };
  },
});

const publish = defineTool({
  name: 'publish',
  description: 'Publishes a note to the team channel.',
  parameters: z.object({ text: z.string().max(500) }),
  sideEffect: true, // changes the world: asks the approval handler first
  run: ({ text }) => ({ ok: true, output: `published: ${text}` }),
});

// Approves nothing that publishes; everything else that asks is approved.
const approval: ApprovalHandler = (request) => (request.tool === 'publish' ? { decision: 'deny', reason: 'publishing needs a human' } : 'approve');

const ws = await tempWorkspace({ 'notes.txt': 'three little words' });
const planner = new ScriptedModel([
  plannerReply([task('1', 'Count the words of notes.txt')], { type: 'dispatch', taskIds: ['1'] }),
  plannerReply([task('1', 'Count the words of notes.txt', 'completed')], { type: 'finish', answer: 'notes.txt has 3 words' }),
]);
const actor = new ScriptedModel([
  reply.toolCalls([
    { name: 'word_count', args: { path: 'notes.txt' } },
    { name: 'publish', args: { text: 'notes.txt has 3 words' } },
  ]),
  actorReport('notes.txt has 3 words; publishing was denied', { references: ['notes.txt'] }),
]);

const run = runGoal('Count the words in notes.txt and publish the count', {
  workspace: ws.dir,
  tracesDir: ws.traces,
  learning: false,
  model: { planner, actor },
  tools: [wordCount, publish],
  approval,
});
for await (const event of run.events()) {
  if (event.type === 'actor.step' && event.step.action) console.log(`${event.step.action.tool}: ${event.step.observation.split('\n')[0]}`);
  if (event.type === 'approval.decided') console.log(`approval of ${event.tool}: ${event.decision} (${event.reason})`);
}
console.log(`status: ${(await run.report).status}`);
await ws.cleanup();
