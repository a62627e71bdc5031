/**
 * The browser side of @diffeo/io's platform split (chosen by the `browser` condition):
 * there is no file system, so the functions that take file paths explain what to pass
 * instead; everything that works on bytes (`parseNifti`, `serializeNifti`,
 * `parseMapping`, `serializeMapping`, `parseNpy`, ...) is the same as in Node.
 */
import { InvalidArgumentError } from '@diffeo/core';

/** Which side this module is. */
export const PLATFORM = 'browser' as const;

function noFileSystem(): never {
  throw new InvalidArgumentError('file paths need Node\'s file system, and this is the browser build of @diffeo/io: '
    + 'pass the file\'s bytes instead (for example `new Uint8Array(await file.arrayBuffer())` to loadNifti/loadMapping, '
    + 'or serializeNifti/serializeMapping and a Blob download instead of saveNifti/saveMapping).');
}

/** Not available in browsers: throws {@link InvalidArgumentError} saying what to do instead. */
export async function nodeFs(): Promise<typeof import('node:fs/promises')> {
  return noFileSystem();
}

/** Not available in browsers: throws {@link InvalidArgumentError} saying what to do instead. */
export async function nodePath(): Promise<typeof import('node:path')> {
  return noFileSystem();
}
