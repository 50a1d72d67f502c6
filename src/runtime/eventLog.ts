/**
 * Turns XState inspection events into the run's event records: which actor
 * sent what to whom, and which state each actor entered. Payloads are
 * sanitised like the dashboard's stream (secrets redacted, long prompts cut).
 */
import type { InspectionEvent } from 'xstate';
import { sanitizeFields, type SanitizeLimits } from './sanitize.js';

export interface RunEventRecord {
  seq: number;
  /** ms since the run started */
  t: number;
  kind: 'event' | 'state' | 'actor';
  actor: string;
  from?: string;
  type?: string;
  state?: unknown;
  data?: unknown;
}

/** Event payloads in the log: enough to see what was said, not whole prompts. */
const PAYLOAD_LIMITS: SanitizeLimits = { maxString: 300, maxItems: 10, maxKeys: 40, maxDepth: 4, maxNodes: 400 };

export function actorLabel(ref: unknown): string {
  const r = ref as { systemId?: string; id?: string; src?: unknown } | undefined;
  if (!r) return 'outside';
  if (r.systemId) return r.systemId;
  return typeof r.src === 'string' ? `${r.src}` : (r.id ?? '?');
}

export class EventRecorder {
  private seq = 0;
  private readonly lastState = new Map<string, string>();

  constructor(
    private readonly startedAt: number,
    private readonly now: () => number,
  ) {}

  /** Records for one inspection event; empty when nothing worth logging happened. */
  fromInspection(ev: InspectionEvent): RunEventRecord[] {
    const actor = actorLabel(ev.actorRef);
    const t = this.now() - this.startedAt;
    if (ev.type === '@xstate.event') {
      const type = ev.event.type;
      // Init events carry no information. Promise results (model replies, tool results) are in the
      // run's journal in full, so here they are named, not copied.
      if (type === 'xstate.init') return [];
      const record: RunEventRecord = { seq: this.seq++, t, kind: 'event', actor, from: actorLabel(ev.sourceRef), type };
      if (!type.startsWith('xstate.done.actor.')) record.data = sanitizeFields(ev.event, ['type'], PAYLOAD_LIMITS);
      return [record];
    }
    if (ev.type === '@xstate.snapshot') {
      const value = (ev.snapshot as { value?: unknown }).value;
      if (value === undefined) return [];
      const key = JSON.stringify(value);
      if (this.lastState.get(actor) === key) return [];
      this.lastState.set(actor, key);
      return [{ seq: this.seq++, t, kind: 'state', actor, state: value }];
    }
    if (ev.type === '@xstate.actor') return [{ seq: this.seq++, t, kind: 'actor', actor }];
    return [];
  }
}
