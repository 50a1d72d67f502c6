/** The offline model as a team agent: the shipped examples run meaningfully with no server. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OfflineModel } from '../../src/aime/offline/index.js';
import { offlineTeamAgent, readRules, violations, write } from '../../src/aime/offline/teamAgent.js';
import { loadTeamFile } from '../../src/teams/load.js';
import { runTeam } from '../../src/teams/runner.js';
import { REPO_ROOT } from '../support/runtime.js';

const EXAMPLES = path.join(REPO_ROOT, 'examples', 'teams');
const offline = new OfflineModel();

describe('offline team agent', () => {
  it('reads rules from text and writes by them; the last of uppercase/lowercase wins', () => {
    const rules = readRules('Keep it in lowercase. Actually, UPPERCASE please; end with "!" and use at most 3 words; include "NOW".');
    expect(rules).toEqual({ case: 'upper', suffix: '!', maxWords: 3, include: ['NOW'] });
    expect(write('fresh coffee every single morning.', rules)).toBe('FRESH COFFEE EVERY NOW!');
    expect(violations(rules, 'Fresh coffee every morning')).toEqual([
      'The text must be in uppercase.',
      'The text must end with "!".',
      'The text must have at most 3 words.',
      'The text must include "NOW".',
    ]);
  });

  it('reviews the block between --- lines when asked to approve, and fills an output schema', () => {
    const review = (draft: string) =>
      offlineTeamAgent({
        purpose: 'team.agent',
        messages: [
          { role: 'system', content: `It must be lowercase. Reply APPROVED or REVISE.\n---\n${draft}\n---` },
          { role: 'user', content: 'x' },
        ],
      });
    expect(review('all good')).toBe('APPROVED');
    expect(review('Not Good')).toBe('REVISE: The text must be in lowercase.');
    const json = offlineTeamAgent({
      purpose: 'team.agent',
      messages: [
        { role: 'system', content: 'Title it.' },
        { role: 'user', content: 'a quiet night' },
      ],
      responseFormat: {
        name: 'out',
        schema: { type: 'object', properties: { title: { type: 'string' }, words: { type: 'integer' }, tags: { type: 'array', items: { type: 'string' } } } },
      },
    });
    expect(JSON.parse(json)).toEqual({ title: 'A quiet night', words: 3, tags: ['A quiet night'] });
  });

  it('runs generator-critic: the critic reads the headline from shared state and lists the broken rules', async () => {
    const { team } = loadTeamFile(path.join(EXAMPLES, 'generator-critic.yaml'));
    const r = await runTeam({ team, input: 'a tent that pitches itself in ten seconds', models: () => offline });
    expect(r.state['headline']).toBe('A tent that pitches itself in ten seconds');
    expect(r.state['review']).toBe('REVISE: The text must be in uppercase. The text must end with "!".');
    expect(r.traces[1]!.instruction).toContain('---\nA tent that pitches itself in ten seconds\n---');
  });

  it('runs refine-loop: the writer applies the editor notes and the loop exits on APPROVED', async () => {
    const { team } = loadTeamFile(path.join(EXAMPLES, 'refine-loop.yaml'));
    const r = await runTeam({ team, input: 'Fresh bread, baked at dawn.', models: () => offline });
    expect(r.traces.map((t) => `${t.agent}@${t.iteration}`)).toEqual(['writer@1', 'editor@1', 'writer@2', 'editor@2']);
    expect(r.state).toEqual({ draft: 'fresh bread, baked at dawn...', review: 'APPROVED' });
  });
});
