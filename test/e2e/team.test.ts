/**
 * End to end: the built CLI runs agent teams with `team run`: a
 * generator -> critic team and a loop team against the fake vLLM, the shipped
 * examples on the offline model, and bad input.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureBuilt, runTimed as runCli, tempConfig, tempDirSync as tempDir } from '../support/providerCli.js';
import { REPO_ROOT } from '../support/runtime.js';
import { fault, type SeenRequest, startVllmServer, type VllmServer } from '../support/vllmServer.js';

const EXAMPLES = path.join(REPO_ROOT, 'examples', 'teams');
let server: VllmServer;
let configDir: string;
let work: string;

beforeAll(() => {
  ensureBuilt();
  configDir = tempConfig({ provider: 'offline', request_timeout: 2, max_retries: 1 });
});
afterAll(() => fs.rmSync(configDir, { recursive: true, force: true }));
beforeEach(async () => {
  server = await startVllmServer({ models: ['m'] });
  work = tempDir('gepa-team-e2e-');
});
afterEach(async () => {
  await server.close();
  fs.rmSync(work, { recursive: true, force: true });
});

const system = (req: SeenRequest): string => req.body.messages?.find((m: { role: string }) => m.role === 'system')?.content ?? '';
const user = (req: SeenRequest): string => req.body.messages?.find((m: { role: string }) => m.role === 'user')?.content ?? '';

function team(name: string, yaml: string): string {
  const file = path.join(work, name);
  fs.writeFileSync(file, yaml);
  return file;
}

const vllm = () => ['--config', configDir, '--provider', 'vllm', '--api-base', server.apiBase, '--model', 'm'];

const GENERATOR_CRITIC = `agents:
  generator:
    instruction: Write a slogan for the product.
    output_key: slogan
    generation: {temperature: 0.9, max_tokens: 40}
  critic:
    instruction: "Critique this slogan: {slogan}"
    output_key: critique
workflow: {type: sequential, steps: [generator, critic]}
`;

const LOOP = `agents:
  writer:
    instruction: "Draft a title. Notes: {notes?}"
    output_key: title
  editor:
    instruction: "Judge the title {title}"
    output_key: notes
workflow:
  type: loop
  max_iterations: 4
  until: {key: notes, contains: LGTM}
  steps: [writer, editor]
`;

describe('team run against the fake vLLM', () => {
  it('runs a generator -> critic team: the critic reads the generator output from shared state', async () => {
    server.handler = (req) =>
      system(req).startsWith('Write a slogan') ? { content: `Fresh ${user(req)}, every day` } : { content: `Critique: "${system(req).slice(22)}" is fine` };
    const r = await runCli(['team', 'run', team('gc.yaml', GENERATOR_CRITIC), '--input', 'bread', '--json', ...vllm()]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.status).toBe('completed');
    expect(out.state).toEqual({ slogan: 'Fresh bread, every day', critique: 'Critique: "Fresh bread, every day" is fine' });
    expect(out.output).toBe(out.state.critique);
    expect(out.agents.map((a: { agent: string }) => a.agent)).toEqual(['generator', 'critic']);
    expect(out.usage.totalTokens).toBeGreaterThan(0);
    expect(server.requests).toHaveLength(2);
    expect(system(server.requests[1]!)).toBe('Critique this slogan: Fresh bread, every day');
    // The generator's generation settings went on the wire; the critic used the config's.
    expect(server.requests[0]!.body).toMatchObject({ model: 'm', temperature: 0.9, max_tokens: 40 });
    expect(server.requests[1]!.body.temperature).not.toBe(0.9);
  });

  it('runs a loop team until the exit condition holds', async () => {
    let judged = 0;
    server.handler = (req) =>
      system(req).startsWith('Draft') ? { content: `Title v${judged + 1}` } : { content: ++judged < 3 ? 'Too long, shorten it' : 'LGTM' };
    const r = await runCli(['team', 'run', team('loop.yaml', LOOP), '--input', 'a book about rivers', ...vllm()]);
    expect(r.code).toBe(0);
    expect(server.requests.map((q) => system(q))).toEqual([
      'Draft a title. Notes: ',
      'Judge the title Title v1',
      'Draft a title. Notes: Too long, shorten it',
      'Judge the title Title v2',
      'Draft a title. Notes: Too long, shorten it',
      'Judge the title Title v3',
    ]);
    expect(r.stdout).toContain('writer (round 3, -> title):\n  Title v3');
    expect(r.stdout).toContain('state:\n  title: Title v3\n  notes: LGTM');
    expect(r.stdout).toContain('status: completed');
  });

  it('exits 1 with the failing agent named when the server refuses a call', async () => {
    server.handler = () => fault.status(400, 'bad request: prompt too long');
    const r = await runCli(['team', 'run', team('gc.yaml', GENERATOR_CRITIC), '--input', 'bread', '--json', ...vllm()]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.status).toBe('failed');
    expect(out.error).toMatch(/^agent generator: model call failed: .*400/);
    expect(server.requests).toHaveLength(1);
  });
});

describe('team run on the shipped examples, offline', () => {
  it('generator-critic prints every agent, the output and the state', async () => {
    const r = await runCli([
      'team',
      'run',
      path.join(EXAMPLES, 'generator-critic.yaml'),
      '--input',
      'a bike lock you open with your phone',
      '--provider',
      'offline',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('generator (-> headline):\n  A bike lock you open with your phone');
    expect(r.stdout).toContain('critic (-> review):\n  REVISE: The text must be in uppercase. The text must end with "!".');
    expect(r.stdout).toContain('state:\n  headline: A bike lock you open with your phone\n');
    expect(r.stdout).toContain('embedded offline model');
  });

  it('refine-loop converges in two rounds (--json)', async () => {
    const r = await runCli([
      'team',
      'run',
      path.join(EXAMPLES, 'refine-loop.yaml'),
      '--input',
      'Soup, the way grandma made it',
      '--provider',
      'offline',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.state).toEqual({ draft: 'soup, the way grandma made it...', review: 'APPROVED' });
    expect(out.primary_output).toBe('soup, the way grandma made it...');
    expect(out.agents).toHaveLength(4);
    expect(out.model.offline).toBe(true);
  });

  it('the old spelling `pipeline run` is an alias of `team run`', async () => {
    const args = ['run', path.join(EXAMPLES, 'refine-loop.yaml'), '--input', 'Soup, the way grandma made it', '--provider', 'offline', '--json'];
    const [old, now] = await Promise.all([runCli(['pipeline', ...args]), runCli(['team', ...args])]);
    expect(old.code).toBe(0);
    expect(JSON.parse(old.stdout).state).toEqual(JSON.parse(now.stdout).state);
  });
});

describe('team run: bad usage', () => {
  it('a broken team file exits 2 with file, line and key path', async () => {
    const file = team('bad.yaml', 'agents:\n  a:\n    instruction: hi\n    temprature: 1\nworkflow: [a]\n');
    const r = await runCli(['team', 'run', file, '--input', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:4: agents.a.temprature: unknown key`);
    expect(r.stderr).toContain(`${file}:5: workflow: expected an agent name, or a mapping with type: sequential, parallel or loop`);
    expect(r.stdout).toBe('');
  });

  it('a missing file or a missing --input exits 2', async () => {
    expect((await runCli(['team', 'run', path.join(work, 'nope.yaml'), '--input', 'x'])).code).toBe(2);
    const r = await runCli(['team', 'run', path.join(EXAMPLES, 'refine-loop.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--input/);
  });
});
