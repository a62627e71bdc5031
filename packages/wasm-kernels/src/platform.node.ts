/**
 * The Node side of the platform split (`#platform` in package.json's `imports`):
 * what the backend needs of Node's built-ins — reading a `file:` URL, the number of
 * hardware threads, `worker_threads`. Browser bundles resolve `#platform` to
 * `platform.browser.ts` instead (the `browser` condition), so they carry no Node code.
 */
import type { Worker as NodeWorker } from 'node:worker_threads';

/** Which side this module is. */
export const PLATFORM = 'node' as const;

/** The bytes of a `file:` URL. */
export async function readFileUrl(url: URL): Promise<Uint8Array> {
  const fs = await import('node:fs/promises');
  const { fileURLToPath } = await import('node:url');
  return fs.readFile(fileURLToPath(url));
}

/** The number of hardware threads Node reports (`os.availableParallelism()`). */
export async function nodeHardwareThreads(): Promise<number> {
  const os = await import('node:os');
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/** `worker_threads.Worker`. */
export async function nodeWorkerClass(): Promise<typeof NodeWorker> {
  return (await import('node:worker_threads')).Worker;
}

/** In a worker thread: its start data and the port to its parent. */
export async function nodeWorkerChannel(): Promise<{ workerData: unknown; post(message: unknown): void }> {
  const { parentPort, workerData } = await import('node:worker_threads');
  return { workerData, post: (m) => parentPort?.postMessage(m) };
}
