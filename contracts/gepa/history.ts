/**
 * The records of traces/gepa_history.jsonl, online learning's append-only
 * memory across runs, as data (reading, checking and writing the file is
 * src/gepa/online/history.ts).
 */
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
  /** The rolling composite after this outcome (null while only excluded outcomes were seen). */
  composite: number | null;
  /** An infrastructure failure (transport, provider, cancellation, a limit hit): recorded, never scored or learned from. */
  excluded?: string;
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

/** A trial decided: the evidence of both arms and the verdict. */
export interface DecisionRecord {
  kind: 'decision';
  ts: string;
  runId: string;
  verdict: 'switch' | 'reject';
  championId: string;
  challengerId: string;
  champion: { successes: number; failures: number };
  challenger: { successes: number; failures: number };
  pBetter: number;
  reason: string;
}

/** `gepa-aime learning --reset`: everything before it is forgotten (the file itself stays append-only). */
export interface ResetRecord {
  kind: 'reset';
  ts: string;
  runId: string;
  reason: string;
}

export type HistoryRecord = OutcomeRecord | CandidateRecord | SwitchRecord | DecisionRecord | ResetRecord;
