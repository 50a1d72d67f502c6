/**
 * Resume: a run interrupted after K iterations (by the budget, the stop file,
 * a cancel mid-iteration, or several of them) and resumed reaches exactly the
 * result, iteration log and state of an uninterrupted run with the same seed
 * and simulated models.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDefaultAdapter } from '../../src/gepa/defaultAdapter.js';
import { optimize, readIterations, RunDirError, type OptimizeOptions } from '../../src/gepa/index.js';
import type { DefaultExample } from '../../src/gepa/dataset.js';
import type { GepaSettingsInput } from '../../src/gepa/settings.js';
import { keywordReflectionModel, keywordTaskModel, seed, tmpDir, trainset, twoComponentAdapter, valset, WORDS } from './support.js';

type Scenario = 'keyword' | 'merge';

function options(
  scenario: Scenario,
  runDir: string,
  settings: GepaSettingsInput,
  extra: Partial<OptimizeOptions<DefaultExample>> = {},
): OptimizeOptions<DefaultExample> {
  const base =
    scenario === 'keyword'
      ? { adapter: createDefaultAdapter({ model: keywordTaskModel() }), seedCandidate: seed, reflectionModel: keywordReflectionModel('append') }
      : {
          adapter: twoComponentAdapter(WORDS.slice(0, 4)),
          seedCandidate: { solver_a: 'Solve A.', solver_b: 'Solve B.' },
          reflectionModel: keywordReflectionModel('replace'),
        };
  const algorithm: GepaSettingsInput =
    scenario === 'keyword'
      ? { seed: 11, minibatch_size: 2, chain_length: 2 }
      : { seed: 1, use_merge: true, candidate_selection: 'epsilon_greedy', epsilon: 0.5, max_merge_invocations: 3, chain_length: 1 };
  return { ...base, trainset: trainset(), valset: valset(), runDir, settings: { ...algorithm, ...settings }, ...extra };
}

/** Everything a run leaves, minus wall-clock readings. */
async function outcome(dir: string) {
  const result = JSON.parse(await fsp.readFile(path.join(dir, 'result.json'), 'utf8'));
  delete result.wall_s;
  delete result.run_dir;
  const iterations = (await readIterations(dir)).map(({ elapsed_s: _e, ...r }) => r);
  const state = JSON.parse(await fsp.readFile(path.join(dir, 'state.json'), 'utf8')).state;
  return { result, iterations, state };
}

async function uninterrupted(scenario: Scenario, budget: number) {
  const dir = await tmpDir('gepa-full-');
  const r = await optimize(options(scenario, dir, { max_metric_calls: budget }));
  return { r, ...(await outcome(dir)) };
}

