/**
 * The team adapter, one test per point of the seed adapter's behaviour as
 * issue 5 lists it. Models are functions of the request; nothing waits on a
 * timer.
 */
import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../contracts/llm.js';
import { applyCandidate } from '../../src/teams/candidate.js';
import { ComponentRegistry, componentHandlers, type ComponentHandler } from '../../src/teams/components.js';
import { createTeamAdapter, TeamAdapterError, type TeamAdapterOptions } from '../../src/teams/adapter.js';
import type { Trial } from '../../src/teams/reflective.js';
import type { TeamDef } from '../../contracts/teams/types.js';
import { agent, byAgent, deepFreeze, FnModel, GateModel, generatorCritic, noteTools, par, seq, step, systemOf, userOf, USAGE } from './support.js';

const reflection = (text = 'A better instruction.') => new FnModel(() => `Here it is:\n\`\`\`\n${text}\n\`\`\``, 'reflection');

/** generator writes "<input> draft", critic reviews what it read. */
function teamModel() {
  return byAgent({
    'Write a draft': (r) => `${userOf(r)} draft`,
    'Better generator': (r) => `${userOf(r)} better`,
    'Review this draft': (r) => `review of [${systemOf(r).slice('Review this draft: '.length)}]`,
  });
}

function adapter(o: Partial<TeamAdapterOptions> = {}) {
  const model = teamModel();
  const a = createTeamAdapter({ team: generatorCritic(), models: () => model, reflectionModel: reflection(), scorer: null, ...o } as TeamAdapterOptions);
  return { a, model };
}

const lengthScorer = (input: string, output: string) => output.length / 100;

describe('team adapter: candidates and components', () => {
  it('candidates use qualified names agent.component', () => {
    const { a } = adapter({ components: { generator: ['instruction', 'generation_config'], critic: ['instruction'] }, scorer: lengthScorer });
    expect(Object.keys(a.seedCandidate()).sort()).toEqual(['critic.instruction', 'generator.generation_config', 'generator.instruction']);
  });

  it('components instruction, output_schema and generation_config (YAML text) read and apply', () => {
    const team = generatorCritic();
    const seed = adapter({
      components: { generator: ['instruction', 'output_schema', 'generation_config'], critic: [] },
      scorer: lengthScorer,
    }).a.seedCandidate();
    expect(seed['generator.instruction']).toBe('Write a draft for the request.');
    expect(seed['generator.output_schema']).toBe('');
    expect(seed['generator.generation_config']).toBe('temperature: 0.7\n');
    const applied = applyCandidate(team, {
      'generator.instruction': 'New words.',
      'generator.output_schema': '{"type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"]}',
      'generator.generation_config': 'temperature: 0.3\ntop_p: 0.9\nmax_tokens: 128\n',
    });
    expect(applied.agents['generator']).toMatchObject({
      instruction: 'New words.',
      output_schema: { type: 'object', required: ['title'] },
      generation: { temperature: 0.3, top_p: 0.9, max_tokens: 128 },
    });
    expect(() => applyCandidate(team, { 'generator.generation_config': 'temperature: hot' })).toThrow(/generation_config/);
  });

  it('generation_config and output_schema texts reach the model request', async () => {
    const { a, model } = adapter({ components: { generator: ['output_schema', 'generation_config'], critic: [] }, scorer: lengthScorer });
    await a.evaluate(
      [{ input: 'x' }],
      { 'generator.output_schema': '{"type": "object"}', 'generator.generation_config': 'temperature: 0.3\nmax_tokens: 99\n' },
      false,
    );
    const req = model.requests[0]!;
    expect(req.sampling).toEqual({ temperature: 0.3, maxTokens: 99 });
    expect(req.responseFormat).toEqual({ name: 'generator_output', schema: { type: 'object' } });
  });

  it('the component set is open to new handlers registered by name', async () => {
    const registry = componentHandlers.clone();
    const suffix: ComponentHandler = {
      name: 'signature',
      get: (a) => a.instruction.split('\n-- ')[1] ?? '',
      apply: (a, value) => ({ ...a, instruction: `${a.instruction.split('\n-- ')[0]}\n-- ${value}` }),
    };
    registry.register(suffix);
    expect(componentHandlers.has('signature')).toBe(false); // the shared registry is untouched
    const { a, model } = adapter({ registry, components: { generator: ['signature'], critic: [] }, scorer: lengthScorer });
    expect(a.seedCandidate()).toEqual({ 'generator.signature': '' });
    await a.evaluate([{ input: 'x' }], { 'generator.signature': 'yours truly' }, false);
    expect(systemOf(model.requests[0]!)).toBe('Write a draft for the request.\n-- yours truly');
  });

  it('a per-agent components mapping says which components evolve (empty list = frozen)', () => {
    const { a } = adapter({ components: { generator: ['instruction'], critic: [] }, scorer: lengthScorer });
    expect(a.seedCandidate()).toEqual({ 'generator.instruction': 'Write a draft for the request.' });
  });
});

