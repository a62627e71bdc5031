/**
 * Atomic, non-clobbering file writes (Node.js only: Node's file system comes through
 * `#platform`, whose browser build has none, so the byte-level functions of
 * @diffeo/io stay usable in browsers).
 */
import { FileExistsError } from '@diffeo/core';
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
 * folder, which is then renamed onto `path` (with `overwrite`) or hard-linked to it
 * (without: `link` fails instead of replacing, an atomic "create if absent"; on file
 * systems without hard links, check then rename). Readers never see a partial file,
 * and an existing file is never replaced unless asked.
 * @throws FileExistsError when `path` exists and `overwrite` is not set.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array, options: WriteFileAtomicOptions = {}): Promise<void> {
  const fs = await nodeFs();
  const pathMod = await nodePath();
  const overwrite = options.overwrite === true;
  const existsMsg = `${path} already exists; pass { overwrite: true } to replace it, or choose another name.`;
  if (!overwrite && (await exists(fs, path))) throw new FileExistsError(existsMsg);
  const tmp = pathMod.join(pathMod.dirname(path), `.${pathMod.basename(path)}.${process.pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`);
  await fs.writeFile(tmp, bytes, { flag: 'wx' });
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
  } finally {
    await fs.rm(tmp, { force: true });
  }
}
