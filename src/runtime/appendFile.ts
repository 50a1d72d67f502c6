/**
 * Appends batches of whole JSONL lines to a file without blocking the thread
 * on disk I/O: the directory is made on the first write, writes are queued on
 * one append-mode stream (so batches land whole and in order), and a failure
 * is reported once rather than thrown into whoever is producing the lines.
 */
import fs from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../../contracts/errors.js';
import { redactSecrets } from '../util/secrets.js';

export class AppendFile {
  private stream: fs.WriteStream | null = null;
  private failed = false;

  constructor(
    readonly file: string,
    private readonly onError: (message: string) => void = () => {},
  ) {}

  write(text: string): void {
    if (this.failed) return;
    if (!this.stream) {
      try {
        fs.mkdirSync(path.dirname(this.file), { recursive: true });
      } catch (err) {
        this.fail(err);
        return;
      }
      this.stream = fs.createWriteStream(this.file, { flags: 'a' });
      this.stream.on('error', (err) => this.fail(err));
    }
    this.stream.write(redactSecrets(text));
  }

  /** Resolves once everything written so far is on disk (or has failed). */
  close(): Promise<void> {
    const stream = this.stream;
    this.stream = null;
    if (!stream || stream.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      stream.once('error', () => resolve());
      stream.end(() => resolve());
    });
  }

  private fail(err: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.onError(`cannot write ${this.file}: ${errorMessage(err)}`);
  }
}
