/** Real temp directories for the tool tests (no mocks of the file system). */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TempSpace {
  /** Real path of the workspace root. */
  root: string;
  /** A sibling directory outside the workspace, for escape attempts. */
  outside: string;
  ctx: { workspace: string };
  write(rel: string, content: string | Uint8Array): Promise<string>;
  read(rel: string): Promise<string>;
  exists(rel: string): Promise<boolean>;
  cleanup(): Promise<void>;
}

export async function tempSpace(): Promise<TempSpace> {
  const base = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'gepa-tools-')));
  const root = path.join(base, 'ws');
  const outside = path.join(base, 'outside');
  await fs.mkdir(root);
  await fs.mkdir(outside);
  return {
    root,
    outside,
    ctx: { workspace: root },
    async write(rel, content) {
      const abs = path.join(root, rel);
      await fs.mkdir(path.dirname(abs), { recursive: true });
      await fs.writeFile(abs, content);
      return abs;
    },
    read: (rel) => fs.readFile(path.join(root, rel), 'utf8'),
    exists: (rel) =>
      fs.lstat(path.join(root, rel)).then(
        () => true,
        () => false,
      ),
    cleanup: () => fs.rm(base, { recursive: true, force: true }),
  };
}
