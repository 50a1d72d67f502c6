/**
 * The approval gate: which policy applies (CLI names > config tools > config
 * bundles > CLI default > tool default), what each policy decides, and
 * properties over arbitrary settings: "deny" is never approved whatever the
 * answers, "ask" never runs without a yes from someone (or --yes, or an
 * earlier always), and nothing is asked when no one can answer.
 */
import fc from 'fast-check';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import {
  ApprovalGate,
  parseApproveFlag,
  type Answer,
  type ApprovableTool,
  type ApprovalNotice,
  type Asker,
  type ApprovalPolicy,
} from '../../src/tools/approval.js';
import { observationOf } from '../../src/tools/mcp/tools.js';
import type { Tool, ToolBundle } from '../../src/tools/types.js';

const tool = (name: string, defaultApproval?: ApprovalPolicy): Tool => ({
  name,
  description: name,
  parameters: z.object({}),
  sideEffect: defaultApproval === 'ask',
  ...(defaultApproval ? { defaultApproval } : {}),
  run: async () => ({ ok: true, output: '' }),
});

const tools = new Map(
  [tool('read_file'), tool('write_file'), tool('run_command', 'ask'), tool('create_entities', 'ask'), tool('read_graph', 'auto')].map((t) => [t.name, t]),
);
const bundles = new Map<string, ToolBundle>([
  ['filesystem', { name: 'filesystem', description: '', tools: [tools.get('read_file')!, tools.get('write_file')!] }],
  ['shell', { name: 'shell', description: '', tools: [tools.get('run_command')!] }],
  ['mcp:memory', { name: 'mcp:memory', description: '', tools: [tools.get('create_entities')!, tools.get('read_graph')!] }],
]);
const ALL = ['filesystem', 'shell', 'mcp:memory'];

function asker(answers: Answer[], by: 'user' | 'dashboard' = 'user'): Asker & { asked: number } {
  const a = {
    by,
    asked: 0,
    ask: async () => {
      a.asked++;
      const next = answers.shift();
      if (!next) throw new Error('no more answers');
      return next;
    },
  };
  return a;
}

const call = (name: string, n = 0) => ({ key: `1|c${n}|${name}|x`, taskId: '1', call: { id: `c${n}`, name, arguments: '{}' }, bundles: ALL });

describe('policy resolution', () => {
  it('uses the defaults: reads and write_file auto, run_command and non-read-only MCP tools ask', () => {
    const gate = new ApprovalGate({ tools, bundles });
    expect(['read_file', 'write_file', 'run_command', 'create_entities', 'read_graph'].map((t) => gate.policyFor(t, ALL))).toEqual([
      'auto',
      'auto',
      'ask',
      'ask',
      'auto',
    ]);
  });

  it('CLI names > config tools > config bundles (strictest) > CLI default > tool default', () => {
    const config = { tools: { read_graph: 'ask' as const }, bundles: { 'mcp:memory': 'deny' as const, filesystem: 'ask' as const } };
    const base = new ApprovalGate({ tools, bundles, config });
    expect(base.policyFor('read_graph', ALL)).toBe('ask'); // tool beats bundle
    expect(base.policyFor('create_entities', ALL)).toBe('deny'); // bundle beats default
    expect(base.policyFor('read_file', ALL)).toBe('ask');
    expect(base.policyFor('read_file', ['shell'])).toBe('auto'); // only bundles the actor holds count
    const cli = new ApprovalGate({ tools, bundles, config, cliDefault: 'deny', cliNames: { 'mcp:memory': 'auto', run_command: 'auto' } });
    expect(cli.policyFor('create_entities', ALL)).toBe('auto');
    expect(cli.policyFor('read_graph', ALL)).toBe('auto'); // the CLI's bundle name beats the config's tool entry
    expect(cli.policyFor('run_command', ALL)).toBe('auto');
    expect(cli.policyFor('write_file', ALL)).toBe('ask'); // config bundle beats the CLI default
    expect(new ApprovalGate({ tools, bundles, cliDefault: 'deny' }).policyFor('read_file', ALL)).toBe('deny');
  });

  it('parses --approve', () => {
    expect(parseApproveFlag(['ask', 'run_command=auto', 'mcp:memory=deny'])).toEqual({
      cliDefault: 'ask',
      cliNames: { run_command: 'auto', 'mcp:memory': 'deny' },
    });
    expect(parseApproveFlag([])).toEqual({ cliNames: {} });
    expect(parseApproveFlag(['sometimes'])).toMatchObject({ error: expect.stringContaining('expected auto, ask or deny') });
    expect(parseApproveFlag(['=auto'])).toMatchObject({ error: expect.stringContaining('empty') });
  });
});

