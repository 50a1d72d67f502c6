import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { readFileTool } from '../../src/tools/builtin/readFile.js';
import { updateProgressParams, updateProgressTool } from '../../src/tools/builtin/updateProgress.js';
import { invokeTool, toolSpec } from '../../src/tools/invoke.js';
import type { Tool } from '../../src/tools/types.js';

const ctx = { workspace: '/nonexistent' };

const echo: Tool<{ text: string; times: number }> = {
  name: 'echo',
  description: 'Echo text.',
  parameters: z.object({ text: z.string(), times: z.number().int().min(1).default(1) }),
  sideEffect: false,
  run: async ({ text, times }) => ({ ok: true, output: text.repeat(times), references: ['ref'] }),
};
const thrower: Tool = {
  name: 'thrower',
  description: 'Always throws.',
  parameters: z.object({}),
  sideEffect: false,
  run: async () => {
    throw new Error('disk on fire');
  },
};
const liar: Tool = {
  name: 'liar',
  description: 'Returns garbage.',
  parameters: z.object({}),
  sideEffect: false,
  run: async () => 42 as never,
};
const tools = [echo, thrower, liar];

describe('invokeTool', () => {
  it('runs a tool with parsed, defaulted arguments (Map or array)', async () => {
    expect(await invokeTool(tools, { name: 'echo', arguments: '{"text":"ab","times":2}' }, ctx)).toEqual({ ok: true, output: 'abab', references: ['ref'] });
    const map = new Map(tools.map((t) => [t.name, t] as const));
    expect(await invokeTool(map, { name: 'echo', arguments: '{"text":"x","extra":true}' }, ctx)).toMatchObject({ ok: true, output: 'x' });
  });

  it('names the available tools for an unknown tool', async () => {
    expect(await invokeTool(tools, { name: 'rm_rf', arguments: '{}' }, ctx)).toEqual({
      ok: false,
      output: 'unknown tool "rm_rf"; available tools: echo, liar, thrower',
    });
    expect((await invokeTool([], { name: 'x', arguments: '{}' }, ctx)).output).toBe('unknown tool "x"; available tools: (none)');
  });

  it('reports arguments that are not JSON with the parse error', async () => {
    const r = await invokeTool(tools, { name: 'echo', arguments: '{"text": "unterminated' }, ctx);
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/^echo: arguments are not valid JSON \(.+\); send a JSON object/);
  });

  it('treats empty arguments as {} (some models send "" for no arguments)', async () => {
    expect((await invokeTool(tools, { name: 'echo', arguments: '' }, ctx)).output).toBe(
      'echo: invalid arguments:\n- text: Invalid input: expected string, received undefined',
    );
  });

  it('lists every schema violation with its path', async () => {
    const r = await invokeTool(tools, { name: 'echo', arguments: '{"text": 5, "times": 0}' }, ctx);
    expect(r).toEqual({
      ok: false,
      output: 'echo: invalid arguments:\n- text: Invalid input: expected string, received number\n- times: Too small: expected number to be >=1',
    });
    const notObject = await invokeTool(tools, { name: 'echo', arguments: '[1,2]' }, ctx);
    expect(notObject.output).toBe('echo: invalid arguments:\n- (arguments): Invalid input: expected object, received array');
    const nested = await invokeTool([updateProgressTool], { name: 'update_progress', arguments: '{"status":"done","message":"x"}' }, ctx);
    expect(nested.output).toMatch(
      /^update_progress: invalid arguments:\n- status: Invalid option: expected one of "in_progress"\|"completed"\|"failed"\|"blocked"$/,
    );
  });

  it('turns a throwing tool into an observation without a stack, and checks what tools return', async () => {
    expect(await invokeTool(tools, { name: 'thrower', arguments: '{}' }, ctx)).toEqual({ ok: false, output: 'thrower failed: disk on fire' });
    expect(await invokeTool(tools, { name: 'liar', arguments: '{}' }, ctx)).toEqual({
      ok: false,
      output: 'liar failed: the tool returned an invalid result (expected {ok, output})',
    });
  });
});

describe('toolSpec', () => {
  it('exports name, description and input-side JSON Schema without $schema', () => {
    const spec = toolSpec(echo);
    expect(spec).toEqual({
      name: 'echo',
      description: 'Echo text.',
      parameters: {
        type: 'object',
        properties: { text: { type: 'string' }, times: { type: 'integer', minimum: 1, default: 1 } },
        required: ['text'],
      },
    });
  });

  it('describes the built-in parameters for the model', () => {
    const spec = toolSpec(readFileTool);
    expect(spec.parameters).toMatchObject({ type: 'object', required: ['path'] });
    expect((spec.parameters['properties'] as Record<string, { description?: string }>)['path']?.description).toMatch(/relative to the workspace root/);
  });
});

describe('update_progress', () => {
  it('is a harmless stand-in: the runtime intercepts the call', async () => {
    expect(updateProgressParams.parse({ status: 'blocked', message: 'waiting' })).toEqual({ status: 'blocked', message: 'waiting' });
    expect(await updateProgressTool.run({ status: 'completed', message: 'done' }, ctx)).toEqual({ ok: true, output: 'progress recorded' });
    expect(updateProgressTool.sideEffect).toBe(false);
  });
});
