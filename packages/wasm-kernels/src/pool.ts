/**
 * The worker threads of a threaded backend, seen from the calling thread: starts
 * `T − 1` workers on the shared memory (`worker_threads` in Node, module `Worker`s
 * in browsers), posts one call's chunks to them and waits for them (see
 * `protocol.ts` for the handshake). Everything here is synchronous after
 * creation, as the `Kernels` contract requires: the calling thread polls and then
 * blocks in `Atomics.wait`, which Node allows on every thread and browsers only in
 * workers. Polling is enabled only when every thread has a core of its own
 * (`threads ≤ availableParallelism()` / `hardwareConcurrency`).
 */
import type { ErrorClasses } from './errors.js';
import {
  CALLER_SPIN_MS, callTag, claimChunk, claimWord, CTL_USED, ERR_STOPPED, F_ARGS, I_CHUNKS, I_CLAIM, I_ERR, I_FLAGS, I_FN,
  I_ITEMS, I_NARGS, I_QUIT, I_SEQ, MAX_ARGS, MAX_CHUNKS, MAX_THREADS, THREADED_FUNCTIONS, waitWhileEqual, WORKER_SPIN_MS,
  workerSlot, type ThreadedFunction, type WorkerInit, type WorkerReady,
} from './protocol.js';
import { nodeHardwareThreads, nodeWorkerClass } from '#platform';

/** What the pool needs of a worker, in Node or in a browser. */
interface WorkerHandle {
  terminate(): unknown;
  /** Calls `listener` once when the worker thread has stopped (Node's `exit` event; absent in browsers). */
  onExit?(listener: () => void): void;
}

/** Whether this is Node (or a Node-compatible runtime). */
export function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

/**
 * Whether this thread may block in `Atomics.wait`: always in Node; in browsers
 * only in a worker (not on the main thread, not in a worklet).
 */
export function canBlock(): boolean {
  if (isNode()) return true;
  const g = globalThis as { WorkerGlobalScope?: unknown; document?: unknown };
  return typeof g.WorkerGlobalScope !== 'undefined' && typeof g.document === 'undefined';
}