describe('decisions', () => {
  it('asks once per call, remembers always, and says no with a reason', async () => {
    const a = asker(['yes', 'no', 'always']);
    const gate = new ApprovalGate({ tools, bundles, askers: [a] });
    expect(await gate.decide(call('run_command', 1))).toMatchObject({ decision: 'approved', by: 'user' });
    expect(await gate.decide(call('run_command', 2))).toMatchObject({ decision: 'denied', by: 'user', reason: 'the user said no' });
    expect(await gate.decide(call('run_command', 3))).toMatchObject({ decision: 'approved', by: 'user', always: true });
    expect(await gate.decide(call('run_command', 4))).toMatchObject({ decision: 'approved', by: 'always' });
    expect(await gate.decide(call('read_file', 5))).toMatchObject({ decision: 'approved', by: 'policy' });
    expect(a.asked).toBe(3);
    expect(gate.alwaysApproved()).toEqual(['run_command']);
  });

  it('parallel actors are asked one at a time; an "always" given meanwhile answers the queued call', async () => {
    let open = 0;
    let maxOpen = 0;
    const answers: Array<(a: Answer) => void> = [];
    const slow: Asker = {
      by: 'user',
      ask: () =>
        new Promise<Answer>((resolve) => {
          maxOpen = Math.max(maxOpen, ++open);
          answers.push((a) => {
            open--;
            resolve(a);
          });
        }),
    };
    const gate = new ApprovalGate({ tools, bundles, askers: [slow] });
    const first = gate.decide(call('run_command', 1));
    const second = gate.decide(call('run_command', 2));
    await expect.poll(() => answers.length).toBe(1);
    answers[0]!('always');
    expect(await first).toMatchObject({ decision: 'approved', by: 'user' });
    expect(await second).toMatchObject({ decision: 'approved', by: 'always' });
    expect(maxOpen).toBe(1);
    expect(answers).toHaveLength(1);
  });

  it('the first asker to answer wins; a cancelled question is a transient denial', async () => {
    const never: Asker = {
      by: 'user',
      ask: (_r, signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('withdrawn')))),
    };
    const gate = new ApprovalGate({ tools, bundles, askers: [never, asker(['no'], 'dashboard')] });
    expect(await gate.decide(call('create_entities'))).toMatchObject({ decision: 'denied', by: 'dashboard', reason: 'the dashboard user said no' });
    const stop = new AbortController();
    const waiting = new ApprovalGate({ tools, bundles, askers: [never] }).decide({ ...call('create_entities'), signal: stop.signal });
    stop.abort();
    expect(await waiting).toMatchObject({ decision: 'denied', transient: true });
  });

  it('property: deny is never approved; ask runs only with a yes, --yes or always; nobody to ask means denied', async () => {
    const policy = fc.constantFrom<ApprovalPolicy>('auto', 'ask', 'deny');
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          cliDefault: fc.option(policy, { nil: undefined }),
          toolPolicy: fc.option(policy, { nil: undefined }),
          bundlePolicy: fc.option(policy, { nil: undefined }),
          yes: fc.boolean(),
          answers: fc.array(fc.constantFrom<Answer>('yes', 'no', 'always'), { maxLength: 4 }),
          withAsker: fc.boolean(),
          calls: fc.array(fc.constantFrom('read_file', 'write_file', 'run_command', 'create_entities', 'read_graph'), { minLength: 1, maxLength: 6 }),
        }),
        async (s) => {
          const a = asker([...s.answers]);
          const gate = new ApprovalGate({
            tools,
            bundles,
            config: { tools: s.toolPolicy ? { run_command: s.toolPolicy } : {}, bundles: s.bundlePolicy ? { 'mcp:memory': s.bundlePolicy } : {} },
            ...(s.cliDefault ? { cliDefault: s.cliDefault } : {}),
            yes: s.yes,
            askers: s.withAsker ? [a] : [],
          });
          const always = new Set<string>();
          for (const [i, name] of s.calls.entries()) {
            const policyNow = gate.policyFor(name, ALL);
            const asksBefore = a.asked;
            const out = await gate.decide(call(name, i));
            expect(out.policy).toBe(policyNow);
            if (policyNow === 'deny') expect(out.decision).toBe('denied');
            if (policyNow === 'auto') expect(out).toMatchObject({ decision: 'approved', by: 'policy' });
            if (policyNow === 'ask' && out.decision === 'approved') expect(['user', 'yes', 'always']).toContain(out.by);
            if (policyNow === 'ask' && !s.withAsker && !s.yes && !always.has(name)) expect(out).toMatchObject({ decision: 'denied', by: 'no-terminal' });
            if (policyNow !== 'ask' || s.yes || always.has(name)) expect(a.asked).toBe(asksBefore);
            if (out.by === 'user' && 'always' in out && out.always) always.add(name);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('MCP results as observations', () => {
  it('text, images, audio, links, embedded resources and structured content', () => {
    const r = observationOf('t', {
      content: [
        { type: 'text', text: 'hello' },
        { type: 'image', data: 'AAAA', mimeType: 'image/png' },
        { type: 'audio', data: 'AAAAAAAA', mimeType: 'audio/wav' },
        { type: 'resource_link', uri: 'file:///a.txt', name: 'a' },
        { type: 'resource', resource: { uri: 'mem://x', text: 'inside' } },
        { type: 'resource', resource: { uri: 'mem://b', blob: 'AAAA', mimeType: 'application/zip' } },
      ],
      structuredContent: { n: 1 },
    });
    expect(r.ok).toBe(true);
    expect(r.output.split('\n')).toEqual([
      'hello',
      '[image: image/png, 3 bytes, not shown]',
      '[audio: audio/wav, 6 bytes, not shown]',
      '[resource link: a file:///a.txt]',
      '[resource mem://x]',
      'inside',
      '[resource mem://b (application/zip): binary, not shown]',
      'structured content: {"n":1}',
    ]);
    expect(r.references).toEqual(['file:///a.txt', 'mem://x', 'mem://b']);
    expect(observationOf('t', { content: [{ type: 'text', text: 'boom' }], isError: true })).toEqual({
      ok: false,
      output: 't: the MCP tool reported an error: boom',
    });
    expect(observationOf('t', { content: [] })).toEqual({ ok: true, output: '(the tool returned no content)' });
    const big = observationOf('t', { content: [{ type: 'text', text: 'x'.repeat(200_000) }] });
    expect(big.output.length).toBeLessThan(66_000);
    expect(big.output).toMatch(/\[cut: 134464 more characters\]$/);
  });
});

const apiTool = (sideEffect: boolean, approval?: 'auto' | 'ask' | 'deny'): ApprovableTool => ({
  name: 't',
  description: 'd',
  parameters: z.object({}),
  sideEffect,
  ...(approval ? { approval } : {}),
  run: async () => ({ ok: true, output: 'ran' }),
});

async function callThrough(gateTool: ApprovableTool, handler?: () => unknown) {
  const notices: ApprovalNotice[] = [];
  let ran = 0;
  const gate = new ApprovalGate({ ...(handler ? { handler: handler as never } : {}), notify: (n) => notices.push(n) });
  const result = await gate.run({ name: 't', arguments: '{}' }, '1', gateTool, async () => {
    ran++;
    return { ok: true, output: 'ran' };
  });
  return { result, ran, notices };
}

const policyFor = (t: ApprovableTool, hasHandler: boolean) => new ApprovalGate(hasHandler ? { handler: () => 'approve' } : {}).policyFor(t.name, [], t);

describe('approval through the library handler (an asker like the terminal)', () => {
  it("a tool's own policy wins; otherwise side effects ask when there is a handler, and everything runs when there is none", () => {
    expect(policyFor(apiTool(false), false)).toBe('auto');
    expect(policyFor(apiTool(true), false)).toBe('auto');
    expect(policyFor(apiTool(false), true)).toBe('auto');
    expect(policyFor(apiTool(true), true)).toBe('ask');
    for (const p of ['auto', 'ask', 'deny'] as const) for (const h of [true, false]) expect(policyFor(apiTool(true, p), h)).toBe(p);
  });

  it('auto runs without asking or notices; deny never runs and never asks', async () => {
    let asked = 0;
    const ask = (answer: string) => () => {
      asked++;
      return answer;
    };
    const auto = await callThrough(apiTool(false), ask('deny'));
    expect([auto.ran, auto.notices.length, asked]).toEqual([1, 0, 0]);
    const deny = await callThrough(apiTool(false, 'deny'), ask('approve'));
    expect([deny.ran, asked, deny.result.ok]).toEqual([0, 0, false]);
    expect(deny.result.output).toContain('the approval policy for t is "deny"');
    expect(deny.notices.map((n) => n.type)).toEqual(['requested', 'decided']);
  });

  it('an explicit ask with no handler is denied: no one can approve it', async () => {
    const r = await callThrough(apiTool(false, 'ask'));
    expect(r.ran).toBe(0);
    expect(r.result.output).toContain('there is no terminal, dashboard or approval handler to ask');
  });

  it('a call runs only when the handler answers exactly "approve"; anything else (junk, throws, rejections) denies', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.constant('approve'), fc.constant('deny'), fc.anything(), fc.constant('throw'), fc.constant('reject')), async (answer) => {
        const handler = () => {
          if (answer === 'throw') throw new Error('boom');
          if (answer === 'reject') return Promise.reject(new Error('boom'));
          return answer;
        };
        const r = await callThrough(apiTool(true), handler);
        expect(r.ran).toBe(answer === 'approve' ? 1 : 0);
        expect(r.result.ok).toBe(answer === 'approve');
        const decided = r.notices.find((n) => n.type === 'decided');
        expect(decided).toMatchObject({ decision: answer === 'approve' ? 'approve' : 'deny' });
      }),
      { numRuns: 200 },
    );
  });
});
