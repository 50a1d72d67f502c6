import { describe, expect, it } from 'vitest';
import { choosePersona, composeActor } from '../../src/aime/factory.js';
import { loadToolRegistry } from '../../src/tools/registry.js';
import { factoryResources } from '../../src/runtime/wiring.js';
import { repoConfig } from '../support/runtime.js';
import { task } from '../support/fixtures.js';

const config = repoConfig();

async function resources() {
  const reg = await loadToolRegistry(config.tools, { configDir: config.dir });
  return factoryResources({ tools: reg.tools, bundles: reg.bundles, personas: config.personas.personas, defaultPersona: config.personas.default_persona });
}

const env = { os: 'Linux', time: '2026-01-01T00:00:00.000Z', workspace: '/ws', permissions: 'workspace only' };

describe('actor factory', () => {
  it('picks the persona from the planner hint, else from keywords, else the default', async () => {
    const res = await resources();
    const t = { ...task('1'), title: 'Research prior art online' };
    expect(choosePersona(t, 'writer', res)).toBe('writer');
    expect(choosePersona(t, 'nonexistent', res)).toBe('researcher');
    expect(choosePersona({ ...task('2'), title: 'Count lines' }, undefined, res)).toBe(config.personas.default_persona);
  });

  it('composes persona, tools, knowledge, environment and output format, with bundle tools plus update_progress', async () => {
    const res = await resources();
    const spec = composeActor(
      {
        goal: 'the goal',
        tasks: [task('1', 'completed'), { ...task('2'), title: 'Research the topic' }],
        taskId: '2',
        prompts: { 'persona.researcher': 'EVOLVED RESEARCHER TEXT' },
        history: [{ taskId: '1', status: 'completed', summary: 'found X', references: [] }],
        maxSteps: 7,
        iteration: 2,
        environment: env,
      },
      res,
    );
    expect(spec.persona).toBe('researcher');
    expect(spec.bundles).toEqual(['filesystem', 'web']);
    expect(spec.tools.map((t) => t.name).sort()).toEqual(['list_dir', 'read_file', 'search_files', 'update_progress', 'web_search', 'write_file']);
    expect(spec.systemPrompt).toContain('# Persona\nEVOLVED RESEARCHER TEXT');
    expect(spec.systemPrompt).toContain('## Bundle web');
    expect(spec.systemPrompt).toContain('Overall goal of the team: the goal');
    expect(spec.systemPrompt).toContain('{"taskId":"1","status":"completed","summary":"found X","references":[]}');
    expect(spec.systemPrompt).toContain('Current time: 2026-01-01T00:00:00.000Z');
    expect(spec.systemPrompt).toContain('Step limit: 7');
    expect(spec.systemPrompt).toContain('"status": "completed" | "failed"');
    expect(spec.taskPrompt).toContain('[2] Research the topic');
    expect(spec.maxSteps).toBe(7);
    expect(spec.dispatchId).toBe('2@2');
  });

  it('honours planner bundle hints only for bundles that exist', async () => {
    const res = await resources();
    const base = { goal: 'g', tasks: [task('1')], taskId: '1', prompts: {}, history: [], maxSteps: 3, iteration: 1, environment: env };
    expect(composeActor({ ...base, assignment: { bundles: ['web', 'nope'] } }, res).bundles).toEqual(['web']);
    expect(composeActor({ ...base, assignment: { bundles: ['nope'] } }, res).bundles).toEqual(['filesystem']);
    expect(() => composeActor({ ...base, taskId: '9' }, res)).toThrow(/no task "9"/);
  });

  it('takes a tool description from the candidate (tool.<name>.description), in the prompt and in the tool spec', async () => {
    const res = await resources();
    const req = {
      goal: 'g',
      tasks: [{ ...task('1'), title: 'Research the topic' }],
      taskId: '1',
      prompts: {} as Record<string, string>,
      history: [],
      maxSteps: 3,
      iteration: 1,
      environment: env,
    };
    const base = composeActor(req, res);
    const tool = base.tools.find((t) => t.name !== 'update_progress')!;
    const evolved = composeActor({ ...req, prompts: { [`tool.${tool.name}.description`]: 'EVOLVED TOOL TEXT' } }, res);
    expect(evolved.tools.find((t) => t.name === tool.name)!.description).toBe('EVOLVED TOOL TEXT');
    expect(evolved.systemPrompt).toContain(`- ${tool.name}: EVOLVED TOOL TEXT`);
    expect(evolved.tools.find((t) => t.name === tool.name)!.parameters).toEqual(tool.parameters); // only the text changes
    expect(base.systemPrompt).not.toContain('EVOLVED TOOL TEXT');
  });
});
