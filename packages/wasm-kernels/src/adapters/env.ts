/**
 * What every adapter of `adapters/<family>.ts` shares: moving arrays in and out of
 * one instance's linear memory, and splitting one call over the thread pool.
 *
 * Memory traffic per call: an argument that already lives in the backend's memory
 * (a view from `allocFloat32`, checked with `WasmHeap.owns`) is used in place;
 * any other input is copied in once and any other output copied out once.
 *
 * Threads: `run` hands chunks of slices (3D) or rows (2D) to the workers and the
 * calling thread; the sums of a reduction are added by the calling thread alone,
 * chunk after chunk in raster order, so the bits do not depend on the split.
 */
import type { WasmHeap } from '../heap.js';
import type { WasmExports } from '../load.js';
import type { Split, ThreadPool } from '../pool.js';
import { chunkStart, type ThreadedFunction } from '../protocol.js';

/**
 * A call (or an inversion pass, a Gaussian pass) with less work than this runs on
 * the calling thread only. One unit is about 15 ns of one thread's time (a voxel
 * of `warp3d`). With polling workers (see `protocol.ts`) a split costs a few µs,
 * but a worker that sleeps takes some 40–80 µs to wake up, and the halves of small,
 * memory-light calls hardly pay: measured on 2 threads over whole registrations,
 * a 128×128 image (DIPY's b0 example) runs faster on one thread, a 256×256 image
 * and 3D grids from some 30³ voxels faster on two.
 */
export const MIN_PARALLEL_WORK = 20000;

/**
 * The default (lazy) worker threads start with the first call of at least this much
 * work, or on a grid of at least this many voxels (the Gaussian filter says its grid:
 * a registration's first calls smooth the full-resolution images for its pyramid, and
 * its coarse levels come first, so a threshold on the call's work alone would start
 * them only at the finest level). 30 000: a 256×256 image and 3D grids from some 30³
 * voxels start them with the registration; a 128×128 image (16 384 pixels, no call
 * above 20 000 units) never does. Each
 * worker costs some 9–11 MiB of resident memory in Node (a Node worker's own heap and
 * bootstrap) and its start some 0.1 s of CPU on another core, while the calls run on
 * the calling thread, with the same results, until it is ready. Measured on the bench
 * machine (2 cores, quiet), whole registrations with the workers started with the
 * registration against one thread: the 256×256
 * SSD case (`circle_to_c`) some 0.97 → 0.80 s, the 77×77×40 CC case (`aniso3d`)
 * 0.90 → 0.59 s, 128×128×96 (`synth128`) 3.8 → 3.0 s (there the workers used to start
 * only with the first 10⁶-unit call, late in the registration). Before 2026-12 this
 * was 10⁶. The `startParallelWork` option replaces it (and `minParallelWork` does,
 * when `startParallelWork` is not given); `threads: 1` never starts workers.
 */
export const START_PARALLEL_WORK = 30_000;

/** The thread pool of a backend, if any (`pool` becomes null when the backend is disposed). */
export interface PoolRef {
  pool: ThreadPool | null;
  /**
   * Starts the pool in the background (lazy threads): called by the first call large
   * enough to be split, which itself runs on the calling thread; later calls use the
   * pool once it is ready. Null when there is nothing (more) to start.
   */
  start: (() => void) | null;
  /** Calls with less work than this run on the calling thread only (default {@link MIN_PARALLEL_WORK}). */
  minWork: number;
  /** The first call with at least this much work calls {@link start} (default {@link START_PARALLEL_WORK}). */
  startWork: number;
  /** The most chunks of one call the calling thread computes itself (default ∞). */
  callerChunks: number;
}

/** How a split kernel's sums are added on the calling thread (see {@link AdapterEnv.run}). */
export interface Reduction {
  /** Computes items `[lo, hi)` and adds their sums (the next ones in raster order). */
  fused(lo: number, hi: number): void;
  /** Adds the sums of items `[lo, hi)`, already computed by any thread. */
  reduce(lo: number, hi: number): void;
}

/** The memory and thread helpers of one instance (addresses are byte offsets into its memory). */
export interface AdapterEnv {
  readonly wasm: WasmExports;
  readonly heap: WasmHeap;
  readonly threads: PoolRef;
  /** Copies the first `n` values of `a` into a new arena buffer and returns its address. */
  put(a: Float32Array, n: number): number;
  /** Copies `n` float32 values from address `p` into the start of `dst`. */
  get(p: number, dst: Float32Array, n: number): void;
  /** Address of input `a` (`n` values): in place when it lives in the memory, else a copy. */
  inp(a: Float32Array, n: number): number;
  /** Address where output `a` (`n` values) is written: in place when it lives in the memory, else arena. */
  outp(a: Float32Array, n: number): number;
  /** Delivers output `a` written at `p`: nothing to do when it was written in place. */
  fin(p: number, a: Float32Array, n: number): void;
  /**
   * A split of `n` slices (or rows, voxels) with about `work` units of work, or null for
   * one thread. `grid` (optional): the voxels of the grid the call works on, which also
   * counts towards starting the lazy threads (see {@link START_PARALLEL_WORK}).
   */
  plan(n: number, work: number, grid?: number): Split | null;
  /**
   * Runs `fn` over `n` items split by `split` (see `protocol.ts`): the workers call
   * `fn(...args, lo, hi, aux + w·auxStride)` on the chunks they take, the calling
   * thread `own(lo, hi)` on its chunks. With a reduction, the calling thread also adds
   * the chunks' sums in raster order. Without a split, everything runs on the calling thread.
   */
  run(split: Split | null, n: number, fn: ThreadedFunction, args: readonly number[],
    own: (lo: number, hi: number) => void, red?: Reduction | null, aux?: number, auxStride?: number): void;
  /** One scratch row of `nc` floats per thread (the calling thread's first; a worker's at `rows + w·rowBytes`). */
  scratchRows(nc: number): { rows: number; rowBytes: number };
}

