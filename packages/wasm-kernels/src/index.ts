/**
 * @diffeo/wasm-kernels — a WebAssembly (AssemblyScript, SIMD) backend for the
 * diffeo kernel registry. Its kernels give the same bits as the TypeScript
 * kernels of `@diffeo/core` (same double arithmetic, float32 rounding at the
 * same points, same loop and corner order), only faster; the kernels it does
 * not implement fall back to TypeScript automatically. With threads it splits
 * the 2D and 3D kernels over worker threads sharing one WebAssembly memory, still
 * giving the same bits.
 *
 * Nothing registers on import:
 * ```ts
 * import { createContext } from '@diffeo/core';
 * import { wasmBackend } from '@diffeo/wasm-kernels';
 * const context = createContext().use(await wasmBackend());
 * ```
 */
import type { Backend } from '@diffeo/core';
import { errorClasses, type ErrorClasses } from './errors.js';
import { WasmHeap, type WasmMemoryStats } from './heap.js';
import { compileKernels, createMemory, defaultThreadsWasmUrl, instantiateKernels } from './load.js';
import { makeKernels, MIN_PARALLEL_WORK, START_PARALLEL_WORK, type PoolRef } from './kernels.js';
import { canBlock, defaultThreadCount, defaultWorkerUrl, sharedMemoryAvailable, ThreadPool } from './pool.js';
import { MAX_THREADS } from './protocol.js';

export { defaultThreadsWasmUrl, defaultWasmUrl } from './load.js';
export { defaultWorkerUrl } from './pool.js';
export { MIN_PARALLEL_WORK, START_PARALLEL_WORK } from './kernels.js';
export type { WasmMemoryStats } from './heap.js';

/** Options of {@link wasmBackend}. */
export interface WasmBackendOptions {
  /**
   * Location of `kernels.wasm` (the build for an ordinary memory, used when shared
   * memory is not available). Default: `new URL('../dist/kernels.wasm', import.meta.url)`,
   * i.e. the file the package ships in `dist/`. A relative string is resolved against
   * this module's URL. `file:` URLs are read with `node:fs`, others fetched.
   */
  wasmUrl?: URL | string;
  /** The bytes of `kernels.wasm` (takes precedence over `wasmUrl`). */
  wasmBytes?: Uint8Array;
  /**
   * Location of `kernels-threads.wasm` (the shared-memory build). Default: beside
   * `kernels.wasm` in `dist/`. When only `wasmUrl`/`wasmBytes` is given, the backend
   * uses that module with an ordinary memory (one thread, no `allocFloat32`).
   */
  threadsWasmUrl?: URL | string;
  /** The bytes of `kernels-threads.wasm` (takes precedence over `threadsWasmUrl`). */
  threadsWasmBytes?: Uint8Array;
  /**
   * Location of the worker script. Default: `new URL('../dist/worker.js', import.meta.url)`.
   */
  workerUrl?: URL | string;
  /**
   * Threads, the calling thread included (at most 64). Default:
   * `min(availableParallelism(), 4)` in Node; in browsers `min(hardwareConcurrency, 4)`
   * in a cross-origin-isolated worker, else 1. More than 1 needs shared memory
   * (always in Node; `crossOriginIsolated` in browsers) and a thread that may block in
   * `Atomics.wait` (not a browser's main thread); otherwise the backend runs on 1
   * thread. The results are the same bits for every count. With the default, the
   * worker threads start in the background with the first kernel call of at least
   * {@link WasmBackendOptions.startParallelWork} work units (by default
   * {@link START_PARALLEL_WORK}: in a registration, as soon as it works on a grid of
   * 256×256 pixels or some 30³ voxels or more; images of 128×128 and smaller never
   * start them); a count given here starts them when the backend is created. Each
   * worker costs some 9–11 MiB of resident memory in Node: `threads: 1` keeps the
   * backend on one thread.
   */
  threads?: number;
  /**
   * A kernel call (or an inversion pass) with less work than this (one unit ≈ one
   * voxel of `warp3d`, some 15 ns) runs on the calling thread only, since handing
   * work to the workers costs some µs to tens of µs. Default {@link MIN_PARALLEL_WORK}
   * (20000); 0 splits every call (tests). Given, it also replaces
   * {@link START_PARALLEL_WORK} as the size of the call that starts the default (lazy)
   * threads, unless {@link WasmBackendOptions.startParallelWork} is given.
   */
  minParallelWork?: number;
  /**
   * With the default thread count: the work units (see
   * {@link WasmBackendOptions.minParallelWork}) of the first kernel call, or the voxels of
   * the grid of the first Gaussian filtering, that start the worker threads, in the background (that call and the next ones run on the calling
   * thread until they are ready). Default: `minParallelWork` when that is given, else
   * {@link START_PARALLEL_WORK} (30 000: a 256×256 image, a 3D grid of some 30³ voxels);
   * 0 starts them with the first call large enough to be split (`minParallelWork`),
   * `Infinity` never. Ignored when `threads`
   * is given (the workers then start with the backend).
   */
  startParallelWork?: number;
  /**
   * The most chunks of one call the calling thread computes itself (default: as
   * many as it can take; the others are the workers'). With 1 the calling thread
   * computes the first chunk, then only adds up the sums of the others (tests use it).
   */
  callerChunks?: number;
  /** Registry priority (default 10; the TypeScript fallback is −∞). */
  priority?: number;
}