/** Whether shared WebAssembly memories can be created here (Node, or a cross-origin-isolated page or worker). */
export function sharedMemoryAvailable(): boolean {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  if (isNode()) return true;
  return (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
}

/** The number of hardware threads: `availableParallelism()` in Node, `hardwareConcurrency` in browsers. */
export async function hardwareThreads(): Promise<number> {
  let n = 1;
  if (isNode()) {
    n = await nodeHardwareThreads();
  } else {
    const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
    n = nav?.hardwareConcurrency ?? 1;
  }
  return Math.max(1, n);
}

/** The default number of threads: `min(availableParallelism(), 4)` in Node, `min(hardwareConcurrency, 4)` in browsers. */
export async function defaultThreadCount(): Promise<number> {
  return Math.min(await hardwareThreads(), 4);
}

/** The default location of the worker script. */
export function defaultWorkerUrl(): URL {
  return isNode()
    ? new URL('../dist/worker.js', import.meta.url)
    : new URL('../dist/worker.browser.js', import.meta.url);
}

/**
 * The V8 heap limits of a Node worker thread. A worker's JavaScript only instantiates
 * the kernels and then loops over calls (the data live in the shared WebAssembly
 * memory, outside the JS heap), so it needs little beyond what Node's bootstrap
 * allocates (some 4.5 MB of old space): a small young generation (1 MB instead of
 * up to 16 MB semispaces that grow while the worker runs), a 12 MB old generation
 * (3 × what it uses; the worker's heap does not grow after its start) and a 1 MB
 * stack (the kernels do not recurse). Measured with the bench's `VmHWM`: some 3–4 MiB
 * less peak RSS per worker over whole registrations (circle_to_c 76 → 73 MiB,
 * aniso3d 99 → 95 MiB on 2 threads) at the same speed; a worker still costs some
 * 9–10 MiB (Node's per-thread bootstrap).
 */
const NODE_WORKER_LIMITS = { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 12, stackSizeMb: 1 } as const;

/** Starts one worker and resolves once it has instantiated the kernels. */
async function startWorker(url: URL, init: WorkerInit): Promise<WorkerHandle> {
  if (isNode()) {
    const Worker = await nodeWorkerClass();
    // No inherited Node options: the script is plain JavaScript, and flags such as
    // `--input-type` or a TypeScript loader would only slow it down or break it.
    const w = new Worker(url, { workerData: init, execArgv: [], resourceLimits: NODE_WORKER_LIMITS });
    w.unref();
    return new Promise<WorkerHandle>((resolve, reject) => {
      const fail = (e: unknown): void => {
        void w.terminate();
        reject(e instanceof Error ? e : new Error(String(e)));
      };
      w.once('error', fail);
      w.once('message', (m: WorkerReady) => {
        w.off('error', fail);
        // A worker that dies later must not take the process down with an unhandled 'error' event.
        w.on('error', () => {});
        if (m.ready) resolve({ terminate: () => w.terminate(), onExit: (listener) => { w.once('exit', listener); } });
        else fail(new Error(m.error));
      });
    });
  }
  // The literal `new Worker(new URL(...))` lets bundlers find and bundle the worker script.
  const w = url.href === defaultWorkerUrl().href
    ? new Worker(new URL('../dist/worker.browser.js', import.meta.url), { type: 'module' })
    : new Worker(url, { type: 'module' });
  return new Promise<WorkerHandle>((resolve, reject) => {
    w.onerror = (e) => {
      w.terminate();
      reject(new Error(e.message || 'the worker script failed to load'));
    };
    w.onmessage = (e: MessageEvent<WorkerReady>) => {
      w.onmessage = null;
      w.onerror = null;
      if (e.data.ready) resolve(w);
      else { w.terminate(); reject(new Error(e.data.error)); }
    };
    w.postMessage(init);
  });
}

/**
 * Work units (≈ 15 ns of one thread, see `MIN_PARALLEL_WORK`) per chunk of a large
 * call: about 60 µs, small enough that the threads finish within a short time of each
 * other, large enough that taking a chunk (an atomic add and a call) costs ~1 %.
 */
export const CHUNK_WORK = 4000;

/** How one call is split: `n` items in `chunks` chunks (see `protocol.ts`). */
export interface Split {
  readonly n: number;
  readonly chunks: number;
}

/** `T − 1` started workers plus the calling thread (see the module documentation). */
export class ThreadPool {
  /** Threads, the calling thread included. */
  readonly size: number;
  private readonly workers: WorkerHandle[];
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  private busy = false;
  private current: ThreadedFunction | null = null;
  /** The claim tag of the current call. */
  private tag = 0;
  /** How long (ms) the calling thread polls for a worker's chunk before it sleeps. */
  private readonly callerSpinMs: number;
  /** Set by {@link dispose}, or once a worker stopped on its own: the pool is not used any more. */
  private ended = false;
  /** Called once when a worker stops on its own (see {@link ThreadPool.create}). */
  private readonly onLost: () => void;
  /** The class of the errors {@link end} throws (`@diffeo/core`'s `WorkerThreadError`). */
  private readonly WorkerThreadError: ErrorClasses['WorkerThreadError'];

  private constructor(memory: WebAssembly.Memory, ctl: number, workers: WorkerHandle[], callerSpinMs: number, onLost: () => void,
    errorClass: ErrorClasses['WorkerThreadError']) {
    this.workers = workers;
    this.WorkerThreadError = errorClass;
    this.size = workers.length + 1;
    this.callerSpinMs = callerSpinMs;
    this.onLost = onLost;
    this.i32 = new Int32Array(memory.buffer, ctl, CTL_USED / 4);
    this.f64 = new Float64Array(memory.buffer, ctl, I_FLAGS / 2);
    for (const w of workers) w.onExit?.(() => this.lost());
  }

  /** A worker stopped on its own (not through {@link dispose}): the pool ends, once. */
  private lost(): void {
    if (this.ended) return;
    this.ended = true;
    this.onLost();
  }

  /** Whether the pool ended (disposed, or a worker stopped): the backend must not use it any more. */
  get isEnded(): boolean {
    return this.ended;
  }

  /**
   * Starts `threads − 1` workers on `memory` (a shared memory) with the compiled
   * shared-memory kernels; rejects (after ending the ones that started) when one fails.
   * `onLost` is called once if a worker later stops on its own (its `exit` event, or a
   * call that found it stopped in the middle of a chunk): the backend then stops using
   * the pool (and should {@link dispose} it). `errorClass`: what {@link end} throws.
   */
  static async create(module: WebAssembly.Module, memory: WebAssembly.Memory, ctl: number, threads: number,
    workerUrl: URL, onLost: () => void, errorClass: ErrorClasses['WorkerThreadError']): Promise<ThreadPool> {
    const n = Math.min(threads, MAX_THREADS) - 1;
    // Polling only pays when every thread has a core of its own.
    const spin = n + 1 <= await hardwareThreads();
    const spinMs = spin ? WORKER_SPIN_MS : 0;
    const settled = await Promise.allSettled(
      Array.from({ length: n }, (_, k) => startWorker(workerUrl, { module, memory, ctl, index: k + 1, spinMs })));
    const workers = settled.filter((s): s is PromiseFulfilledResult<WorkerHandle> => s.status === 'fulfilled').map((s) => s.value);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      for (const w of workers) void w.terminate();
      throw new Error(`@diffeo/wasm-kernels: could not start the worker threads (${(failed.reason as Error)?.message ?? failed.reason}).`);
    }
    return new ThreadPool(memory, ctl, workers, spin ? CALLER_SPIN_MS : 0, onLost, errorClass);
  }

  /**
   * How to split `n` items with about `work` units of work, or null when one thread
   * is enough (fewer than 2 items, or less work than `minWork`): at least 4 chunks
   * per thread (so that a thread slowed down by other load takes fewer), more for a
   * large call — chunks of about {@link CHUNK_WORK} units, so that the threads finish
   * within a small chunk of each other — but never more than `n` or {@link MAX_CHUNKS}.
   */
  split(n: number, work: number, minWork: number): Split | null {
    if (n < 2 || work < minWork || this.busy) return null;
    return { n, chunks: Math.min(n, MAX_CHUNKS, Math.max(4 * this.size, Math.ceil(work / CHUNK_WORK))) };
  }

  /**
   * Posts a call: each worker takes chunks and calls `fn(...args, lo, hi, aux + w·auxStride)`
   * on each. Chunk 0 is reserved for the calling thread, which then takes more chunks with
   * {@link claim}, looks at the workers' chunks with {@link finished} / {@link waitFinished}
   * (it must wait for every chunk it did not compute) and ends the call with {@link end}.
   */
  start(fn: ThreadedFunction, args: readonly number[], split: Split, aux = 0, auxStride = 0): void {
    if (args.length > MAX_ARGS) throw new Error(`@diffeo/wasm-kernels: too many arguments for ${fn}`);
    const { i32, f64 } = this;
    i32[I_FN] = THREADED_FUNCTIONS.indexOf(fn);
    i32[I_NARGS] = args.length;
    i32[I_ITEMS] = split.n;
    i32[I_CHUNKS] = split.chunks;
    for (let k = 0; k < args.length; k++) f64[F_ARGS + k] = args[k];
    for (let w = 1; w < this.size; w++) f64[workerSlot(w)] = aux + w * auxStride;
    i32.fill(0, I_FLAGS, I_FLAGS + split.chunks);
    const seq = (Atomics.load(i32, I_SEQ) + 1) | 0;
    this.tag = callTag(seq);
    Atomics.store(i32, I_CLAIM, claimWord(this.tag, split.chunks, 1));
    this.busy = true;
    this.current = fn;
    Atomics.store(i32, I_SEQ, seq);
    Atomics.notify(i32, I_SEQ);
  }

  /** Takes the next chunk for the calling thread, or returns −1 when none is left. */
  claim(): number {
    return claimChunk(this.i32, this.tag);
  }

  /** Whether a worker has finished chunk `c` (its results are then visible). */
  finished(c: number): boolean {
    return Atomics.load(this.i32, I_FLAGS + c) !== 0;
  }

  /**
   * Waits until a worker has finished chunk `c` (the chunk must be a worker's: taken,
   * or left for the workers by a calling thread that stopped claiming).
   */
  waitFinished(c: number): void {
    waitWhileEqual(this.i32, I_FLAGS + c, 0, this.callerSpinMs);
  }

  /**
   * Ends the call posted by {@link start} (every chunk is finished or abandoned);
   * throws {@link WorkerThreadError} when a worker's kernel threw, or when a worker
   * stopped in the middle of a chunk (then the pool ends: see {@link ThreadPool.create}).
   */
  end(): void {
    this.busy = false;
    const { i32 } = this;
    const err = Atomics.load(i32, I_ERR);
    if (err === 0) return;
    Atomics.store(i32, I_ERR, 0);
    const fn = this.current ?? 'a kernel';
    if (err === ERR_STOPPED) {
      this.lost();
      throw new this.WorkerThreadError(`@diffeo/wasm-kernels: a worker thread stopped in the middle of ${fn}, so the outputs of this call are incomplete. `
        + 'The backend no longer uses its worker threads (the next calls run on the calling thread, with the same results): run the call (or the registration) again.', fn, true);
    }
    throw new this.WorkerThreadError(`@diffeo/wasm-kernels: ${fn} failed in a worker thread (its outputs are incomplete); `
      + 'the same call with threads: 1 shows the error itself.', fn, false);
  }

  /**
   * Ends the workers (they leave their loop on the quit flag; `terminate` makes
   * sure). The promise resolves once every worker has stopped.
   */
  dispose(): Promise<void> {
    this.ended = true;
    Atomics.store(this.i32, I_QUIT, 1);
    Atomics.add(this.i32, I_SEQ, 1);
    Atomics.notify(this.i32, I_SEQ);
    const ended = this.workers.map((w) => Promise.resolve(w.terminate()));
    this.workers.length = 0;
    return Promise.all(ended).then(() => undefined);
  }
}
