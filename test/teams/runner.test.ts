/** Running teams end to end in-process: nesting, shared state, exits, isolation, failures, schemas, tools, cancelling. */
import { describe, expect, it } from 'vitest';
import { exitConditionMet } from '../../contracts/teams/results.js';
import { runTeam, TeamRunCancelled } from '../../src/teams/runner.js';
import { renderTemplate, templateKeys } from '../../contracts/teams/template.js';
import type { TeamDef } from '../../contracts/teams/types.js';
import { agent, byAgent, FnModel, noteTools, par, seq, step, systemOf, userOf } from './support.js';

describe('templates', () => {
  it('fills {key} from state, leaves a missing {key} as written, and empties a missing {key?}', () => {
    expect(renderTemplate('a {x} b {y} c {z?} d {x?}', { x: '1' })).toBe('a 1 b {y} c  d 1');
    expect(renderTemplate('json {"k": 1} and {not a key}', { k: 'no' })).toBe('json {"k": 1} and {not a key}');
    expect(templateKeys('{a} {b?} {a}')).toEqual(['a', 'b']);
  });
});

describe('exit conditions', () => {
  const r = (agentName: string, output: string) => ({
    output,
    writes: {},
    traces: [
      {
        agent: agentName,
        iteration: 1,
        instruction: '',
        output,
        toolCalls: [],
        stateChanges: [],
        usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 },
        error: null,
      },
    ],
    error: null,
  });
  it('match a state key by equality or containment, or an agent reply by containment', () => {
    expect(exitConditionMet({ key: 'v', equals: 'yes' }, { v: ' yes\n' }, r('a', ''))).toBe(true);
    expect(exitConditionMet({ key: 'v', equals: 'yes' }, { v: 'yes please' }, r('a', ''))).toBe(false);
    expect(exitConditionMet({ key: 'v', contains: 'OK' }, { v: 'it is OK' }, r('a', ''))).toBe(true);
    expect(exitConditionMet({ key: 'v', contains: 'OK' }, {}, r('a', 'OK'))).toBe(false);
    expect(exitConditionMet({ agent: 'ed', contains: 'DONE' }, {}, r('ed', 'all DONE'))).toBe(true);
    expect(exitConditionMet({ agent: 'ed', contains: 'DONE' }, {}, r('writer', 'DONE'))).toBe(false);
    expect(exitConditionMet(undefined, { v: 'x' }, r('a', 'x'))).toBe(false);
  });
});

