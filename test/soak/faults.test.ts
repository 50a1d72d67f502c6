/**
 * Soak (bounded): 20 goals at once against a model server that injects 500s,
 * 429s, hangs, cut streams, error events, malformed bodies and malformed tool
 * arguments. Every goal ends with a report (completed, or failed with the
 * reason), the process stays up, and token accounting is exact for the
 * requests that succeeded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyOverrides } from '../../src/config/index.js';
import { createModelSet } from '../../src/runtime/models.js';
import { runGoal } from '../../src/runtime/runGoal.js';
import { agentHandler } from '../support/agentScript.js';
import { repoConfig, tempDir } from '../support/runtime.js';
import { fault, startVllmServer, type ServerReply, type VllmServer } from '../support/vllmServer.js';

const GOALS = 20;
const USAGE = { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 };

/** mulberry32: a seeded PRNG, so the same faults hit the same requests every run. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let server: VllmServer;
const injected: Record<string, number> = {};
let paidTokens = 0;

beforeAll(async () => {
  server = await startVllmServer();
  const random = prng(42);
  const play = agentHandler({ firstActorCall: { name: 'list_dir', arguments: '{"path": ' } }); // malformed tool arguments
  server.handler = (req): ServerReply => {
    const r = random();
    const pick = (name: string, reply: ServerReply) => {
      injected[name] = (injected[name] ?? 0) + 1;
      return reply;
    };
    if (r < 0.08) return pick('500', fault.status(500));
    if (r < 0.16) return pick('429', fault.tooMany('0'));
    if (r < 0.2) return pick('hang', fault.hang());
    if (r < 0.25) return pick('cut', fault.cut(1));
    if (r < 0.29) return pick('stream-error', fault.streamError());
    if (r < 0.33) return pick('malformed-body', fault.malformedBody());
    paidTokens += USAGE.total_tokens;
    return { ...play(req), usage: { ...USAGE } };
  };
});
afterAll(() => server?.close());

describe('soak: parallel goals under injected faults', () => {
  it(`runs ${GOALS} goals at once; all end with a report and exact token accounting`, async () => {
    const base = repoConfig();
    const model = {
      ...applyOverrides(base.model, { provider: 'vllm', api_base: server.apiBase, model: 'm' }),
      request_timeout: 1,
      max_retries: 8,
      stream: true,
      max_concurrency: 8,
    };
    const config = { ...base, model, gepa: { ...base.gepa, online: { ...base.gepa.online, enabled: false } } };
    // Backoff waits are skipped: the faults, not the clock, are under test.
    const models = createModelSet(model, { http: { sleep: async () => {} } });
    const traces = await tempDir();
    const reports = await Promise.all(
      Array.from({ length: GOALS }, async (_, i) =>
        runGoal({ goal: `list the workspace (${i})`, config, workspace: await tempDir(), tracesDir: traces, models, learn: false }),
      ),
    );

    expect(reports).toHaveLength(GOALS);
    for (const r of reports) {
      expect(['completed', 'failed']).toContain(r.status);
      if (r.status === 'failed') expect(r.reason).not.toBe('');
    }
    const totalInjected = Object.values(injected).reduce((a, b) => a + b, 0);
    expect(totalInjected).toBeGreaterThan(20);
    expect(reports.reduce((n, r) => n + r.usage.totalTokens, 0)).toBe(paidTokens);
    const completed = reports.filter((r) => r.status === 'completed').length;
    // Retries absorb almost everything; print the figures for the README.
    console.log(
      `soak: ${GOALS} goals, ${completed} completed, ${GOALS - completed} failed with a reason; faults injected: ${totalInjected} ${JSON.stringify(injected)}; tokens accounted ${paidTokens}; reports lost 0`,
    );
    for (const r of reports) if (r.status === 'failed') console.log(`failed: ${r.reason}`);
    expect(completed).toBeGreaterThanOrEqual(GOALS - 2);
  }, 60_000);
});
