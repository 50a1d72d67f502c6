/**
 * Telemetry for the process: `startTelemetry` loads the OpenTelemetry SDK (a
 * dynamic import, so a process with telemetry off never loads it) and turns
 * tracing on; `flushTelemetry` sends what is buffered (after every run);
 * `shutdownTelemetry` flushes and stops it (before the CLI exits, whatever
 * the outcome). Both are bounded in time so a dead collector never holds a
 * command up.
 */
import { configureTracing } from '../../util/tracing.js';
import { sanitizeString } from '../sanitize.js';
import type { TelemetrySettings } from './config.js';
import type { TelemetrySdk } from './sdk.js';

export { telemetrySettings, TelemetryConfigError, type TelemetrySettings } from './config.js';

/** Longest text (opt-in content, error messages) put on one attribute. */
export const MAX_ATTRIBUTE_CHARS = 4_000;
const FLUSH_TIMEOUT_MS = 5_000;
/** Once a flush has timed out the collector is taken as unreachable: later waits are short. */
const STALLED_TIMEOUT_MS = 500;

let sdk: TelemetrySdk | null = null;
let target = '';
let warn: (message: string) => void = () => {};
let stalled = false;

export async function startTelemetry(settings: TelemetrySettings, onWarning: (message: string) => void = () => {}): Promise<void> {
  if (sdk) return;
  const { startSdk } = await import('./sdk.js');
  let warned = false;
  warn = (m) => {
    if (warned) return;
    warned = true;
    onWarning(m);
  };
  target = settings.tracesUrl;
  stalled = false;
  sdk = startSdk(settings, { warn });
  configureTracing({ on: true, content: settings.captureContent, redact });
}

/** Secret patterns and every registered key by value (src/util/secrets.ts), then cut. */
function redact(text: string): string {
  return sanitizeString(text, MAX_ATTRIBUTE_CHARS);
}

export async function flushTelemetry(): Promise<void> {
  if (sdk) await bounded(sdk.flush());
}

export async function shutdownTelemetry(): Promise<void> {
  const current = sdk;
  if (!current) return;
  sdk = null;
  configureTracing({ on: false, content: false });
  await bounded(current.shutdown());
}

/** True once an export timed out: the exporter may still be retrying in the background. */
export function telemetryStalled(): boolean {
  return stalled;
}

/** Waits for an export at most a few seconds; a collector that does not answer costs one warning, not a hung command. */
async function bounded(work: Promise<void>): Promise<void> {
  const ms = stalled ? STALLED_TIMEOUT_MS : FLUSH_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  try {
    const done = await Promise.race([
      work.then(
        () => true,
        () => true,
      ),
      timeout,
    ]);
    if (!done) {
      stalled = true;
      warn(`telemetry: traces not delivered to ${target} within ${ms / 1000} s; is the collector running?`);
    }
  } finally {
    clearTimeout(timer);
  }
}
