/** Team files: the shipped examples load, defaults apply, and every problem is reported with its line. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/index.js';
import { componentHandlers } from '../../src/teams/components.js';
import { loadTeamFile, parseTeamText } from '../../src/teams/load.js';
import { REPO_ROOT } from '../support/runtime.js';

const EXAMPLES = path.join(REPO_ROOT, 'examples', 'teams');

function problems(text: string): string[] {
  try {
    parseTeamText(text, 'team.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map((i) => i.message);
  }
  throw new Error('expected the file to be refused');
}

describe('team files', () => {
  it('loads the generator-critic example: sequential, shared state, a scorer beside it', () => {
    const { team } = loadTeamFile(path.join(EXAMPLES, 'generator-critic.yaml'));
    expect(team.workflow).toEqual({
      type: 'sequential',
      steps: [
        { type: 'agent', agent: 'generator' },
        { type: 'agent', agent: 'critic' },
      ],
    });
    expect(team.agents['generator']).toMatchObject({
      output_key: 'headline',
      role: 'actor',
      generation: { temperature: 0.7, max_tokens: 64 },
      tools: [],
      max_steps: 5,
    });
    expect(team.agents['critic']!.instruction).toContain('{headline}');
    expect(team).toMatchObject({ primary: 'generator', components: { generator: ['instruction'], critic: [] }, share_session: true });
    expect(team.scorer).toBe(path.join(EXAMPLES, 'headline-scorer.mjs'));
  });

  it('loads the refine-loop example: a loop with an exit condition', () => {
    const { team } = loadTeamFile(path.join(EXAMPLES, 'refine-loop.yaml'));
    expect(team.workflow).toEqual({
      type: 'loop',
      max_iterations: 3,
      until: { agent: 'editor', contains: 'APPROVED' },
      steps: [
        { type: 'agent', agent: 'writer' },
        { type: 'agent', agent: 'editor' },
      ],
    });
    for (const f of ['refine-loop.train.jsonl', 'refine-loop.val.jsonl', 'generator-critic.train.jsonl', 'generator-critic.val.jsonl']) {
      expect(fs.readFileSync(path.join(EXAMPLES, f), 'utf8').trim().split('\n').length).toBeGreaterThanOrEqual(3);
    }
  });

  it('defaults: no workflow runs the agents in order; output_schema may be JSON or YAML text', () => {
    const team = parseTeamText(
      `agents:\n  a:\n    instruction: one\n    output_schema: '{"type": "object", "properties": {"t": {"type": "string"}}}'\n  b:\n    instruction: two\n    output_schema: |\n      type: object\n`,
      'team.yaml',
    );
    expect(team.workflow).toEqual({
      type: 'sequential',
      steps: [
        { type: 'agent', agent: 'a' },
        { type: 'agent', agent: 'b' },
      ],
    });
    expect(team.agents['a']!.output_schema).toEqual({ type: 'object', properties: { t: { type: 'string' } } });
    expect(team.agents['b']!.output_schema).toEqual({ type: 'object' });
    expect(team.share_session).toBe(true);
  });

  it('nested workflows and the three exit-condition forms parse', () => {
    const team = parseTeamText(
      [
        'agents: {a: {instruction: A, output_key: k}, b: {instruction: B}, c: {instruction: C}}',
        'workflow:',
        '  type: sequential',
        '  steps:',
        '    - a',
        '    - type: loop',
        '      max_iterations: 2',
        '      until: {key: k, equals: done}',
        '      steps:',
        '        - type: parallel',
        '          steps: [b, {type: agent, agent: c}]',
        '    - {type: loop, max_iterations: 1, until: {key: k, contains: x}, steps: [a]}',
        '    - {type: loop, max_iterations: 1, until: {agent: b, contains: y}, steps: [b]}',
      ].join('\n'),
      'team.yaml',
    );
    const steps = (team.workflow as { steps: unknown[] }).steps;
    expect(steps[1]).toEqual({
      type: 'loop',
      max_iterations: 2,
      until: { key: 'k', equals: 'done' },
      steps: [
        {
          type: 'parallel',
          steps: [
            { type: 'agent', agent: 'b' },
            { type: 'agent', agent: 'c' },
          ],
        },
      ],
    });
    expect((steps[2] as { until: unknown }).until).toEqual({ key: 'k', contains: 'x' });
    expect((steps[3] as { until: unknown }).until).toEqual({ agent: 'b', contains: 'y' });
  });

  it('reports every problem at once, each with file, line and key path', () => {
    const text = [
      'agents:', //                                  1
      '  a:', //                                     2
      '    instruction: hi', //                      3
      '    output_key: 1bad', //                     4
      '    generation: {temperature: 5, topp: 1}', // 5
      '    output_schema: "[1, 2"', //               6
      'workflow:', //                                7
      '  type: loop', //                             8
      '  max_iterations: 0', //                      9
      '  until: {agent: a, equals: x}', //           10
      '  steps: [a, ghost, {type: fork}]', //        11
      'primary: nobody', //                          12
      'components:', //                              13
      '  a: [instruction, tone]', //                 14
      '  z: []', //                                  15
      'scorer: missing.mjs', //                      16
    ].join('\n');
    const got = problems(text);
    const expectations = [
      /^team.yaml:4: agents.a.output_key: expected a state key/,
      /^team.yaml:5: agents.a.generation.temperature: expected a number from 0 to 2, found 5/,
      /^team.yaml:5: agents.a.generation.topp: unknown key \(did you mean "top_p"\?\)/,
      /^team.yaml:6: agents.a.output_schema: expected a usable JSON Schema/,
      /^team.yaml:9: workflow.max_iterations: expected an integer >= 1, found 0/,
      /^team.yaml:10: workflow.until: expected exactly one of/,
      /^team.yaml:11: workflow.steps\[1\]: expected the name of an agent \(a\), found "ghost"/,
      /^team.yaml:11: workflow.steps\[2\]/,
      /^team.yaml:12: primary: expected the name of an agent \(a\), found "nobody"/,
      /^team.yaml:14: components.a\[1\]: expected a component \(instruction, output_schema, generation_config\), found "tone"/,
      /^team.yaml:15: components.z: expected the name of an agent \(a\), found unknown agent "z"/,
      /^team.yaml:16: scorer: expected a scorer module that exists/,
    ];
    for (const e of expectations)
      expect(
        got.some((g) => e.test(g)),
        `${e} in\n${got.join('\n')}`,
      ).toBe(true);
  });

  it('refuses an agent the workflow never runs, and a file that is not a mapping', () => {
    expect(problems('agents: {a: {instruction: A}, b: {instruction: B}}\nworkflow: a\n')).toEqual([
      'team.yaml:1: agents.b: expected an agent the workflow uses, found "b", which no workflow step runs',
    ]);
    expect(problems('- just\n- a list\n')[0]).toMatch(/^team.yaml:1: a team file must be a mapping/);
    expect(problems('agents: {}\n')[0]).toMatch(/agents: expected at least one agent/);
  });

  it('accepts component names registered later when given that registry', () => {
    const registry = componentHandlers.clone().register({ name: 'tone', get: () => '', apply: (a) => a });
    const team = parseTeamText('agents: {a: {instruction: A}}\ncomponents: {a: [tone]}\n', 'team.yaml', { components: registry });
    expect(team.components).toEqual({ a: ['tone'] });
  });
});
