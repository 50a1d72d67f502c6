/**
 * Persists the whole actor system (XState's persisted snapshot of the root,
 * children included) after the transitions of each turn of the event loop,
 * atomically: temp file + rename, so a crash leaves the old or the new file.
 */
import fs from 'node:fs';
import type { AnyActorRef } from 'xstate';
import { failpoint } from './failpoints.js';

export class SnapshotWriter {
  private scheduled = false;

  constructor(readonly file: string) {}

  /** Coalesces the many snapshot events of one turn into one write. */
  schedule(actor: AnyActorRef): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.write(actor);
    });
  }

  flush(actor: AnyActorRef): void {
    this.write(actor);
  }

  private write(actor: AnyActorRef): void {
    const tmp = `${this.file}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(actor.getPersistedSnapshot()));
    fs.renameSync(tmp, this.file);
    failpoint('snapshot');
  }
}