/** Builds the helpers of one instance. */
export function createAdapterEnv(wasm: WasmExports, heap: WasmHeap, threads: PoolRef): AdapterEnv {
  /** Copies the first `n` values of `a` into a new arena buffer and returns its address. */
  const put = (a: Float32Array, n: number): number => heap.allocF32(n, a.length === n ? a : a.subarray(0, n));
  /** Copies `n` float32 values from address `p` into the start of `dst` (the values the kernel wrote). */
  const get = (p: number, dst: Float32Array, n: number): void => heap.readF32(p, dst.length === n ? dst : dst.subarray(0, n));
  /** Address of input `a` (`n` values): in place when it lives in the memory, else a copy. */
  const inp = (a: Float32Array, n: number): number => (heap.owns(a) ? a.byteOffset : put(a, n));
  /** Address where output `a` (`n` values) is written: in place when it lives in the memory, else arena. */
  const outp = (a: Float32Array, n: number): number => (heap.owns(a) ? a.byteOffset : heap.allocF32(n));
  /** Delivers output `a` written at `p`: nothing to do when it was written in place. */
  const fin = (p: number, a: Float32Array, n: number): void => {
    if (!(p === a.byteOffset && heap.owns(a))) get(p, a, n);
  };

  /** A split of `n` slices (or rows, voxels) with about `work` units of work, or null for one thread. */
  const plan = (n: number, work: number, grid = 0): Split | null => {
    const pool = threads.pool;
    if (pool === null) {
      const size = Math.max(work, grid);
      if (threads.start !== null && n >= 2 && size >= threads.minWork && size >= threads.startWork) threads.start();
      return null;
    }
    return pool.split(n, work, threads.minWork);
  };

  /**
   * Runs `fn` over `n` items split by `split` (see `protocol.ts`): the workers call
   * `fn(...args, lo, hi, aux + w·auxStride)` on the chunks they take, the calling
   * thread `own(lo, hi)` on its chunks. With a reduction, the calling thread also adds
   * the chunks' sums in raster order: `red.fused(lo, hi)` computes a chunk and adds it
   * (used when that chunk is the next to add), `red.reduce(lo, hi)` adds a chunk that
   * was computed without adding. Without a split, everything runs on the calling
   * thread (`red.fused(0, n)`, or `own(0, n)`).
   */
  function run(split: Split | null, n: number, fn: ThreadedFunction, args: readonly number[],
    own: (lo: number, hi: number) => void, red: Reduction | null = null, aux = 0, auxStride = 0): void {
    const pool = threads.pool;
    if (split === null || pool === null) {
      (red ? red.fused : own)(0, n);
      return;
    }
    const k = split.chunks;
    const at = (c: number): number => chunkStart(c, n, k);
    pool.start(fn, args, split, aux, auxStride);
    let next = 0; // chunks [0, next) are added to the sums
    const mine = new Uint8Array(k); // chunks computed by the calling thread
    try {
      let taken = 0;
      for (let c = 0; c >= 0; c = ++taken < threads.callerChunks ? pool.claim() : -1) {
        mine[c] = 1;
        if (red && c === next) {
          red.fused(at(c), at(c + 1));
          next++;
        } else {
          own(at(c), at(c + 1));
        }
        if (red) {
          for (; next < k && (mine[next] === 1 || pool.finished(next)); next++) red.reduce(at(next), at(next + 1));
        }
      }
      // The call is over once every chunk is: add the workers' chunks as they finish.
      if (red) {
        for (; next < k; next++) {
          if (mine[next] !== 1) pool.waitFinished(next);
          red.reduce(at(next), at(next + 1));
        }
      } else {
        for (let c = 0; c < k; c++) if (mine[c] !== 1) pool.waitFinished(c);
      }
    } finally {
      pool.end();
    }
  }

  /** One scratch row of `nc` floats per thread (the calling thread's first; a worker's at `rows + w·rowBytes`). */
  function scratchRows(nc: number): { rows: number; rowBytes: number } {
    const rowBytes = Math.ceil((nc * 4) / 64) * 64;
    return { rows: heap.alloc(rowBytes * (threads.pool?.size ?? 1)), rowBytes };
  }

  return { wasm, heap, threads, put, get, inp, outp, fin, plan, run, scratchRows };
}
