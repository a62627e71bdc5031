/**
 * Worker thread of a threaded WebAssembly backend (`worker_threads` in Node, a
 * module `Worker` in browsers). It instantiates the shared-memory build of the
 * kernels on the backend's shared memory, reports that it is ready, then serves
 * calls forever: it waits for the control block's sequence number to change
 * (polling for a short while, then sleeping in `Atomics.wait`) and takes chunks of
 * the requested function's range until none is left (see `protocol.ts`). It never returns to its event loop while serving, so the
 * backend ends it with the quit flag and `terminate()`.
 *
 * The script is built self-contained twice: `dist/worker.js` for Node (its only
 * run-time import is `node:worker_threads`) and `dist/worker.browser.js` for
 * browsers (no imports at all), so either can be loaded from its URL as is.
 */
import {
  callTag, CHUNK_ABANDONED, CHUNK_DONE, chunkStart, claimChunk, CTL_USED, ERR_STOPPED, ERR_THREW, F_ARGS, I_CHUNKS, I_ERR,
  I_FLAGS, I_FN, I_ITEMS, I_NARGS, I_QUIT, I_SEQ, I_STOPPED, THREADED_FUNCTIONS, waitWhileEqual, workerSlot,
  type WorkerInit, type WorkerReady,
} from './protocol.js';
import { nodeWorkerChannel } from '#platform';

type Fn = (...args: number[]) => unknown;

/**
 * Instantiates the kernels and serves calls until the quit flag is set. `onStop`
 * (Node) registers what the worker does when it stops on its own (see `protocol.ts`).
 */
function serve(init: WorkerInit, post: (m: WorkerReady) => void, onStop?: (stopped: () => void) => void): void {
  let fns: Fn[];
  try {
    const instance = new WebAssembly.Instance(init.module, { env: { memory: init.memory } });
    const exports = instance.exports as unknown as Record<string, Fn>;
    fns = THREADED_FUNCTIONS.map((name) => {
      const f = exports[name];
      if (typeof f !== 'function') throw new Error(`kernels-threads.wasm has no export "${name}"`);
      return f;
    });
  } catch (e) {
    post({ ready: false, error: e instanceof Error ? e.message : String(e) });
    return;
  }
  const buffer = init.memory.buffer;
  const i32 = new Int32Array(buffer, init.ctl, CTL_USED / 4);
  const f64 = new Float64Array(buffer, init.ctl, I_FLAGS / 2);
  const me = workerSlot(init.index);
  const argv: number[][] = [];
  let seen = Atomics.load(i32, I_SEQ);
  post({ ready: true });
  let fn = fns[0], a: number[] = [], n = 0, items = 0, k = 0;
  /** The chunk this worker holds (−1: none) and the tag of its call. */
  let held = -1, heldTag = 0;
  onStop?.(() => {
    // Stopping outside a call: nothing waits for this worker.
    if (Atomics.load(i32, I_QUIT) !== 0) return;
    Atomics.add(i32, I_STOPPED, 1);
    if (held < 0) return;
    // Stopping in the middle of a chunk: the call fails. Abandon that chunk and every
    // chunk nobody has taken, so that the calling thread waits for none of them.
    Atomics.store(i32, I_ERR, ERR_STOPPED);
    for (let c = held; c >= 0; c = claimChunk(i32, heldTag)) {
      Atomics.store(i32, I_FLAGS + c, CHUNK_ABANDONED);
      Atomics.notify(i32, I_FLAGS + c);
    }
  });
  /** Reads the parameters of the call posted as `seen`. */
  const read = (): void => {
    n = i32[I_NARGS];
    items = i32[I_ITEMS];
    k = i32[I_CHUNKS];
    fn = fns[i32[I_FN]];
    a = argv[n] ?? (argv[n] = new Array<number>(n + 3).fill(0));
    for (let j = 0; j < n; j++) a[j] = f64[F_ARGS + j];
    a[n + 2] = f64[me];
  };
  for (;;) {
    waitWhileEqual(i32, I_SEQ, seen, init.spinMs);
    seen = Atomics.load(i32, I_SEQ);
    if (Atomics.load(i32, I_QUIT) !== 0) break;
    // Parameters read now are trusted only once a chunk is held (see protocol.ts).
    read();
    const tag = callTag(seen);
    for (;;) {
      const c = claimChunk(i32, tag);
      if (c < 0) break;
      // The claim pins its call; if SEQ moved on since the parameters were read, the chunk
      // belongs to the call now posted: read its parameters.
      const now = Atomics.load(i32, I_SEQ);
      if (now !== seen) {
        seen = now;
        if (Atomics.load(i32, I_QUIT) !== 0) return;
        read();
      }
      a[n] = chunkStart(c, items, k);
      a[n + 1] = chunkStart(c + 1, items, k);
      held = c;
      heldTag = tag;
      try {
        fn(...a);
      } catch {
        Atomics.store(i32, I_ERR, ERR_THREW);
      }
      held = -1;
      Atomics.store(i32, I_FLAGS + c, CHUNK_DONE);
      Atomics.notify(i32, I_FLAGS + c);
    }
  }
}

interface BrowserScope {
  onmessage: ((e: { data: WorkerInit }) => void) | null;
  postMessage(m: WorkerReady): void;
}

const nodeProcess = (globalThis as { process?: { versions?: { node?: string } } }).process;
if (typeof nodeProcess?.versions?.node === 'string') {
  const channel = await nodeWorkerChannel();
  // Node runs `process` 'exit' listeners in the worker when it stops on its own.
  const proc = nodeProcess as unknown as { once(event: 'exit', listener: () => void): void };
  serve(channel.workerData as WorkerInit, (m) => channel.post(m), (stopped) => proc.once('exit', stopped));
} else {
  const scope = globalThis as unknown as BrowserScope;
  scope.onmessage = (e) => {
    scope.onmessage = null;
    serve(e.data, (m) => scope.postMessage(m));
  };
}
