/**
 * Turns XState inspection events into inspection records (see inspection.ts).
 * Stateful: it drops snapshots that change nothing visible, which is most of
 * them (context-only updates), and remembers which actors are machines.
 */
import type { InspectionEvent } from 'xstate';
import type { UnnumberedRecord } from './inspection.js';
import { describeLogic } from './machineDefinition.js';
import { sanitize } from './sanitize.js';
import { snapshotFacts, type FactsMemo } from './snapshotFacts.js';

// The parts of XState's Actor the converter reads; ActorRefLike hides them.
interface ActorRefInternals {
  sessionId: string;
  id?: string;
  systemId?: string;
  options?: { systemId?: string };
  src?: unknown;
  logic?: unknown;
  _parent?: ActorRefInternals;
}

/** The stream's name for an actor: its systemId, or its session id when it has none. */
export function actorId(ref: unknown): string | null {
  const r = ref as ActorRefInternals | undefined;
  if (!r) return null;
  // On `@xstate.actor` XState has not set `systemId` yet; the options already hold it.
  return r.systemId ?? r.options?.systemId ?? r.sessionId;
}

interface ActorTrack {
  machine: boolean;
  /** Snapshot `_nodes` seen last: unchanged nodes mean an unchanged state value, so no JSON compare. */
  nodes: unknown;
  valueKey: string;
  status: string;
  facts: FactsMemo;
}

export class InspectionConverter {
  private readonly actors = new Map<string, ActorTrack>();

  constructor(private readonly clock: () => number) {}

  convert(ev: InspectionEvent): UnnumberedRecord | null {
    switch (ev.type) {
      case '@xstate.event':
        return this.event(ev);
      case '@xstate.snapshot':
        return this.snapshot(ev);
      case '@xstate.microstep':
        return this.microstep(ev);
      case '@xstate.actor':
        return this.actor(ev);
      default:
        return null;
    }
  }

  private actor(ev: InspectionEvent & { type: '@xstate.actor' }): UnnumberedRecord {
    const ref = ev.actorRef as unknown as ActorRefInternals;
    const id = actorId(ref)!;
    const definition = describeLogic(ref.logic);
    this.actors.set(id, { machine: definition !== null, nodes: undefined, valueKey: '', status: 'active', facts: { key: [] } });
    const systemId = ref.systemId ?? ref.options?.systemId;
    const name = systemId ?? (typeof ref.src === 'string' ? ref.src : (ref.id ?? definition?.id ?? id));
    return { kind: 'actor', t: this.clock(), id, name, parent: actorId(ref._parent), definition };
  }

  private event(ev: InspectionEvent & { type: '@xstate.event' }): UnnumberedRecord | null {
    const { type, ...rest } = ev.event;
    // The init event only repeats the actor's input; the actor record already announced it.
    if (type === 'xstate.init') return null;
    return { kind: 'event', t: this.clock(), from: actorId(ev.sourceRef), to: actorId(ev.actorRef)!, type, payload: sanitize(rest) };
  }

  private snapshot(ev: InspectionEvent & { type: '@xstate.snapshot' }): UnnumberedRecord | null {
    const id = actorId(ev.actorRef)!;
    const snap = ev.snapshot as { status: string; value?: unknown; context?: unknown; _nodes?: unknown };
    let track = this.actors.get(id);
    if (!track) {
      track = { machine: snap.value !== undefined, nodes: undefined, valueKey: '', status: '', facts: { key: [] } };
      this.actors.set(id, track);
    }
    if (!track.machine) {
      // Promises and callbacks: only their end is worth a record; their output arrives as an event.
      if (snap.status === track.status || snap.status === 'active') return null;
      track.status = snap.status;
      return { kind: 'snapshot', t: this.clock(), actor: id, status: snap.status };
    }
    let valueChanged = false;
    if (snap._nodes === undefined || snap._nodes !== track.nodes) {
      track.nodes = snap._nodes;
      const key = JSON.stringify(snap.value);
      valueChanged = key !== track.valueKey;
      track.valueKey = key;
    }
    const statusChanged = snap.status !== track.status;
    track.status = snap.status;
    const facts = snapshotFacts(id, snap.context, track.facts);
    if (!valueChanged && !statusChanged && !facts.changed) return null;
    const record: UnnumberedRecord = { kind: 'snapshot', t: this.clock(), actor: id, value: snap.value, status: snap.status };
    if (facts.facts) record.facts = facts.facts;
    return record;
  }

  private microstep(ev: InspectionEvent & { type: '@xstate.microstep' }): UnnumberedRecord | null {
    if (!ev._transitions.length) return null;
    const transitions = ev._transitions.map((t) => ({
      event: t.eventType,
      source: t.source.id,
      targets: (t.target ?? []).map((n) => n.id),
    }));
    return { kind: 'microstep', t: this.clock(), actor: actorId(ev.actorRef)!, event: ev.event.type, transitions };
  }
}
