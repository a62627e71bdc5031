/**
 * Atomic, non-clobbering file writes (Node.js only: Node's file system comes through
 * `#platform`, whose browser build has none, so the byte-level functions of
 * @diffeo/io stay usable in browsers).
 */
import { FileExistsError, fileAccessError } from '@diffeo/core';
import { nodeFs, nodePath } from '#platform';

/** Options of {@link writeFileAtomic}. */
export interface WriteFileAtomicOptions {
  /** Replace an existing file (default false: throw {@link FileExistsError}). */
  overwrite?: boolean;
}

async function exists(fs: typeof import('node:fs/promises'), p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/**
 * Writes `bytes` to `path` atomically: the bytes go to a temporary file in the same
 * folder, which {@link commitTempFile} then moves onto `path`. Readers never see a
 * partial file, and an existing file is never replaced unless asked.
 * @throws FileExistsError when `path` exists and `overwrite` is not set; FileAccessError
 *   (naming `path`, never the temporary file) when the folder is missing, read-only or full.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array, options: WriteFileAtomicOptions = {}): Promise<void> {
  const fs = await nodeFs();
  const pathMod = await nodePath();
  const overwrite = options.overwrite === true;
  const existsMsg = `${path} already exists; pass { overwrite: true } to replace it, or choose another name.`;
  try {
    if (!overwrite && (await exists(fs, path))) throw new FileExistsError(existsMsg);
  } catch (e) {
    throw fileAccessError(e, path, 'write');
  }
  const tmp = pathMod.join(pathMod.dirname(path), `.${pathMod.basename(path)}.${process.pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`);
  try {
    await fs.writeFile(tmp, bytes, { flag: 'wx' });
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw fileAccessError(e, path, 'write');
  }
  await commitTempFile(tmp, path, overwrite);
}

/**
 * Moves a finished temporary file `tmp` (in the same folder) onto `path`: renamed over it
 * with `overwrite`, otherwise hard-linked (an atomic "create if absent"; check then rename
 * on file systems without hard links). The temporary file is removed in every case.
 * @throws FileExistsError when `path` exists and `overwrite` is not set; FileAccessError
 *   (naming `path`) when it cannot be written.
 */
export async function commitTempFile(tmp: string, path: string, overwrite: boolean): Promise<void> {
  const fs = await nodeFs();
  const existsMsg = `${path} already exists; pass { overwrite: true } to replace it, or choose another name.`;
  try {
    if (overwrite) {
      await fs.rename(tmp, path);
    } else {
      try {
        await fs.link(tmp, path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST' || (await exists(fs, path))) throw new FileExistsError(existsMsg);
        await fs.rename(tmp, path);
      }
    }
  } catch (e) {
    throw fileAccessError(e, path, 'write');
  } finally {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
  }
}