/** A ready WebAssembly backend. */
export interface WasmBackend extends Backend {
  /** The backend's linear memory (grows on demand; inspect `buffer.byteLength` for its size). */
  readonly memory: WebAssembly.Memory;
  /** Whether the memory is shared (then `allocFloat32` is available). */
  readonly shared: boolean;
  /**
   * Threads the kernels use now, the calling thread included: 1 after `dispose`, and
   * with the default thread count also until the workers have started (see
   * {@link WasmBackendOptions.threads}).
   */
  readonly threads: number;
  /**
   * A zero-filled `Float32Array` of `n` values living in the backend's (shared)
   * memory: kernels use such arrays in place instead of copying them in and out.
   * It stays valid for the backend's lifetime, also when the memory grows, until
   * it is released with {@link WasmBackend.freeFloat32}. Present only when the
   * memory is shared.
   */
  allocFloat32?(n: number): Float32Array;
  /**
   * Releases an array from {@link WasmBackend.allocFloat32} (its memory is reused by
   * later allocations; do not use the array afterwards). Returns false, doing
   * nothing, for any other array.
   */
  freeFloat32?(a: Float32Array): boolean;
  /**
   * Read-only counters of the backend's memory since it was created (a fresh snapshot
   * per call; see {@link WasmMemoryStats}): long-lived arrays allocated and freed,
   * scratch blocks, memory growths, and copies of ordinary arrays into and out of the
   * memory with their bytes. Subtract two snapshots to count what a run, or one
   * iteration of it, did; arrays from {@link WasmBackend.allocFloat32} are used in place
   * and never counted as copies.
   */
  stats(): WasmMemoryStats;
  /**
   * Ends the worker threads (the kernels keep working, on the calling thread). The
   * promise resolves once every worker has stopped; nothing needs to wait for it.
   */
  dispose(): Promise<void>;
  /**
   * Starts the default (lazy) worker threads now, if they have not started yet, and
   * resolves with {@link WasmBackend.threads} once they run (1 when the backend has one
   * thread, was disposed, or its workers could not start). Lazy workers start in the
   * background and join only once the calling thread returns to its event loop, so a
   * long synchronous call (such as `affineRegistration` of `@diffeo/affine`) would run
   * entirely on one thread: await this before it. With an explicit `threads` count
   * the workers already run and this resolves at once.
   */
  startThreads(): Promise<number>;
}

function toUrl(u: URL | string): URL {
  return new URL(u, import.meta.url);
}

/** Every key of {@link WasmBackendOptions}. */
const OPTION_KEYS: readonly (keyof WasmBackendOptions)[] = [
  'wasmUrl', 'wasmBytes', 'threadsWasmUrl', 'threadsWasmBytes', 'workerUrl', 'threads', 'minParallelWork',
  'startParallelWork', 'callerChunks', 'priority',
];

