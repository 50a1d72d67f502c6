/**
 * Online learning in the AIME loop, across several runs: failing goals drive the
 * composite down, the optimizer reflects and proposes a challenger, which
 * later runs play on their share of goals (never live unproven); failures of
 * the infrastructure never become lessons or scores.
 */
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { playsChallenger } from '../../contracts/gepa/trialRule.js';
import { describe, expect, it } from 'vitest';
import { ScriptedModel, reply } from '../../src/llm/scripted.js';
import type { ChatRequest } from '../../contracts/llm.js';
import { runGoal } from '../../src/runtime/runGoal.js';
import { readJsonl } from '../../src/util/jsonl.js';
import { runCli } from '../support/cli.js';
import { REPO_ROOT, repoConfig, tempDir } from '../support/runtime.js';

const base = repoConfig();
const config = { ...base, gepa: { ...base.gepa, online: { ...base.gepa.online, min_outcomes: 2, threshold: 0.5, every_n_goals: 0 } } };
const t = { id: '1', title: 'Fetch the data', status: 'pending', criteria: 'data fetched', children: [] };

function failingGoalModels(plannerSeen: string[]) {
  const planner = (req: ChatRequest) => {
    plannerSeen.push(req.messages[0]!.content);
    const reported = /"taskId":"1"/.test(req.messages[1]!.content);
    return {
      content: JSON.stringify({
        rationale: 'r',
        tasks: [t],
        action: reported ? { type: 'fail', reason: 'no data source' } : { type: 'dispatch', taskIds: ['1'] },
      }),
    };
  };
  const actor = () => reply.json({ status: 'failed', summary: 'the data source refused the connection', references: [] });
  const reflection = (req: ChatRequest) => {
    expect(req.messages[0]!.content).toContain('the data source refused the connection');
    return { content: 'New instruction:\n```\nALWAYS check the data source is reachable before planning.\n```' };
  };
  return { planner, actor, reflection };
}

