/**
 * traces/gepa_history.jsonl: the online optimizer's append-only memory across
 * runs. One record per line; a torn last line (a crash mid-write) is reported
 * and skipped; a broken line elsewhere is an error naming the line.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { JsonlAppender, readJsonl } from '../../util/jsonl.js';

export type OutcomeKind = 'subtask' | 'goal';

/** A scored outcome, attributed to the candidate whose prompts produced it. */
export interface OutcomeRecord {
  kind: 'outcome';
  ts: string;
  runId: string;
  candidateId: string;
  outcome: OutcomeKind;
  /** Which components were in play, by name (texts are in the candidate record). */
  components: string[];
  input: string;
  output: string;
  score: number;
  feedback: string;
  /** The rolling composite after this outcome. */
  composite: number;
}

/** A new candidate: the full component texts and where they came from. */
export interface CandidateRecord {
  kind: 'candidate';
  ts: string;
  runId: string;
  id: string;
  parentId: string | null;
  components: Record<string, string>;
  reason: string;
}

/** The live prompts switched to another candidate. */
export interface SwitchRecord {
  kind: 'switch';
  ts: string;
  runId: string;
  from: string;
  to: string;
  reason: string;
}

export type HistoryRecord = OutcomeRecord | CandidateRecord | SwitchRecord;

export interface LoadedHistory {
  records: HistoryRecord[];
  tornTail: boolean;
}

export async function loadHistory(file: string): Promise<LoadedHistory> {
  const { records, tornTail } = await readJsonl<HistoryRecord>(file);
  return { records: records.filter((r) => r && typeof r === 'object' && 'kind' in r), tornTail };
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
