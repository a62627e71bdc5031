/**
 * The browser side of the platform split (`#platform` in package.json's `imports`,
 * chosen by the `browser` condition): the same functions as `platform.node.ts`,
 * without Node's built-ins. The backend calls them only where `isNode()` holds, so
 * in a browser they only explain what to do instead.
 */
import type { Worker as NodeWorker } from 'node:worker_threads';

/** Which side this module is. */
export const PLATFORM = 'browser' as const;

function nodeOnly(what: string): Error {
  return new Error(`@diffeo/wasm-kernels: ${what} needs Node; this is the browser build of the package. `
    + 'In a browser, give wasmBackend() an http(s) { wasmUrl } or the { wasmBytes }.');
}

/** Not available in browsers: `file:` URLs cannot be read. */
export async function readFileUrl(url: URL): Promise<Uint8Array> {
  throw nodeOnly(`reading ${url.href}`);
}

/** Not available in browsers. */
export async function nodeHardwareThreads(): Promise<number> {
  throw nodeOnly('os.availableParallelism()');
}

/** Not available in browsers. */
export async function nodeWorkerClass(): Promise<typeof NodeWorker> {
  throw nodeOnly('worker_threads');
}

/** Not available in browsers. */
export async function nodeWorkerChannel(): Promise<{ workerData: unknown; post(message: unknown): void }> {
  throw nodeOnly('worker_threads');
}
