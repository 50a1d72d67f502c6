/**
 * GEPA metrics from traces/gepa_history.jsonl, for when no optimizer actor is
 * live: the composite after each outcome, and each candidate's score (its own
 * `score` when the record has one, else the mean of the outcomes attributed
 * to it). A torn last line is tolerated and flagged; the file belongs to the
 * optimizer, so every field is checked rather than trusted.
 */
import path from 'node:path';
import { JsonlError, readJsonl } from '../util/jsonl.js';

export interface GepaHistorySummary {
  timeline: { at: number; ts: string | null; composite: number }[];
  candidates: { id: string; score: number | null; active: boolean }[];
  tornTail: boolean;
  /** Set when the file could not be read as JSONL (a broken line before the last). */
  error?: string;
}

export const GEPA_HISTORY_FILE = 'gepa_history.jsonl';
const MAX_TIMELINE = 1000;

export async function readGepaHistory(tracesDir: string): Promise<GepaHistorySummary> {
  let loaded: { records: unknown[]; tornTail: boolean };
  try {
    loaded = await readJsonl(path.join(tracesDir, GEPA_HISTORY_FILE));
  } catch (err) {
    const message = err instanceof JsonlError ? err.message : `cannot read ${GEPA_HISTORY_FILE}: ${(err as Error).message}`;
    return { timeline: [], candidates: [], tornTail: false, error: message };
  }
  return summariseHistory(loaded.records, loaded.tornTail);
}

export function summariseHistory(records: unknown[], tornTail: boolean): GepaHistorySummary {
  const timeline: GepaHistorySummary['timeline'] = [];
  const order: string[] = [];
  const own = new Map<string, number | null>();
  const outcomeScores = new Map<string, number[]>();
  let active: string | null = null;
  for (const raw of records) {
    if (!raw || typeof raw !== 'object') continue;
    const r = raw as Record<string, unknown>;
    if (r['kind'] === 'outcome' && Number.isFinite(r['composite'])) {
      timeline.push({
        at: timeline.length,
        ts: typeof r['ts'] === 'string' || typeof r['ts'] === 'number' ? String(r['ts']) : null,
        composite: r['composite'] as number,
      });
      // An infrastructure failure (excluded) is no score of any candidate.
      if (typeof r['candidateId'] === 'string' && Number.isFinite(r['score']) && r['excluded'] === undefined) {
        const list = outcomeScores.get(r['candidateId']) ?? [];
        list.push(r['score'] as number);
        outcomeScores.set(r['candidateId'], list);
      }
    } else if (r['kind'] === 'candidate' && (typeof r['id'] === 'string' || typeof r['id'] === 'number')) {
      const id = String(r['id']);
      if (!own.has(id)) order.push(id);
      own.set(id, Number.isFinite(r['score']) ? (r['score'] as number) : (own.get(id) ?? null));
    } else if (r['kind'] === 'switch' && typeof r['to'] === 'string') {
      active = r['to'];
    } else if (r['kind'] === 'decision' && r['verdict'] === 'switch' && typeof r['challengerId'] === 'string') {
      active = r['challengerId'];
    } else if (r['kind'] === 'reset') {
      active = null;
    }
  }
  const candidates = order.map((id) => {
    const scores = outcomeScores.get(id);
    const mean = scores?.length ? scores.reduce((a, b) => a + b, 0) / scores.length : null;
    return { id: id.slice(0, 80), score: own.get(id) ?? mean, active: id === active };
  });
  return { timeline: timeline.slice(-MAX_TIMELINE), candidates, tornTail };
}
