/**
 * The whole actor system with real machines, real tools and a scripted
 * model: what a run does, records and reports.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ScriptedModel, reply } from '../../src/llm/scripted.js';
import type { ChatRequest } from '../../contracts/llm.js';
import { runGoal, type RunStarted } from '../../src/runtime/runGoal.js';
import { RunStore } from '../../src/runtime/runStore.js';
import { parseJsonl } from '../../src/util/jsonl.js';
import { modelSet, repoConfig, tempDir } from '../support/runtime.js';

const config = repoConfig();
const t = (id: string, title: string, status = 'pending') => ({ id, title, status, criteria: `${title} is done`, children: [] });
const planReply = (tasks: unknown[], action: unknown, rationale = 'r') => reply.json({ rationale, tasks, action });
const finalReport = (summary: string, references: string[] = []) => reply.json({ status: 'completed', summary, references });

async function setup() {
  const workspace = await tempDir();
  const traces = await tempDir();
  await fs.writeFile(path.join(workspace, 'notes.txt'), 'hello');
  return { workspace, traces };
}

describe('runGoal with a scripted model', () => {
  it('plans, dispatches an actor that uses real tools, and finishes with a full report', async () => {
    const { workspace, traces } = await setup();
    const planner = new ScriptedModel([
      planReply([t('1', 'Write out.txt')], { type: 'dispatch', taskIds: ['1'] }, 'one task is enough'),
      planReply([t('1', 'Write out.txt')], { type: 'finish', answer: 'wrote out.txt' }, 'done'),
    ]);
    const actor = new ScriptedModel([
      reply.toolCalls([
        { name: 'update_progress', args: { status: 'in_progress', message: 'writing' } },
        { name: 'write_file', args: { path: 'out.txt', content: 'result' } },
      ]),
      finalReport('wrote the file', ['out.txt']),
    ]);
    const report = await runGoal({ goal: 'write out.txt', config, workspace, tracesDir: traces, models: modelSet(planner, actor) });
    planner.assertUsedUp();
    actor.assertUsedUp();

    expect(report.status).toBe('completed');
    expect(report.answer).toBe('wrote out.txt');
    expect(await fs.readFile(path.join(workspace, 'out.txt'), 'utf8')).toBe('result');
    expect(report.ledger.tasks).toEqual([expect.objectContaining({ id: '1', status: 'completed', note: 'wrote the file' })]);
    expect(report.ledger.markdown).toContain('- [x] 1. Write out.txt');
    expect(report.planner.map((p) => p.rationale)).toEqual(['one task is enough', 'done']);
    expect(report.actors).toHaveLength(1);
    expect(report.actors[0]!.steps.map((s) => s.action?.tool)).toEqual(['update_progress', 'write_file', 'finish']);
    expect(report.actors[0]!.references).toEqual(['out.txt']);
    const expectedTokens = [...planner.requests, ...actor.requests].length;
    expect(report.usage.totalTokens).toBeGreaterThanOrEqual(expectedTokens);

    // The prompt the factory composed has all five parts of AIME §4.2.
    const system = actor.requests[0]!.messages[0]!.content;
    for (const part of ['# Persona', '# Tools', '# Knowledge', '# Environment', '# Output format']) expect(system).toContain(part);
    expect(actor.requests[0]!.tools!.map((x) => x.name)).toContain('update_progress');

    // Both files of the run are on disk, and the report on disk is the one returned.
    const onDisk = JSON.parse(await fs.readFile(report.paths.report, 'utf8'));
    expect(onDisk).toEqual(JSON.parse(JSON.stringify(report)));
    // The run's one event stream, inspect.jsonl: opened and closed by the run, in between who sent what to whom.
    expect(report.paths.inspect).toBe(path.join(report.paths.runDir, 'inspect.jsonl'));
    const events = parseJsonl<any>(await fs.readFile(report.paths.inspect!, 'utf8'), 'inspect.jsonl');
    expect(events.tornTail).toBe(false);
    expect(events.records[0]).toMatchObject({ seq: 0, kind: 'run', phase: 'start', runId: report.runId, goal: report.goal });
    expect(events.records.at(-1)).toMatchObject({ kind: 'run', phase: 'end', runId: report.runId, status: 'completed' });
    expect(events.records.map((r) => r.seq)).toEqual(events.records.map((_, i) => i));
    const types = events.records.filter((r) => r.kind === 'event').map((r) => r.type);
    for (const type of ['PLANNER.PLAN', 'PLANNER.DECIDED', 'PROGRESS.PLAN', 'PROGRESS.UPDATE', 'ACTOR.REPORTED', 'PROGRESS.REPORT', 'PROGRESS.ROLLUP']) {
      expect(types).toContain(type);
    }
    // update_progress from the actor reached the progress manager.
    expect(events.records.some((r) => r.type === 'PROGRESS.UPDATE' && r.from === 'actor:1' && r.to === 'progress' && r.payload.message === 'writing')).toBe(
      true,
    );
  });

  it('names the run itself and says so before the first event; without an event stream nothing is recorded but the run', async () => {
    const { workspace, traces } = await setup();
    const finish = () => new ScriptedModel([planReply([], { type: 'finish', answer: 'nothing to do' })]);
    const seen: string[] = [];
    const started: RunStarted[] = [];
    const report = await runGoal({
      goal: 'nothing',
      config,
      workspace,
      tracesDir: traces,
      models: modelSet(finish()),
      now: () => new Date('2026-12-01T12:13:03.456Z'),
      onRunStarted: (run) => {
        started.push(run);
        seen.push('started');
      },
      inspect: () => void (seen.length === 1 && seen.push('event')),
    });
    expect(report.runId).toMatch(/^20261201T121303Z-[0-9a-f]{6}$/);
    expect(seen).toEqual(['started', 'event']);
    const runDir = path.join(traces, 'runs', report.runId);
    expect(started).toEqual([
      { runId: report.runId, runDir, inspectFile: path.join(runDir, 'inspect.jsonl'), goal: 'nothing', workspace, model: report.model, resumed: false },
    ]);
    expect((await new RunStore(traces).readInspect(report.runId))!.records.at(-1)).toMatchObject({ kind: 'run', phase: 'end', status: 'completed' });

    const quiet = await runGoal({ goal: 'nothing', config, workspace, tracesDir: traces, models: modelSet(finish()), eventStream: false });
    expect(quiet.paths.inspect).toBeNull();
    expect((await fs.readdir(quiet.paths.runDir)).sort()).toEqual(['journal.jsonl', 'report.json', 'run.json', 'snapshot.json']);
  });

  it('re-asks the planner once with the schema errors, then goes on', async () => {
    const { workspace, traces } = await setup();
    const planner = new ScriptedModel([reply.json({ rationale: 'x', tasks: [] }), planReply([], { type: 'finish', answer: 'nothing to do' })]);
    const report = await runGoal({ goal: 'nothing', config, workspace, tracesDir: traces, models: modelSet(planner) });
    expect(report.status).toBe('completed');
    const reask = planner.requests[1]!.messages.at(-1)!.content;
    expect(reask).toContain('did not match the required JSON schema');
    expect(reask).toContain('action');
  });

  it('fails cleanly when the planner output is invalid twice', async () => {
    const { workspace, traces } = await setup();
    const planner = new ScriptedModel([reply.text('I think we should...'), reply.text('still prose')]);
    const report = await runGoal({ goal: 'x', config, workspace, tracesDir: traces, models: modelSet(planner) });
    expect(report.status).toBe('failed');
    expect(report.reason).toMatch(/planner output did not match the schema after one re-ask: the reply holds no JSON object/);
  });

  it('feeds tool errors and forbidden tools back as observations', async () => {
    const { workspace, traces } = await setup();
    const planner = new ScriptedModel([
      planReply([t('1', 'Poke around')], { type: 'dispatch', taskIds: ['1'] }),
      planReply([t('1', 'Poke around')], { type: 'finish', answer: 'ok' }),
    ]);
    const actor = new ScriptedModel([
      reply.toolCalls([
        { name: 'read_file', args: { path: '../../etc/passwd' } },
        { name: 'shell', args: { cmd: 'rm -rf /' } },
        { name: 'read_file', args: '{"path": ' },
        { name: 'web_search', args: { query: 'x' } },
      ]),
      finalReport('survived'),
    ]);
    const report = await runGoal({ goal: 'poke', config, workspace, tracesDir: traces, models: modelSet(planner, actor) });
    expect(report.status).toBe('completed');
    const obs = report.actors[0]!.steps.slice(0, 4);
    expect(obs.every((s) => !s.ok)).toBe(true);
    expect(obs[0]!.observation).toMatch(/\.\./);
    expect(obs[1]!.observation).toMatch(/shell/);
    expect(obs[2]!.observation).toMatch(/JSON/i);
    // web_search is in the web bundle, which the generalist persona does not get.
    expect(obs[3]!.observation).toMatch(/web_search/);
  });

  it('runs independent subtasks in parallel up to max_parallel_actors', async () => {
    const { workspace, traces } = await setup();
    const tasks = [t('1', 'A'), t('2', 'B'), t('3', 'C')];
    const planner = new ScriptedModel([
      planReply(tasks, { type: 'dispatch', taskIds: ['1', '2', '3'] }),
      planReply(tasks, { type: 'dispatch', taskIds: ['3'] }),
      planReply(tasks, { type: 'finish', answer: 'all three' }),
    ]);
    let inFlight = 0;
    let maxInFlight = 0;
    const release: (() => void)[] = [];
    const actor = new ScriptedModel(
      Array.from({ length: 3 }, () => async (req: ChatRequest) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        // Hold each call until two are in flight (or this is the lone third task), proving concurrency.
        await new Promise<void>((resolve) => {
          release.push(resolve);
          if (release.length >= 2 || /\[3\]/.test(req.messages[1]!.content)) release.splice(0).forEach((r) => r());
        });
        inFlight--;
        return { content: JSON.stringify({ status: 'completed', summary: 'ok', references: [] }) };
      }),
    );
    const report = await runGoal({ goal: 'abc', config, workspace, tracesDir: traces, models: modelSet(planner, actor), limits: { maxParallelActors: 2 } });
    expect(report.status).toBe('completed');
    expect(maxInFlight).toBe(2);
    expect(report.actors.map((a) => [a.taskId, a.iteration])).toEqual(
      expect.arrayContaining([
        ['1', 1],
        ['2', 1],
        ['3', 2],
      ]),
    );
  });

  it('cancels cleanly on abort and still writes the report', async () => {
    const { workspace, traces } = await setup();
    const controller = new AbortController();
    const planner = new ScriptedModel([
      async () => {
        controller.abort();
        return planReply([t('1', 'A')], { type: 'dispatch', taskIds: ['1'] });
      },
    ]);
    const report = await runGoal({ goal: 'x', config, workspace, tracesDir: traces, models: modelSet(planner), signal: controller.signal });
    expect(report.status).toBe('cancelled');
    expect(report.reason).toBe('interrupted by the user');
    expect(JSON.parse(await fs.readFile(report.paths.report, 'utf8')).status).toBe('cancelled');
  });

  it('stops at the iteration limit and at the token budget', async () => {
    const { workspace, traces } = await setup();
    const loop = () => planReply([t('1', 'A')], { type: 'dispatch', taskIds: ['1'] });
    const again = (_: ChatRequest) => ({ content: JSON.stringify({ status: 'failed', summary: 'nope', references: [] }) });
    const planner = new ScriptedModel([loop(), loop()]);
    const limited = await runGoal({
      goal: 'x',
      config,
      workspace,
      tracesDir: traces,
      models: modelSet(planner, new ScriptedModel([again, again])),
      limits: { maxIterations: 2 },
    });
    expect(limited.status).toBe('failed');
    expect(limited.reason).toBe('iteration limit (2) reached before the planner finished');

    const big = { ...loop(), usage: { promptTokens: 900, completionTokens: 200, totalTokens: 1100 } };
    const budget = await runGoal({
      goal: 'x',
      config,
      workspace,
      tracesDir: traces,
      models: modelSet(new ScriptedModel([big]), new ScriptedModel([again])),
      limits: { tokenBudget: 1000 },
    });
    expect(budget.status).toBe('failed');
    expect(budget.reason).toBe('token budget of 1000 exceeded (1100 used)');
  });

  it('refuses an empty or huge goal before doing anything', async () => {
    const { workspace, traces } = await setup();
    const models = modelSet(new ScriptedModel([]));
    await expect(runGoal({ goal: '   ', config, workspace, tracesDir: traces, models })).rejects.toThrow(/goal is empty/);
    await expect(runGoal({ goal: 'x'.repeat(30_000), config, workspace, tracesDir: traces, models })).rejects.toThrow(/limit is 20000/);
    expect(await fs.readdir(traces)).toEqual([]);
  });
});
