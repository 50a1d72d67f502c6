/**
 * `--inspect stately`: the run's inspection events in Stately's inspector
 * (https://stately.ai/inspect). @statelyai/inspect's `createInspector`
 * converts XState's events into Stately's format; instead of its browser or
 * WebSocket adapters this adapter queues them for the dashboard server, whose
 * /stately page embeds Stately's inspector and posts the events into it, the
 * way the library's own inspector server does. So the run needs no network
 * and opens no port beyond the dashboard's loopback one; only the browser
 * needs internet, to load stately.ai. Everything is sanitised like the
 * dashboard stream: contexts and events carry prompts and may carry keys.
 */
import { createInspector, type StatelyInspectionEvent } from '@statelyai/inspect';
import type { AnyEventObject, InspectionEvent } from 'xstate';
import { errorMessage } from '../../contracts/errors.js';
import { RecordBuffer, type LineBatch, type LineSource, type Replay } from './recordBuffer.js';
import { sanitize, type SanitizeLimits } from './sanitize.js';
import { isStatelyPinned } from './statelyFormat.js';

export { STATELY_INSPECTOR_URL } from './statelyFormat.js';

/** Stately's inspector shows whole contexts: allow more depth than the dashboard stream does. */
const STATELY_LIMITS: Partial<SanitizeLimits> = { maxDepth: 8, maxNodes: 2000 };

export interface StatelyBridge extends LineSource {
  /** The XState inspection observer to give the actor system. */
  readonly inspect: (ev: InspectionEvent) => void;
  stop(): void;
}

export function createStatelyBridge(opts: { onError?: (message: string) => void; forward?: (events: unknown[]) => void } = {}): StatelyBridge {
  const buffer = new RecordBuffer({ pin: isStatelyPinned, ...(opts.forward ? { forward: opts.forward, retain: false } : {}) });
  let failed = false;
  const report = (err: unknown) => {
    if (failed) return;
    failed = true;
    opts.onError?.(`Stately inspector: ${errorMessage(err)}`);
  };
  const inspector = createInspector(
    {
      send(event: StatelyInspectionEvent) {
        try {
          buffer.push(sanitizeStatelyEvent(event));
        } catch (err) {
          report(err);
        }
      },
    },
    { autoStart: false },
  );
  return {
    inspect: (ev) => {
      try {
        inspector.inspect.next?.(ev);
      } catch (err) {
        report(err);
      }
    },
    stop: () => buffer.flush(),
    replay: (afterSeq?: number): Replay => buffer.replay(afterSeq),
    subscribe: (listener: (batch: LineBatch) => void) => buffer.subscribe(listener),
  };
}

/** Stately's event with context, snapshot and event payload sanitised; `definition` is the machine config, kept whole. */
export function sanitizeStatelyEvent(event: StatelyInspectionEvent): Record<string, unknown> {
  const out: Record<string, unknown> = { ...event };
  if ('snapshot' in event) out['snapshot'] = sanitize(event.snapshot, STATELY_LIMITS);
  if ('event' in event) out['event'] = sanitize(event.event as AnyEventObject, STATELY_LIMITS);
  return out;
}
