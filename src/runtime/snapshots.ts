/**
 * Persists the whole actor system (XState's persisted snapshot of the root,
 * children included) atomically: temp file + rename, so a crash leaves the
 * old or the new file. Writes are coalesced: at the end of a turn of the
 * event loop, and at most once per `minIntervalMs`. A snapshot that lags is
 * safe: every model answer and tool result since it is in the journal, and a
 * resumed run takes them from there instead of paying or acting again.
 */
import fs from 'node:fs';
import type { AnyActorRef } from 'xstate';
import { redactSecrets } from '../util/secrets.js';
import { failpoint, failpointArmed } from './failpoints.js';

export class SnapshotWriter {
  private timer: NodeJS.Immediate | NodeJS.Timeout | null = null;
  private lastWrite = 0;

  constructor(
    readonly file: string,
    private readonly minIntervalMs = 100,
  ) {}

  schedule(actor: AnyActorRef): void {
    if (this.timer) return;
    const wait = this.lastWrite + this.minIntervalMs - Date.now();
    const write = () => {
      this.timer = null;
      this.write(actor);
    };
    this.timer = wait > 0 ? setTimeout(write, wait) : setImmediate(write);
  }

  flush(actor: AnyActorRef): void {
    if (this.timer) {
      clearTimeout(this.timer as NodeJS.Timeout);
      clearImmediate(this.timer as NodeJS.Immediate);
      this.timer = null;
    }
    this.write(actor);
  }

  private write(actor: AnyActorRef): void {
    this.lastWrite = Date.now();
    const tmp = `${this.file}.tmp`;
    const snapshot = actor.getPersistedSnapshot() as { children?: Record<string, unknown> };
    fs.writeFileSync(tmp, redactSecrets(JSON.stringify(snapshot)));
    fs.renameSync(tmp, this.file);
    failpoint('snapshot');
    // For crash tests that need a snapshot holding a dynamic actor (its timing is not fixed).
    if (failpointArmed('snapshot-with-actor') && Object.keys(snapshot.children ?? {}).some((k) => k.startsWith('actor:'))) {
      failpoint('snapshot-with-actor');
    }
  }
}
