/**
 * What the dashboard needs from the context of the well-known actors, picked
 * out of their snapshots: the progress manager's task list, the workflow's
 * iteration, usage and status, the optimizer's GEPA metrics, a dynamic
 * actor's step count. Everything else in a context (prompts, messages) stays
 * in the process. Recomputed only when the fields it reads change.
 */
import type { TaskList } from '../../contracts/aime/taskList.js';
import { TaskFactsTracker, type TaskFact } from './taskFacts.js';
import { sanitizeString } from './sanitize.js';

export type { TaskFact } from './taskFacts.js';

export interface GepaMetrics {
  composite: number | null;
  timeline: { at: number; composite: number }[];
  candidates: { id: string; score: number | null; active: boolean }[];
}

export interface SnapshotFacts {
  // progress (see taskFacts.ts)
  tasks?: TaskFact[];
  taskPatch?: TaskFact[];
  markdown?: string;
  revision?: number;
  // workflow
  iteration?: number;
  runStatus?: string;
  usage?: { promptTokens: number; completionTokens: number; totalTokens: number };
  inFlight?: string[];
  // optimizer
  metrics?: GepaMetrics;
  // actor:<taskId>
  step?: number;
}

/** Actors whose facts are large and change in bursts: sent once per batch of records, from the latest context. */
export const DEFERRED_FACTS: ReadonlySet<string> = new Set(['progress', 'optimizer']);
const MAX_TIMELINE = 500;
const MAX_CANDIDATES = 100;

/** Whether the dashboard reads facts from this actor's context. */
export function hasFacts(actor: string): boolean {
  return actor === 'progress' || actor === 'workflow' || actor === 'optimizer' || actor.startsWith('actor:');
}

/** The facts of one actor, rebuilt only when the fields they come from change. */
export class ActorFacts {
  private key: unknown[] = [];
  private last: SnapshotFacts | undefined;
  private readonly tasks: TaskFactsTracker | null;

  constructor(private readonly actor: string) {
    this.tasks = actor === 'progress' ? new TaskFactsTracker() : null;
  }

  /**
   * Facts for this context: null when nothing changed, unless `always` (a
   * state change carries the current facts of small-fact actors).
   */
  update(context: unknown, now: number, always = false): SnapshotFacts | null {
    if (!context || typeof context !== 'object') return null;
    const c = context as Record<string, unknown>;
    if (this.tasks)
      return this.tasks.update(Array.isArray(c['tasks']) ? (c['tasks'] as TaskList) : [], typeof c['revision'] === 'number' ? c['revision'] : undefined, now);
    const key = this.keyOf(c);
    const changed = key.length !== this.key.length || key.some((k, i) => k !== this.key[i]);
    if (changed || !this.last) {
      this.key = key;
      this.last = this.build(c);
    }
    return changed || always ? this.last : null;
  }

  /** Facts held back by a rate limit, when due (or forced at the end of a run). */
  due(now: number, force: boolean): SnapshotFacts | null {
    return this.tasks?.markdownDue(now, force) ?? null;
  }

  /** When held-back facts become due; null when none are held back. */
  get dueAt(): number | null {
    return this.tasks?.dueAt ?? null;
  }

  private keyOf(c: Record<string, unknown>): unknown[] {
    if (this.actor === 'workflow') return [c['iteration'], c['status'], (c['usage'] as { totalTokens?: unknown } | undefined)?.totalTokens, c['inFlight']];
    if (this.actor === 'optimizer') return [c['metrics']];
    return [c['stepCount']];
  }

  private build(c: Record<string, unknown>): SnapshotFacts {
    if (this.actor === 'workflow') return workflowFacts(c);
    if (this.actor === 'optimizer') return { metrics: gepaMetrics(c['metrics']) };
    return typeof c['stepCount'] === 'number' ? { step: c['stepCount'] } : {};
  }
}

function workflowFacts(c: Record<string, unknown>): SnapshotFacts {
  const facts: SnapshotFacts = {};
  if (typeof c['iteration'] === 'number') facts.iteration = c['iteration'];
  if (typeof c['status'] === 'string') facts.runStatus = c['status'];
  const u = c['usage'] as Record<string, unknown> | undefined;
  if (u && typeof u === 'object') {
    facts.usage = { promptTokens: num(u['promptTokens']), completionTokens: num(u['completionTokens']), totalTokens: num(u['totalTokens']) };
  }
  if (Array.isArray(c['inFlight'])) facts.inFlight = (c['inFlight'] as unknown[]).slice(0, 50).map((id) => sanitizeString(String(id), 40));
  return facts;
}

/** The optimizer's `metrics`, shape-checked: another engineer's actor, so trust nothing. */
export function gepaMetrics(value: unknown): GepaMetrics {
  const m = (value && typeof value === 'object' ? value : {}) as Record<string, unknown>;
  const timeline = (Array.isArray(m['timeline']) ? (m['timeline'] as unknown[]) : [])
    .map((p) => p as Record<string, unknown>)
    .filter((p) => p && typeof p === 'object' && Number.isFinite(p['composite']))
    .slice(-MAX_TIMELINE)
    .map((p) => ({ at: Number.isFinite(p['at']) ? (p['at'] as number) : 0, composite: p['composite'] as number }));
  const candidates = (Array.isArray(m['candidates']) ? (m['candidates'] as unknown[]) : [])
    .map((p) => p as Record<string, unknown>)
    .filter((p) => p && typeof p === 'object' && p['id'] !== undefined)
    .slice(0, MAX_CANDIDATES)
    .map((p) => ({
      id: sanitizeString(String(p['id']), 80),
      score: Number.isFinite(p['score']) ? (p['score'] as number) : null,
      active: p['active'] === true,
    }));
  const composite = Number.isFinite(m['composite']) ? (m['composite'] as number) : null;
  return { composite, timeline, candidates };
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}