describe('team adapter: construction fails fast', () => {
  const build = (o: Partial<TeamAdapterOptions>) => () => adapter({ scorer: lengthScorer, ...o });

  it('construction fails fast for an unknown agent in the mapping', () => {
    expect(build({ components: { generator: [], critic: [], ghost: ['instruction'] } })).toThrow(
      new TeamAdapterError('agent "ghost" in the components mapping not found; available: critic, generator'),
    );
  });

  it('construction fails fast for an agent missing from the mapping', () => {
    expect(build({ components: { generator: ['instruction'] } })).toThrow(/agents "critic" missing from the components mapping/);
  });

  it('construction fails fast for an unknown component', () => {
    expect(build({ components: { generator: ['tone'], critic: [] } })).toThrow(
      /no handler registered for component "tone"; available: instruction, output_schema, generation_config/,
    );
  });

  it('construction fails fast for a missing primary agent', () => {
    expect(build({ team: { ...generatorCritic(), primary: undefined } as unknown as TeamDef })).toThrow(/no primary agent/);
    expect(build({ primary: 'ghost' })).toThrow(/primary agent "ghost" not found/);
  });

  it('construction fails fast with no scorer while the primary agent has no output schema', () => {
    expect(build({ scorer: null })).toThrow(/no scorer and the primary agent "generator" has no output_schema/);
    const team = generatorCritic();
    team.agents['generator'] = { ...team.agents['generator']!, output_schema: { type: 'object' } };
    expect(() => createTeamAdapter({ team, models: () => teamModel(), reflectionModel: reflection() })).not.toThrow();
  });
});

