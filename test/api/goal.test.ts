/**
 * The library's goal runs, through the public entry modules only: the event
 * stream (order, types, exactly one end matching the report), cancellation,
 * approval, and tools given in code.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineTool, runGoal, RunInputError, type ApprovalRequest, type GoalEvent, type RunReport } from '../../src/api/index.js';
import { actorReport, collectEvents, plannerReply, reply, ScriptedModel, task, tempWorkspace } from '../../src/api/testing.js';

function expectOneEnd(events: GoalEvent[], report: RunReport) {
  const ends = events.filter((e) => e.type === 'run.end');
  expect(ends).toHaveLength(1);
  expect(events.at(-1)).toBe(ends[0]);
  expect(ends[0]).toMatchObject({ status: report.status, reason: report.reason, answer: report.answer });
  expect(events[0]).toMatchObject({ type: 'run.started', runId: report.runId, goal: report.goal });
  expect(events.filter((e) => e.type === 'run.started')).toHaveLength(1);
}

/** A planner that dispatches task 1 and then finishes, and an actor that makes the given calls then reports. */
function scripted(calls: { name: string; args: unknown }[]) {
  const planner = new ScriptedModel([
    plannerReply([task('1', 'Do the thing')], { type: 'dispatch', taskIds: ['1'] }),
    plannerReply([task('1', 'Do the thing', 'completed')], { type: 'finish', answer: 'finished' }),
  ]);
  const actor = new ScriptedModel([...(calls.length ? [reply.toolCalls(calls)] : []), actorReport('did it')]);
  return { planner, actor };
}

