/**
 * JSON Lines on disk: one record per line, appended whole. A crash can leave
 * a torn last line; readers skip and report it. A broken line anywhere else
 * is an error that names the line, never silently dropped. Everything
 * written here has its secrets redacted (util/secrets.ts).
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { AppError } from '../../contracts/errors.js';
import { redactSecrets } from './secrets.js';

export interface JsonlReadResult<T> {
  records: T[];
  /** 1-based line number of each record, in step with `records`. */
  lines: number[];
  /** The last line was incomplete (no trailing newline and not valid JSON): a crash mid-write. */
  tornTail: boolean;
}

export class JsonlError extends AppError {
  readonly category = 'input';
  constructor(
    readonly file: string,
    readonly line: number,
    reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
  }
}

export function parseJsonl<T = unknown>(text: string, file: string): JsonlReadResult<T> {
  const records: T[] = [];
  const numbers: number[] = [];
  const lines = text.split('\n');
  const endsClean = text.endsWith('\n') || text === '';
  let tornTail = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.trim()) continue;
    try {
      records.push(JSON.parse(line) as T);
      numbers.push(i + 1);
    } catch (err) {
      const isLast = i === lines.length - 1 && !endsClean;
      if (isLast) {
        tornTail = true;
        continue;
      }
      throw new JsonlError(file, i + 1, `not a JSON record (${(err as Error).message})`);
    }
  }
  return { records, lines: numbers, tornTail };
}

export async function readJsonl<T = unknown>(file: string): Promise<JsonlReadResult<T>> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], lines: [], tornTail: false };
    throw err;
  }
  return parseJsonl<T>(text, file);
}

/**
 * Appends records to a file opened O_APPEND. Records are buffered within one
 * turn of the event loop and written with a single write call of whole lines,
 * so two processes appending at once interleave whole lines, never parts of
 * them. `flush()` forces the buffer out (done on close).
 */
export class JsonlAppender {
  private fd: number | null;
  private buffer: string[] = [];
  private scheduled = false;

  constructor(readonly file: string) {
    this.fd = fs.openSync(file, 'a');
  }

  append(record: unknown): void {
    if (this.fd === null) throw new Error(`${this.file} is closed`);
    this.buffer.push(`${redactSecrets(JSON.stringify(record))}\n`);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.fd === null || this.buffer.length === 0) return;
    const text = this.buffer.join('');
    this.buffer = [];
    fs.writeSync(this.fd, text);
  }

  close(): void {
    this.flush();
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}

/** Write a file so readers see the old or the new content, never a mix: temp file + rename. */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await fsp.writeFile(tmp, redactSecrets(content));
  await fsp.rename(tmp, file);
}
