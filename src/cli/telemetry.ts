/**
 * `--otel [url]` on every command, and the process's telemetry lifetime: the
 * SDK starts before a command runs when `--otel` or the standard OTLP
 * environment asks for it, and is flushed and stopped before the CLI exits,
 * whatever the outcome.
 */
import type { Command } from 'commander';
import { shutdownTelemetry, startTelemetry, type TelemetrySettings, telemetryStalled, telemetrySettings } from '../runtime/telemetry/index.js';

const OTEL_HELP = 'export OpenTelemetry traces over OTLP/HTTP to this base URL (default: OTEL_EXPORTER_OTLP_ENDPOINT, else http://localhost:4318)';

/** Adds `--otel` to every command that runs something (the leaves of the tree). */
export function addOtelOption(cmd: Command): void {
  if (cmd.commands.length) {
    for (const sub of cmd.commands) addOtelOption(sub);
    return;
  }
  if (cmd.name() !== 'runs') cmd.option('--otel [url]', OTEL_HELP);
  cmd.hook('preAction', async (_self, action) => startCliTelemetry(action.opts()));
}

async function startCliTelemetry(flags: { otel?: string | boolean }): Promise<void> {
  // A bad endpoint is a TelemetryConfigError (category usage): the CLI exits 2 with its message.
  const settings: TelemetrySettings | null = telemetrySettings(flags.otel, process.env);
  if (settings) await startTelemetry(settings, (m) => process.stderr.write(`gepa-aime: warning: ${m}\n`));
}

export { shutdownTelemetry };

/** Flushes and stops telemetry before the CLI exits; an unreachable collector's retries must not keep the process alive. */
export async function endCliTelemetry(): Promise<void> {
  await shutdownTelemetry();
  if (telemetryStalled()) process.exit(process.exitCode ?? 0);
}