describe('runGoal (library)', () => {
  it("streams typed events on the offline model, in order, ending with one run.end whose status is the report's", async () => {
    const ws = await tempWorkspace({ 'README.md': '# Demo\nA small project.\n', 'src/main.ts': 'export const x = 1;\n' });
    const run = runGoal('Summarise the repository layout', { workspace: ws.dir, tracesDir: ws.traces, learning: false });
    const events = await collectEvents(run);
    const report = await run.report;
    expect(report.status).toBe('completed');
    expectOneEnd(events, report);

    const types = new Set(events.map((e) => e.type));
    for (const t of ['tasks.changed', 'planner.decided', 'actor.step', 'actor.reported', 'model.usage'] as const) expect(types).toContain(t);
    // The first planner decision comes before any actor step; every actor reports after its steps.
    expect(events.findIndex((e) => e.type === 'planner.decided')).toBeLessThan(events.findIndex((e) => e.type === 'actor.step'));
    // The steps in the stream are the report's steps, in order.
    const streamed = events.flatMap((e) => (e.type === 'actor.step' ? [[e.taskId, e.step]] : []));
    const reported = report.actors.flatMap((a) => a.steps.map((s) => [a.taskId, s]));
    expect(streamed).toEqual(reported);
    // Usage: the running total ends at the report's total (learning is off, so every call is a planner or actor call).
    const usage = events.filter((e) => e.type === 'model.usage');
    expect(usage.at(-1)!.total).toEqual(report.usage);
    // The last task list in the stream is the report's.
    const lastTasks = events.filter((e) => e.type === 'tasks.changed').at(-1)!;
    expect(lastTasks.markdown.trim()).toBe(report.ledger.markdown.trim());
    // The planner decisions are the report's.
    expect(events.flatMap((e) => (e.type === 'planner.decided' ? [e.action] : []))).toEqual(report.planner.map((p) => p.action));
    // A late subscriber sees the same stream from the start.
    expect(await collectEvents(run)).toEqual(events);
    await ws.cleanup();
  });

  it('cancel() stops the run: the report says cancelled with the reason, and the stream still ends with one run.end', async () => {
    const ws = await tempWorkspace({ 'a.txt': 'a' });
    const run = runGoal('Summarise the files', { workspace: ws.dir, tracesDir: ws.traces, learning: false });
    const events: GoalEvent[] = [];
    for await (const e of run.events()) {
      events.push(e);
      if (e.type === 'actor.step') run.cancel('enough for now');
    }
    const report = await run.report;
    expect(report.status).toBe('cancelled');
    expect(report.reason).toBe('enough for now');
    expect(run.signal.aborted).toBe(true);
    expectOneEnd(events, report);
    await ws.cleanup();
  });

  it('an AbortSignal aborted before the start cancels the run at once', async () => {
    const ws = await tempWorkspace();
    const controller = new AbortController();
    controller.abort();
    const run = runGoal('Summarise the files', { workspace: ws.dir, tracesDir: ws.traces, learning: false, signal: controller.signal });
    const events = await collectEvents(run);
    const report = await run.report;
    expect(report.status).toBe('cancelled');
    expect(report.actors).toEqual([]);
    expectOneEnd(events, report);
    await ws.cleanup();
  });

  it('a denying approval handler keeps a side-effecting call from running; the actor sees the denial; reads are not asked about', async () => {
    const ws = await tempWorkspace({ 'notes.txt': 'hello' });
    const requests: ApprovalRequest[] = [];
    const { planner, actor } = scripted([
      { name: 'read_file', args: { path: 'notes.txt' } },
      { name: 'write_file', args: { path: 'out.txt', content: 'x' } },
    ]);
    const run = runGoal('write out.txt', {
      workspace: ws.dir,
      tracesDir: ws.traces,
      learning: false,
      model: { planner, actor },
      approval: async (request) => {
        requests.push(request);
        return { decision: 'deny', reason: 'no writes today' };
      },
    });
    const events = await collectEvents(run);
    const report = await run.report;
    actor.assertUsedUp();
    await expect(fs.access(path.join(ws.dir, 'out.txt'))).rejects.toThrow();
    expect(requests.map((r) => [r.tool, r.requester, JSON.parse(r.arguments)])).toEqual([['write_file', '1', { path: 'out.txt', content: 'x' }]]);
    const steps = report.actors[0]!.steps;
    expect(steps.find((s) => s.action?.tool === 'read_file')).toMatchObject({ ok: true, observation: expect.stringContaining('hello') });
    const write = steps.find((s) => s.action?.tool === 'write_file')!;
    expect(write.ok).toBe(false);
    expect(write.observation).toContain('denied (no writes today)');
    // The model saw the denial as the tool message answering its call.
    const toolMessages = actor.requests[1]!.messages.filter((m) => m.role === 'tool');
    expect(toolMessages.at(-1)!.content).toContain('denied');
    // requested -> decided -> the step that carries the denial.
    const order = events.flatMap((e, i) =>
      e.type === 'approval.requested' || e.type === 'approval.decided' || (e.type === 'actor.step' && e.step.action?.tool === 'write_file')
        ? [[e.type, i]]
        : [],
    );
    expect(order.map(([t]) => t)).toEqual(['approval.requested', 'approval.decided', 'actor.step']);
    expect(events.find((e) => e.type === 'approval.decided')).toMatchObject({
      decision: 'deny',
      tool: 'write_file',
      reason: 'no writes today',
    });
    expectOneEnd(events, report);
    await ws.cleanup();
  });

  it('an approving handler lets the call run; a handler that throws denies', async () => {
    const ws = await tempWorkspace();
    const ok = scripted([{ name: 'write_file', args: { path: 'yes.txt', content: 'y' } }]);
    const approved = runGoal('write', { workspace: ws.dir, tracesDir: ws.traces, learning: false, model: ok, approval: () => 'approve' });
    expect((await approved.report).status).toBe('completed');
    expect(await fs.readFile(path.join(ws.dir, 'yes.txt'), 'utf8')).toBe('y');

    const bad = scripted([{ name: 'write_file', args: { path: 'no.txt', content: 'n' } }]);
    const thrown = runGoal('write', {
      workspace: ws.dir,
      tracesDir: ws.traces,
      learning: false,
      model: bad,
      approval: () => {
        throw new Error('approver offline');
      },
    });
    const report = await thrown.report;
    expect(report.actors[0]!.steps[0]!.observation).toContain('the approval handler failed: approver offline');
    await expect(fs.access(path.join(ws.dir, 'no.txt'))).rejects.toThrow();
    await ws.cleanup();
  });

  it('tools given in code reach every actor, parsed by their zod schema; approval: "deny" holds without a handler', async () => {
    const ws = await tempWorkspace();
    const seen: number[] = [];
    const add = defineTool({
      name: 'add',
      description: 'Adds two numbers.',
      parameters: z.object({ a: z.number(), b: z.number() }),
      run: ({ a, b }) => {
        seen.push(a + b);
        return { ok: true, output: String(a + b) };
      },
    });
    const launch = defineTool({
      name: 'launch',
      description: 'Launches.',
      parameters: z.object({}),
      sideEffect: true,
      approval: 'deny',
      run: () => ({ ok: true, output: 'launched' }),
    });
    const { planner, actor } = scripted([
      { name: 'add', args: { a: 2, b: 3 } },
      { name: 'add', args: { a: 'two' } },
      { name: 'launch', args: {} },
    ]);
    const run = runGoal('add', {
      workspace: ws.dir,
      tracesDir: ws.traces,
      learning: false,
      model: { planner, actor },
      tools: [add, launch],
    });
    const report = await run.report;
    expect(actor.requests[0]!.tools!.map((t) => t.name)).toEqual(expect.arrayContaining(['add', 'launch', 'update_progress']));
    const [sum, broken, launched] = report.actors[0]!.steps;
    expect(sum).toMatchObject({ ok: true, observation: '5' });
    expect(broken!.ok).toBe(false);
    expect(broken!.observation).toContain('invalid arguments');
    expect(launched!.observation).toContain('the approval policy for launch is "deny"');
    expect(seen).toEqual([5]);
    await ws.cleanup();
  });

  it('bad input rejects the report and the stream with the same error, and no end event', async () => {
    const ws = await tempWorkspace();
    const run = runGoal('   ', { workspace: ws.dir, tracesDir: ws.traces });
    await expect(run.report).rejects.toBeInstanceOf(RunInputError);
    await expect(collectEvents(run)).rejects.toBeInstanceOf(RunInputError);
    const clash = runGoal('x', {
      workspace: ws.dir,
      tracesDir: ws.traces,
      tools: [defineTool({ name: 'read_file', description: 'mine', parameters: z.object({}), run: () => ({ ok: true, output: '' }) })],
    });
    await expect(clash.report).rejects.toThrow(/clashes with a configured tool/);
    expect(() => defineTool({ name: 'bad name', description: 'd', parameters: z.object({}), run: () => ({ ok: true, output: '' }) })).toThrow(/name must be/);
    await ws.cleanup();
  });
});

