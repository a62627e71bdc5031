/**
 * Exactly-once outputs. A job writes each output to a staging file beside it (same folder,
 * so the final rename is atomic on a POSIX file system): `.NAME.diffeo-partial.EXT`, with
 * EXT the final name's extension (`.nii.gz` counts as one), so writers that pick a format
 * from the name still do. Staging names are fixed per output, so the next attempt of a job
 * whose worker was killed finds and removes what the dead one left (the staging file and
 * the `.STAGING.*.tmp` files of atomic writers). Only when every output is staged are they
 * moved onto their final names, which readers therefore see complete or not at all.
 */
import { link, lstat, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FileExistsError } from '@diffeo/core';

function extension(name: string): string {
  const lower = name.toLowerCase();
  for (const double of ['.nii.gz', '.tar.gz']) if (lower.endsWith(double)) return name.slice(name.length - double.length);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot) : '';
}

/** The staging file of the output `path` (absolute in, absolute out). */
export function stagingPath(path: string): string {
  const name = basename(path);
  const ext = extension(name);
  return join(dirname(path), `.${name.slice(0, name.length - ext.length)}.diffeo-partial${ext}`);
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/** Removes the staging file of `path` and any temporary file an atomic writer left beside it. */
export async function removeStaging(path: string): Promise<void> {
  const staged = stagingPath(path);
  await rm(staged, { force: true });
  const prefix = `.${basename(staged)}.`;
  let names: string[];
  try {
    names = await readdir(dirname(path));
  } catch {
    return;
  }
  await Promise.all(names.filter((n) => n.startsWith(prefix) && n.endsWith('.tmp')).map((n) => rm(join(dirname(path), n), { force: true })));
}

/**
 * Checks that none of `paths` exists.
 * @throws FileExistsError naming the first that does, and how to proceed.
 */
export async function checkAbsent(paths: readonly string[]): Promise<void> {
  for (const p of paths) {
    if (await exists(p)) throw new FileExistsError(`${p} already exists; remove it, choose another output name, or set "force": true for this job`);
  }
}

/**
 * Moves each staged output onto its final name. Without `overwrite` an existing final
 * file is never replaced (hard link, which fails if the name is taken; then the staging
 * file is removed).
 * @throws FileExistsError when a final file exists and `overwrite` is not set.
 */
export async function commitStaged(paths: readonly string[], overwrite: boolean): Promise<void> {
  for (const p of paths) {
    const staged = stagingPath(p);
    if (overwrite) {
      await rename(staged, p);
      continue;
    }
    try {
      await link(staged, p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
        await rm(staged, { force: true });
        throw new FileExistsError(`${p} already exists; remove it, choose another output name, or set "force": true for this job`);
      }
      // File systems without hard links: check, then rename.
      if (await exists(p)) throw new FileExistsError(`${p} already exists; remove it, choose another output name, or set "force": true for this job`);
      await rename(staged, p);
      continue;
    }
    await rm(staged, { force: true });
  }
}
