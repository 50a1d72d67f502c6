/**
 * write_file: create, overwrite or append to a workspace file. The size limit
 * is checked before anything touches the disk, overwrites are atomic (temp
 * file in the same directory, then rename) so a crash never leaves half a
 * file, and the sandbox refuses symlinks that lead out of the workspace.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { resolveInWorkspace } from '../sandbox.js';
import type { Tool, ToolResult } from '../types.js';
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
          return fail('write_file', `refused: content is ${bytes} bytes, more than the limit of ${limit} bytes per call; nothing was written. Write it in smaller parts with mode "append".`);
        }
        const abs = await resolveInWorkspace(ctx.workspace, args.path, { forWrite: true });
        const existing = await fs.stat(abs).catch(() => null);
        if (existing?.isDirectory()) return fail('write_file', `${JSON.stringify(shown)} is a directory; choose a file path inside it`);
        if (mode === 'create' && existing) {
          return fail('write_file', `${JSON.stringify(shown)} already exists and mode is "create"; use mode "overwrite" to replace it or "append" to add to it`);
        }
        try {
          await fs.mkdir(path.dirname(abs), { recursive: true });
        } catch (err) {
          // mkdir says EEXIST when a file sits where a parent directory should be.
          if ((err as { code?: string }).code === 'EEXIST') return fail('write_file', `a part of ${JSON.stringify(shown)} is a file, not a directory`);
          throw err;
        }
        return write(abs, shown, args.content, bytes, mode, existing?.mode);
      }),
  };
}

export const writeFileTool = createWriteFileTool();

async function write(abs: string, shown: string, content: string, bytes: number, mode: 'overwrite' | 'append' | 'create', fileMode?: number): Promise<ToolResult> {
  if (mode === 'create') {
    try {
      await fs.writeFile(abs, content, { flag: 'wx' }); // O_EXCL: never clobbers a file created meanwhile
    } catch (err) {
      if ((err as { code?: string }).code === 'EEXIST') {
        return fail('write_file', `${JSON.stringify(shown)} already exists and mode is "create"; use mode "overwrite" to replace it or "append" to add to it`);
      }
      throw err;
    }
    return ok(`Created ${shown} (${bytes} bytes written)`, [shown]);
  }
  if (mode === 'append') {
    await fs.appendFile(abs, content);
    const size = (await fs.stat(abs)).size;
    return ok(`Appended ${bytes} bytes to ${shown} (now ${size} bytes)`, [shown]);
  }
  await atomicWrite(abs, content, fileMode);
  return ok(`Wrote ${bytes} bytes to ${shown}`, [shown]);
}

/** Temp file next to the target (same file system, so rename is atomic), then rename over it. */
async function atomicWrite(abs: string, content: string, fileMode?: number): Promise<void> {
  const temp = path.join(path.dirname(abs), `.${path.basename(abs).slice(0, 100)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await fs.writeFile(temp, content, { flag: 'wx', ...(fileMode !== undefined ? { mode: fileMode & 0o7777 } : {}) });
    await fs.rename(temp, abs);
  } catch (err) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw err;
  }
}
