/**
 * One trace across processes: the jobs of a distributed optimize and of
 * `run --redis` carry the coordinator's trace context, and the worker process
 * opens its job span (gepa.evaluate for an evaluation chunk, the run's
 * invoke_workflow for a goal) as a child of it. Both processes export to one
 * real OTLP/HTTP receiver on 127.0.0.1.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlpReceiver.js';
import { ensureBuilt } from '../support/providerCli.js';
import { queueFixture, type QueueFixture } from '../support/queueFixture.js';
import { startWorkerProcess } from '../support/queueWorkers.js';

let fx: QueueFixture;
let rx: OtlpReceiver;

beforeAll(() => ensureBuilt());
beforeEach(async () => {
  [fx, rx] = await Promise.all([queueFixture(), startOtlpReceiver()]);
});
afterEach(async () => {
  await fx.close();
  await rx.close();
});

const parentOf = (s: ReceivedSpan) => rx.spans.find((p) => p.spanId === s.parentSpanId);
const otel = () => ({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: rx.url } });

describe('trace context across the queue', { timeout: 90_000 }, () => {
  it("optimize --redis: every worker's gepa.evaluate span is a child of the coordinator's batch span, with the model calls under it", async () => {
    fx.workers.push(await startWorkerProcess(fx.workerArgs(), otel()));
    const r = await runCli(fx.optimizeArgs({ maxMetricCalls: 12, extra: ['--redis', fx.redis!.url] }), otel());
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    await fx.stopWorkers(); // its last spans are flushed at exit

    const onWorker = rx.spans.filter((s) => s.name === 'gepa.evaluate' && s.attributes['gepa.worker'] !== undefined);
    const onCoordinator = rx.spans.filter((s) => s.name === 'gepa.evaluate' && s.attributes['gepa.worker'] === undefined);
    expect(onWorker.length).toBeGreaterThan(0);
    expect(onCoordinator.length).toBeGreaterThan(0);
    for (const w of onWorker) {
      expect(onCoordinator).toContain(parentOf(w));
      expect(w.attributes['messaging.destination.name']).toBe('gepa-aime-eval');
      // The worker's chat span for the example is under its job span.
      expect(rx.spans.some((c) => c.parentSpanId === w.spanId && c.name === 'chat task-m')).toBe(true);
    }
    // Every metric call was paid in one worker job span.
    expect(onWorker.reduce((n, w) => n + Number(w.attributes['gepa.evaluated']), 0)).toBe(result.metric_calls);
    const [root] = rx.spans.filter((s) => s.name === 'gepa.optimize');
    expect(root!.parentSpanId).toBe('');
    expect(new Set(rx.spans.map((s) => s.traceId))).toEqual(new Set([root!.traceId]));
  });

  it("run --redis: the worker's invoke_workflow span is a child of the submitter's send span", async () => {
    fx.workers.push(await startWorkerProcess(['--redis', fx.redis!.url, '--provider', 'offline', '--workspace', fx.work], { cwd: fx.work, ...otel() }));
    const r = await runCli(['run', 'List the files in the workspace', '--redis', fx.redis!.url, '--json'], { cwd: fx.work, ...otel() });
    expect(r.code, r.stderr).toBe(0);
    await fx.stopWorkers();
    const [send, ...more] = rx.spans.filter((s) => s.name === 'send gepa-aime-run');
    expect(more).toEqual([]);
    expect(send!.parentSpanId).toBe('');
    expect(send!.attributes['messaging.message.id']).toBe(JSON.parse(r.stdout).runId);
    const [run] = rx.spans.filter((s) => s.name === 'invoke_workflow aime');
    expect(run!.parentSpanId).toBe(send!.spanId);
    expect(rx.spans.some((s) => s.parentSpanId === run!.spanId && s.name === 'plan')).toBe(true);
    expect(new Set(rx.spans.map((s) => s.traceId))).toEqual(new Set([send!.traceId]));
  });
});
