/**
 * The engine's accounting rules (issue 12): discovery counted after the
 * validation that found a candidate, a hard budget under any budget (a
 * property), consecutive reflection failures ending the run, traces kept only
 * for train examples, and adapters handed whole batches.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDefaultAdapter } from '../../src/gepa/defaultAdapter.js';
import { eventLines, loadRun, optimize, type GepaAdapter, type GepaProgressEvent, type IterationRecord } from '../../src/gepa/index.js';
import type { DefaultExample } from '../../src/gepa/dataset.js';
import { reply, ScriptedModel } from '../../src/llm/scripted.js';
import { FnModel, keywordReflectionModel, keywordTaskModel, seed, tmpDir, trainset, valset, WORDS } from './support.js';

function run(settings: Record<string, unknown>, over: Record<string, unknown> = {}) {
  const task = keywordTaskModel();
  const records: IterationRecord[] = [];
  const batches: number[] = [];
  const inner = createDefaultAdapter({ model: task });
  const adapter: GepaAdapter<DefaultExample> = {
    ...inner,
    evaluate: (batch, candidate, traces, options) => {
      batches.push(batch.length);
      return inner.evaluate(batch, candidate, traces, options);
    },
  };
  const done = optimize({
    adapter,
    trainset: trainset(),
    valset: valset(),
    seedCandidate: seed,
    reflectionModel: keywordReflectionModel(),
    settings: { seed: 1, ...settings },
    onProgress: (e) => void (e.type === 'iteration' && records.push(e.record)),
    ...over,
  });
  return { task, records, batches, done };
}

describe('GEPA accounting', () => {
  it('records discovery after the validation that found the candidate', async () => {
    const s = run({ max_metric_calls: 80 });
    const result = await s.done;
    expect(result.candidates[0]!.foundAtMetricCalls).toBe(8); // the seed's validation is paid
    for (const c of result.candidates.slice(1)) {
      const accepted = s.records.find((r) => r.new_candidate === c.id)!;
      expect(c.foundAtMetricCalls).toBe(accepted.metric_calls);
    }
  });

  it('never exceeds any budget that covers the seed validation (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 8, max: 70 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 5 }), async (max, minibatch, seedN) => {
        const s = run({ max_metric_calls: max, minibatch_size: minibatch, seed: seedN });
        const result = await s.done;
        expect(result.metricCalls).toBeLessThanOrEqual(max);
        expect(s.task.calls).toBe(result.metricCalls);
      }),
      { numRuns: 40 },
    );
  });

  it('hands the adapter whole batches: the validation set at once, minibatches at once', async () => {
    const s = run({ max_metric_calls: 40, minibatch_size: 3 });
    await s.done;
    expect(s.batches[0]).toBe(8);
    expect(Math.max(...s.batches.slice(1))).toBeLessThanOrEqual(8);
    expect(s.batches.slice(1).some((n) => n > 1)).toBe(true);
  });

  it('stops with reflection_failed after N reflections in a row fail, and a success resets the count', async () => {
    const down = new FnModel(() => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:9');
    });
    const s = run({ max_metric_calls: 500, max_reflection_failures: 3 }, { reflectionModel: down });
    const result = await s.done;
    expect(result.stopReason).toBe('reflection_failed');
    expect(s.records.slice(1).map((r) => r.outcome)).toEqual(['reflection_failed', 'reflection_failed', 'reflection_failed']);

    const flaky = new ScriptedModel([
      new Error('down'),
      new Error('down'),
      reply.text('```\nKEY:alpha\n```'),
      ...Array.from({ length: 3 }, () => new Error('down')),
    ]);
    const t = run({ max_metric_calls: 500, max_reflection_failures: 3, chain_length: 1 }, { reflectionModel: flaky });
    const r2 = await t.done;
    expect(r2.stopReason).toBe('reflection_failed');
    const outcomes = t.records.slice(1).map((r) => r.outcome);
    expect(outcomes.filter((o) => o === 'reflection_failed')).toHaveLength(5);
    expect(outcomes.at(-1)).toBe('reflection_failed');
  });

  it('keeps traces only for train examples', async () => {
    const dir = await tmpDir('gepa-traces-');
    await optimize({
      adapter: createDefaultAdapter({ model: keywordTaskModel() }),
      trainset: trainset(WORDS.slice(0, 6)),
      valset: valset(WORDS.slice(6, 12)),
      seedCandidate: seed,
      reflectionModel: keywordReflectionModel(),
      settings: { seed: 2, max_metric_calls: 40 },
      runDir: dir,
    });
    const lines = (await fsp.readFile(path.join(dir, 'evals.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const train = new Set(JSON.parse(await fsp.readFile(path.join(dir, 'state.json'), 'utf8')).state.exampleIds.train);
    const [onTrain, onVal] = [lines.filter((l) => train.has(l.example)), lines.filter((l) => !train.has(l.example))];
    expect(onTrain.length).toBeGreaterThan(0);
    expect(onVal.length).toBeGreaterThan(0);
    expect(onTrain.every((l) => l.record.trajectory !== undefined)).toBe(true);
    expect(onVal.every((l) => l.record.trajectory === undefined)).toBe(true);
  });

  it('chains accepted children: fewer validations to the same best score, every pool candidate fully validated', async () => {
    const one = run({ max_metric_calls: 300, chain_length: 1, minibatch_size: 2 });
    const six = run({ max_metric_calls: 300, chain_length: 6, minibatch_size: 2 });
    const [r1, r6] = [await one.done, await six.done];
    expect(r6.bestValScore).toBe(r1.bestValScore);
    const firstBest = (records: IterationRecord[], best: number) => records.find((r) => r.best_val_score >= best)!.metric_calls;
    expect(firstBest(six.records, r6.bestValScore)).toBeLessThan(firstBest(one.records, r1.bestValScore));
    expect(six.records.some((r) => r.chain >= 2)).toBe(true);
    expect(one.records.every((r) => r.chain <= 1)).toBe(true);
    for (const c of r6.candidates) expect(Number.isFinite(c.valScore)).toBe(true);
  });

  it('stops once the reflection model has used its token budget, and no reflection starts past it', async () => {
    const reflection = keywordReflectionModel();
    const inner = reflection.complete.bind(reflection);
    let calls = 0;
    reflection.complete = async (req) => {
      calls++;
      return { ...(await inner(req)), usage: { promptTokens: 80, completionTokens: 20, totalTokens: 100 } };
    };
    const s = run({ max_metric_calls: 500, max_reflection_tokens: 250, chain_length: 1 }, { reflectionModel: reflection });
    const result = await s.done;
    expect(result.stopReason).toBe('max_reflection_tokens');
    expect(calls).toBe(3); // 100, 200 (< 250: go on), 300 (>= 250: stop before the next)
    expect(result.reflectionTokens).toBe(300);
    expect(result.toJson().reflection_tokens).toBe(300);
  });

  it('scores the chosen candidate on a held-out test set, beside its validation score, outside the budget', async () => {
    const s = run({ max_metric_calls: 60 }, { testset: valset(WORDS.slice(8, 12)) });
    const result = await s.done;
    expect(result.test).toBeDefined();
    expect(result.test!.metricCalls).toBe(4);
    expect(result.test!.scores).toHaveLength(4);
    expect(result.toJson()).toMatchObject({ test_score: result.test!.score, test_metric_calls: 4 });
    expect(s.task.calls).toBe(result.metricCalls + 4);
    // The best candidate learned only train keys: the unseen words fail.
    expect(result.test!.score).toBe(0);
  });

  it('streams iterations, proposals and acceptances as events', async () => {
    const lines: Record<string, unknown>[] = [];
    const s = run({ max_metric_calls: 60 }, { onProgress: (e: GepaProgressEvent) => lines.push(...eventLines(e)) });
    const result = await s.done;
    const types = lines.map((l) => l['type']);
    expect(types[0]).toBe('start');
    expect(types.at(-1)).toBe('done');
    const accepted = lines.filter((l) => l['type'] === 'acceptance');
    expect(accepted.map((a) => a['candidate'])).toEqual(result.candidates.slice(1).map((c) => c.id));
    for (const a of accepted) expect(a['found_at_metric_calls']).toBe(result.candidates[a['candidate'] as number]!.foundAtMetricCalls);
    expect(types.filter((t) => t === 'proposal').length).toBeGreaterThanOrEqual(accepted.length);
  });

  it('keeps objective and hybrid frontiers: a candidate best on one objective stays selectable', async () => {
    // Objective "recall" rewards knowing keys; objective "brevity" rewards short prompts: no candidate wins both.
    const adapter: GepaAdapter<DefaultExample> = {
      async evaluate(batch, candidate, traces) {
        const sys = candidate['system_prompt']!;
        const rows = batch.map((e) => {
          const w = e.input.slice('word:'.length);
          const recall = sys.includes(`KEY:${w}`) ? 1 : 0;
          return { recall, brevity: sys.length < 40 ? 1 : 0, w };
        });
        return {
          outputs: rows.map((r) => String(r.recall)),
          scores: rows.map((r) => r.recall),
          objectiveScores: rows.map((r) => ({ recall: r.recall, brevity: r.brevity })),
          ...(traces
            ? { trajectories: rows.map((r) => ({ input: `word:${r.w}`, response: '', score: r.recall, feedback: r.recall ? 'ok' : `needs KEY:${r.w}` })) }
            : {}),
        };
      },
      makeReflectiveDataset: (_c, b, comps) =>
        Object.fromEntries(
          comps.map((c) => [c, (b.trajectories as { input: string; feedback: string }[]).map((t) => ({ Inputs: t.input, Feedback: t.feedback }))]),
        ),
    };
    for (const frontier_type of ['objective', 'hybrid'] as const) {
      const dir = await tmpDir('gepa-frontier-');
      const result = await optimize({
        adapter,
        trainset: trainset(),
        valset: valset(),
        seedCandidate: { system_prompt: 'Short.' },
        reflectionModel: keywordReflectionModel(),
        settings: { seed: 1, max_metric_calls: 80, frontier_type },
        runDir: dir,
      });
      expect(result.candidates.length).toBeGreaterThan(1);
      const state = JSON.parse(await fsp.readFile(path.join(dir, 'state.json'), 'utf8')).state;
      expect(state.frontierKeys.filter((k: string) => k.startsWith('o:'))).toEqual(['o:brevity', 'o:recall']);
      expect(state.frontierKeys.some((k: string) => k.startsWith('i:'))).toBe(frontier_type === 'hybrid');
      // The short seed is best on brevity and is kept on the frontier; resume rebuilds the same frontier.
      const saved = await loadRun(dir);
      expect(saved!.state.frontier.members[state.frontierKeys.indexOf('o:brevity')]).toContain(0);
    }
    // An objective frontier with an adapter that reports no objectives is an input error.
    await expect(
      optimize({
        adapter: createDefaultAdapter({ model: keywordTaskModel() }),
        trainset: trainset(),
        valset: valset(),
        seedCandidate: seed,
        reflectionModel: keywordReflectionModel(),
        settings: { max_metric_calls: 40, frontier_type: 'objective' },
      }),
    ).rejects.toThrow(/frontier_type "objective" needs objective scores/);
  });

  it('validates several seed candidates into the pool before the search, counted in the budget check and on resume', async () => {
    const seeds = [{ system_prompt: 'Seed A KEY:alpha' }, { system_prompt: 'Seed B KEY:bravo KEY:charlie' }];
    const s = run({ max_metric_calls: 80 }, { extraSeeds: seeds });
    const result = await s.done;
    expect(result.candidates.slice(0, 3).map((c) => c.origin)).toEqual(['seed', 'seed', 'seed']);
    expect(result.candidates[2]!.components).toEqual(seeds[1]);
    expect(result.candidates[2]!.valScore).toBe(2 / 8);
    expect(s.records.slice(0, 3).map((r) => r.kind)).toEqual(['seed', 'seed', 'seed']);
    await expect(run({ max_metric_calls: 23 }, { extraSeeds: seeds }).done).rejects.toThrow(/cannot cover .*24 metric calls/);
    await expect(run({ max_metric_calls: 80 }, { extraSeeds: [{ other: 'x' }] }).done).rejects.toThrow(/seed candidate 2 must have the same components/);
  });
});