describe('online learning across runs', () => {
  it('proposes a challenger after failures; only runs assigned to the challenger play it', async () => {
    const traces = await tempDir();
    const workspace = await tempDir();
    const seen: string[] = [];
    const f = failingGoalModels(seen);
    const plannerModel = new ScriptedModel(Array.from({ length: 4 }, () => f.planner));
    const actorModel = new ScriptedModel(Array.from({ length: 2 }, () => f.actor));
    const reflectionModel = new ScriptedModel(Array.from({ length: 4 }, () => f.reflection));
    const models = {
      planner: plannerModel,
      actorFor: () => actorModel,
      reflection: reflectionModel,
      chat: actorModel,
      describe: () => ({ provider: 'scripted', model: 's', offline: false }),
    };

    const first = await runGoal({ goal: 'get data', config, workspace, tracesDir: traces, models, runId: 'run-first' });
    expect(first.status).toBe('failed');
    expect(first.learning.enabled).toBe(true);
    expect(first.learning.change).toMatch(/new challenger run-first\.1 \(planner.*\) on trial against seed: composite 0\.000 below threshold 0\.5/);
    // Not live: the champion's prompt is still in force.
    expect(first.learning.prompts['planner']).not.toContain('ALWAYS check');
    expect(first.learning.trial).toMatchObject({ championId: 'seed', challengerId: 'run-first.1' });

    // A run the trial assigns to the challenger plays it from its very first planner call (warm start).
    const challengerRun = Array.from({ length: 50 }, (_, i) => `run-${i}`).find((id) => playsChallenger(id, config.gepa.online.challenger_share))!;
    const second = await runGoal({ goal: 'get data', config, workspace, tracesDir: traces, models, runId: challengerRun });
    expect(seen[2]).toMatch(/^ALWAYS check the data source is reachable before planning\./);
    expect(second.learning.candidateId).toBe('run-first.1');
    expect(second.learning.trial).toMatchObject({ challenger: { successes: 0, failures: 1 } });

    const history = await readJsonl<any>(path.join(traces, 'gepa_history.jsonl'));
    const kinds = history.records.map((r) => r.kind);
    expect(kinds).toContain('candidate');
    expect(history.records.filter((r) => r.kind === 'outcome' && r.outcome === 'goal')).toHaveLength(2);
    expect(history.tornTail).toBe(false);
  });

  it('warm-starts past a torn last line, and reports it', async () => {
    const traces = await tempDir();
    const cand = { kind: 'candidate', ts: 't', runId: 'old', id: 'old.1', parentId: 'seed', components: { planner: 'FROM HISTORY' }, reason: 'x' };
    const installed = { kind: 'switch', ts: 't', runId: 'old', from: '', to: 'old.1', reason: 'installed' };
    await fs.writeFile(path.join(traces, 'gepa_history.jsonl'), `${JSON.stringify(cand)}\n${JSON.stringify(installed)}\n{"kind":"outc`);
    const seen: string[] = [];
    const planner = new ScriptedModel([
      (req) => {
        seen.push(req.messages[0]!.content);
        return reply.json({ rationale: 'r', tasks: [], action: { type: 'finish', answer: 'ok' } });
      },
    ]);
    const models = { planner, actorFor: () => planner, reflection: planner, chat: planner, describe: () => ({ provider: 's', model: 's', offline: false }) };
    const report = await runGoal({ goal: 'g', config, workspace: await tempDir(), tracesDir: traces, models });
    expect(seen[0]).toMatch(/^FROM HISTORY/);
    expect(report.learning).toMatchObject({ candidateId: 'old.1', tornHistoryTail: true });
  });

  it('changes the prompt across CLI runs on the offline model and restores it on the next run', async () => {
    const traces = await tempDir();
    const ws = await tempDir();
    const run = async () => JSON.parse((await runCli(['run', 'Research the history of XState', '--workspace', ws, '--traces', traces, '--json'])).stdout);
    const r1 = await run();
    expect(r1.learning.change).toMatch(/new challenger/);
    let history = await readJsonl<any>(path.join(traces, 'gepa_history.jsonl'));
    const evolved = history.records.find((r) => r.kind === 'candidate').components['persona.researcher'];
    expect(evolved).toContain('Lessons from failed examples:');
    expect(evolved).toContain('web_search is not configured');
    const r2 = await run();
    // Warm start: run 2 plays the champion or the challenger as its run id assigns it.
    history = await readJsonl<any>(path.join(traces, 'gepa_history.jsonl'));
    const firstOutcomeOfRun2 = history.records.find((r) => r.kind === 'outcome' && r.runId === r2.runId);
    expect(firstOutcomeOfRun2.candidateId).toBe(playsChallenger(r2.runId, 0.5) ? r1.learning.trial.challengerId : 'seed');
    // `learning` shows the trial and its evidence.
    const shown = JSON.parse((await runCli(['learning', '--traces', traces, '--json'])).stdout);
    expect(shown.inForce).toBe('seed');
    expect(shown.trial.challengerId).toBe(r1.learning.trial.challengerId);
    expect(shown.candidates.map((c: { id: string }) => c.id)).toContain(shown.trial.challengerId);
    // --reset forgets it (appending a record); --no-learn records nothing.
    expect((await runCli(['learning', '--traces', traces, '--reset'])).code).toBe(0);
    expect(JSON.parse((await runCli(['learning', '--traces', traces, '--json'])).stdout)).toMatchObject({ inForce: 'seed', trial: null });
    const lines = (await fs.readFile(path.join(traces, 'gepa_history.jsonl'), 'utf8')).split('\n').length;
    const r3 = JSON.parse((await runCli(['run', 'Research the history of XState', '--workspace', ws, '--traces', traces, '--json', '--no-learn'])).stdout);
    expect(r3.learning.enabled).toBe(false);
    expect((await fs.readFile(path.join(traces, 'gepa_history.jsonl'), 'utf8')).split('\n').length).toBe(lines);
  });

  it('never turns an infrastructure failure into a lesson or a score: runs against a closed port', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    const traces = await tempDir();
    const ws = await tempDir();
    const cfg = await tempDir();
    const repoCfg = path.join(REPO_ROOT, 'config');
    for (const f of await fs.readdir(repoCfg)) await fs.copyFile(path.join(repoCfg, f), path.join(cfg, f));
    await fs.writeFile(
      path.join(cfg, 'model_config.yaml'),
      `provider: vllm\nmodel: m\napi_base: http://127.0.0.1:${port}/v1\nmax_retries: 0\nrequest_timeout: 5\n`,
    );
    await fs.writeFile(path.join(cfg, 'gepa_config.yaml'), 'online:\n  min_outcomes: 1\n  threshold: 0.9\n  every_n_goals: 1\n');
    for (let i = 0; i < 2; i++) {
      const r = JSON.parse((await runCli(['run', 'Plan a trip', '--workspace', ws, '--traces', traces, '--config', cfg, '--json'])).stdout);
      expect(r.status).toBe('failed');
      expect(r.learning.change).toBeNull();
    }
    const history = await readJsonl<any>(path.join(traces, 'gepa_history.jsonl'));
    const outcomes = history.records.filter((r) => r.kind === 'outcome');
    expect(outcomes.length).toBeGreaterThan(0);
    expect(outcomes.every((r) => typeof r.excluded === 'string')).toBe(true);
    expect(history.records.some((r) => r.kind === 'candidate')).toBe(false);
    // The next run in that directory still plays the configured prompts.
    const after = JSON.parse((await runCli(['run', 'Research the history of XState', '--workspace', ws, '--traces', traces, '--json'])).stdout);
    expect(after.learning.played['planner']).not.toMatch(/Lessons|refused/i);
  });
});
