/**
 * Online GEPA in the AIME loop, across several runs: failing goals drive the
 * composite down, the optimizer reflects and the live prompt changes; the next
 * run warm-starts from the history file with the evolved prompt.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ScriptedModel, reply } from '../../src/llm/scripted.js';
import type { ChatRequest } from '../../contracts/llm.js';
import { runGoal } from '../../src/runtime/runGoal.js';
import { readJsonl } from '../../src/util/jsonl.js';
import { runCli } from '../support/cli.js';
import { repoConfig, tempDir } from '../support/runtime.js';

const base = repoConfig();
const config = { ...base, gepa: { ...base.gepa, online: { ...base.gepa.online, min_outcomes: 2, threshold: 0.5, every_n_goals: 0 } } };
const t = { id: '1', title: 'Fetch the data', status: 'pending', criteria: 'data fetched', children: [] };

function failingGoalModels(plannerSeen: string[]) {
  const planner = (req: ChatRequest) => {
    plannerSeen.push(req.messages[0]!.content);
    const reported = /"taskId":"1"/.test(req.messages[1]!.content);
    return { content: JSON.stringify({ rationale: 'r', tasks: [t], action: reported ? { type: 'fail', reason: 'no data source' } : { type: 'dispatch', taskIds: ['1'] } }) };
  };
  const actor = () => reply.json({ status: 'failed', summary: 'the data source refused the connection', references: [] });
  const reflection = (req: ChatRequest) => {
    expect(req.messages[0]!.content).toContain('the data source refused the connection');
    return { content: 'New instruction:\n```\nALWAYS check the data source is reachable before planning.\n```' };
  };
  return { planner, actor, reflection };
}

describe('online GEPA across runs', () => {
  it('mutates the planner prompt after failures and warm-starts the next run with it', async () => {
    const traces = await tempDir();
    const workspace = await tempDir();
    const seen: string[] = [];
    const f = failingGoalModels(seen);
    const plannerModel = new ScriptedModel(Array.from({ length: 4 }, () => f.planner));
    const actorModel = new ScriptedModel(Array.from({ length: 2 }, () => f.actor));
    const reflectionModel = new ScriptedModel(Array.from({ length: 4 }, () => f.reflection));
    const models = { planner: plannerModel, actorFor: () => actorModel, reflection: reflectionModel, chat: actorModel, describe: () => ({ provider: 'scripted', model: 's', offline: false }) };

    const first = await runGoal({ goal: 'get data', config, workspace, tracesDir: traces, models });
    expect(first.status).toBe('failed');
    expect(first.learning.enabled).toBe(true);
    expect(first.learning.change).toMatch(/new candidate .*\.1 \(planner.*\): composite 0\.000 below threshold 0\.5/);
    expect(first.learning.prompts['planner']).toBe('ALWAYS check the data source is reachable before planning.');

    const second = await runGoal({ goal: 'get data', config, workspace, tracesDir: traces, models });
    // The second run's very first planner call already uses the evolved prompt (warm start).
    expect(seen[2]).toMatch(/^ALWAYS check the data source is reachable before planning\./);
    expect(second.learning.candidateId).toBe(first.learning.candidateId);

    const history = await readJsonl<any>(path.join(traces, 'gepa_history.jsonl'));
    const kinds = history.records.map((r) => r.kind);
    expect(kinds).toContain('candidate');
    expect(history.records.filter((r) => r.kind === 'outcome' && r.outcome === 'goal')).toHaveLength(2);
    expect(history.tornTail).toBe(false);
  });

  it('warm-starts past a torn last line, and reports it', async () => {
    const traces = await tempDir();
    const cand = { kind: 'candidate', ts: 't', runId: 'old', id: 'old.1', parentId: 'seed', components: { planner: 'FROM HISTORY' }, reason: 'x' };
    await fs.writeFile(path.join(traces, 'gepa_history.jsonl'), `${JSON.stringify(cand)}\n{"kind":"outc`);
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
    expect(r1.learning.change).toMatch(/new candidate/);
    const evolved = r1.learning.prompts['persona.researcher'];
    expect(evolved).toContain('Lessons from failed examples:');
    expect(evolved).toContain('web_search is not configured');
    const r2 = await run();
    // Warm start: run 2 began from run 1's candidate.
    const history = await readJsonl<any>(path.join(traces, 'gepa_history.jsonl'));
    const firstOutcomeOfRun2 = history.records.find((r) => r.kind === 'outcome' && r.runId === r2.runId);
    expect(firstOutcomeOfRun2.candidateId).toBe(r1.learning.candidateId);
  });
});
