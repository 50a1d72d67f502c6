/** The approval gate: which calls run, which are asked about, and what a denial tells the model. */
import fc from 'fast-check';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { createApprovalGate, policyFor, type ApprovalNotice, type ApprovableTool } from '../../src/tools/approval.js';

const tool = (sideEffect: boolean, approval?: 'auto' | 'ask' | 'deny'): ApprovableTool => ({
  name: 't',
  description: 'd',
  parameters: z.object({}),
  sideEffect,
  ...(approval ? { approval } : {}),
  run: async () => ({ ok: true, output: 'ran' }),
});

async function call(gateTool: ApprovableTool, handler?: () => unknown) {
  const notices: ApprovalNotice[] = [];
  let ran = 0;
  const gate = createApprovalGate({ ...(handler ? { handler: handler as never } : {}), notify: (n) => notices.push(n) });
  const result = await gate({ name: 't', arguments: '{}' }, '1', gateTool, async () => {
    ran++;
    return { ok: true, output: 'ran' };
  });
  return { result, ran, notices };
}

describe('approval policy', () => {
  it("a tool's own policy wins; otherwise side effects ask when there is a handler, and everything runs when there is none", () => {
    expect(policyFor(tool(false), false)).toBe('auto');
    expect(policyFor(tool(true), false)).toBe('auto');
    expect(policyFor(tool(false), true)).toBe('auto');
    expect(policyFor(tool(true), true)).toBe('ask');
    for (const p of ['auto', 'ask', 'deny'] as const) for (const h of [true, false]) expect(policyFor(tool(true, p), h)).toBe(p);
  });

  it('auto runs without asking or notices; deny never runs and never asks', async () => {
    let asked = 0;
    const ask = (answer: string) => () => {
      asked++;
      return answer;
    };
    const auto = await call(tool(false), ask('deny'));
    expect([auto.ran, auto.notices.length, asked]).toEqual([1, 0, 0]);
    const deny = await call(tool(false, 'deny'), ask('approve'));
    expect([deny.ran, asked, deny.result.ok]).toEqual([0, 0, false]);
    expect(deny.result.output).toContain('the approval policy of t is deny');
    expect(deny.notices.map((n) => n.type)).toEqual(['requested', 'decided']);
  });

  it('an explicit ask with no handler is denied: no one can approve it', async () => {
    const r = await call(tool(false, 'ask'));
    expect(r.ran).toBe(0);
    expect(r.result.output).toContain('needs approval and no approval handler was given');
  });

  it('a call runs only when the handler answers exactly "approve"; anything else (junk, throws, rejections) denies', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constant('approve'), fc.constant('deny'), fc.anything(), fc.constant('throw'), fc.constant('reject')),
        async (answer) => {
          const handler = () => {
            if (answer === 'throw') throw new Error('boom');
            if (answer === 'reject') return Promise.reject(new Error('boom'));
            return answer;
          };
          const r = await call(tool(true), handler);
          expect(r.ran).toBe(answer === 'approve' ? 1 : 0);
          expect(r.result.ok).toBe(answer === 'approve');
          const decided = r.notices.find((n) => n.type === 'decided');
          expect(decided).toMatchObject({ decision: answer === 'approve' ? 'approve' : 'deny' });
        },
      ),
      { numRuns: 200 },
    );
  });
});
