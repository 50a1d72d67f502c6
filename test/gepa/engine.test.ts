/**
 * The engine end to end on the synthetic keyword task with simulated models:
 * improvement, acceptance and rejection, skip-if-perfect, every stop
 * condition, the evaluation cache, the concurrency cap, merge, failures.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { reply, ScriptedModel } from '../../src/llm/scripted.js';
import { createDefaultAdapter } from '../../src/gepa/defaultAdapter.js';
import { GepaInputError, GepaRunError, optimize, readIterations, type GepaProgressEvent, type OptimizeOptions } from '../../src/gepa/index.js';
import type { DefaultExample } from '../../src/gepa/dataset.js';
import type { IterationRecord } from '../../contracts/gepa/types.js';
import {
  FnModel,
  keywordReflectionModel,
  keywordTaskModel,
  manualClock,
  seed,
  tmpDir,
  trainset,
  twoComponentAdapter,
  userOf,
  valset,
  WORDS,
} from './support.js';

function setup(over: Partial<OptimizeOptions<DefaultExample>> = {}) {
  const task = keywordTaskModel();
  const reflection = keywordReflectionModel();
  const records: IterationRecord[] = [];
  const progress: GepaProgressEvent[] = [];
  const options: OptimizeOptions<DefaultExample> = {
    adapter: createDefaultAdapter({ model: task }),
    trainset: trainset(),
    valset: valset(),
    seedCandidate: seed,
    reflectionModel: reflection,
    settings: { max_metric_calls: 60, seed: 1 },
    onProgress: (e) => {
      progress.push(e);
      if (e.type === 'iteration') records.push(e.record);
    },
    ...over,
  };
  return { task, reflection, records, progress, options };
}

describe('GEPA engine', () => {
  it('evolves a prompt that really scores higher, with the lineage and the JSON result shape', async () => {
    const s = setup();
    const result = await optimize(s.options);
    expect(result.candidates[0]).toMatchObject({ id: 0, valScore: 0, parents: [], origin: 'seed', components: seed });
    expect(result.bestValScore).toBe(1);
    expect(result.bestCandidate['system_prompt']).toMatch(/KEY:alpha/);
    for (const c of result.candidates.slice(1)) {
      expect(c.parents).toHaveLength(1);
      expect(c.parents[0]!).toBeLessThan(c.id);
      expect(c.valScore).toBeGreaterThan(result.candidates[c.parents[0]!]!.valScore - 1e-9);
    }
    const json = result.toJson();
    expect(Object.keys(json)).toEqual(expect.arrayContaining(['best_candidate', 'best_val_score', 'metric_calls', 'wall_s', 'candidates']));
    expect(Object.keys(json.candidates[0]!)).toEqual(expect.arrayContaining(['id', 'components', 'val_score', 'parents', 'found_at_metric_calls']));
    expect(json.best_candidate).toEqual(result.bestCandidate);
    expect(json.metric_calls).toBe(result.metricCalls);
    // Progress: a start, one event per evaluated batch (counts rising to the total), one per iteration, a done.
    expect(s.progress[0]).toMatchObject({ type: 'start', resumed: false });
    const counts = s.progress.filter((e) => e.type === 'metric_call').map((e) => (e as { metricCalls: number }).metricCalls);
    expect(counts.every((c, i) => i === 0 || c > counts[i - 1]!)).toBe(true);
    expect(counts.at(-1)).toBe(result.metricCalls);
    expect(s.records.map((r) => r.iteration)).toEqual(Array.from({ length: result.iterations + 1 }, (_, i) => i));
    expect(s.progress.at(-1)).toMatchObject({ type: 'done' });
  });

  it('accepts only a strict improvement on the minibatch', async () => {
    // The reflection model rewrites the prompt but never adds a useful key: equal sums, always rejected.
    const useless = new FnModel(() => '```\nTry harder.\n```');
    const s = setup({ reflectionModel: useless, settings: { max_metric_calls: 40, seed: 2 } });
    const result = await optimize(s.options);
    expect(result.candidates).toHaveLength(1);
    const tried = s.records.filter((r) => r.kind === 'reflective');
    expect(tried.length).toBeGreaterThan(0);
    for (const r of tried) expect(r).toMatchObject({ outcome: 'rejected', new_candidate: null, parent_sum: 0, child_sum: 0 });
    // The same useless child comes back every time, from the cache: after many free iterations the run gives up.
    expect(result.stopReason).toBe('no_progress');
    expect(result.metricCalls).toBeLessThan(40);
  });

  it('skips reflection when the parent is perfect on the minibatch', async () => {
    const perfect = { system_prompt: WORDS.map((w) => `KEY:${w}`).join(' ') };
    const s = setup({ seedCandidate: perfect });
    const result = await optimize(s.options);
    expect(s.reflection.calls).toBe(0);
    expect(s.records.slice(1).every((r) => r.outcome === 'skipped_perfect')).toBe(true);
    // The only candidate is perfect on every train example: nothing can change, so the run stops.
    expect(result.stopReason).toBe('converged');
    expect(result.metricCalls).toBe(8); // train and val hold the same examples: each is paid once
  });

  it('reflects anyway when perfect_score is out of reach', async () => {
    const perfect = { system_prompt: WORDS.map((w) => `KEY:${w}`).join(' ') };
    const s = setup({ seedCandidate: perfect, settings: { max_metric_calls: 30, seed: 1, perfect_score: 2 } });
    await optimize(s.options);
    expect(s.reflection.calls).toBeGreaterThan(0);
  });

  it('stops on the metric-call budget, never starting an evaluation that could exceed it', async () => {
    for (const max of [8, 9, 10, 11, 13, 20]) {
      const s = setup({ settings: { max_metric_calls: max, seed: 1 } });
      const result = await optimize(s.options);
      expect(result.stopReason).toBe('max_metric_calls');
      expect(result.metricCalls).toBeLessThanOrEqual(max);
      expect(s.task.calls).toBe(result.metricCalls);
    }
  });

  it('refuses a budget that cannot cover the seed validation, before spending anything', async () => {
    const s = setup({ settings: { max_metric_calls: 7, seed: 1 } });
    await expect(optimize(s.options)).rejects.toThrow(/max_metric_calls 7 cannot cover the seed candidate's validation \(8 metric calls/);
    expect(s.task.calls).toBe(0);
  });

  it('stops once the target score is reached', async () => {
    const s = setup({ settings: { max_metric_calls: 500, seed: 1, target_score: 0.5 } });
    const result = await optimize(s.options);
    expect(result.stopReason).toBe('target_score');
    expect(result.bestValScore).toBeGreaterThanOrEqual(0.5);
    expect(s.records.at(-2)!.best_val_score).toBeLessThan(0.5);
  });

  it('stops when the stop file appears, and consumes it', async () => {
    const dir = await tmpDir();
    const stopFile = path.join(dir, 'please-stop');
    const s = setup({
      settings: { max_metric_calls: 500, seed: 1, stop_file: stopFile, chain_length: 1 },
      onProgress: (e) => {
        if (e.type === 'iteration' && e.record.iteration === 2) fs.writeFileSync(stopFile, '');
      },
    });
    const result = await optimize(s.options);
    expect(result.stopReason).toBe('stop_file');
    expect(result.iterations).toBe(2);
    expect(fs.existsSync(stopFile)).toBe(false);
  });

  it('stops on the wall-clock limit, measured on the given clock', async () => {
    const clock = manualClock();
    const s = setup({
      now: clock.now,
      settings: { max_metric_calls: 500, seed: 1, max_wall_s: 10 },
      onProgress: (e) => {
        if (e.type === 'iteration' && e.record.iteration === 1) clock.advance(10_000);
      },
    });
    const result = await optimize(s.options);
    expect(result.stopReason).toBe('max_wall_s');
    expect(result.iterations).toBe(1);
    expect(result.wallS).toBe(10);
  });

  it('pays each (candidate, example) pair once: cache hits are not metric calls', async () => {
    const s = setup({ settings: { max_metric_calls: 80, seed: 3, chain_length: 1 } });
    const result = await optimize(s.options);
    // One task-model call per paid evaluation, and no pair evaluated twice.
    expect(s.task.calls).toBe(result.metricCalls);
    const pairs = s.task.requests.map((r) => `${r.messages[0]!.content}|${userOf(r)}`);
    expect(new Set(pairs).size).toBe(pairs.length);
    // A cache-less engine pays the whole minibatch for parent and child and the whole valset per new candidate.
    const naive = s.records.reduce(
      (n, r) => n + (r.kind === 'seed' ? 8 : 3 + (['rejected', 'accepted'].includes(r.outcome) ? 3 : 0) + (r.outcome === 'accepted' ? 8 : 0)),
      0,
    );
    expect(result.metricCalls).toBeLessThan(naive);
  });

  it('never runs more evaluations at once than max_concurrency, and the result does not depend on it', async () => {
    const results = [];
    for (const max_concurrency of [1, 3, 8]) {
      const s = setup({ settings: { max_metric_calls: 60, seed: 4, max_concurrency } });
      const r = await optimize(s.options);
      expect(s.task.maxInFlight).toBe(max_concurrency);
      results.push(JSON.stringify({ ...r.toJson(), wall_s: 0 }));
    }
    expect(new Set(results).size).toBe(1);
  });

  it('merges two lineages that improved different components', async () => {
    const records: IterationRecord[] = [];
    const result = await optimize({
      adapter: twoComponentAdapter(WORDS.slice(0, 4)),
      trainset: trainset(),
      valset: valset(),
      seedCandidate: { solver_a: 'Solve A.', solver_b: 'Solve B.' },
      reflectionModel: keywordReflectionModel('replace'),
      settings: {
        max_metric_calls: 150,
        seed: 1,
        use_merge: true,
        candidate_selection: 'epsilon_greedy',
        epsilon: 0.5,
        max_merge_invocations: 2,
        chain_length: 1,
      },
      onProgress: (e) => void (e.type === 'iteration' && records.push(e.record)),
    });
    const merged = result.candidates.filter((c) => c.origin === 'merge');
    expect(merged.length).toBeGreaterThan(0);
    expect(merged.length).toBeLessThanOrEqual(2);
    for (const m of merged) {
      const [i, j] = m.parents.map((p) => result.candidates[p]!);
      expect(m.parents).toHaveLength(2);
      // Each component comes from one of the parents, and both parents contributed.
      const fromI = Object.keys(m.components).filter((k) => m.components[k] === i!.components[k]);
      const fromJ = Object.keys(m.components).filter((k) => m.components[k] === j!.components[k]);
      expect(new Set([...fromI, ...fromJ])).toEqual(new Set(['solver_a', 'solver_b']));
      expect(fromI.length).toBeGreaterThan(0);
      expect(fromJ.length).toBeGreaterThan(0);
      const rec = records.find((r) => r.new_candidate === m.id)!;
      expect(rec).toMatchObject({ kind: 'merge', split: 'val', parents: m.parents });
      expect(rec.child_sum!).toBeGreaterThanOrEqual(rec.parent_sum!);
    }
    // A merge is only tried right after an iteration that found a new candidate.
    records.forEach((r, k) => r.kind === 'merge' && expect(records[k - 1]).toMatchObject({ outcome: 'accepted' }));
  });

  it('rewrites every component with component_selection "all", one reflection call each', async () => {
    const reflection = keywordReflectionModel('append');
    await optimize({
      adapter: twoComponentAdapter(WORDS.slice(0, 4)),
      trainset: trainset(),
      valset: valset(),
      seedCandidate: { solver_a: 'A.', solver_b: 'B.' },
      reflectionModel: reflection,
      settings: { max_metric_calls: 30, seed: 1, component_selection: 'all', minibatch_size: 4 },
    });
    const instructions = reflection.requests.map((r) => /```\n([\s\S]*?)\n```/.exec(userOf(r))![1]);
    expect(instructions.slice(0, 2)).toEqual(['A.', 'B.']);
  });

  it('passes a custom reflection template to the reflection model', async () => {
    const template = 'CURRENT <curr_param>\nEXAMPLES <side_info>\nReply in ``` fences.';
    const s = setup({ settings: { max_metric_calls: 30, seed: 1, reflection_prompt_template: template } });
    await optimize(s.options);
    expect(userOf(s.reflection.requests[0]!).startsWith(`CURRENT ${seed['system_prompt']}\nEXAMPLES # Example 1\n`)).toBe(true);
  });

  it('loses only the iteration when reflection fails', async () => {
    const reflection = new ScriptedModel([new Error('reflection endpoint down'), reply.text('```\nKEY:alpha KEY:bravo KEY:charlie KEY:delta\n```')]);
    const s = setup({ reflectionModel: reflection, settings: { max_metric_calls: 30, seed: 1 } });
    const result = await optimize(s.options);
    expect(s.records[1]).toMatchObject({ outcome: 'reflection_failed', error: 'reflection endpoint down' });
    expect(s.records[2]!.outcome).toBe('accepted');
    expect(result.bestValScore).toBeGreaterThan(0);
  });

  it('fails with the reason when the adapter throws, keeping the last saved result', async () => {
    const s = setup();
    let n = 0;
    const broken = {
      ...s.options.adapter,
      evaluate: async (...args: Parameters<typeof s.options.adapter.evaluate>) => {
        if (++n > 2) throw new Error('database gone'); // the seed's validation and one minibatch pass
        return s.options.adapter.evaluate(...args);
      },
    };
    const err = await optimize({ ...s.options, adapter: broken }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GepaRunError);
    expect((err as GepaRunError).message).toMatch(/(evaluating|validating) .* failed: database gone/);
    expect((err as GepaRunError).result?.candidates).toHaveLength(1);
  });

  it('on cancel returns the last saved iteration; on a stop request finishes the current one', async () => {
    const controller = new AbortController();
    const a = setup({ signal: controller.signal, onProgress: (e) => void (e.type === 'iteration' && e.record.iteration === 1 && controller.abort()) });
    const cancelled = await optimize(a.options);
    expect(cancelled.stopReason).toBe('aborted');
    expect(cancelled.iterations).toBe(1);

    const stop = new AbortController();
    const b = setup({ stopSignal: stop.signal, onProgress: (e) => void (e.type === 'metric_call' && e.metricCalls > 8 && stop.abort()) });
    const stopped = await optimize(b.options);
    expect(stopped.stopReason).toBe('stop_requested');
    expect(stopped.iterations).toBe(1); // the first metric call past the seed's is inside iteration 1, which still completes
  });

  it('checks its inputs before spending anything', async () => {
    const s = setup();
    await expect(optimize({ ...s.options, trainset: [] })).rejects.toThrow(GepaInputError);
    await expect(optimize({ ...s.options, seedCandidate: {} })).rejects.toThrow('the seed candidate has no components');
    const { reflectionModel: _r, ...noReflection } = s.options;
    await expect(optimize(noReflection)).rejects.toThrow('a reflection model is required');
    await expect(optimize({ ...s.options, settings: { max_metric_calls: 0 } })).rejects.toThrow(/max_metric_calls/);
    expect(s.task.calls).toBe(0);
  });

  it('writes iterations.jsonl, state.json and result.json to the run directory', async () => {
    const dir = await tmpDir();
    const s = setup({ runDir: dir });
    const result = await optimize(s.options);
    const lines = await readIterations(dir);
    expect(lines.map(({ elapsed_s: _e, ...r }) => r)).toEqual(s.records);
    expect(lines.every((l) => typeof l.elapsed_s === 'number')).toBe(true);
    const saved = JSON.parse(await fsp.readFile(path.join(dir, 'result.json'), 'utf8'));
    expect(saved).toEqual(JSON.parse(JSON.stringify(result.toJson())));
    await expect(optimize(setup({ runDir: dir }).options)).rejects.toThrow(/already holds a GEPA run: pass resume/);
  });
});
