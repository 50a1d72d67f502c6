/**
 * What the judge keeps on disk, in one directory (`judge.cache_dir`):
 *   verdicts.jsonl  verdicts by content key (judge identity + everything it read)
 *   rubrics.jsonl   rubrics the judge wrote, by goal: written once, then frozen
 *   journal.jsonl   every model exchange of the judge, as a run journal records them
 * All append-only whole lines; a torn last line (a crash) is skipped.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ChatResponse } from '../../contracts/llm.js';
import { JsonlAppender, readJsonl } from '../util/jsonl.js';
import type { Rubric } from './rubric.js';
import type { Verdict } from './schema.js';

type VerdictRecord = { key: string; identity: string; verdict: Verdict; ts: string };
type RubricRecord = { goalKey: string; goal: string; rubric: Rubric; by: string; ts: string };
export type JournalRecord = { kind: 'model'; key: string; purpose: string; response: ChatResponse };

export interface JudgeStore {
  verdict(key: string): Verdict | undefined;
  putVerdict(key: string, identity: string, verdict: Verdict): void;
  rubric(goalKey: string): Rubric | undefined;
  putRubric(goalKey: string, goal: string, rubric: Rubric, by: string): void;
  journal(record: JournalRecord): void;
  close(): void;
}

/** In memory only (tests, and callers that want no files). */
export function memoryStore(): JudgeStore {
  const verdicts = new Map<string, Verdict>();
  const rubrics = new Map<string, Rubric>();
  return {
    verdict: (k) => verdicts.get(k),
    putVerdict: (k, _i, v) => void verdicts.set(k, v),
    rubric: (k) => rubrics.get(k),
    putRubric: (k, _g, r) => void rubrics.set(k, r),
    journal: () => {},
    close: () => {},
  };
}

export async function openJudgeStore(dir: string): Promise<JudgeStore & { dir: string }> {
  await fs.promises.mkdir(dir, { recursive: true });
  const files = {
    verdicts: path.join(dir, 'verdicts.jsonl'),
    rubrics: path.join(dir, 'rubrics.jsonl'),
    journal: path.join(dir, 'journal.jsonl'),
  };
  const [v, r] = await Promise.all([readJsonl<VerdictRecord>(files.verdicts), readJsonl<RubricRecord>(files.rubrics)]);
  const verdicts = new Map(v.records.map((x) => [x.key, x.verdict]));
  // The first rubric written for a goal is the frozen one, even if two processes raced.
  const rubrics = new Map<string, Rubric>();
  for (const x of r.records) if (!rubrics.has(x.goalKey)) rubrics.set(x.goalKey, x.rubric);
  const out = {
    verdicts: new JsonlAppender(files.verdicts),
    rubrics: new JsonlAppender(files.rubrics),
    journal: new JsonlAppender(files.journal),
  };
  const write = (a: JsonlAppender, rec: unknown) => {
    a.append(rec);
    a.flush();
  };
  return {
    dir,
    verdict: (k) => verdicts.get(k),
    putVerdict(key, identity, verdict) {
      verdicts.set(key, verdict);
      write(out.verdicts, { key, identity, verdict, ts: new Date().toISOString() });
    },
    rubric: (k) => rubrics.get(k),
    putRubric(goalKey, goal, rubric, by) {
      if (rubrics.has(goalKey)) return;
      rubrics.set(goalKey, rubric);
      write(out.rubrics, { goalKey, goal, rubric, by, ts: new Date().toISOString() });
    },
    journal: (rec) => write(out.journal, rec),
    close() {
      out.verdicts.close();
      out.rubrics.close();
      out.journal.close();
    },
  };
}