describe('resume', () => {
  it.each(['keyword', 'merge'] as const)('after a budget stop equals the uninterrupted run (%s)', async (scenario) => {
    const full = await uninterrupted(scenario, 120);
    const dir = await tmpDir('gepa-part-');
    const part = await optimize(options(scenario, dir, { max_metric_calls: scenario === 'keyword' ? 16 : 40 }));
    expect(part.stopReason).toBe('max_metric_calls');
    expect(part.iterations).toBeLessThan(full.r.iterations);
    const resumed = await optimize(options(scenario, dir, { max_metric_calls: 120 }, { resume: true }));
    expect(resumed.stopReason).toBe(full.r.stopReason);
    expect(await outcome(dir)).toEqual({ result: full.result, iterations: full.iterations, state: full.state });
    if (scenario === 'merge') expect(full.r.candidates.some((c) => c.origin === 'merge')).toBe(true);
  });

  it('after stop-file stops at several points equals the uninterrupted run', async () => {
    const full = await uninterrupted('merge', 120);
    const dir = await tmpDir('gepa-stops-');
    const stopFile = path.join(dir, 'STOP');
    const stopAt = (k: number): Partial<OptimizeOptions<DefaultExample>> => ({
      onProgress: (e) => void (e.type === 'iteration' && e.record.iteration === k && fs.writeFileSync(stopFile, '')),
    });
    const first = await optimize(options('merge', dir, { max_metric_calls: 120 }, stopAt(2)));
    expect(first).toMatchObject({ stopReason: 'stop_file', iterations: 2 });
    const second = await optimize(options('merge', dir, { max_metric_calls: 120 }, { ...stopAt(5), resume: true }));
    expect(second).toMatchObject({ stopReason: 'stop_file', iterations: 5 });
    let started: unknown;
    await optimize(
      options('merge', dir, { max_metric_calls: 120, max_concurrency: 1 }, { resume: true, onProgress: (e) => void (e.type === 'start' && (started = e)) }),
    );
    expect(started).toMatchObject({ resumed: true, iteration: 5 });
    expect(await outcome(dir)).toEqual({ result: full.result, iterations: full.iterations, state: full.state });
  });

  it('after a cancel in the middle of an iteration, and a crash that left a line too many', async () => {
    const full = await uninterrupted('keyword', 120);
    const dir = await tmpDir('gepa-cancel-');
    const controller = new AbortController();
    let abortedAt = 0;
    const cancelled = await optimize(
      options(
        'keyword',
        dir,
        { max_metric_calls: 120 },
        {
          signal: controller.signal,
          onProgress: (e) => {
            if (e.type !== 'metric_call' || e.metricCalls < 24 || abortedAt) return;
            abortedAt = e.metricCalls;
            controller.abort();
          },
        },
      ),
    );
    expect(cancelled.stopReason).toBe('aborted');
    expect(cancelled.metricCalls).toBeLessThan(abortedAt); // what was saved: the iteration cut short is not in it
    // A crash between writing an iteration's line and its state, then a torn write.
    const iterations = path.join(dir, 'iterations.jsonl');
    await fsp.appendFile(iterations, `${JSON.stringify({ iteration: cancelled.iterations + 1, kind: 'reflective', outcome: 'accepted' })}\n{"iteration": 9`);
    await optimize(options('keyword', dir, { max_metric_calls: 120 }, { resume: true }));
    expect(await outcome(dir)).toEqual({ result: full.result, iterations: full.iterations, state: full.state });
  });

  it('refuses to continue with other data, seed candidate or search settings, but allows a new budget', async () => {
    const dir = await tmpDir('gepa-guard-');
    await optimize(options('keyword', dir, { max_metric_calls: 20 }));
    await expect(optimize({ ...options('keyword', dir, { max_metric_calls: 40 }, { resume: true }), valset: valset(WORDS.slice(1, 9)) })).rejects.toThrow(
      /cannot resume .*the validation set differs/,
    );
    await expect(
      optimize({ ...options('keyword', dir, { max_metric_calls: 40 }, { resume: true }), seedCandidate: { system_prompt: 'other' } }),
    ).rejects.toThrow(/the seed candidate differs/);
    const err = await optimize(options('keyword', dir, { max_metric_calls: 40, minibatch_size: 4 }, { resume: true })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunDirError);
    expect((err as Error).message).toMatch(/settings changed: minibatch_size \(run: 2, now: 4\)/);
    const more = await optimize(options('keyword', dir, { max_metric_calls: 40 }, { resume: true }));
    expect(more.metricCalls).toBeGreaterThan(20);
    expect(more.metricCalls).toBeLessThanOrEqual(40);
  });

  it('refuses to continue when anything that changes a score changed, naming it', async () => {
    const dir = await tmpDir('gepa-identity-');
    await optimize(options('keyword', dir, { max_metric_calls: 20 }));
    const other = (id: string) => {
      const model = keywordTaskModel();
      Object.defineProperty(model, 'id', { value: id });
      return model;
    };
    await expect(
      optimize({ ...options('keyword', dir, { max_metric_calls: 40 }, { resume: true }), adapter: createDefaultAdapter({ model: other('vllm:qwen3-8b') }) }),
    ).rejects.toThrow(/cannot resume .*task model changed \(run: "task", now: "vllm:qwen3-8b"\)/);
    await expect(
      optimize({
        ...options('keyword', dir, { max_metric_calls: 40 }, { resume: true }),
        adapter: createDefaultAdapter({ model: keywordTaskModel(), sampling: { temperature: 0.7 } }),
      }),
    ).rejects.toThrow(/sampling changed \(run: null, now: \{"temperature":0.7\}\)/);
    await expect(
      optimize({
        ...options('keyword', dir, { max_metric_calls: 40 }, { resume: true }),
        adapter: createDefaultAdapter({ model: keywordTaskModel(), metric: () => 1 }),
      }),
    ).rejects.toThrow(/metric changed \(run: "builtin:contains-answer", now: "function#/);
    await expect(optimize({ ...options('keyword', dir, { max_metric_calls: 40 }, { resume: true }), scoreIdentity: { scorer: 'judge-v2' } })).rejects.toThrow(
      /scorer changed \(run: none, now: "judge-v2"\)/,
    );
    // The same inputs still resume.
    const more = await optimize(options('keyword', dir, { max_metric_calls: 40 }, { resume: true }));
    expect(more.metricCalls).toBeGreaterThan(20);
  });

  it('keeps the run directory append-only: evaluations and candidates are lines, state.json holds no cache', async () => {
    const dir = await tmpDir('gepa-append-');
    const r = await optimize(options('keyword', dir, { max_metric_calls: 60 }));
    const evals = (await fsp.readFile(path.join(dir, 'evals.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(evals).toHaveLength(r.metricCalls);
    expect(evals.map((e) => e.n)).toEqual(Array.from({ length: r.metricCalls }, (_, i) => i + 1));
    const candidates = (await fsp.readFile(path.join(dir, 'candidates.jsonl'), 'utf8')).trim().split('\n');
    expect(candidates).toHaveLength(r.candidates.length);
    const state = JSON.parse(await fsp.readFile(path.join(dir, 'state.json'), 'utf8')).state;
    expect(state.cache).toBeUndefined();
    expect(state.candidates).toBeUndefined();
    // Traces are kept only for train examples (here train and validation share examples, so every line of a
    // validation-only example would have none): every trace in the file belongs to a train example.
    const trainIds = new Set(state.exampleIds.train);
    for (const e of evals) if (e.record.trajectory !== undefined) expect(trainIds.has(e.example)).toBe(true);
  });

  it('starts fresh when there is nothing to resume', async () => {
    const dir = await tmpDir('gepa-empty-');
    let started: unknown;
    const r = await optimize(
      options('keyword', dir, { max_metric_calls: 20 }, { resume: true, onProgress: (e) => void (e.type === 'start' && (started = e)) }),
    );
    expect(started).toMatchObject({ resumed: false, iteration: 0 });
    expect(r.candidates[0]!.origin).toBe('seed');
  });

  it('names a state file it cannot resume', async () => {
    const dir = await tmpDir('gepa-bad-');
    await fsp.writeFile(path.join(dir, 'state.json'), '{"format":"something else"}');
    await expect(optimize(options('keyword', dir, { max_metric_calls: 20 }, { resume: true }))).rejects.toThrow(/state\.json is not a GEPA run state/);
  });
});
