/**
 * The control block shared by the calling thread and the worker threads of one
 * threaded backend: int32 words and float64 slots at a fixed address of the
 * shared WebAssembly memory (`WasmHeap.ctl`).
 *
 * One kernel call on `T` threads splits `n` items (slices, rows, lines or voxels)
 * into `K` contiguous chunks, chunk `c` being `[⌊c·n/K⌋, ⌊(c+1)·n/K⌋)`. The calling
 * thread writes the function index, the arguments common to all threads, `n`,
 * `K`, each worker's `aux` (the address of its own scratch space), clears the
 * chunk flags, sets the claim word to (this call's tag, `K`, next chunk 1) — chunk
 * 0 is its own — increments `SEQ` and wakes the workers (`Atomics.notify`). Then every
 * thread takes chunks with {@link claimChunk} until none is left, so a thread that
 * is slowed down (another process on its core) simply takes fewer, and a worker
 * marks each chunk it finished in `FLAGS` (and notifies that flag). The calling
 * thread adds the sums (see `kernels.ts`) chunk by chunk in raster order as the
 * chunks finish; the call is over when every chunk is finished.
 *
 * A worker never delays a call it has not joined: the calling thread waits only for
 * chunks a worker has taken. The parameters a worker reads are only trusted once it
 * holds a chunk: the claim word carries the call's tag (`SEQ` modulo 2¹³) and its
 * `K`, and is exhausted once every chunk of a call is taken, so a worker that wakes
 * up late, or reads parameters while the calling thread writes the next call's,
 * takes no chunk (its tag no longer matches, or nothing is left). A claim that
 * succeeds pins its call (the calling thread cannot post the next one before that
 * chunk is finished): if `SEQ` is still the one the worker read before its
 * parameters, they are that call's; otherwise (a tag shared by calls 2¹³ apart) the
 * worker reads the parameters of the call now posted, which is the pinned one.
 *
 * Waiting: a wake-up through `Atomics.wait`/`notify` costs tens of microseconds, as
 * much as a whole inversion pass of a small image. So waits first poll (spin on
 * `Atomics.load`, see {@link waitWhileEqual}): an idle worker polls `SEQ` for up to
 * {@link WORKER_SPIN_MS}, so the next call (the next inversion pass, the next
 * Gaussian pass) starts at once; the calling thread polls a chunk flag for up to
 * {@link CALLER_SPIN_MS}. A thread that finds it was descheduled while polling
 * (more threads than free cores) sleeps at once instead, so that it does not take
 * the core from the thread it waits for.
 *
 * A worker that stops (exits: `process.exit` in it, an exception outside its kernels)
 * while it holds a chunk would leave the calling thread waiting for that chunk's flag
 * forever, and the calling thread, blocked in `Atomics.wait`, cannot receive the
 * Worker's `exit` event. So the stopping worker says it itself, from its `exit`
 * handler (which Node runs in the worker before the thread ends; no timeout is
 * involved): it sets the error flag to {@link ERR_STOPPED}, takes every chunk of the
 * call not taken yet, and gives those and the one it held the flag
 * {@link CHUNK_ABANDONED} (notifying each), so that every wait of the calling thread
 * ends and the call throws. A worker that stops between calls only counts itself in
 * {@link I_STOPPED}: it takes no chunk, so no call waits for it, and the pool stops
 * using the workers when the `exit` event arrives. A thread ended from outside without
 * running its `exit` handler (`terminate()` by another thread, a worker heap out of
 * memory) is seen through the `exit` event only, between calls.
 *
 * The `Atomics` operations order the plain (non-atomic) memory accesses of the
 * kernels: everything written before `SEQ` is incremented is visible to the
 * workers; everything a worker wrote before setting a chunk's flag is visible to the
 * caller once it has read that flag.
 */

/** Int32 index of the call sequence number (incremented once per call, and by `dispose`). */
export const I_SEQ = 0;
/** Int32 index of the claim word: the call's tag (bits 18–30), `K` (bits 9–17) and the next chunk (bits 0–8). */
export const I_CLAIM = 1;
/** Int32 index of the function to run (index into {@link THREADED_FUNCTIONS}). */
export const I_FN = 2;
/** Int32 index of the number of common arguments. */
export const I_NARGS = 3;
/** Int32 index of the error flag: {@link ERR_THREW} or {@link ERR_STOPPED} (0: none). */
export const I_ERR = 4;
/** The error flag's value when a worker's kernel threw. */
export const ERR_THREW = 1;
/** The error flag's value when a worker stopped (exited) holding a chunk of the current call. */
export const ERR_STOPPED = 2;
/** Int32 index of the quit flag (set by `dispose`). */
export const I_QUIT = 5;
/** Int32 index of the number of workers that stopped on their own (exited, not through `dispose`). */
export const I_STOPPED = 6;
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
/** A chunk flag's value once a worker has finished the chunk. */
export const CHUNK_DONE = 1;
/**
 * A chunk flag's value when the worker holding the chunk stopped before finishing it
 * (also given to the chunks no thread had taken yet, see `worker.ts`): the call's
 * outputs are incomplete, {@link I_ERR} is {@link ERR_STOPPED}.
 */
