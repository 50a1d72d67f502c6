/**
 * End to end: the spans of team runs (`team run`) and of a GEPA
 * optimisation (`optimize --team`), exported by the built CLI to a real
 * OTLP/HTTP receiver on 127.0.0.1, on the embedded offline model.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlpReceiver.js';
import { runCli as runCliIn } from '../support/cli.js';
import { ensureBuilt, runTimed as runCli, tempDirSync as tempDir } from '../support/providerCli.js';
import { REPO_ROOT } from '../support/runtime.js';

const EXAMPLES = path.join(REPO_ROOT, 'examples', 'teams');
let rx: OtlpReceiver;
let work: string;

beforeAll(() => ensureBuilt());
beforeEach(async () => {
  rx = await startOtlpReceiver();
  work = tempDir('gepa-otel-team-');
});
afterEach(async () => {
  await rx.close();
  fs.rmSync(work, { recursive: true, force: true });
});

const named = (name: string) => rx.spans.filter((s) => s.name === name);
const parentOf = (s: ReceivedSpan) => rx.spans.find((p) => p.spanId === s.parentSpanId);

describe('OpenTelemetry traces of teams and GEPA', () => {
  it('team run: invoke_workflow <team> with one invoke_agent per agent run, each with its chat span', async () => {
    const r = await runCli([
      'team',
      'run',
      path.join(EXAMPLES, 'refine-loop.yaml'),
      '--input',
      'Fresh bread, baked at dawn.',
      '--provider',
      'offline',
      '--json',
      '--otel',
      rx.url,
    ]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    const [root] = named('invoke_workflow refine-loop');
    expect(root).toBeDefined();
    expect(root!.parentSpanId).toBe('');
    expect(root!.attributes['gen_ai.workflow.name']).toBe('refine-loop');
    const agents = rx.spans.filter((s) => s.name.startsWith('invoke_agent '));
    expect(agents).toHaveLength(out.agents.length); // one per agent run, loop rounds included
    for (const a of agents) {
      expect(a.parentSpanId).toBe(root!.spanId);
      const chats = rx.spans.filter((s) => s.parentSpanId === a.spanId && s.name.startsWith('chat '));
      expect(chats.length).toBeGreaterThanOrEqual(1);
      expect(chats[0]!.attributes['gen_ai.provider.name']).toBe('offline');
    }
    const chats = rx.spans.filter((s) => s.name.startsWith('chat '));
    expect(chats.reduce((n, c) => n + Number(c.attributes['gen_ai.usage.input_tokens']), 0)).toBe(out.usage.promptTokens);
    expect(JSON.stringify(rx.spans.map((s) => [s.attributes, s.events, s.status]))).not.toContain('Fresh bread');
  });

  it('optimize --team: gepa.optimize, its iterations, evaluation batches with the team runs under them, and reflections', async () => {
    const r = await runCli(
      [
        'optimize',
        '--team',
        path.join(EXAMPLES, 'generator-critic.yaml'),
        '--train',
        path.join(EXAMPLES, 'generator-critic.train.jsonl'),
        '--val',
        path.join(EXAMPLES, 'generator-critic.val.jsonl'),
        '--out',
        path.join(work, 'best.yaml'),
        '--provider',
        'offline',
        '--max-metric-calls',
        '12',
        '--json',
      ],
      { env: { OTEL_EXPORTER_OTLP_ENDPOINT: rx.url } },
    );
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    const [root, ...more] = named('gepa.optimize');
    expect(more).toEqual([]);
    expect(root!.parentSpanId).toBe('');
    expect(root!.attributes).toMatchObject({ 'gepa.metric_calls': result.metric_calls, 'gepa.best_val_score': result.best_val_score });
    const iterations = named('gepa.iteration');
    expect(iterations.length).toBeGreaterThanOrEqual(2); // the seed's, then at least one reflective one
    for (const it of iterations) expect(it.parentSpanId).toBe(root!.spanId);
    const evals = named('gepa.evaluate');
    expect(evals.length).toBeGreaterThan(0);
    for (const e of evals) expect(parentOf(e)!.name).toBe('gepa.iteration');
    // Every team run sits under an evaluation batch; the batches evaluated as many examples as metric calls were spent.
    const teams = named('invoke_workflow generator-critic');
    expect(teams.length).toBe(result.metric_calls);
    for (const t of teams) expect(parentOf(t)!.name).toBe('gepa.evaluate');
    expect(evals.reduce((n, e) => n + Number(e.attributes['gepa.examples']), 0)).toBe(result.metric_calls);
    const reflections = named('gepa.reflect');
    expect(reflections.length).toBeGreaterThan(0);
    for (const x of reflections) expect(parentOf(x)!.name).toBe('gepa.iteration');
    expect(new Set(rx.spans.map((s) => s.traceId)).size).toBe(1);
  });

  it('optimize --aime: every evaluated goal is a whole run trace (invoke_workflow aime) under its evaluation batch', async () => {
    const goals = path.join(work, 'goals.jsonl');
    fs.writeFileSync(
      goals,
      `${JSON.stringify({ input: 'List the files in the workspace' })}\n${JSON.stringify({ input: 'Write a short note about testing' })}\n`,
    );
    const r = await runCliIn(
      ['optimize', '--aime', '--train', goals, '--val', goals, '--provider', 'offline', '--max-metric-calls', '4', '--json', '--otel', rx.url],
      { cwd: work },
    );
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    const runs = named('invoke_workflow aime');
    expect(runs).toHaveLength(result.metric_calls);
    for (const run of runs) {
      expect(parentOf(run)!.name).toBe('gepa.evaluate');
      expect(rx.spans.some((s) => s.parentSpanId === run.spanId && s.name === 'plan')).toBe(true);
    }
    expect(new Set(rx.spans.map((s) => s.traceId)).size).toBe(1);
  });
});
