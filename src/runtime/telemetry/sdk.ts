/**
 * The OpenTelemetry SDK, loaded only when telemetry is on (this module is
 * imported dynamically): a Node tracer provider with a batch processor and
 * the OTLP/HTTP (JSON) exporter, registered globally so the API's context
 * (AsyncLocalStorage) and W3C propagator are live.
 */
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { TelemetrySettings } from './config.js';

export interface TelemetrySdk {
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

export function startSdk(settings: TelemetrySettings, opts: { warn: (message: string) => void }): TelemetrySdk {
  // Export failures (endpoint down) are one warning line (the caller keeps it to one), never a crash or a stack trace.
  diag.setLogger(
    {
      error: (message: string) => {
        opts.warn(`telemetry: could not export traces to ${settings.tracesUrl} (${String(message).split('\n')[0]?.slice(0, 200)})`);
      },
      warn: () => {},
      info: () => {},
      debug: () => {},
      verbose: () => {},
    },
    { logLevel: DiagLogLevel.ERROR, suppressOverrideMessage: true },
  );
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (envDetector) win over our defaults.
  const resource = defaultResource()
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'gepa-aime' }))
    .merge(detectResources({ detectors: [envDetector] }));
  const exporter = new OTLPTraceExporter({ url: settings.tracesUrl });
  // Small, frequent batches: spans held for a 512-span batch live long enough to be promoted and
  // cost old-space GC on the run's thread (measured in bench/telemetry.ts). OTEL_BSP_* still win.
  const env = process.env;
  const batching = {
    ...(env['OTEL_BSP_MAX_EXPORT_BATCH_SIZE'] ? {} : { maxExportBatchSize: 128 }),
    ...(env['OTEL_BSP_SCHEDULE_DELAY'] ? {} : { scheduledDelayMillis: 1000 }),
  };
  const provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(exporter, batching)] });
  provider.register();
  return {
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