describe('team adapter: running and scoring', () => {
  it("the primary agent's output is taken from shared state by its output_key", async () => {
    const { a } = adapter({ scorer: lengthScorer });
    const r = await a.evaluate([{ input: 'cats' }], a.seedCandidate(), true);
    expect(r.outputs).toEqual(['cats draft']); // the generator's, although the critic spoke last
    expect(r.trajectories![0]!.teamOutput).toBe('review of [cats draft]');
  });

  it("without an output_key the primary's output is the team's final output", async () => {
    const team = generatorCritic({ primary: 'critic' });
    const model = teamModel();
    team.agents['critic'] = { ...team.agents['critic']!, output_key: undefined } as never;
    delete (team.agents['critic'] as { output_key?: string }).output_key;
    const a = createTeamAdapter({ team, models: () => model, reflectionModel: reflection(), scorer: lengthScorer });
    const r = await a.evaluate([{ input: 'cats' }], a.seedCandidate(), false);
    expect(r.outputs).toEqual(['review of [cats draft]']);
  });

  it('share_session true runs the team with one shared state: later agents read earlier outputs', async () => {
    const { a, model } = adapter({ scorer: lengthScorer });
    const r = await a.evaluate([{ input: 'cats' }], a.seedCandidate(), true);
    expect(systemOf(model.requests[1]!)).toBe('Review this draft: cats draft');
    expect(r.trajectories![0]!.state).toEqual({ draft: 'cats draft', review: 'review of [cats draft]' });
  });

  it("share_session false runs each agent isolated (templates do not resolve) and returns the primary's output", async () => {
    const { a, model } = adapter({ scorer: lengthScorer, shareSession: false, primary: 'critic', components: { generator: [], critic: ['instruction'] } });
    const r = await a.evaluate([{ input: 'cats' }], a.seedCandidate(), true);
    const critic = model.requests.find((q) => systemOf(q).startsWith('Review'))!;
    expect(systemOf(critic)).toBe('Review this draft: {draft}');
    expect(r.outputs).toEqual(['review of [{draft}]']);
    expect(Object.keys(r.trajectories![0]!.agents).sort()).toEqual(['critic', 'generator']);
  });

  it('the workflow structure (loop counts, parallel branches) is preserved when candidates are applied', async () => {
    const team: TeamDef = {
      agents: { a: agent('a', 'A says', { output_key: 'x' }), b: agent('b', 'B says'), c: agent('c', 'C says', { output_key: 'y' }) },
      workflow: { type: 'loop', max_iterations: 3, steps: [step('a'), par(step('b'), step('c'))] },
      primary: 'c',
      components: { a: ['instruction'], b: ['instruction'], c: ['instruction'] },
      share_session: true,
    };
    const before = structuredClone(team.workflow);
    const model = new FnModel((r) => systemOf(r));
    const ad = createTeamAdapter({ team, models: () => model, reflectionModel: reflection(), scorer: lengthScorer });
    const candidate = { 'a.instruction': 'A2', 'b.instruction': 'B2', 'c.instruction': 'C2' };
    expect(applyCandidate(team, candidate).workflow).toEqual(before);
    const r = await ad.evaluate([{ input: 'go' }], candidate, true);
    const agents = r.trajectories![0]!.agents;
    expect([agents['a']!.runs, agents['b']!.runs, agents['c']!.runs]).toEqual([3, 3, 3]);
    expect(model.requests.map(systemOf).sort()).toEqual(['A2', 'A2', 'A2', 'B2', 'B2', 'B2', 'C2', 'C2', 'C2']);
    expect(team.workflow).toEqual(before);
  });

  it('original agent definitions are never mutated, also when an evaluation fails', async () => {
    const team = deepFreeze(generatorCritic());
    const snapshot = JSON.stringify(team);
    let n = 0;
    const model = new FnModel(() => {
      if (++n === 2) throw new Error('server on fire');
      return 'fine';
    });
    const a = createTeamAdapter({
      team,
      models: () => model,
      reflectionModel: reflection(),
      scorer: lengthScorer,
      components: { generator: ['instruction', 'generation_config'], critic: ['instruction'] },
    });
    const cand = { 'generator.instruction': 'changed', 'generator.generation_config': 'temperature: 1.5\n', 'critic.instruction': 'changed too' };
    const r = await a.evaluate([{ input: 'one' }, { input: 'two' }], cand, true);
    expect(r.trajectories!.some((t) => t.error)).toBe(true);
    // A candidate whose text cannot be applied fails every example, and still touches nothing.
    const bad = await a.evaluate([{ input: 'one' }], { ...cand, 'generator.generation_config': 'temperature: [' }, true);
    expect(bad.scores).toEqual([0]);
    expect(bad.trajectories![0]!.error).toMatch(/the candidate cannot be applied: generator.generation_config/);
    expect(JSON.stringify(team)).toBe(snapshot);
  });

  it('a scorer may return a score', async () => {
    const { a } = adapter({ scorer: () => 0.25 });
    const r = await a.evaluate([{ input: 'x' }], a.seedCandidate(), true);
    expect(r.scores).toEqual([0.25]);
    expect(r.metadata).toEqual([null]);
  });

  it('a scorer may return a score with metadata (feedback, dimension scores, actionable guidance)', async () => {
    const seen: unknown[] = [];
    const scorer = (input: string, output: string, expected: string | undefined) => {
      seen.push([input, output, expected]);
      return { score: 0.5, feedback: 'too plain', dimension_scores: { style: 0.2, accuracy: 0.8 }, actionable_guidance: 'Add a metaphor.' };
    };
    const { a } = adapter({ scorer });
    const r = await a.evaluate([{ input: 'x', expected: 'y' }], a.seedCandidate(), true);
    expect(seen).toEqual([['x', 'x draft', 'y']]);
    expect(r.scores).toEqual([0.5]);
    expect(r.metadata[0]).toEqual({ feedback: 'too plain', dimension_scores: { style: 0.2, accuracy: 0.8 }, actionable_guidance: 'Add a metaphor.' });
    // The seed's (score, metadata) pair works too.
    const pair = adapter({ scorer: () => [0.75, { feedback: 'ok' }] }).a;
    expect((await pair.evaluate([{ input: 'x' }], pair.seedCandidate(), false)).scores).toEqual([0.75]);
  });

  it('without a scorer the output must match expected exactly', async () => {
    const team = generatorCritic();
    team.agents['generator'] = { ...team.agents['generator']!, output_schema: { type: 'object', properties: { t: { type: 'string' } } } };
    const model = byAgent({ 'Write a draft': () => '{"t": "hi"}', Review: () => 'fine' });
    const a = createTeamAdapter({ team, models: () => model, reflectionModel: reflection() });
    const r = await a.evaluate(
      [
        { input: 'a', expected: '{"t":"hi"}' },
        { input: 'b', expected: '{"t":"hi"} ' },
      ],
      a.seedCandidate(),
      false,
    );
    expect(r.scores).toEqual([1, 0]);
  });

  it('without a scorer and without expected the score is 0', async () => {
    const team = generatorCritic();
    team.agents['generator'] = { ...team.agents['generator']!, output_schema: { type: 'object' } };
    const model = byAgent({ 'Write a draft': () => '{}', Review: () => 'fine' });
    const a = createTeamAdapter({ team, models: () => model, reflectionModel: reflection() });
    expect((await a.evaluate([{ input: 'a' }], a.seedCandidate(), false)).scores).toEqual([0]);
  });

  it('evaluations run concurrently with a cap, 5 by default', async () => {
    const one = generatorCritic({
      workflow: step('generator'),
      agents: { generator: generatorCritic().agents['generator']! },
      components: { generator: ['instruction'] },
    });
    const batch = Array.from({ length: 12 }, (_, i) => ({ input: `e${i}` }));
    const gate = new GateModel(5, 12);
    const a = createTeamAdapter({ team: one, models: () => gate, reflectionModel: reflection(), scorer: lengthScorer });
    const r = await a.evaluate(batch, a.seedCandidate(), false);
    expect(r.scores).toHaveLength(12);
    expect(gate.maxInFlight).toBe(5);
    const gate2 = new GateModel(2, 12);
    const b = createTeamAdapter({ team: one, models: () => gate2, reflectionModel: reflection(), scorer: lengthScorer, maxConcurrency: 2 });
    await b.evaluate(batch, b.seedCandidate(), false);
    expect(gate2.maxInFlight).toBe(2);
  });

  it('an example that throws scores 0 with an error trajectory and the batch goes on', async () => {
    const model = byAgent({
      'Write a draft': (r) =>
        userOf(r) === 'boom'
          ? (() => {
              throw new Error('HTTP 500');
            })()
          : 'fine',
      Review: () => 'ok',
    });
    let calls = 0;
    const scorer = (input: string) => {
      calls++;
      if (input === 'scorer-bug') throw new Error('scorer broke');
      return 1;
    };
    const a = createTeamAdapter({ team: generatorCritic(), models: () => model, reflectionModel: reflection(), scorer });
    const r = await a.evaluate([{ input: 'a' }, { input: 'boom' }, { input: 'scorer-bug' }, { input: 'b' }], a.seedCandidate(), true);
    expect(r.scores).toEqual([1, 0, 0, 1]);
    expect(r.outputs[1]).toBe('');
    expect(r.trajectories![1]!.error).toMatch(/agent generator: model call failed: HTTP 500/);
    expect(r.trajectories![2]!.error).toMatch(/scorer broke/);
    expect(calls).toBe(3);
  });

  it('empty input gives empty output', async () => {
    const { a, model } = adapter({ scorer: () => 1 });
    const empty = await a.evaluate([], a.seedCandidate(), true);
    expect(empty).toMatchObject({ outputs: [], scores: [] });
    const blank = await a.evaluate([{ input: '' }], a.seedCandidate(), true);
    expect(blank.outputs).toEqual(['']);
    expect(model.requests).toHaveLength(0);
  });
});

