/**
 * traces/gepa_history.jsonl: the online optimizer's append-only memory across
 * runs. One record per line; a torn last line (a crash mid-write) is reported
 * and skipped; a broken line elsewhere is an error naming the line.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { JsonlAppender, readJsonl } from '../../util/jsonl.js';
import type { HistoryRecord } from '../../../contracts/gepa/history.js';

export interface LoadedHistory {
  records: HistoryRecord[];
  tornTail: boolean;
  /** Records that failed their schema: skipped, never used (`file:line: why`). */
  skipped: string[];
}

/** Prompt components are prompts: long, but not without end. */
const MAX_COMPONENT_CHARS = 200_000;
const str = z.string().max(MAX_COMPONENT_CHARS);
const base = { ts: z.string(), runId: z.string() };
export const historyRecordSchema = z.discriminatedUnion('kind', [
  z.looseObject({
    kind: z.literal('outcome'),
    ...base,
    candidateId: z.string(),
    outcome: z.enum(['subtask', 'goal']),
    components: z.array(z.string()),
    input: str,
    output: str,
    score: z.number().min(0).max(1),
    feedback: str,
    composite: z.number().nullable(),
    excluded: str.optional(),
  }),
  z.looseObject({
    kind: z.literal('candidate'),
    ...base,
    id: z.string().min(1),
    parentId: z.string().nullable(),
    components: z.record(z.string(), str),
    reason: str,
  }),
  z.looseObject({ kind: z.literal('switch'), ...base, from: z.string(), to: z.string(), reason: str }),
  z.looseObject({
    kind: z.literal('decision'),
    ...base,
    verdict: z.enum(['switch', 'reject']),
    championId: z.string(),
    challengerId: z.string(),
    champion: z.object({ successes: z.number().int().min(0), failures: z.number().int().min(0) }),
    challenger: z.object({ successes: z.number().int().min(0), failures: z.number().int().min(0) }),
    pBetter: z.number().min(0).max(1),
    reason: str,
  }),
  z.looseObject({ kind: z.literal('reset'), ...base, reason: str }),
]);

/** Reads the history; a record that fails its schema is skipped and reported, not used. */
export async function loadHistory(file: string): Promise<LoadedHistory> {
  const { records, lines, tornTail } = await readJsonl<unknown>(file);
  const good: HistoryRecord[] = [];
  const skipped: string[] = [];
  records.forEach((r, i) => {
    const parsed = historyRecordSchema.safeParse(r);
    if (parsed.success) good.push(r as HistoryRecord);
    else {
      const issue = parsed.error.issues[0]!;
      skipped.push(`${file}:${lines[i]}: ${issue.path.map(String).join('.') || '(record)'}: ${issue.message}`);
    }
  });
  return { records: good, tornTail, skipped };
}

export class HistoryWriter {
  private appender: JsonlAppender | null = null;

  constructor(readonly file: string) {}

  async open(): Promise<void> {
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    this.appender = new JsonlAppender(this.file);
  }

  append(record: HistoryRecord): void {
    if (!this.appender) throw new Error(`history ${this.file} is not open`);
    this.appender.append(record);
    // History is small and precious: write it out now rather than at the end of the tick.
    this.appender.flush();
  }

  close(): void {
    this.appender?.close();
    this.appender = null;
  }
}
