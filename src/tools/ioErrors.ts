/**
 * Node I/O errors turned into observations a model can act on: what went
 * wrong, with the path as the model wrote it, and what to try instead.
 */
import { errorMessage } from '../../contracts/errors.js';
import { SandboxError } from './sandbox.js';

/** A message (without the tool-name prefix) for anything a file tool caught. */
export function describeIoError(err: unknown, shownPath: string): string {
  if (err instanceof SandboxError) return err.message;
  const q = JSON.stringify(shownPath);
  switch ((err as { code?: unknown } | null)?.code) {
    case 'ENOENT':
      return `no such file or directory ${q}; use list_dir to see what exists`;
    case 'ENOTDIR':
      return `a part of ${q} is a file, not a directory; use list_dir to see what exists`;
    case 'EISDIR':
      return `${q} is a directory, not a file; use list_dir to see its contents`;
    case 'EEXIST':
      return `${q} already exists`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied for ${q}`;
    case 'ENAMETOOLONG':
      return `the path ${q} is too long`;
    case 'ELOOP':
      return `${q} goes through a symlink loop`;
    case 'ENOSPC':
    case 'EDQUOT':
      return `no space left to write ${q}`;
    case 'EROFS':
      return `${q} is on a read-only file system`;
    case 'EMFILE':
    case 'ENFILE':
      return 'too many open files; try again';
    default:
      return `${q}: ${errorMessage(err)}`;
  }
}
