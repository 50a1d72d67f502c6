/**
 * A fresh copy of a workspace for one evaluation run, so runs never see each
 * other's output. VCS metadata, node_modules and traces are left out, symlinks
 * are not followed out of the tree, and the copy is bounded in files and bytes.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../contracts/errors.js';

const SKIP = new Set(['.git', '.hg', '.svn', 'node_modules', 'traces']);
export const COPY_LIMITS = { files: 5000, bytes: 64 * 1024 * 1024 };

/** The workspace to copy cannot be read or is too large: the user's to fix. */
export class WorkspaceCopyError extends AppError {
  readonly category = 'input';
}

export async function copyWorkspace(from: string, to: string, limits = COPY_LIMITS): Promise<void> {
  let files = 0;
  let bytes = 0;
  const walk = async (rel: string): Promise<void> => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fsp.readdir(path.join(from, rel), { withFileTypes: true });
    } catch (err) {
      throw new WorkspaceCopyError(`cannot read the workspace ${path.join(from, rel)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    await fsp.mkdir(path.join(to, rel), { recursive: true });
    for (const e of entries) {
      const r = path.join(rel, e.name);
      if (e.isDirectory()) {
        if (!SKIP.has(e.name)) await walk(r);
      } else if (e.isFile()) {
        const st = await fsp.stat(path.join(from, r));
        files++;
        bytes += st.size;
        if (files > limits.files || bytes > limits.bytes)
          throw new WorkspaceCopyError(`the workspace ${from} is too large to copy per evaluation (over ${limits.files} files or ${limits.bytes} bytes)`);
        await fsp.copyFile(path.join(from, r), path.join(to, r));
      }
      // Symlinks and special files are not copied: a copy must not point outside itself.
    }
  };
  await walk('');
}
