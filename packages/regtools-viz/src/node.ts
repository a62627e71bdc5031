/**
 * Node-only helpers of `@diffeo/regtools-viz` (entry `@diffeo/regtools-viz/node`):
 * writing figures to PNG files. The main entry stays free of Node APIs so it can be
 * bundled for browsers.
 *
 * Writes are atomic: the bytes go to a temporary file in the target's directory,
 * which is then moved into place, so a reader never sees a half-written PNG.
 */
import { randomBytes } from 'node:crypto';
import { link, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FileExistsError, checkOptionKeys } from '@diffeo/core';
import { encodePng } from './png.js';
import type { RgbaImage } from './raster.js';

/** Options of {@link writePng}. */
export interface WritePngOptions {
  /** Replace an existing file at `path`. Default `false`: an existing file is an error. */
  readonly overwrite?: boolean;
}

function errnoCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

/**
 * Encodes `img` as PNG (see `encodePng`) and writes it to `path` atomically
 * (temporary file in the same directory, flushed, then moved into place).
 *
 * Without `overwrite`, the file is published with a hard link, which fails if
 * `path` already exists, so an existing file is never replaced even by a
 * concurrent writer; on file systems without hard links an existence check
 * followed by a rename is used instead.
 * @throws {FileExistsError} when `path` exists and `overwrite` is not set.
 */
export async function writePng(path: string, img: RgbaImage, options: WritePngOptions = {}): Promise<void> {
  checkOptionKeys(options, ['overwrite'], 'writePng options');
  const bytes = encodePng(img);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx');
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fh.close();

  try {
    if (options.overwrite === true) {
      await rename(tmp, path);
      return;
    }
    try {
      await link(tmp, path);
    } catch (e) {
      const code = errnoCode(e);
      if (code === 'EEXIST') throw new FileExistsError(`${path} already exists; pass { overwrite: true } to replace it, or choose another name.`);
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS' && code !== 'EXDEV') throw e;
      // No hard links here: fall back to check-then-rename (not race-free).
      const probe = await open(path, 'r').then(
        async (h) => {
          await h.close();
          return true;
        },
        (err: unknown) => {
          if (errnoCode(err) === 'ENOENT') return false;
          throw err;
        },
      );
      if (probe) throw new FileExistsError(`${path} already exists; pass { overwrite: true } to replace it, or choose another name.`);
      await rename(tmp, path);
      return;
    }
    await unlink(tmp);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}
