import { describe, expect, it } from 'vitest';
import { buildPlannerMessages, parsePlannerReply, plannerResponseFormat } from '../../src/aime/planner.js';
import { extractJsonObject } from '../../src/util/jsonText.js';
import { parseActorReport } from '../../src/aime/actorLogic.js';
import { task } from '../support/fixtures.js';

const team = { personas: [{ name: 'generalist', description: 'does anything' }], bundles: [{ name: 'filesystem', description: 'files' }] };

describe('planner prompting and parsing', () => {
  it('sends the decision schema as JSON Schema with the task list inside', () => {
    const format = plannerResponseFormat();
    expect(format.name).toBe('planner_decision');
    const schema = JSON.stringify(format.schema);
    expect(schema).toContain('"rationale"');
    expect(schema).toContain('"dispatch"');
    expect(schema).toContain('TaskItem');
    expect(format.schema).not.toHaveProperty('$schema');
  });

  it('shows the goal, the Markdown task list, the reports and the team', () => {
    const [system, user] = buildPlannerMessages(
      {
        goal: 'G',
        tasks: [task('1', 'completed')],
        history: [{ taskId: '1', status: 'completed', summary: 'S', references: ['f'] }],
        iteration: 2,
        plannerPrompt: 'P',
      },
      team,
    );
    expect(system!.content.startsWith('P\n\n')).toBe(true);
    expect(user!.content).toContain('# Goal\nG');
    expect(user!.content).toContain('- [x] 1. Task 1 (done when: criteria)');
    expect(user!.content).toContain('{"taskId":"1","status":"completed","summary":"S","references":["f"]}');
    expect(user!.content).toContain('generalist (does anything)');
  });

  it('appends the bad reply and the errors on a re-ask', () => {
    const msgs = buildPlannerMessages(
      { goal: 'G', tasks: [], history: [], iteration: 1, plannerPrompt: 'P', retry: { raw: 'junk', errors: ['action: Required'] } },
      team,
    );
    expect(msgs.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(msgs[3]!.content).toContain('- action: Required');
  });

  it('accepts fenced JSON with prose around it, and reports schema errors by path', () => {
    const good =
      'Sure!\n```json\n{"rationale":"r","tasks":[{"id":"1","title":"A","status":"pending","criteria":"c","children":[]}],"action":{"type":"dispatch","taskIds":["1"]}}\n```';
    expect(parsePlannerReply(good)).toMatchObject({ ok: true, decision: { action: { type: 'dispatch', taskIds: ['1'] } } });
    const bad = parsePlannerReply('{"rationale":"r","tasks":[],"action":{"type":"launch"}}');
    expect(bad.ok).toBe(false);
    expect((bad as any).errors.join('\n')).toMatch(/^action/m);
    const dup = parsePlannerReply(
      '{"rationale":"r","tasks":[{"id":"1","title":"A","status":"pending","criteria":"","children":[]},{"id":"1","title":"B","status":"pending","criteria":"","children":[]}],"action":{"type":"finish","answer":"x"}}',
    );
    expect((dup as any).errors.join()).toMatch(/duplicate/i);
  });
});

describe('JSON in model text', () => {
  it('finds the first balanced object, honouring strings with braces', () => {
    expect(extractJsonObject('x {"a":"}{","b":{"c":1}} y')).toEqual({ value: { a: '}{', b: { c: 1 } } });
    expect(extractJsonObject('no json')).toEqual({ error: 'the reply holds no JSON object' });
    expect('error' in extractJsonObject('{"a": }')).toBe(true);
  });
});

describe('actor reports', () => {
  it('reads the JSON report, or takes prose as a completed summary', () => {
    expect(parseActorReport('3', '{"status":"failed","summary":"no access"}')).toEqual({ taskId: '3', status: 'failed', summary: 'no access', references: [] });
    expect(parseActorReport('3', 'I listed the files.')).toEqual({ taskId: '3', status: 'completed', summary: 'I listed the files.', references: [] });
    expect(parseActorReport('3', '  ').status).toBe('failed');
  });
});
