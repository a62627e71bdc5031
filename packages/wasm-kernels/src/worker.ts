/**
 * Worker thread of a threaded WebAssembly backend (`worker_threads` in Node, a
 * module `Worker` in browsers). It instantiates the shared-memory build of the
 * kernels on the backend's shared memory, reports that it is ready, then serves
 * calls forever: it sleeps in `Atomics.wait` on the control block's sequence
 * number, takes chunks of the requested function's range until none is left,
 * and counts itself done (see `protocol.ts`). It never returns to its event loop while serving, so the
 * backend ends it with the quit flag and `terminate()`.
 *
 * The script is self-contained (no imports at run time besides
 * `node:worker_threads` in Node), so it can be loaded from
 * `new URL('../dist/worker.js', import.meta.url)` as is.
 */
import {
  chunkStart, CTL_USED, F_ARGS, I_CHUNKS, I_DONE, I_ERR, I_FLAGS, I_FN, I_ITEMS, I_NARGS, I_NEXT, I_QUIT, I_SEQ,
  THREADED_FUNCTIONS, workerSlot, type WorkerInit, type WorkerReady,
} from './protocol.js';

type Fn = (...args: number[]) => unknown;

/** Instantiates the kernels and serves calls until the quit flag is set. */
function serve(init: WorkerInit, post: (m: WorkerReady) => void): void {
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
  for (;;) {
    Atomics.wait(i32, I_SEQ, seen);
    const seq = Atomics.load(i32, I_SEQ);
    if (seq === seen) continue;
    seen = seq;
    if (Atomics.load(i32, I_QUIT) !== 0) break;
    const n = i32[I_NARGS], items = i32[I_ITEMS], k = i32[I_CHUNKS];
    const fn = fns[i32[I_FN]];
    const a = argv[n] ?? (argv[n] = new Array<number>(n + 3).fill(0));
    for (let j = 0; j < n; j++) a[j] = f64[F_ARGS + j];
    a[n + 2] = f64[me];
    for (;;) {
      const c = Atomics.add(i32, I_NEXT, 1);
      if (c >= k) break;
      a[n] = chunkStart(c, items, k);
      a[n + 1] = chunkStart(c + 1, items, k);
      try {
        fn(...a);
      } catch {
        Atomics.store(i32, I_ERR, 1);
      }
      Atomics.store(i32, I_FLAGS + c, 1);
    }
    Atomics.add(i32, I_DONE, 1);
    Atomics.notify(i32, I_DONE);
  }
}

interface BrowserScope {
  onmessage: ((e: { data: WorkerInit }) => void) | null;
  postMessage(m: WorkerReady): void;
}

const nodeProcess = (globalThis as { process?: { versions?: { node?: string } } }).process;
if (typeof nodeProcess?.versions?.node === 'string') {
  const { parentPort, workerData } = await import('node:worker_threads');
  serve(workerData as WorkerInit, (m) => parentPort?.postMessage(m));
} else {
  const scope = globalThis as unknown as BrowserScope;
  scope.onmessage = (e) => {
    scope.onmessage = null;
    serve(e.data, (m) => scope.postMessage(m));
  };
}
