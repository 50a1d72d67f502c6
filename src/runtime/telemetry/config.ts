/**
 * When telemetry is on and where its traces go, from the standard
 * OpenTelemetry environment and the `--otel [url]` flag. Pure: reads only the
 * values it is given.
 *
 * - On when `--otel` is given, or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` /
 *   `OTEL_EXPORTER_OTLP_ENDPOINT` is set; `OTEL_SDK_DISABLED=true` wins over both.
 * - The traces URL: `--otel URL` (a base like OTEL_EXPORTER_OTLP_ENDPOINT),
 *   else the traces variable as given, else the base variable + `/v1/traces`,
 *   else the OTLP/HTTP default `http://localhost:4318/v1/traces`.
 * - `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true` adds message
 *   content and tool arguments to spans (redacted); off by default.
 *
 * Headers (`OTEL_EXPORTER_OTLP_HEADERS`, `..._TRACES_HEADERS`), timeouts,
 * `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` are read by the SDK itself.
 */

import { AppError } from '../../../contracts/errors.js';

export interface TelemetrySettings {
  tracesUrl: string;
  captureContent: boolean;
}

/** A bad OTLP endpoint (flag or environment): bad usage, exit 2. */
export class TelemetryConfigError extends AppError {
  readonly category = 'usage' as const;
}

const DEFAULT_BASE = 'http://localhost:4318';
const TRACES_PATH = '/v1/traces';

export function telemetrySettings(flag: string | boolean | undefined, env: Record<string, string | undefined>): TelemetrySettings | null {
  if (truthy(env['OTEL_SDK_DISABLED'])) return null;
  const tracesEnv = nonEmpty(env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']);
  const baseEnv = nonEmpty(env['OTEL_EXPORTER_OTLP_ENDPOINT']);
  if (flag === undefined || flag === false) {
    if (!tracesEnv && !baseEnv) return null;
  }
  let tracesUrl: string;
  let where: string;
  if (typeof flag === 'string') {
    tracesUrl = withTracesPath(flag);
    where = '--otel';
  } else if (tracesEnv) {
    tracesUrl = tracesEnv;
    where = 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT';
  } else if (baseEnv) {
    tracesUrl = withTracesPath(baseEnv);
    where = 'OTEL_EXPORTER_OTLP_ENDPOINT';
  } else {
    tracesUrl = withTracesPath(DEFAULT_BASE);
    where = '--otel';
  }
  checkUrl(tracesUrl, where);
  return { tracesUrl, captureContent: truthy(env['OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT']) };
}

function withTracesPath(base: string): string {
  const trimmed = base.trim().replace(/\/+$/, '');
  return trimmed.endsWith(TRACES_PATH) ? trimmed : `${trimmed}${TRACES_PATH}`;
}

function checkUrl(url: string, where: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TelemetryConfigError(`${where}: expected an http(s) URL of an OTLP/HTTP endpoint such as http://127.0.0.1:4318, found ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TelemetryConfigError(
      `${where}: OTLP over HTTP needs an http:// or https:// URL, found ${JSON.stringify(url)} (gRPC endpoints are not supported)`,
    );
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value && value.trim() ? value.trim() : undefined;
}

function truthy(value: string | undefined): boolean {
  return value?.trim().toLowerCase() === 'true';
}
