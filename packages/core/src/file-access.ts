/**
 * Turning Node.js file-system errors (`ENOENT`, `EACCES`, `EROFS`, ...) into
 * {@link FileAccessError}s that name the user's file and say what to do.
 */
import { DiffeoError, FileAccessError } from './errors.js';

const SYSTEM_ERROR_TEXT: Record<string, string> = {
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'it is a folder, not a file',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EMFILE: 'too many open files',
};

/**
 * Wraps a Node.js file-system error into a {@link FileAccessError} naming `path` and what to do;
 * returns any other error (already a {@link DiffeoError}, or not a system error) unchanged.
 *
 * @param e - the caught error.
 * @param path - the file the operation was about (the user's path, not a temporary file).
 * @param action - what was attempted, for example `"read"` or `"write"`.
 */
export function fileAccessError(e: unknown, path: string, action: string): unknown {
  if (e instanceof DiffeoError) return e;
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !/^E[A-Z]+$/.test(code)) return e;
  const text = SYSTEM_ERROR_TEXT[code] ?? (e as Error).message;
  const hint =
    code === 'ENOENT' && action !== 'read' ? ' Create the folder first, or choose another output path.'
    : code === 'ENOENT' ? ' Check the path.'
    : code === 'EROFS' || code === 'EACCES' || code === 'EPERM' ? ' Choose a folder you can write to.'
    : code === 'ENOSPC' || code === 'EDQUOT' ? ' Free some space or write elsewhere.'
    : '';
  return new FileAccessError(`cannot ${action} "${path}": ${text} (${code}).${hint}`, path, { cause: e });
}
