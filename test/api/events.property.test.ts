/**
 * Properties of every goal run's event stream, over random runs: random
 * tasks, random tool calls (good, failing, unknown, broken JSON, writes), a
 * random approval handler and a random cancellation point. Whatever happens:
 * `run.started` is first, exactly one `run.end` is last and matches the
 * report, the streamed steps are the report's steps, every approval request
 * is decided once before its step, and the usage total ends at the report's.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runGoal, type ChatModel, type ChatRequest, type ChatResponse, type GoalEvent } from '../../src/api/index.js';
import { tempWorkspace } from '../../src/api/testing.js';

type Call = { name: string; arguments: string };
const CALLS: Call[] = [
  { name: 'read_file', arguments: '{"path":"a.txt"}' },
  { name: 'read_file', arguments: '{"path":"missing.txt"}' },
  { name: 'list_dir', arguments: '{"path":"."}' },
  { name: 'write_file', arguments: '{"path":"out.txt","content":"x"}' },
  { name: 'no_such_tool', arguments: '{}' },
  { name: 'write_file', arguments: '{not json' },
  { name: 'update_progress', arguments: '{"status":"in_progress","message":"working"}' },
];

const usage = { promptTokens: 3, completionTokens: 2, totalTokens: 5 };
const response = (content: string, toolCalls: ChatResponse['toolCalls'] = []): ChatResponse => ({
  content,
  toolCalls,
  usage,
  finishReason: toolCalls.length ? 'tool_calls' : 'stop',
  model: 'prop',
});

/** Planner: dispatch tasks 1..n one by one, then finish. Actor for task i: the scripted call batches, then a report. */
function models(plan: Call[][][]): { planner: ChatModel; actor: ChatModel } {
  const tasks = (done: number) =>
    plan.map((_, i) => ({
      id: String(i + 1),
      title: `Task ${i + 1}`,
      status: i < done ? 'completed' : 'pending',
      criteria: 'done',
      children: [],
    }));
  let dispatched = 0;
  const planner: ChatModel = {
    id: 'planner',
    async complete() {
      const action = dispatched < plan.length ? { type: 'dispatch', taskIds: [String(++dispatched)] } : { type: 'finish', answer: 'all done' };
      return response(JSON.stringify({ rationale: 'next', tasks: tasks(dispatched - 1), action }));
    },
  };
  const actor: ChatModel = {
    id: 'actor',
    async complete(req: ChatRequest) {
      const taskId = Number(/actor:(\d+)@/.exec(req.callId ?? '')?.[1] ?? '1');
      const batches = plan[taskId - 1] ?? [];
      const made = req.messages.filter((m) => m.role === 'assistant').length;
      const batch = batches[made];
      if (batch)
        return response(
          '',
          batch.map((c, i) => ({ id: `c${taskId}-${made}-${i}`, ...c })),
        );
      return response(JSON.stringify({ status: 'completed', summary: `task ${taskId} done`, references: [] }));
    },
  };
  return { planner, actor };
}

const scenario = fc.record({
  plan: fc.array(fc.array(fc.array(fc.constantFrom(...CALLS), { minLength: 1, maxLength: 3 }), { maxLength: 3 }), {
    minLength: 1,
    maxLength: 3,
  }),
  approve: fc.constantFrom('approve', 'deny', 'none'),
  cancelAt: fc.option(fc.nat({ max: 40 }), { nil: null }),
});

describe('goal event stream properties', () => {
  it('holds for random runs, cancelled or not', async () => {
    const seen = { cancelled: 0, completed: 0, asked: 0, denied: 0 };
    await fc.assert(
      fc.asyncProperty(scenario, async ({ plan, approve, cancelAt }) => {
        const ws = await tempWorkspace({ 'a.txt': 'alpha' });
        const run = runGoal('do the tasks', {
          workspace: ws.dir,
          tracesDir: ws.traces,
          learning: false,
          model: models(plan),
          limits: { maxActorSteps: 5, maxIterations: 8 },
          ...(approve === 'none' ? {} : { approval: () => approve as 'approve' | 'deny' }),
        });
        const events: GoalEvent[] = [];
        for await (const e of run.events()) {
          if (events.length === cancelAt) run.cancel('property cancel');
          events.push(e);
        }
        const report = await run.report;
        await ws.cleanup();

        expect(events[0]?.type).toBe('run.started');
        const ends = events.filter((e) => e.type === 'run.end');
        expect(ends).toHaveLength(1);
        expect(events.at(-1)).toBe(ends[0]);
        expect(ends[0]).toMatchObject({ status: report.status, reason: report.reason });
        if (cancelAt === null) expect(report.status).toBe('completed');

        const streamed = events.flatMap((e) => (e.type === 'actor.step' ? [[e.taskId, e.step]] : []));
        const reported = report.actors.flatMap((a) => a.steps.map((s) => [a.taskId, s]));
        // A cancelled actor's report may be cut before its last step arrived; everything reported was streamed, in order.
        expect(streamed.slice(0, reported.length)).toEqual(reported);
        if (report.status !== 'cancelled') expect(streamed).toEqual(reported);

        // Approval: asked only with a handler, only for writes, each request decided once, before its step.
        const requested = events.flatMap((e, i) => (e.type === 'approval.requested' ? [{ e, i }] : []));
        if (approve === 'none') expect(requested).toEqual([]);
        for (const { e, i } of requested) {
          expect(e.tool).toBe('write_file');
          const decided = events.findIndex((d) => d.type === 'approval.decided' && d.id === e.id);
          expect(decided).toBeGreaterThan(i);
          expect(events.filter((d) => d.type === 'approval.decided' && d.id === e.id)).toHaveLength(1);
        }
        if (approve === 'deny')
          for (const s of report.actors.flatMap((a) => a.steps))
            if (s.action?.tool === 'write_file' && s.observation.includes('was not run')) expect(s.ok).toBe(false);

        if (report.status === 'cancelled') seen.cancelled++;
        if (report.status === 'completed') seen.completed++;
        if (requested.length) seen.asked++;
        if (events.some((e) => e.type === 'approval.decided' && e.decision === 'deny')) seen.denied++;

        const totals = events.filter((e) => e.type === 'model.usage');
        if (totals.length) expect(totals.at(-1)?.total).toEqual(report.usage);
      }),
      { numRuns: 30 },
    );
    // The runs covered what the properties are about.
    for (const [what, n] of Object.entries(seen)) expect(n, what).toBeGreaterThan(0);
  }, 120_000);
});
