/**
 * The Node side of @diffeo/io's platform split (`#platform` in package.json's `imports`;
 * see tools/build/platform-plugin.ts): Node's file system and path modules, for the
 * functions that take file paths (`loadNifti(path)`, `saveNifti`, `loadMapping(path)`,
 * `saveMapping`, `writeFileAtomic`). Browser bundles get `platform.browser.ts` instead.
 */

/** Which side this module is. */
export const PLATFORM = 'node' as const;

/** `node:fs/promises`. */
export async function nodeFs(): Promise<typeof import('node:fs/promises')> {
  return import('node:fs/promises');
}

/** `node:path`. */
export async function nodePath(): Promise<typeof import('node:path')> {
  return import('node:path');
}
