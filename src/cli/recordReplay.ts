/**
 * What --record and --replay add to a run, so a replay reproduces the
 * recorded run: --record writes the prompts the run starts with into the
 * recording (a run header); --replay runs with those prompts and with online
 * learning off, and afterwards says which requests drifted from the recording
 * and were matched by their place in the call sequence.
 */
import path from 'node:path';
import { RECORDING_VERSION, RecordingSink } from '../llm/record.js';
import type { ModelSet } from '../runtime/models.js';
import type { GoalOptions } from '../api/goal.js';
import { safeText } from './terminal.js';

export function recordReplayOptions(
  models: ModelSet,
  flags: { record?: string; replay?: string; quiet?: boolean },
): { options: Pick<GoalOptions, 'learning' | 'prompts'>; runtime: NonNullable<GoalOptions['runtime']>; after(): void } {
  const options: Pick<GoalOptions, 'learning' | 'prompts'> = {};
  const runtime: NonNullable<GoalOptions['runtime']> = {};
  if (flags.record) {
    const sink = new RecordingSink(path.resolve(flags.record));
    runtime.onStart = ({ prompts }) => sink.append({ v: RECORDING_VERSION, kind: 'run', prompts });
  }
  const store = models.replay;
  if (store) {
    options.learning = false;
    if (store.prompts) options.prompts = store.prompts;
  }
  return {
    options,
    runtime,
    after() {
      if (!store || flags.quiet || !store.drifts.length) return;
      const first = store.drifts[0]!;
      process.stderr.write(
        `gepa-aime: replay: ${store.drifts.length} request(s) differed from the recording and were matched by their place in the call sequence; first, at ${first.place}: ${safeText(first.diff)}\n`,
      );
    },
  };
}