describe('team adapter: trajectories', () => {
  it('trajectories hold per agent its tool calls, state changes and token usage', async () => {
    const team: TeamDef = {
      agents: {
        scout: agent('scout', 'Scout with notes.', { output_key: 'found', tools: ['notes'] }),
        writer: agent('writer', 'Write from {found}', { output_key: 'text' }),
      },
      workflow: seq(step('scout'), step('writer')),
      primary: 'writer',
      components: { scout: [], writer: ['instruction'] },
      share_session: true,
    };
    const model = new FnModel((req: ChatRequest) => {
      if (systemOf(req).startsWith('Scout')) {
        const observed = req.messages.find((m) => m.role === 'tool');
        return observed ? `found: ${observed.content}` : { toolCalls: [{ id: 't1', name: 'note', arguments: '{"text":"hello"}' }] };
      }
      return 'written';
    });
    const a = createTeamAdapter({ team, models: () => model, tools: noteTools(), reflectionModel: reflection(), scorer: () => 1 });
    const r = await a.evaluate([{ input: 'go' }], a.seedCandidate(), true);
    const t = r.trajectories![0]!;
    expect(t.agents['scout']).toMatchObject({
      runs: 1,
      toolCalls: [{ name: 'note', arguments: '{"text":"hello"}', ok: true, observation: 'noted: hello' }],
      stateChanges: [{ key: 'found', previous: null, value: 'found: noted: hello' }],
      usage: { totalTokens: 10 },
    });
    expect(t.agents['writer']).toMatchObject({ runs: 1, toolCalls: [], stateChanges: [{ key: 'text', value: 'written' }], usage: USAGE });
  });

  it('trajectories sum token usage over agents', async () => {
    const { a } = adapter({ scorer: () => 1 });
    const r = await a.evaluate([{ input: 'x' }], a.seedCandidate(), true);
    expect(r.trajectories![0]!.totalUsage).toEqual({ promptTokens: 6, completionTokens: 4, totalTokens: 10 });
  });
});

