/**
 * run_command through the built CLI: the planner gives the actor the `shell`
 * bundle; without a terminal the default policy "ask" denies it, `--yes` lets
 * it run in the sandbox, and `tools` / `doctor` say whether it is offered.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeSandbox } from '../../src/tools/shell/runCommand.js';
import { runCli } from '../support/cli.js';
import { mcpConfig, observations, teamScript } from '../support/mcp.js';
import { ensureBuilt } from '../support/providerCli.js';
import { tempDir } from '../support/runtime.js';
import { startVllmServer, type VllmServer } from '../support/vllmServer.js';

const probe = await probeSandbox();
let server: VllmServer;
let config: string;

beforeAll(async () => {
  ensureBuilt();
  server = await startVllmServer();
  config = mcpConfig(server.apiBase, {});
});
afterAll(() => server?.close());

describe.skipIf(!probe.ok)('run_command in a run', () => {
  it('asks (denied without a terminal), runs with --yes in the sandbox', async () => {
    const cmd = { name: 'run_command', arguments: { command: 'echo built > out.txt && cat out.txt && ls /root' } };
    for (const [flags, ok] of [
      [[], false],
      [['--yes'], true],
    ] as const) {
      const ws = await tempDir();
      const traces = await tempDir();
      server.handler = teamScript(['shell'], [[cmd]]);
      const result = await runCli(['run', 'build it', '--config', config, '--workspace', ws, '--traces', traces, '--json', ...flags]);
      expect(result.code).toBe(0);
      const [obs] = observations(JSON.parse(result.stdout));
      if (!ok) {
        expect(obs!.observation).toMatch(/run_command was not run: the call was denied \(the approval policy for run_command is "ask"/);
        await expect(fs.stat(path.join(ws, 'out.txt'))).rejects.toThrow();
      } else {
        expect(obs!.observation).toMatch(/^exit code: 2\n/);
        expect(obs!.observation).toMatch(/stdout:\nbuilt\n/);
        expect(obs!.observation).toMatch(/ls: cannot access '\/root'/);
        expect(await fs.readFile(path.join(ws, 'out.txt'), 'utf8')).toBe('built\n');
      }
    }
  });
});

describe('the shell in tools and doctor', () => {
  it('is listed with policy ask when offered, and doctor says why when not', async () => {
    const tools = JSON.parse((await runCli(['tools', '--config', config, '--json'])).stdout);
    const doctor = await runCli(['doctor', '--config', config]);
    if (probe.ok) {
      expect(tools.tools.find((t: { name: string }) => t.name === 'run_command')).toMatchObject({ bundles: ['shell'], approval: 'ask' });
      expect(doctor.stdout).toMatch(/^ok\s+shell: shell bundle offered: run_command runs under .*bwrap/m);
    } else {
      expect(tools.unavailable).toEqual(expect.arrayContaining([expect.objectContaining({ bundle: 'shell' })]));
      expect(doctor.stdout).toMatch(/^warn\s+shell: shell bundle not offered: /m);
    }
  });
});
