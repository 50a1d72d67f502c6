/** The evolved team file: the original document edited in place, only where components changed. */
import { describe, expect, it } from 'vitest';
import { parseTeamText } from '../../src/teams/load.js';
import { evolvedTeamText } from '../../src/teams/yamlWriter.js';

const ORIGINAL = `# My team
agents:
  writer:
    # what the writer is told
    instruction: Write it.   # short on purpose
    output_key: draft
    generation:
      temperature: 0.7 # warm
      max_tokens: 64
  judge:
    instruction: Judge {draft}.
    output_schema: '{"type": "object"}'
workflow:
  type: loop
  max_iterations: 4
  steps: [writer, judge]
primary: writer
components: {writer: [instruction, generation_config], judge: [output_schema]}
scorer: scorer.mjs
`;

/** Parsed without its scorer line (no scorer module exists here). */
const parse = (text: string) => parseTeamText(text.replace(/^scorer:.*\n/m, ''), 'x.yaml');

describe('evolved team file', () => {
  it('changes only the evolved components and keeps structure, order and comments', () => {
    const seed = {
      'writer.instruction': 'Write it.',
      'writer.generation_config': 'temperature: 0.7\nmax_tokens: 64\n',
      'judge.output_schema': '{"type":"object"}',
    };
    const best = { ...seed, 'writer.instruction': 'Write it well.\nUse short words.', 'writer.generation_config': 'temperature: 0.2\nmax_tokens: 64\n' };
    const out = evolvedTeamText({ text: ORIGINAL, seed, best, header: ' evolved' });
    expect(out.changed).toEqual(['writer.instruction', 'writer.generation_config']);
    expect(out.text.startsWith('# evolved\n')).toBe(true);
    expect(out.text).toContain('# My team\nagents:');
    expect(out.text).toContain('# what the writer is told');
    expect(out.text).toContain('instruction: |- # short on purpose\n      Write it well.\n      Use short words.');
    expect(out.text).toContain('temperature: 0.2 # warm');
    expect(out.text).toContain('output_schema: \'{"type": "object"}\'');
    expect(out.text).toContain('  type: loop\n  max_iterations: 4\n  steps: [writer, judge]');
    const team = parse(out.text);
    expect(team.agents['writer']).toMatchObject({ instruction: 'Write it well.\nUse short words.', generation: { temperature: 0.2, max_tokens: 64 } });
    expect(team.workflow).toEqual(parse(ORIGINAL).workflow);
  });

  it('writes an output schema in the form the file used, removes an emptied one, and moves a relative scorer path', () => {
    const seed = { 'judge.output_schema': '{"type":"object"}' };
    const text = evolvedTeamText({
      text: ORIGINAL,
      seed,
      best: { 'judge.output_schema': '{"type": "object", "required": ["ok"]}' },
      fromDir: '/repo/examples',
      toDir: '/repo/out',
    }).text;
    expect(parse(text).agents['judge']!.output_schema).toEqual({ type: 'object', required: ['ok'] });
    expect(text).toContain('scorer: ../examples/scorer.mjs');
    const removed = evolvedTeamText({ text: ORIGINAL, seed, best: { 'judge.output_schema': '' } }).text;
    expect(removed).not.toMatch(/^\s+output_schema:/m);
    expect(parse(removed).agents['judge']!.output_schema).toBeUndefined();
  });

  it('reports a changed component whose handler cannot write YAML instead of dropping it silently', () => {
    const out = evolvedTeamText({ text: ORIGINAL, seed: { 'writer.tone': 'a' }, best: { 'writer.tone': 'b' } });
    expect(out).toMatchObject({ changed: [], skipped: ['writer.tone'] });
  });
});