describe('runGoal approval while the run is cancelled', () => {
  it('an approval request that is never answered does not hold a cancelled run', async () => {
    const ws = await tempWorkspace();
    const { planner, actor } = scripted([{ name: 'write_file', args: { path: 'x.txt', content: 'x' } }]);
    let sawSignal: AbortSignal | undefined;
    const run = runGoal('write', {
      workspace: ws.dir,
      tracesDir: ws.traces,
      learning: false,
      model: { planner, actor },
      approval: (request) => {
        sawSignal = request.signal;
        return new Promise(() => {}); // a human who never answers
      },
    });
    const events: GoalEvent[] = [];
    for await (const e of run.events()) {
      events.push(e);
      if (e.type === 'approval.requested') run.cancel('nobody answered');
    }
    const report = await run.report;
    expect(report.status).toBe('cancelled');
    expect(report.reason).toBe('nobody answered');
    expect(sawSignal?.aborted).toBe(true);
    await expect(fs.access(path.join(ws.dir, 'x.txt'))).rejects.toThrow();
    expectOneEnd(events, report);
    await ws.cleanup();
  });
});

describe('runGoal end after cancellation', () => {
  it('the report waits for a tool call that was still finishing when the run was cancelled', async () => {
    const ws = await tempWorkspace();
    let markStarted!: () => void;
    const started = new Promise<void>((resolve) => {
      markStarted = resolve;
    });
    let done = false;
    // A tool that cannot stop mid-way: aborted, it still needs many turns of the event loop to finish its write.
    const stubborn = defineTool({
      name: 'stubborn',
      description: 'Writes late.',
      parameters: z.object({}),
      sideEffect: true,
      run: async (_args, ctx) => {
        markStarted();
        await new Promise<void>((resolve) => ctx.signal?.addEventListener('abort', () => resolve(), { once: true }));
        for (let i = 0; i < 200; i++) await new Promise((resolve) => setImmediate(resolve));
        await fs.writeFile(path.join(ctx.workspace, 'late.txt'), 'late');
        done = true;
        return { ok: true, output: 'written' };
      },
    });
    const { planner, actor } = scripted([{ name: 'stubborn', args: {} }]);
    const run = runGoal('write late', {
      workspace: ws.dir,
      tracesDir: ws.traces,
      learning: false,
      model: { planner, actor },
      tools: [stubborn],
    });
    await started;
    run.cancel('stop');
    const report = await run.report;
    expect(report.status).toBe('cancelled');
    expect(done).toBe(true);
    await ws.cleanup();
  });
});
