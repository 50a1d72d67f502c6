/**
 * Team runs and optimize through the public entries: typed events derived
 * from the runtime's own streams, one end event matching the result, and
 * cancellation.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import fs from 'node:fs/promises';
import { loadTeam, parseTeam, runTeam, type TeamEvent } from '../../src/api/index.js';
import { optimize, type GepaAdapter, type OptimizeEvent } from '../../src/api/gepa.js';
import { collectEvents, reply, ScriptedModel, tempWorkspace } from '../../src/api/testing.js';

const EXAMPLES = path.resolve(import.meta.dirname, '..', '..', 'examples', 'teams');

describe('runTeam (library)', () => {
  it("a denying approval handler keeps an agent's write from running; the agent sees the denial", async () => {
    const ws = await tempWorkspace();
    const team = parseTeam('agents:\n  scribe:\n    instruction: Write the note to note.txt.\n    output_key: done\n    tools: [filesystem]\n');
    const model = new ScriptedModel([reply.toolCall('write_file', { path: 'note.txt', content: 'hi' }), reply.text('could not write')]);
    const run = runTeam(team, { input: 'hi', workspace: ws.dir, model, approval: () => 'deny' });
    const events = await collectEvents(run);
    const report = await run.report;
    model.assertUsedUp();
    await expect(fs.access(path.join(ws.dir, 'note.txt'))).rejects.toThrow();
    expect(report.traces[0]!.toolCalls).toEqual([expect.objectContaining({ name: 'write_file', ok: false, observation: expect.stringContaining('denied') })]);
    expect(events.map((e) => e.type)).toEqual([
      'agent.started',
      'approval.requested',
      'approval.decided',
      'agent.tool_call',
      'model.usage',
      'agent.finished',
      'run.end',
    ]);
    expect(events[1]).toMatchObject({ requester: 'scribe', tool: 'write_file' });
    await ws.cleanup();
  });

  it('streams each agent start, finish and usage, then one run.end with the report', async () => {
    const run = runTeam(path.join(EXAMPLES, 'refine-loop.yaml'), { input: 'Fresh bread, baked at dawn.' });
    const events = await collectEvents(run);
    const report = await run.report;
    expect(['completed', 'failed']).toContain(report.status);
    const ends = events.filter((e) => e.type === 'run.end');
    expect(ends).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ type: 'run.end', status: report.status, output: report.output });
    const finished = events.flatMap((e) => (e.type === 'agent.finished' ? [e.trace] : []));
    expect(finished).toEqual(report.traces);
    const started = events.filter((e) => e.type === 'agent.started');
    expect(started.map((e) => e.agent)).toEqual(report.traces.map((t) => t.agent));
    // every agent starts before it finishes
    for (const [i, e] of events.entries())
      if (e.type === 'agent.finished') expect(events.slice(0, i).some((s) => s.type === 'agent.started' && s.agent === e.agent)).toBe(true);
    const usage = events.filter((e): e is Extract<TeamEvent, { type: 'model.usage' }> => e.type === 'model.usage');
    expect(usage.at(-1)!.total).toEqual(report.usage);
  });

  it('cancel() ends the run as cancelled, with one run.end', async () => {
    const run = runTeam(loadTeam(path.join(EXAMPLES, 'generator-critic.yaml')), { input: 'fresh coffee every morning' });
    run.cancel();
    const events = await collectEvents(run);
    const report = await run.report;
    expect(report.status).toBe('cancelled');
    expect(events.filter((e) => e.type === 'run.end')).toEqual([expect.objectContaining({ status: 'cancelled' })]);
  });
});

/** A toy system: a candidate scores 1 on an example when its prompt contains the example's word. */
const adapter: GepaAdapter<{ word: string }, string> = {
  async evaluate(batch, candidate) {
    const p = candidate['prompt'] ?? '';
    return { outputs: batch.map(() => p), scores: batch.map((e) => (p.includes(e.word) ? 1 : 0)), trajectories: batch.map(() => p) };
  },
  makeReflectiveDataset(_c, evalBatch, components) {
    return Object.fromEntries(components.map((c) => [c, evalBatch.outputs.map((o, i) => ({ output: o, score: evalBatch.scores[i] }))]));
  },
  proposeNewTexts(candidate) {
    return { prompt: `${candidate['prompt']} alpha beta` };
  },
};
const data = [{ word: 'alpha' }, { word: 'beta' }];

describe('optimize (library)', () => {
  it('streams start, proposals, acceptances and iterations, and ends with the result', async () => {
    const run = optimize({
      adapter,
      trainset: data,
      valset: data,
      seedCandidate: { prompt: 'seed' },
      settings: { max_metric_calls: 20, seed: 1 },
    });
    const events: OptimizeEvent[] = await collectEvents(run);
    const result = await run.result;
    expect(events[0]).toMatchObject({ type: 'optimize.started', resumed: false });
    expect(events.at(-1)).toMatchObject({ type: 'run.end', status: 'completed', result });
    expect(events.filter((e) => e.type === 'run.end')).toHaveLength(1);
    const accepted = events.filter((e) => e.type === 'optimize.accepted');
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    expect(events.some((e) => e.type === 'optimize.proposal' && e.accepted)).toBe(true);
    expect(result.bestValScore).toBe(1);
    expect(result.bestCandidate['prompt']).toContain('alpha');
    const iterations = events.filter((e) => e.type === 'optimize.iteration');
    expect(iterations.at(-1)!.record.best_val_score).toBe(1);
  });

  it('bad input rejects the result and the stream', async () => {
    const run = optimize({ adapter, trainset: [], valset: data, seedCandidate: { prompt: 'seed' } });
    await expect(run.result).rejects.toThrow(/train set is empty/);
    await expect(collectEvents(run)).rejects.toThrow(/train set is empty/);
  });
});