describe('team adapter: reflection', () => {
  it('the reflective dataset has per component one record per example with feedback: score, feedback text, dimensions and guidance', async () => {
    const scorer = (input: string) => (input === 'a' ? { score: 0.5, feedback: 'meh', dimension_scores: { tone: 0.5 }, actionable_guidance: 'Be bold.' } : 1);
    const { a } = adapter({ scorer, components: { generator: ['instruction'], critic: ['instruction'] } });
    const cand = a.seedCandidate();
    const batch = await a.evaluate([{ input: 'a' }, { input: 'b' }], cand, true);
    const ds = a.makeReflectiveDataset(cand, batch, ['generator.instruction', 'critic.instruction']);
    expect(Object.keys(ds)).toEqual(['generator.instruction', 'critic.instruction']);
    const [first, second] = ds['generator.instruction'] as unknown as Trial[];
    expect(first!.feedback).toEqual({ score: 0.5, feedback_text: 'meh', dimension_scores: { tone: 0.5 }, actionable_guidance: 'Be bold.' });
    expect(second!.feedback).toEqual({ score: 1 });
  });

  it("the reflective dataset's trajectory has input, output, the component's name and current value, tokens and error", async () => {
    const model = byAgent({
      'Write a draft': (r) =>
        userOf(r) === 'bad'
          ? (() => {
              throw new Error('down');
            })()
          : 'ok',
      Review: () => 'fine',
    });
    const a = createTeamAdapter({ team: generatorCritic(), models: () => model, reflectionModel: reflection(), scorer: () => 1 });
    const cand = a.seedCandidate();
    // What the engine passes: only outputs, scores and trajectories (it caches them as JSON).
    const full = await a.evaluate([{ input: 'good' }, { input: 'bad' }], cand, true);
    const ds = a.makeReflectiveDataset(cand, JSON.parse(JSON.stringify({ outputs: full.outputs, scores: full.scores, trajectories: full.trajectories })), [
      'generator.instruction',
    ]);
    const [ok, failed] = ds['generator.instruction'] as unknown as Trial[];
    expect(ok!.trajectory).toEqual({
      input: 'good',
      output: 'ok',
      component: 'generator.instruction',
      component_value: 'Write a draft for the request.',
      tokens: 10,
    });
    expect(failed!.trajectory).toMatchObject({
      input: 'bad',
      output: '',
      component: 'generator.instruction',
      error: expect.stringMatching(/model call failed: down/),
    });
  });

  it('new texts come from the reflection model', async () => {
    const refl = reflection('Better generator instruction.');
    const { a } = adapter({ scorer: () => 0, reflectionModel: refl });
    const cand = a.seedCandidate();
    const ds = a.makeReflectiveDataset(cand, await a.evaluate([{ input: 'x' }], cand, true), ['generator.instruction']);
    expect(await a.proposeNewTexts(cand, ds, ['generator.instruction'])).toEqual({ 'generator.instruction': 'Better generator instruction.' });
    expect(refl.requests[0]!.purpose).toBe('gepa.reflection');
    expect(refl.requests[0]!.messages[0]!.content).toContain('Write a draft for the request.');
  });

  it('when the reflection model proposes nothing the current values stay', async () => {
    const { a } = adapter({
      scorer: () => 0,
      reflectionModel: new FnModel(() => '```\n```'),
      components: { generator: ['instruction', 'generation_config'], critic: [] },
    });
    const cand = a.seedCandidate();
    const ds = a.makeReflectiveDataset(cand, await a.evaluate([{ input: 'x' }], cand, true), ['generator.instruction', 'generator.generation_config']);
    expect(await a.proposeNewTexts(cand, ds, ['generator.instruction', 'generator.generation_config'])).toEqual(cand);
    // An empty dataset, or a text the handler refuses, keeps them too.
    expect(await a.proposeNewTexts(cand, {}, ['generator.instruction'])).toEqual({ 'generator.instruction': cand['generator.instruction'] });
    const broken = adapter({
      scorer: () => 0,
      reflectionModel: new FnModel(() => '```\ntemperature: [\n```'),
      components: { generator: ['generation_config'], critic: [] },
    }).a;
    const c2 = broken.seedCandidate();
    const ds2 = broken.makeReflectiveDataset(c2, await broken.evaluate([{ input: 'x' }], c2, true), ['generator.generation_config']);
    expect(await broken.proposeNewTexts(c2, ds2, ['generator.generation_config'])).toEqual(c2);
  });
});

// A registry made from scratch holds only what it is given.
it('a fresh ComponentRegistry starts empty', () => {
  expect(new ComponentRegistry().names()).toEqual([]);
});
