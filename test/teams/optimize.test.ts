/**
 * GEPA over teams and over the AIME runtime, in-process with the offline
 * model: the engine improves a team's primary agent; the AIME adapter runs
 * real goals with the candidate's prompts.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OfflineModel } from '../../src/aime/offline/index.js';
import { PLANNER_COMPONENT } from '../../contracts/aime/prompts.js';
import { optimize } from '../../src/gepa/index.js';
import { createTeamAdapter } from '../../src/teams/adapter.js';
import { loadTeamDataset } from '../../src/teams/dataset.js';
import { loadTeamFile } from '../../src/teams/load.js';
import { loadScorer } from '../../src/gepa/scorer.js';
import { evolvedTeamText } from '../../src/teams/yamlWriter.js';
import { aimeSeedCandidate, createAimeAdapter, goalScore } from '../../src/runtime/aimeAdapter.js';
import { runGoal } from '../../src/runtime/runGoal.js';
import { repoConfig, REPO_ROOT, tempDir } from '../support/runtime.js';

const EXAMPLES = path.join(REPO_ROOT, 'examples', 'teams');

describe('GEPA on an agent team', () => {
  it('evolves the generator of generator-critic from the scorer feedback to a perfect validation score', async () => {
    const loaded = loadTeamFile(path.join(EXAMPLES, 'generator-critic.yaml'));
    const offline = new OfflineModel();
    const adapter = createTeamAdapter({
      team: loaded.team,
      models: () => offline,
      reflectionModel: offline,
      scorer: await loadScorer(loaded.team.scorer!, 'scorer'),
    });
    const [trainset, valset] = await Promise.all([
      loadTeamDataset(path.join(EXAMPLES, 'generator-critic.train.jsonl')),
      loadTeamDataset(path.join(EXAMPLES, 'generator-critic.val.jsonl')),
    ]);
    const seed = adapter.seedCandidate();
    const result = await optimize({ adapter, trainset, valset, seedCandidate: seed, settings: { max_metric_calls: 40, seed: 3 } });
    expect(result.candidates[0]!.valScore).toBeLessThan(0.5);
    expect(result.bestValScore).toBe(1);
    expect(result.bestCandidate['generator.instruction']).toMatch(/uppercase/);
    const out = evolvedTeamText({ text: loaded.text, seed, best: result.bestCandidate });
    expect(out.changed).toEqual(['generator.instruction']);
    expect(out.text).toContain('critic: [] # frozen');
    expect(out.text).toContain('steps: [generator, critic]');
  });
});

describe('the AIME runtime as a GEPA adapter', () => {
  it('runGoal takes prompts that override the configured planner and persona prompts', async () => {
    const config = repoConfig();
    const report = await runGoal({
      goal: 'List the files',
      config,
      workspace: await tempDir(),
      tracesDir: await tempDir(),
      learn: false,
      prompts: { [PLANNER_COMPONENT]: 'A custom planner prompt.' },
    });
    expect(report.learning.prompts[PLANNER_COMPONENT]).toBe('A custom planner prompt.');
    expect(report.learning.prompts['persona.generalist']).toBe(aimeSeedCandidate(config)['persona.generalist']);
  });

  it('scores by default 1 for a completed run whose answer contains the expected text', () => {
    expect(goalScore({ status: 'completed', answer: 'Wrote REPORT.md', reason: '' }, 'report.md').score).toBe(1);
    expect(goalScore({ status: 'completed', answer: 'done', reason: '' }, undefined).score).toBe(1);
    expect(goalScore({ status: 'completed', answer: 'done', reason: '' }, 'missing')).toMatchObject({
      score: 0,
      metadata: { feedback: expect.stringMatching(/does not contain/) },
    });
    expect(goalScore({ status: 'failed', answer: '', reason: 'planner gave up' }, undefined)).toMatchObject({
      score: 0,
      metadata: { feedback: expect.stringMatching(/planner gave up/) },
    });
  });

  it('evaluates goals as real runs with the candidate prompts, and reflects per component', async () => {
    const config = repoConfig();
    const adapter = createAimeAdapter({
      config,
      tracesDir: await tempDir(),
      scorer: (_goal, answer, expected, example) => ({
        score: (example as unknown as { report: { status: string } }).report.status === 'completed' && !expected ? 1 : 0.5,
        feedback: `answer was ${answer.length} chars`,
      }),
    });
    const candidate = aimeSeedCandidate(config);
    const batch = await adapter.evaluate([{ input: 'List the files in the workspace' }, { input: 'Summarise the notes', expected: 'x' }], candidate, true);
    expect(batch.scores).toEqual([1, 0.5]);
    const t = batch.trajectories![0]!;
    expect(t.status).toBe('completed');
    expect(t.actors.length).toBeGreaterThan(0);
    expect(t.actors.every((a) => a.persona !== '')).toBe(true);
    const persona = `persona.${t.actors[0]!.persona}`;
    const ds = await adapter.makeReflectiveDataset(candidate, batch, [PLANNER_COMPONENT, persona]);
    expect(ds[PLANNER_COMPONENT]).toHaveLength(2);
    expect(ds[PLANNER_COMPONENT]![0]).toMatchObject({ Inputs: 'Goal: List the files in the workspace', Feedback: expect.stringMatching(/answer was/) });
    expect(ds[persona]!.length).toBeGreaterThan(0);
  });

  it('runs a batch of goals in temporary workspaces concurrently (up to the hint), in order, and one at a time when they name a workspace', async () => {
    const config = repoConfig();
    const offline = new OfflineModel();
    let inFlight = 0;
    let most = 0;
    const counting = {
      id: offline.id,
      async complete(req: Parameters<OfflineModel['complete']>[0]) {
        inFlight++;
        most = Math.max(most, inFlight);
        try {
          await new Promise((r) => setTimeout(r, 5));
          return await offline.complete(req);
        } finally {
          inFlight--;
        }
      },
    };
    const models = {
      planner: counting,
      actorFor: () => counting,
      reflection: counting,
      chat: counting,
      describe: () => ({ provider: 'offline', model: 'm', offline: true }),
    };
    const adapter = createAimeAdapter({ config, models, tracesDir: await tempDir() });
    const goals = ['List the files in the workspace', 'Summarise the notes', 'List the files again'].map((input) => ({ input }));
    const batch = await adapter.evaluate(goals, aimeSeedCandidate(config), true, { maxConcurrency: 3 });
    expect(batch.trajectories!.map((t) => t.goal)).toEqual(goals.map((g) => g.input));
    expect(most).toBeGreaterThan(1);
    most = 0;
    const ws = await tempDir();
    await adapter.evaluate(
      goals.slice(0, 2).map((g) => ({ ...g, workspace: ws })),
      aimeSeedCandidate(config),
      false,
      { maxConcurrency: 3 },
    );
    expect(most).toBe(1);
  });
});
