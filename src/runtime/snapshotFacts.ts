/**
 * What the dashboard needs from the context of the well-known actors, picked
 * out of their snapshots: the progress manager's task list, the workflow's
 * iteration, usage and status, the optimizer's GEPA metrics, a dynamic
 * actor's step count. Everything else in a context (prompts, messages) stays
 * in the process. Recomputed only when the fields it reads change.
 */
import { renderTaskList } from '../aime/markdown.js';
import type { TaskList, TaskStatus } from '../aime/taskList.js';
import { sanitizeString } from './sanitize.js';

export interface TaskFact {
  id: string;
  title: string;
  status: TaskStatus;
  criteria: string;
  note?: string;
  depth: number;
}

export interface GepaMetrics {
  composite: number | null;
  timeline: { at: number; composite: number }[];
  candidates: { id: string; score: number | null; active: boolean }[];
}

export interface SnapshotFacts {
  // progress
  tasks?: TaskFact[];
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

const MAX_MARKDOWN = 20_000;
const MAX_TIMELINE = 500;
const MAX_CANDIDATES = 100;

/** Keeps the inputs seen last and the facts built from them, per actor. */
export interface FactsMemo {
  key: unknown[];
  facts?: SnapshotFacts;
}

export function snapshotFacts(actor: string, context: unknown, memo: FactsMemo): { facts?: SnapshotFacts; changed: boolean } {
  if (!context || typeof context !== 'object') return { changed: false };
  const c = context as Record<string, unknown>;
  let key: unknown[];
  let build: () => SnapshotFacts;
  if (actor === 'progress') {
    key = [c['tasks']];
    build = () => progressFacts(c);
  } else if (actor === 'workflow') {
    const usage = c['usage'] as { totalTokens?: unknown } | undefined;
    key = [c['iteration'], c['status'], usage?.totalTokens, c['inFlight']];
    build = () => workflowFacts(c);
  } else if (actor === 'optimizer') {
    key = [c['metrics']];
    build = () => ({ metrics: gepaMetrics(c['metrics']) });
  } else if (actor.startsWith('actor:')) {
    key = [c['stepCount']];
    build = () => (typeof c['stepCount'] === 'number' ? { step: c['stepCount'] } : {});
  } else {
    return { changed: false };
  }
  const changed = key.length !== memo.key.length || key.some((k, i) => k !== memo.key[i]);
  if (changed || !memo.facts) {
    memo.key = key;
    memo.facts = build();
  }
  return { facts: memo.facts, changed };
}

function progressFacts(c: Record<string, unknown>): SnapshotFacts {
  const tasks = Array.isArray(c['tasks']) ? (c['tasks'] as TaskList) : [];
  const out: TaskFact[] = [];
  const walk = (items: TaskList, depth: number) => {
    for (const t of items) {
      const fact: TaskFact = {
        id: sanitizeString(String(t.id), 40),
        title: sanitizeString(String(t.title ?? ''), 300),
        status: t.status,
        criteria: sanitizeString(String(t.criteria ?? ''), 300),
        depth,
      };
      if (t.note) fact.note = sanitizeString(String(t.note), 400);
      out.push(fact);
      if (Array.isArray(t.children)) walk(t.children, depth + 1);
    }
  };
  walk(tasks, 0);
  let markdown = '';
  try {
    markdown = sanitizeString(renderTaskList(tasks), MAX_MARKDOWN);
  } catch {
    // A malformed list still shows as records.
  }
  const facts: SnapshotFacts = { tasks: out, markdown };
  if (typeof c['revision'] === 'number') facts.revision = c['revision'];
  return facts;
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
    .map((p) => ({ id: sanitizeString(String(p['id']), 80), score: Number.isFinite(p['score']) ? (p['score'] as number) : null, active: p['active'] === true }));
  const composite = Number.isFinite(m['composite']) ? (m['composite'] as number) : null;
  return { composite, timeline, candidates };
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}
