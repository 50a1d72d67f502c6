/**
 * The live status line on a terminal (pseudo-terminal through `script`), the
 * same as log lines with --verbose on a pipe, and --quiet. The fake vLLM
 * holds the planner's first call until the test has seen the wait on screen,
 * then fails it once with a 500 so a retry shows, then plays the agents.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { agentHandler } from '../support/agentScript.js';
import { ensureBuilt, runTimed as runCli, tempConfig, tempDirSync } from '../support/providerCli.js';
import { HAVE_SCRIPT, startPty } from '../support/pty.js';
import { fault, purposeOf, startVllmServer, type ServerReply, type VllmServer } from '../support/vllmServer.js';

let server: VllmServer;
let work: string;
let configDir: string;

beforeAll(() => {
  ensureBuilt();
  configDir = tempConfig({ provider: 'offline', request_timeout: 30, max_retries: 2 });
});
beforeEach(async () => {
  server = await startVllmServer({ models: ['m'] });
  work = tempDirSync('gepa-status-');
  fs.mkdirSync(path.join(work, 'ws'));
  fs.writeFileSync(path.join(work, 'ws', 'README.md'), '# demo\n');
});
afterEach(async () => {
  await server.close();
  fs.rmSync(work, { recursive: true, force: true });
});

/** The first planner call waits for `release()`, then gets a 500; everything after is the scripted team. */
function gatedHandler() {
  const agents = agentHandler();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let first = true;
  server.handler = async (req): Promise<ServerReply> => {
    if (first && purposeOf(req) === 'planner') {
      first = false;
      await gate;
      return fault.status(500, 'warming up');
    }
    return agents(req);
  };
  return release;
}

const args = () => [
  'run',
  'List the files in the workspace',
  '--config',
  configDir,
  '--api-base',
  server.apiBase,
  '--model',
  'm',
  '--workspace',
  path.join(work, 'ws'),
  '--traces',
  path.join(work, 'traces'),
];
const shell = (a: string[]) => `exec "$NODE" "$CLI" ${a.map((x) => `'${x}'`).join(' ')}`;

describe.skipIf(!HAVE_SCRIPT)('status line on a terminal', () => {
  it('shows the planner waiting with seconds that tick, the retry with its reason, and the tool an actor calls', async () => {
    const release = gatedHandler();
    const pty = startPty(shell(args()));
    await pty.waitFor(/planner thinking: waiting for the model for \d+\.\d s/);
    // The seconds tick while the call waits: a later figure than 0.0 appears.
    await pty.waitFor(/planner thinking: waiting for the model for 0\.[1-9] s/);
    release();
    await pty.waitFor(/planner: retry 1\/2 after "HTTP 500: warming up" in \d+\.\d s/);
    await pty.waitFor(/actor 1 step 1: (calling tool list_dir|waiting for the model)/);
    const { code, output } = await pty.done;
    expect(code).toBe(0);
    expect(output).toContain('status: ');
    expect(output).toMatch(/\x1b\[32mcompleted\x1b\[0m/); // coloured on a terminal
  }, 30_000);
});

describe('status without a terminal', () => {
  it('prints nothing of it on a pipe unless --verbose', async () => {
    server.handler = agentHandler();
    const plain = await runCli(args());
    expect(plain.code).toBe(0);
    expect(plain.stderr).not.toMatch(/waiting for the model|retry/);
    expect(plain.stdout).not.toMatch(/\x1b\[/);
  });

  it('--verbose logs the planner, the retry with its reason and the tool calls on stderr', async () => {
    const release = gatedHandler();
    release();
    const result = await runCli([...args(), '--verbose']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('gepa-aime: planner: thinking (waiting for the model)');
    expect(result.stderr).toMatch(/gepa-aime: planner: retry 1\/2 after "HTTP 500: warming up" in \d+\.\d s/);
    expect(result.stderr).toMatch(/gepa-aime: actor 1 step 1: the model answered in \d+\.\d s; calling tool list_dir/);
    expect(result.stdout).not.toMatch(/\x1b\[/);
  });

  it('--quiet prints only the answer', async () => {
    server.handler = agentHandler();
    const result = await runCli([...args(), '--quiet']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('The workspace was listed.\n');
    expect(result.stderr).toBe('');
  });
});

describe.skipIf(!HAVE_SCRIPT)('status line in chat', () => {
  it('shows the wait for the model, and Ctrl-C during it cancels the call, not the chat', async () => {
    let calls = 0;
    let arrived!: () => void;
    const asked = new Promise<void>((r) => (arrived = r));
    server.handler = () => {
      calls++;
      arrived();
      return new Promise<ServerReply>(() => {}); // never answers; server.close() cuts it
    };
    const pty = startPty(shell(['chat', '--config', configDir, '--api-base', server.apiBase, '--model', 'm']));
    let at = await pty.waitFor(/> /);
    pty.write('hello\r');
    at = await pty.waitFor(/chat: waiting for the model for \d+\.\d s/, at);
    await asked;
    pty.write('\x03');
    at = await pty.waitFor(/cancelled/, at);
    pty.write('/quit\r');
    const { code } = await pty.done;
    expect(code).toBe(0);
    expect(calls).toBe(1);
  }, 30_000);
});