describe('runTeam', () => {
  it('runs a loop nested in a sequence with a parallel step, sharing state, until the editor approves', async () => {
    const team: TeamDef = {
      agents: {
        planner: agent('planner', 'Plan for the input.', { output_key: 'plan' }),
        writer: agent('writer', 'Write from {plan}. Notes: {review?}', { output_key: 'draft' }),
        checker: agent('checker', 'Check spelling of {draft}', { output_key: 'spelling' }),
        editor: agent('editor', 'Edit {draft}', { output_key: 'review' }),
      },
      workflow: seq(step('planner'), {
        type: 'loop',
        max_iterations: 5,
        until: { agent: 'editor', contains: 'APPROVED' },
        steps: [step('writer'), par(step('checker'), step('editor'))],
      }),
      share_session: true,
    };
    let drafts = 0;
    const model = byAgent({
      'Plan for': () => 'the plan',
      'Write from': () => `draft ${++drafts}`,
      'Check spelling': () => 'spelling fine',
      'Edit draft 2': () => 'APPROVED',
      Edit: () => 'needs work',
    });
    const r = await runTeam({ team, input: 'topic', models: () => model });
    expect(r.status).toBe('completed');
    expect(r.traces.map((t) => `${t.agent}@${t.iteration ?? '-'}`)).toEqual([
      'planner@-',
      'writer@1',
      'checker@1',
      'editor@1',
      'writer@2',
      'checker@2',
      'editor@2',
    ]);
    expect(r.state).toEqual({ plan: 'the plan', draft: 'draft 2', spelling: 'spelling fine', review: 'APPROVED' });
    expect(r.output).toBe('spelling fine\n\nAPPROVED');
    expect(systemOf(model.requests[1]!)).toBe('Write from the plan. Notes: ');
    expect(systemOf(model.requests[4]!)).toBe('Write from the plan. Notes: needs work');
    expect(r.usage.totalTokens).toBe(7 * 5);
    expect(model.requests.every((q) => userOf(q) === 'topic' && q.purpose === 'team.agent')).toBe(true);
  });

  it('stops a loop at max_iterations without an exit condition', async () => {
    const team: TeamDef = {
      agents: { a: agent('a', 'A', { output_key: 'n' }) },
      workflow: { type: 'loop', max_iterations: 3, steps: [step('a')] },
      share_session: true,
    };
    let n = 0;
    const r = await runTeam({ team, input: 'x', models: () => new FnModel(() => String(++n)) });
    expect(r.traces).toHaveLength(3);
    expect(r.state).toEqual({ n: '3' });
  });

  it('isolated sessions: every agent once, from empty state, the output being the primary reply', async () => {
    const team: TeamDef = {
      agents: { a: agent('a', 'A', { output_key: 'x' }), b: agent('b', 'B sees {x}', { output_key: 'y' }) },
      workflow: seq(step('a'), step('b')),
      primary: 'a',
      share_session: false,
    };
    const model = new FnModel((q) => `reply to ${systemOf(q)}`);
    const r = await runTeam({ team, input: 'x', models: () => model });
    expect(model.requests.map(systemOf).sort()).toEqual(['A', 'B sees {x}']);
    expect(r.output).toBe('reply to A');
    // The shared run of the same team does resolve the template.
    const shared = await runTeam({ team, input: 'x', models: () => model, shareSession: true });
    expect(shared.state['y']).toBe('reply to B sees reply to A');
  });

  it('a failed agent stops the team: later steps never run, and the error names the agent', async () => {
    const team: TeamDef = { agents: { a: agent('a', 'A', { output_key: 'x' }), b: agent('b', 'B') }, workflow: seq(step('a'), step('b')), share_session: true };
    const model = new FnModel(() => {
      throw new Error('HTTP 503 from server');
    });
    const r = await runTeam({ team, input: 'x', models: () => model });
    expect(r).toMatchObject({ status: 'failed', error: 'agent a: model call failed: HTTP 503 from server', state: {} });
    expect(model.requests).toHaveLength(1);
  });

  it('an output schema goes to the model as structured output, and a reply that breaks it fails the agent', async () => {
    const schema = { type: 'object', properties: { title: { type: 'string' } }, required: ['title'] };
    const team: TeamDef = { agents: { a: agent('a', 'Title it', { output_key: 't', output_schema: schema }) }, workflow: step('a'), share_session: true };
    const good = new FnModel(() => 'Sure: ```json\n{"title": "Hi"}\n```');
    const ok = await runTeam({ team, input: 'x', models: () => good });
    expect(ok.state).toEqual({ t: '{"title":"Hi"}' });
    expect(good.requests[0]!.responseFormat).toEqual({ name: 'a_output', schema });
    expect(systemOf(good.requests[0]!)).toContain('Reply with only a JSON object that matches this JSON Schema');
    const bad = await runTeam({ team, input: 'x', models: () => new FnModel(() => '{"name": 1}') });
    expect(bad.status).toBe('failed');
    expect(bad.error).toMatch(/agent a: the reply does not match the output schema: title/);
  });

  it('an agent with tool bundles runs a ReAct loop; unknown tools and bad arguments are observations', async () => {
    const team: TeamDef = { agents: { a: agent('a', 'Use notes', { output_key: 'r', tools: ['notes'] }) }, workflow: step('a'), share_session: true };
    const model = new FnModel((q, i) => {
      if (i === 0)
        return {
          toolCalls: [
            { id: '1', name: 'nope', arguments: '{}' },
            { id: '2', name: 'note', arguments: 'not json' },
          ],
        };
      if (i === 1) return { toolCalls: [{ id: '3', name: 'note', arguments: '{"text":"x"}' }] };
      return `saw ${q.messages.filter((m) => m.role === 'tool').length} observations`;
    });
    const r = await runTeam({ team, input: 'go', models: () => model, tools: noteTools() });
    expect(r.status).toBe('completed');
    expect(r.traces[0]!.toolCalls.map((c) => [c.name, c.ok])).toEqual([
      ['nope', false],
      ['note', false],
      ['note', true],
    ]);
    expect(r.traces[0]!.toolCalls[0]!.observation).toMatch(/unknown tool "nope"/);
    expect(r.state['r']).toBe('saw 3 observations');
    expect(model.requests[0]!.tools?.map((t) => t.name)).toEqual(['note']);
  });

  it('refuses an unknown tool bundle before any model call', async () => {
    const team: TeamDef = { agents: { a: agent('a', 'A', { tools: ['ghost'] }) }, workflow: step('a'), share_session: true };
    const model = new FnModel(() => 'x');
    await expect(runTeam({ team, input: 'x', models: () => model, tools: noteTools() })).rejects.toThrow(
      /agent a: unknown tool bundle "ghost"; bundles: notes/,
    );
    expect(model.requests).toHaveLength(0);
  });

  it('cancelling stops the run and says so', async () => {
    const team: TeamDef = { agents: { a: agent('a', 'A') }, workflow: step('a'), share_session: true };
    const controller = new AbortController();
    const model = new FnModel(() => {
      controller.abort();
      return new Promise<string>(() => {});
    });
    await expect(runTeam({ team, input: 'x', models: () => model, signal: controller.signal })).rejects.toBeInstanceOf(TeamRunCancelled);
  });
});
