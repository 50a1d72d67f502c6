/**
 * Turns XState inspection events into inspection records (see inspection.ts),
 * keeping only what a viewer needs, because a busy run emits ~30 inspection
 * events per ReAct step:
 * - snapshots only when an actor's state value, status or facts changed
 *   (most snapshots are context-only updates);
 * - microsteps only for transitions that change state;
 * - no promise-internal events (`xstate.promise.*`: the done event to the
 *   parent carries the same result) and no snapshots of promises;
 * - facts of an actor whose context changed but not its state (usage
 *   counters, the task list, GEPA metrics) once per batch (see
 *   `takeDeferred`), from the latest context; the task list and the metrics
 *   are large and change in bursts, so they always wait for the batch.
 */
import type { InspectionEvent } from 'xstate';
import type { UnnumberedRecord } from './inspectRecords.js';
import { describeLogic } from './machineDefinition.js';
import { sanitize, sanitizeFields, type SanitizeLimits } from './sanitize.js';
import { ActorFacts, DEFERRED_FACTS, hasFacts } from './snapshotFacts.js';

/** Event payloads are for a one-line view and a tooltip: keep them small. */
const PAYLOAD_LIMITS: SanitizeLimits = { maxString: 200, maxItems: 5, maxKeys: 16, maxDepth: 4, maxNodes: 48 };
const PAYLOAD_SKIP = ['type', 'tasks'];

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
  value: unknown;
  status: string;
  /** For the well-known actors (see snapshotFacts.ts). */
  facts: ActorFacts | null;
  /** The latest context whose facts are still to be sent. */
  pending: unknown;
}

export class InspectionConverter {
  private readonly actors = new Map<string, ActorTrack>();
  private readonly deferred = new Set<string>();
  /** Actors whose facts can be held back by a rate limit (the task list's Markdown). */
  private readonly withDue = new Set<string>();

  constructor(private readonly clock: () => number) {}

  /** Whether facts wait for `takeDeferred`. */
  get hasDeferred(): boolean {
    return this.deferred.size > 0;
  }

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

  /**
   * Snapshot records carrying the latest facts of the actors whose context
   * changed since the last call, plus facts held back by a rate limit once
   * due (all of them when `force`, at the end of a run).
   */
  takeDeferred(force = false): UnnumberedRecord[] {
    const out: UnnumberedRecord[] = [];
    const now = this.clock();
    for (const id of this.deferred) {
      const track = this.actors.get(id)!;
      const facts = track.facts?.update(track.pending, now) ?? null;
      track.pending = undefined;
      if (facts) out.push({ kind: 'snapshot', t: now, actor: id, value: track.value, status: track.status, facts });
    }
    this.deferred.clear();
    for (const id of this.withDue) {
      const track = this.actors.get(id);
      const facts = track?.facts?.due(now, force);
      if (track && facts) out.push({ kind: 'snapshot', t: now, actor: id, value: track.value, status: track.status, facts });
    }
    return out;
  }

  /** The earliest time (stream clock) at which held-back facts become due, or null. */
  get dueAt(): number | null {
    let due: number | null = null;
    for (const id of this.withDue) {
      const at = this.actors.get(id)?.facts?.dueAt ?? null;
      if (at !== null && (due === null || at < due)) due = at;
    }
    return due;
  }

  private actor(ev: InspectionEvent & { type: '@xstate.actor' }): UnnumberedRecord {
    const ref = ev.actorRef as unknown as ActorRefInternals;
    const id = actorId(ref)!;
    const definition = describeLogic(ref.logic);
    this.actors.set(id, {
      machine: definition !== null,
      nodes: undefined,
      valueKey: '',
      value: undefined,
      status: 'active',
      facts: this.factsFor(id),
      pending: undefined,
    });
    const systemId = ref.systemId ?? ref.options?.systemId;
    const name = systemId ?? (typeof ref.src === 'string' ? ref.src : (ref.id ?? definition?.id ?? id));
    return { kind: 'actor', t: this.clock(), id, name, parent: actorId(ref._parent), definition };
  }

  private event(ev: InspectionEvent & { type: '@xstate.event' }): UnnumberedRecord | null {
    const type = ev.event.type;
    // The init event only repeats the actor's input, which the actor record stands for.
    if (type === 'xstate.init' || type.startsWith('xstate.promise.')) return null;
    const payload = sanitizeFields(ev.event, PAYLOAD_SKIP, PAYLOAD_LIMITS);
    // Task lists ride on many events (PROGRESS.CHANGED after every update); the checklist shows them.
    const tasks = (ev.event as { tasks?: unknown }).tasks;
    if (tasks !== undefined) payload['tasks'] = Array.isArray(tasks) ? `[${tasks.length} tasks]` : sanitize(tasks, PAYLOAD_LIMITS);
    return { kind: 'event', t: this.clock(), from: actorId(ev.sourceRef), to: actorId(ev.actorRef)!, type, payload };
  }

  private snapshot(ev: InspectionEvent & { type: '@xstate.snapshot' }): UnnumberedRecord | null {
    const id = actorId(ev.actorRef)!;
    const snap = ev.snapshot as { status: string; value?: unknown; context?: unknown; _nodes?: unknown };
    let track = this.actors.get(id);
    if (!track) {
      track = { machine: snap.value !== undefined, nodes: undefined, valueKey: '', value: undefined, status: '', facts: this.factsFor(id), pending: undefined };
      this.actors.set(id, track);
    }
    // Promises and callbacks: their result arrives as the done event to their parent.
    if (!track.machine) return null;
    let valueChanged = false;
    if (snap._nodes === undefined || snap._nodes !== track.nodes) {
      track.nodes = snap._nodes;
      const key = JSON.stringify(snap.value);
      valueChanged = key !== track.valueKey;
      track.valueKey = key;
    }
    track.value = snap.value;
    const statusChanged = snap.status !== track.status;
    track.status = snap.status;
    if (!valueChanged && !statusChanged) {
      // Only the context changed: its facts (if the actor has any) go out once per batch, from the latest context.
      if (track.facts) {
        track.pending = snap.context;
        this.deferred.add(id);
      }
      return null;
    }
    const record: UnnumberedRecord = { kind: 'snapshot', t: this.clock(), actor: id, value: snap.value, status: snap.status };
    // Large facts wait for the batch even on a state change; small ones ride along.
    if (track.facts && DEFERRED_FACTS.has(id)) {
      track.pending = snap.context;
      this.deferred.add(id);
    } else if (track.facts) {
      const facts = track.facts.update(snap.context, record.t, true);
      if (facts) record.facts = facts;
      this.deferred.delete(id);
    }
    return record;
  }

  private factsFor(id: string): ActorFacts | null {
    if (!hasFacts(id)) return null;
    if (id === 'progress') this.withDue.add(id);
    return new ActorFacts(id);
  }

  private microstep(ev: InspectionEvent & { type: '@xstate.microstep' }): UnnumberedRecord | null {
    let transitions: { event: string; source: string; targets: string[] }[] | null = null;
    for (const t of ev._transitions) {
      if (!t.target?.length) continue;
      (transitions ??= []).push({ event: t.eventType, source: t.source.id, targets: t.target.map((n) => n.id) });
    }
    if (!transitions) return null;
    return { kind: 'microstep', t: this.clock(), actor: actorId(ev.actorRef)!, event: ev.event.type, transitions };
  }
}
