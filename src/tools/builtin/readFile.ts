/**
 * read_file: a window of a text file. Reads at most `max_bytes` so a huge
 * file cannot flood the model's context, and says how to get the rest.
 */
import type { FileHandle } from 'node:fs/promises';
import { z } from 'zod';
import { openForRead } from '../fileAccess.js';
import type { Tool } from '../types.js';
import { BINARY_SNIFF_BYTES, displayPath, fail, guarded, looksBinary, ok } from './common.js';

export const DEFAULT_MAX_READ_BYTES = 262_144;
/** Default window: one read fits the actor's observation limit (16k chars) with room for the note. */
export const DEFAULT_READ_WINDOW = 15_000;

export const readFileParams = z.object({
  path: z.string().describe('File path relative to the workspace root, e.g. "src/index.ts".'),
  offset: z.number().int().min(0).optional().describe('Byte offset to start reading at (default 0). Use the offset given in a truncation note to continue.'),
  max_bytes: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe(`Maximum number of bytes to return (default ${DEFAULT_READ_WINDOW}; capped by the configured read limit).`),
});
export type ReadFileArgs = z.infer<typeof readFileParams>;

export function createReadFileTool(options: { maxReadBytes?: number } = {}): Tool<ReadFileArgs> {
  const limit = Math.max(1, options.maxReadBytes ?? DEFAULT_MAX_READ_BYTES);
  return {
    name: 'read_file',
    description: [
      'Read a text file from the workspace.',
      `Returns up to max_bytes bytes (default ${Math.min(DEFAULT_READ_WINDOW, limit)}, at most ${limit}) starting at offset; a note at the end says when the file was cut and which offset to read next.`,
      'Binary files and directories are refused (use list_dir for directories).',
    ].join(' '),
    parameters: readFileParams,
    sideEffect: false,
    run: (args, ctx) =>
      guarded('read_file', args?.path, async () => {
        const shown = displayPath(args.path);
        const opened = await openForRead(ctx, args.path, shown);
        if ('directory' in opened) return fail('read_file', `${JSON.stringify(shown)} is a directory; use list_dir to see its contents`);
        if ('special' in opened) return fail('read_file', `${JSON.stringify(shown)} is not a regular file`);
        const handle = opened.handle;
        try {
          const size = opened.size;
          const offset = args.offset ?? 0;
          if (size === 0) return ok('[empty file]', [shown]);
          if (offset >= size) return fail('read_file', `offset ${offset} is past the end of ${JSON.stringify(shown)} (${size} bytes)`);

          const head = await readAt(handle, 0, Math.min(BINARY_SNIFF_BYTES, size));
          if (looksBinary(head))
            return fail('read_file', `${JSON.stringify(shown)} looks like a binary file (it contains NUL bytes); only text files can be read`);

          const want = Math.min(args.max_bytes ?? DEFAULT_READ_WINDOW, limit);
          let chunk = await readAt(handle, offset, Math.min(want, size - offset));
          if (looksBinary(chunk)) return fail('read_file', `${JSON.stringify(shown)} contains NUL bytes at this offset; it is not a text file`);
          // Start and end on character boundaries so no UTF-8 sequence is split.
          const skip = leadingContinuationBytes(chunk);
          const end = offset + chunk.length;
          const cut = end < size ? incompleteTail(chunk) : 0;
          if (cut < chunk.length) chunk = chunk.subarray(0, chunk.length - cut); // never an empty window: the model must make progress
          const start = offset + skip;
          const text = Buffer.from(chunk.subarray(skip)).toString('utf8');
          const next = offset + chunk.length;
          if (next >= size && start === 0) return ok(text, [shown]);
          const notes: string[] = [];
          if (next < size) {
            notes.push(
              `[truncated: showed bytes ${start}-${next - 1} of ${size}; to read more call read_file with {"path": ${JSON.stringify(shown)}, "offset": ${next}}]`,
            );
          } else {
            notes.push(`[showed bytes ${start}-${next - 1} of ${size}; end of file]`);
          }
          return ok(`${text}\n${notes.join('\n')}`, [shown]);
        } finally {
          await handle.close().catch(() => undefined);
        }
      }),
  };
}

export const readFileTool = createReadFileTool();

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/** UTF-8 continuation bytes (10xxxxxx) at the start: an offset that landed mid-character. */
function leadingContinuationBytes(bytes: Uint8Array): number {
  let n = 0;
  while (n < 3 && n < bytes.length && (bytes[n]! & 0xc0) === 0x80) n++;
  return n;
}

/** Bytes of a UTF-8 sequence cut off at the end of the window. */
function incompleteTail(bytes: Uint8Array): number {
  for (let back = 1; back <= 4 && back <= bytes.length; back++) {
    const b = bytes[bytes.length - back]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead byte
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}