/** The known option closest to `key` (edit distance, ignoring case), if it differs in at most a third of it. */
function nearestKey(key: string): string | undefined {
  const x = key.toLowerCase();
  let best: string | undefined, bestD = Infinity;
  for (const k of OPTION_KEYS) {
    const y = k.toLowerCase();
    let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
    for (let i = 1; i <= x.length; i++) {
      const cur = [i];
      for (let j = 1; j <= y.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
      prev = cur;
    }
    if (prev[y.length] < bestD) { bestD = prev[y.length]; best = k; }
  }
  return bestD <= Math.max(2, Math.ceil(key.length / 3)) ? best : undefined;
}

/**
 * Checks the options' keys and numbers: `threads` a whole number from 1 to
 * {@link MAX_THREADS}, `minParallelWork` and `startParallelWork` numbers ≥ 0 (`Infinity`
 * allowed), `callerChunks` a whole number ≥ 1 or `Infinity`, `priority` a number.
 * @throws InvalidArgumentError naming the option, the value and what to pass instead.
 */
function checkOptions(options: WasmBackendOptions, { InvalidArgumentError }: ErrorClasses): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidArgumentError(`wasmBackend options must be an object of named options; got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}.`);
  }
  for (const key of Object.keys(options)) {
    if (!(OPTION_KEYS as readonly string[]).includes(key)) {
      const near = nearestKey(key);
      throw new InvalidArgumentError(`wasmBackend options: unknown option "${key}"${near ? `; did you mean "${near}"?` : ''} Known options: ${OPTION_KEYS.join(', ')}.`);
    }
  }
  const bad = (name: string, value: unknown, want: string): Error =>
    new InvalidArgumentError(`wasmBackend: option ${name} must be ${want}; got ${typeof value === 'number' ? String(value) : JSON.stringify(value) ?? typeof value}.`);
  const { threads, minParallelWork, startParallelWork, callerChunks, priority } = options;
  if (threads !== undefined && !(typeof threads === 'number' && Number.isInteger(threads) && threads >= 1 && threads <= MAX_THREADS)) {
    throw bad('threads', threads, `a whole number from 1 to ${MAX_THREADS} (the calling thread included; 1 runs without worker threads), or left out for the default`);
  }
  for (const [name, v] of [['minParallelWork', minParallelWork], ['startParallelWork', startParallelWork]] as const) {
    if (v !== undefined && !(typeof v === 'number' && v >= 0)) {
      throw bad(name, v, 'a number of work units ≥ 0 (0: as early as possible, Infinity: never), or left out for the default');
    }
  }
  if (callerChunks !== undefined && !(typeof callerChunks === 'number' && callerChunks >= 1 && (Number.isInteger(callerChunks) || callerChunks === Infinity))) {
    throw bad('callerChunks', callerChunks, 'a whole number ≥ 1 or Infinity (the default)');
  }
  if (priority !== undefined && !(typeof priority === 'number' && !Number.isNaN(priority))) {
    throw bad('priority', priority, 'a number (the registry prefers the highest)');
  }
}

/**
 * Compiles and instantiates the WebAssembly kernels and returns a backend for
 * `KernelContext.use`. Each call creates its own instance, memory and worker
 * threads. Kernels of one backend must not run concurrently (they are
 * synchronous, so this only matters across workers, which need their own backend).
 * The worker threads do not keep a Node process alive; `dispose()` (also called
 * by `KernelContext.remove`) ends them.
 *
 * If a worker thread stops on its own (for example `process.exit` in it), the call that
 * was running throws `WorkerThreadError` (of `@diffeo/core`) and the backend goes on
 * without worker threads (`threads` becomes 1; the results stay the same bits).
 *
 * @throws InvalidArgumentError for an unknown option key, or a `threads`,
 *   `minParallelWork`, `startParallelWork`, `callerChunks` or `priority` out of range
 *   (the message names the option and what it accepts).
 * @throws Error when a `.wasm` file cannot be read or fetched, or when `threads > 1`
 *   was asked for explicitly and the worker threads cannot be started (the message
 *   says how to fix it).
 */
