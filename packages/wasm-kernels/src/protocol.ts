/**
 * The control block shared by the calling thread and the worker threads of one
 * threaded backend: int32 words and float64 slots at a fixed address of the
 * shared WebAssembly memory (`WasmHeap.ctl`).
 *
 * One kernel call on `T` threads splits `n` items (slices, rows, lines or voxels)
 * into `K` contiguous chunks, chunk `c` being `[⌊c·n/K⌋, ⌊(c+1)·n/K⌋)`. The calling
 * thread writes the function index, the arguments common to all threads, `n`,
 * `K`, each worker's `aux` (the address of its own scratch space), clears the
 * chunk flags, sets the chunk counter `NEXT` to 1 (chunk 0 is its own), resets
 * `DONE`, increments `SEQ` and wakes the workers (`Atomics.notify`). Then every
 * thread takes chunks with `Atomics.add(NEXT, 1)` until none is left — so a thread
 * that is slowed down (another process on its core) simply takes fewer — and a
 * worker marks each chunk it finished in `FLAGS` and, when no chunk is left,
 * increments `DONE` and notifies. The calling thread adds the sums (see
 * `kernels.ts`) chunk by chunk in raster order as the chunks finish, and at the
 * end waits (`Atomics.wait`) until `DONE` equals the number of workers.
 *
 * The `Atomics` operations order the plain (non-atomic) memory accesses of the
 * kernels: everything written before `SEQ` is incremented is visible to the
 * workers; everything a worker wrote before setting a chunk's flag (or
 * incrementing `DONE`) is visible to the caller once it has read that flag.
 */

/** Int32 index of the call sequence number (incremented once per call). */
export const I_SEQ = 0;
/** Int32 index of the count of workers that finished the current call. */
export const I_DONE = 1;
/** Int32 index of the function to run (index into {@link THREADED_FUNCTIONS}). */
export const I_FN = 2;
/** Int32 index of the number of common arguments. */
export const I_NARGS = 3;
/** Int32 index of the error flag (set by a worker whose call threw). */
export const I_ERR = 4;
/** Int32 index of the quit flag (set by `dispose`). */
export const I_QUIT = 5;
/** Int32 index of the next chunk to take. */
export const I_NEXT = 6;
/** Int32 index of the number of chunks `K`. */
export const I_CHUNKS = 7;
/** Int32 index of the number of items `n`. */
export const I_ITEMS = 8;
/** Number of int32 words before the float64 slots. */
export const INT_WORDS = 16;
/** Maximum number of common arguments. */
export const MAX_ARGS = 32;
/** Maximum number of threads (the caller included). */
export const MAX_THREADS = 64;
/** Maximum number of chunks of one call. */
export const MAX_CHUNKS = 256;
/** Float64 index (relative to the control block) of the first common argument. */
export const F_ARGS = INT_WORDS / 2;
/** Float64 index of worker `w`'s `aux` (w = 1 … T−1). */
export function workerSlot(w: number): number {
  return F_ARGS + MAX_ARGS + w;
}
/** Int32 index of the first chunk flag (flag `c` is set once chunk `c` is finished). */
export const I_FLAGS = 2 * (F_ARGS + MAX_ARGS + MAX_THREADS);
/** Bytes of the control block in use. */
export const CTL_USED = 4 * (I_FLAGS + MAX_CHUNKS);

/** Item range of chunk `c` of `n` items in `k` chunks: `[chunkStart(c), chunkStart(c + 1))`. */
export function chunkStart(c: number, n: number, k: number): number {
  return Math.floor((c * n) / k);
}

/** The WebAssembly functions that can be split over threads, by index. */
export const THREADED_FUNCTIONS = [
  'compose3d', 'invertPass3d', 'warp3d', 'ccStep3d', 'gaussianSlab', 'gaussianLast',
  'numpyGradient3d', 'resampleField3d', 'downsample3d', 'ssdDemonsStep3d', 'residual3d',
] as const;
/** Name of a function that can be split over threads. */
export type ThreadedFunction = (typeof THREADED_FUNCTIONS)[number];

/** What a worker receives when it starts (`workerData` in Node, the first message in browsers). */
export interface WorkerInit {
  /** The compiled `kernels-threads.wasm`. */
  module: WebAssembly.Module;
  /** The shared memory. */
  memory: WebAssembly.Memory;
  /** Byte address of the control block. */
  ctl: number;
  /** Worker index, 1 … T−1 (the calling thread is 0). */
  index: number;
}

/** What a worker posts once it is ready (or failed to start). */
export type WorkerReady = { ready: true } | { ready: false; error: string };
