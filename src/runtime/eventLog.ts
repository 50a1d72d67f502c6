/**
 * Turns XState inspection events into the run's event records: which actor
 * sent what to whom, and which state each actor entered. Payloads are
 * trimmed; secrets never appear in events, but long prompts would bloat logs.
 */
import type { InspectionEvent } from 'xstate';

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

const MAX_FIELD_CHARS = 300;
const MAX_ITEMS = 10;
const MAX_DEPTH = 4;

export function actorLabel(ref: unknown): string {
  const r = ref as { systemId?: string; id?: string; src?: unknown } | undefined;
  if (!r) return 'outside';
  if (r.systemId) return r.systemId;
  return typeof r.src === 'string' ? `${r.src}` : (r.id ?? '?');
}

/** Deep-copy with long strings cut and long arrays summarised. */
export function trimPayload(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.length > MAX_FIELD_CHARS ? `${value.slice(0, MAX_FIELD_CHARS)}… [${value.length} chars]` : value;
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[…]';
  if (Array.isArray(value)) {
    const head = value.slice(0, MAX_ITEMS).map((v) => trimPayload(v, depth + 1));
    return value.length > MAX_ITEMS ? [...head, `[… ${value.length - MAX_ITEMS} more]`] : head;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (/api[_-]?key|authorization|secret|token$/i.test(k) && typeof v === 'string') out[k] = '[redacted]';
    else out[k] = trimPayload(v, depth + 1);
  }
  return out;
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
      if (!type.startsWith('xstate.done.actor.')) {
        const { type: _t, ...data } = ev.event;
        record.data = trimPayload(data);
      }
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
