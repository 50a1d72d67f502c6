/**
 * `optimize --events FILE`: the run as JSON Lines for outside tools (a
 * dashboard, a notebook, a CI check). One object per line, each with `type`
 * and `ts`:
 *
 *   start       resumed, iteration, metric_calls, max_metric_calls, candidates
 *   iteration   the iteration record (what was tried, scores, outcome, budget spent, best so far)
 *   proposal    iteration, parents, components, split, batch, parent_sum, child_sum, outcome
 *   acceptance  iteration, candidate, parents, val_score, found_at_metric_calls
 *   done        best_candidate_id, best_val_score, metric_calls, stop_reason (and test_score with --test)
 *
 * Appended a whole line at a time (O_APPEND), so a reader tailing the file
 * never sees half a record.
 */
import fs from 'node:fs';
import path from 'node:path';
import { JsonlAppender } from '../util/jsonl.js';
import type { GepaProgressEvent } from './optimize.js';
import type { IterationRecord } from '../../contracts/gepa/types.js';

const PROPOSED = new Set(['accepted', 'rejected', 'duplicate', 'merge_rejected']);

/** An iteration that scored a proposal (reflective or merge), whatever became of it. */
export function isProposal(r: IterationRecord): boolean {
  return r.kind !== 'seed' && PROPOSED.has(r.outcome);
}

export function eventLines(e: GepaProgressEvent): Record<string, unknown>[] {
  switch (e.type) {
    case 'start':
      return [
        {
          type: 'start',
          resumed: e.resumed,
          iteration: e.iteration,
          metric_calls: e.metricCalls,
          max_metric_calls: e.maxMetricCalls,
          candidates: e.candidates,
        },
      ];
    case 'metric_call':
      return [];
    case 'iteration': {
      const r = e.record;
      const out: Record<string, unknown>[] = [{ type: 'iteration', ...r }];
      if (isProposal(r)) {
        out.push({
          type: 'proposal',
          iteration: r.iteration,
          kind: r.kind,
          parents: r.parents,
          components: r.components,
          split: r.split,
          batch: r.batch,
          parent_sum: r.parent_sum,
          child_sum: r.child_sum,
          outcome: r.outcome,
          chain: r.chain,
        });
      }
      if (r.new_candidate !== null && r.kind !== 'seed') {
        out.push({
          type: 'acceptance',
          iteration: r.iteration,
          candidate: r.new_candidate,
          parents: r.parents,
          val_score: r.val_score,
          found_at_metric_calls: r.metric_calls,
        });
      }
      return out;
    }
    case 'done':
      return [
        {
          type: 'done',
          best_candidate_id: e.result.bestCandidateId,
          best_val_score: e.result.bestValScore,
          metric_calls: e.result.metricCalls,
          stop_reason: e.result.stopReason,
          ...(e.result.test ? { test_score: e.result.test.score, test_metric_calls: e.result.test.metricCalls } : {}),
        },
      ];
  }
}

export class EventStream {
  private readonly out: JsonlAppender;

  constructor(file: string) {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.out = new JsonlAppender(path.resolve(file));
  }

  write(e: GepaProgressEvent): void {
    const ts = new Date().toISOString();
    for (const line of eventLines(e)) this.out.append({ ts, ...line });
  }

  close(): void {
    this.out.close();
  }
}
