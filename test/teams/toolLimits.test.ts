/** Agent-team tools obey the same protected paths and per-step limits as the AIME actors. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAgentTools } from '../../src/teams/effects.js';
import { createWriteFileTool } from '../../src/tools/builtin/index.js';
import { createProtectedPaths } from '../../src/tools/protectedPaths.js';
import { tempDir } from '../support/runtime.js';

describe('team agent tools', () => {
  it('refuse protected paths, run at most max_tool_calls_per_step calls and write at most the step budget', async () => {
    const ws = await tempDir();
    const write = createWriteFileTool();
    const tools = {
      bundles: new Map([['filesystem', { name: 'filesystem', description: '', tools: [write] }]]),
      workspace: ws,
      protectedPaths: createProtectedPaths({ workspace: ws, configDir: path.join(ws, 'config') }),
      stepLimits: { maxToolCalls: 5, maxWriteBytes: 10 },
    };
    const call = (i: number, p: string) => ({ id: `c${i}`, name: 'write_file', arguments: JSON.stringify({ path: p, content: 'abcd', mode: 'append' }) });
    const calls = [call(0, 'config/x.json'), call(1, '.git/config'), call(2, 'a.txt'), call(3, 'a.txt'), call(4, 'a.txt'), call(5, 'a.txt')];
    const outcomes = await runAgentTools(
      {
        models: () => {
          throw new Error('no model');
        },
        tools,
      },
      { agent: { name: 'w', tools: ['filesystem'] } as never, calls },
    );
    expect(outcomes.map((o) => o.ok)).toEqual([false, false, true, true, false, false]);
    expect(outcomes[0]!.observation).toMatch(/config directory/);
    expect(outcomes[1]!.observation).toMatch(/VCS metadata/);
    expect(outcomes[4]!.observation).toMatch(/this step may write only 2 more/);
    expect(outcomes[5]!.observation).toBe('not run: limit of 5 tool calls per step');
    expect(await fs.readFile(path.join(ws, 'a.txt'), 'utf8')).toBe('abcdabcd');
  });
});
