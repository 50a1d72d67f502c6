/** When telemetry is on, where traces go, and the names and trace contexts it relies on. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import fc from 'fast-check';
import * as semconv from '@opentelemetry/semantic-conventions/incubating';
import { describe, expect, it } from 'vitest';
import { TelemetryConfigError, telemetrySettings } from '../../src/runtime/telemetry/config.js';
import { identityAttributes } from '../../src/runtime/telemetry/chatSpans.js';
import { ATTR, GEN_AI, GEN_AI_OPERATION, parseTraceparent } from '../../src/util/tracing.js';
import { REPO_ROOT } from '../support/runtime.js';

describe('telemetrySettings', () => {
  it('is off with no flag and no OTLP endpoint', () => {
    expect(telemetrySettings(undefined, {})).toBeNull();
    expect(telemetrySettings(undefined, { OTEL_SERVICE_NAME: 'x' })).toBeNull();
  });
  it('follows the standard variables: a base gets /v1/traces, the traces variable is used as given', () => {
    expect(telemetrySettings(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/' })).toEqual({
      tracesUrl: 'http://c:4318/v1/traces',
      captureContent: false,
    });
    expect(telemetrySettings(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://t/x' })!.tracesUrl).toBe(
      'https://t/x',
    );
  });
  it('--otel wins; bare --otel uses the environment, else the OTLP/HTTP default', () => {
    expect(telemetrySettings('http://f:1', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })!.tracesUrl).toBe('http://f:1/v1/traces');
    expect(telemetrySettings(true, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })!.tracesUrl).toBe('http://c:4318/v1/traces');
    expect(telemetrySettings(true, {})!.tracesUrl).toBe('http://localhost:4318/v1/traces');
  });
  it('OTEL_SDK_DISABLED=true turns it off; content capture is opt-in', () => {
    expect(telemetrySettings(true, { OTEL_SDK_DISABLED: 'true' })).toBeNull();
    expect(telemetrySettings(true, { OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true' })!.captureContent).toBe(true);
    expect(telemetrySettings(true, { OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'yes please' })!.captureContent).toBe(false);
  });
  it('a URL that is not http(s) is an error naming where it came from', () => {
    expect(() => telemetrySettings('not a url', {})).toThrow(TelemetryConfigError);
    expect(() => telemetrySettings(undefined, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'grpc://c:4317' })).toThrow(
      /^OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: OTLP over HTTP needs/,
    );
  });
});

describe('names', () => {
  it('every GenAI attribute and operation name matches @opentelemetry/semantic-conventions', () => {
    const published = new Set(
      Object.entries(semconv)
        .filter(([k]) => k.startsWith('ATTR_'))
        .map(([, v]) => v),
    );
    for (const name of [...Object.values(GEN_AI), ...Object.values(ATTR)]) expect(published.has(name), name).toBe(true);
    const operations = new Set(
      Object.entries(semconv)
        .filter(([k]) => k.startsWith('GEN_AI_OPERATION_NAME_VALUE_'))
        .map(([, v]) => v),
    );
    for (const op of Object.values(GEN_AI_OPERATION)) expect(operations.has(op), op).toBe(true);
  });
  it('reads provider, model and server from a model id', () => {
    expect(identityAttributes('vllm:Qwen/Qwen3-8B@http://10.0.0.2:8000/v1')).toMatchObject({
      'gen_ai.provider.name': 'vllm',
      'gen_ai.request.model': 'Qwen/Qwen3-8B',
      'server.address': '10.0.0.2',
      'server.port': 8000,
    });
    expect(identityAttributes('openai:gpt@https://api.example.com/v1')).toMatchObject({ 'server.port': 443 });
    expect(identityAttributes('offline:gepa-aime-offline')).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'offline',
      'gen_ai.request.model': 'gepa-aime-offline',
    });
  });
});

describe('parseTraceparent', () => {
  it('accepts only well-formed W3C version-00 contexts with non-zero ids, and never throws', () => {
    expect(parseTraceparent(`00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`)).toEqual({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) });
    expect(parseTraceparent(`00-${'0'.repeat(32)}-${'b'.repeat(16)}-01`)).toBeNull();
    expect(parseTraceparent(`00-${'a'.repeat(32)}-${'0'.repeat(16)}-01`)).toBeNull();
    expect(parseTraceparent(`00-${'A'.repeat(32)}-${'b'.repeat(16)}-01`)).toBeNull();
    fc.assert(
      fc.property(fc.anything(), (v) => {
        const parsed = parseTraceparent(v);
        return parsed === null || (typeof v === 'string' && v.includes(parsed.traceId));
      }),
    );
  });
});

describe('with telemetry off', () => {
  it('a run loads no OpenTelemetry SDK module (and with it on, it does)', () => {
    const script = `
      import { createRequire } from 'node:module';
      const { runGoal } = await import(${JSON.stringify(path.join(REPO_ROOT, 'dist/src/runtime/runGoal.js'))});
      const { loadConfig } = await import(${JSON.stringify(path.join(REPO_ROOT, 'dist/src/config/index.js'))});
      const tel = await import(${JSON.stringify(path.join(REPO_ROOT, 'dist/src/runtime/telemetry/index.js'))});
      const fs = await import('node:fs'); const os = await import('node:os');
      if (process.argv[1] === 'on') await tel.startTelemetry(tel.telemetrySettings('http://127.0.0.1:9', {}));
      const dir = fs.mkdtempSync(os.tmpdir() + '/gepa-off-');
      const config = loadConfig(${JSON.stringify(path.join(REPO_ROOT, 'config'))}, { env: {} });
      const report = await runGoal({ goal: 'List the files', config, workspace: dir, tracesDir: dir + '/traces', learn: false });
      const loaded = Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes('@opentelemetry/sdk-trace') || k.includes('exporter-trace-otlp'));
      fs.rmSync(dir, { recursive: true, force: true });
      await tel.shutdownTelemetry();
      console.log(JSON.stringify({ status: report.status, loaded: loaded.length }));
    `;
    const run = (mode: string) =>
      JSON.parse(
        spawnSync(process.execPath, ['--input-type=module', '-e', script, mode], {
          encoding: 'utf8',
          cwd: REPO_ROOT,
          env: { PATH: process.env['PATH'] ?? '', OTEL_EXPORTER_OTLP_TIMEOUT: '300' },
        }).stdout,
      );
    expect(run('off')).toEqual({ status: 'completed', loaded: 0 });
    expect(run('on').loaded).toBeGreaterThan(0);
  });
});
