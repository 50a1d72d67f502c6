/**
 * write_file: create, overwrite or append to a workspace file. The size limit
 * is checked before anything touches the disk, overwrites are atomic (temp
 * file in the same directory, then rename) so a crash never leaves half a
 * file. fileAccess.ts contains it: symlinks that lead out (or appear
 * mid-write), hard-linked files and protected paths are refused, and a
 * per-step budget bounds what all the calls of one model message write.
 */
import { z } from 'zod';
import { writeContained } from '../fileAccess.js';
import type { Tool } from '../types.js';
import { displayPath, fail, formatSize, guarded, ok } from './common.js';

export const DEFAULT_MAX_WRITE_BYTES = 1_048_576;

export const writeFileParams = z.object({
  path: z.string().describe('File path relative to the workspace root, e.g. "docs/notes.md". Missing parent directories are created.'),
  content: z.string().describe('The text to write (UTF-8).'),
  mode: z
    .enum(['overwrite', 'append', 'create'])
    .default('overwrite')
    .describe('"overwrite" (default) replaces the file, "append" adds to its end, "create" fails if the file already exists.'),
});
export type WriteFileArgs = z.input<typeof writeFileParams>;

export function createWriteFileTool(options: { maxWriteBytes?: number } = {}): Tool<WriteFileArgs> {
  const limit = options.maxWriteBytes ?? DEFAULT_MAX_WRITE_BYTES;
  return {
    name: 'write_file',
    description: [
      'Write a text file in the workspace, creating missing parent directories.',
      'mode "overwrite" (default) replaces the whole file atomically, "append" adds to the end, "create" refuses to touch an existing file.',
      `At most ${formatSize(limit)} per call; for more, write in parts with mode "append".`,
    ].join(' '),
    parameters: writeFileParams,
    sideEffect: true,
    run: (args, ctx) =>
      guarded('write_file', args?.path, async () => {
        const mode = args.mode ?? 'overwrite';
        const shown = displayPath(args.path);
        if (typeof args.content !== 'string') return fail('write_file', 'content must be a string');
        const bytes = Buffer.byteLength(args.content, 'utf8');
        if (bytes > limit) {
          return fail(
            'write_file',
            `refused: content is ${bytes} bytes, more than the limit of ${limit} bytes per call; nothing was written. Write it in smaller parts with mode "append".`,
          );
        }
        const budget = ctx.writeBudget;
        if (budget && bytes > budget.left) {
          return fail(
            'write_file',
            `refused: content is ${bytes} bytes and this step may write only ${budget.left} more (at most ${budget.limit} bytes per step, across all calls); nothing was written. Write the rest in a later step.`,
          );
        }
        const outcome = await writeContained(ctx, args.path, shown, args.content, mode);
        if (!outcome.ok) {
          if (outcome.reason === 'directory') return fail('write_file', `${JSON.stringify(shown)} is a directory; choose a file path inside it`);
          if (outcome.reason === 'not-a-directory') return fail('write_file', `a part of ${JSON.stringify(shown)} is a file, not a directory`);
          return fail(
            'write_file',
            `${JSON.stringify(shown)} already exists and mode is "create"; use mode "overwrite" to replace it or "append" to add to it`,
          );
        }
        if (budget) budget.left -= bytes;
        if (mode === 'create') return ok(`Created ${shown} (${bytes} bytes written)`, [shown]);
        if (mode === 'append') return ok(`Appended ${bytes} bytes to ${shown} (now ${outcome.size ?? bytes} bytes)`, [shown]);
        return ok(`Wrote ${bytes} bytes to ${shown}`, [shown]);
      }),
  };
}

export const writeFileTool = createWriteFileTool();