export const CHUNK_ABANDONED = 2;
/** Int32 index of the first chunk flag (flag `c` is set once chunk `c` is finished). */
export const I_FLAGS = 2 * (F_ARGS + MAX_ARGS + MAX_THREADS);
/** Bytes of the control block in use. */
export const CTL_USED = 4 * (I_FLAGS + MAX_CHUNKS);

/** How long (ms) an idle worker polls for the next call before it sleeps in `Atomics.wait`. */
export const WORKER_SPIN_MS = 5;
/** How long (ms) the calling thread polls for a worker's chunk before it sleeps in `Atomics.wait`. */
export const CALLER_SPIN_MS = 0.5;
/** A gap (ms) between two polls that shows the polling thread was descheduled. */
const DESCHEDULED_MS = 0.25;

/** The tag of call `seq` in the claim word. */
export function callTag(seq: number): number {
  return seq & 0x1fff;
}

/** The claim word of a call with tag `tag` and `k ≤ MAX_CHUNKS` chunks, next chunk `next`. */
export function claimWord(tag: number, k: number, next: number): number {
  return (tag << 18) | (k << 9) | next;
}

/**
 * Takes the next chunk of the call with tag `tag`: its index, or −1 when none is
 * left or the claim word belongs to another call.
 */
export function claimChunk(i32: Int32Array, tag: number): number {
  for (;;) {
    const w = Atomics.load(i32, I_CLAIM);
    const c = w & 0x1ff;
    if (w >>> 18 !== tag || c >= ((w >>> 9) & 0x1ff)) return -1;
    if (Atomics.compareExchange(i32, I_CLAIM, w, w + 1) === w) return c;
  }
}

/**
 * Returns once `i32[i] !== v`: polls for up to `spinMs`, then sleeps in
 * `Atomics.wait` (woken by an `Atomics.notify` on `i`). It sleeps at once when a
 * gap between two polls shows that this thread was descheduled: the cores are
 * oversubscribed, and polling would only take time from the threads it waits for.
 */
export function waitWhileEqual(i32: Int32Array, i: number, v: number, spinMs: number): void {
  if (Atomics.load(i32, i) !== v) return;
  let last = performance.now();
  let end = last + spinMs;
  for (let spins = 1; Atomics.load(i32, i) === v; spins++) {
    if ((spins & 63) !== 0) continue;
    const now = performance.now();
    if (now > end || now - last > DESCHEDULED_MS) {
      Atomics.wait(i32, i, v);
      end = 0;
    }
    last = now;
  }
}

/** Item range of chunk `c` of `n` items in `k` chunks: `[chunkStart(c), chunkStart(c + 1))`. */
export function chunkStart(c: number, n: number, k: number): number {
  return Math.floor((c * n) / k);
}

/** The WebAssembly functions that can be split over threads, by index. */
export const THREADED_FUNCTIONS = [
  'compose2d', 'compose3d', 'invertPass2d', 'invertPass3d', 'warp2d', 'warp3d', 'ccStep2d', 'ccStep3d',
  'gaussianPanel', 'gaussianLast', 'numpyGradient2d', 'numpyGradient3d', 'physicalGradient2d', 'physicalGradient3d',
  'stepMaxNorm2d', 'stepMaxNorm3d', 'stepDivide', 'resampleField2d', 'resampleField3d',
  'downsample3d', 'ssdDemonsStep2d', 'ssdDemonsStep3d', 'residual2d', 'residual3d',
  'jacobianDeterminant2d', 'jacobianDeterminant3d',
  'warpNearest2d', 'warpNearest3d', 'numpyGradientAdd2d', 'numpyGradientAdd3d',
  'affineMIChunk2d', 'affineMIChunk3d',
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
  /** How long (ms) the worker polls for the next call before it sleeps (0 when there are more threads than cores). */
  spinMs: number;
}

/** What a worker posts once it is ready (or failed to start). */
export type WorkerReady = { ready: true } | { ready: false; error: string };