export async function wasmBackend(options: WasmBackendOptions = {}): Promise<WasmBackend> {
  const errors = await errorClasses();
  checkOptions(options, errors);
  const plainOnly = (options.wasmBytes !== undefined || options.wasmUrl !== undefined)
    && options.threadsWasmBytes === undefined && options.threadsWasmUrl === undefined;
  const shared = sharedMemoryAvailable() && !plainOnly;
  const module = shared
    ? await compileKernels({ wasmUrl: options.threadsWasmUrl, wasmBytes: options.threadsWasmBytes, defaultUrl: defaultThreadsWasmUrl })
    : await compileKernels({ wasmUrl: options.wasmUrl, wasmBytes: options.wasmBytes });
  const memory = createMemory(2, shared);
  const exports = await instantiateKernels(module, memory);
  const heap = new WasmHeap(memory, exports.heapBase(), shared);

  let threads = 1;
  if (shared && canBlock()) {
    threads = options.threads ?? await defaultThreadCount();
  }
  const ref: PoolRef = {
    pool: null,
    start: null,
    minWork: options.minParallelWork ?? MIN_PARALLEL_WORK,
    startWork: options.startParallelWork ?? options.minParallelWork ?? START_PARALLEL_WORK,
    callerChunks: options.callerChunks ?? Infinity,
  };
  let disposed = false;
  /** The lazy workers' start, once it was asked for. */
  let starting: Promise<void> | null = null;
  /** A worker stopped on its own: the backend goes on without its pool (see ThreadPool.create). */
  const onLost = (): void => {
    const pool = ref.pool;
    if (pool !== null && pool.isEnded) {
      ref.pool = null;
      void pool.dispose();
    }
  };
  if (threads > 1) {
    const workerUrl = options.workerUrl === undefined ? defaultWorkerUrl() : toUrl(options.workerUrl);
    if (options.threads !== undefined) {
      // Threads asked for explicitly: started now, and a failure is an error.
      ref.pool = await ThreadPool.create(module, memory, heap.ctl, threads, workerUrl, onLost, errors.WorkerThreadError);
    } else {
      // Default: the workers start with the first call of at least `startWork` units
      // (START_PARALLEL_WORK unless startParallelWork or minParallelWork is given: small
      // 2D images never pay for them, some 9–11 MiB each in Node); until they are ready the
      // calls run on the calling thread, with the same results. If they cannot start,
      // the backend stays on one thread.
      ref.start = () => {
        ref.start = null;
        starting = ThreadPool.create(module, memory, heap.ctl, threads, workerUrl, onLost, errors.WorkerThreadError).then(
          (pool) => {
            if (disposed || pool.isEnded) void pool.dispose();
            else ref.pool = pool;
          },
          () => { /* stay on the calling thread */ },
        );
      };
    }
  }

  const views = new WeakMap<Float32Array, number>();
  const backend: WasmBackend = {
    name: 'wasm',
    priority: options.priority ?? 10,
    kernels: makeKernels(exports, heap, ref),
    memory,
    shared,
    get threads(): number {
      return ref.pool?.size ?? 1;
    },
    stats: (): WasmMemoryStats => heap.stats(),
    async startThreads(): Promise<number> {
      ref.start?.();
      if (starting !== null) await starting;
      return ref.pool?.size ?? 1;
    },
    dispose(): Promise<void> {
      disposed = true;
      ref.start = null;
      const pool = ref.pool;
      ref.pool = null;
      return pool ? pool.dispose() : Promise.resolve();
    },
  };
  if (shared) {
    backend.allocFloat32 = (n: number): Float32Array => {
      const len = Math.max(0, Math.floor(n));
      const addr = heap.allocArray(len * 4);
      const a = heap.view(addr, len);
      a.fill(0);
      views.set(a, addr);
      return a;
    };
    backend.freeFloat32 = (a: Float32Array): boolean => {
      const addr = views.get(a);
      if (addr === undefined) return false;
      views.delete(a);
      return heap.freeArray(addr);
    };
  }
  return backend;
}
