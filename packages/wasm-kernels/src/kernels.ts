/**
 * JavaScript side of the WebAssembly kernels: each function has exactly the
 * signature of the matching `Kernels` entry (`@diffeo/core`), puts its inputs
 * into the backend's linear memory, runs the WebAssembly kernel and takes the
 * outputs back. The arithmetic is entirely in WebAssembly and bit-identical to
 * the TypeScript kernels (see `assembly/common.ts`).
 *
 * Memory traffic per call: an argument that already lives in the backend's memory
 * (a view from `allocFloat32`, checked with `WasmHeap.owns`) is used in place;
 * any other input is copied in once and any other output copied out once; an
 * in-place argument (compose's `out === d1`) is copied once each way; scratch
 * arrays the contract lets a kernel overwrite (inversion's `scratch`) are used in
 * place when they live in the memory and otherwise never copied.
 *
 * Threads: with a {@link ThreadPool}, the kernels split their work into chunks
 * of slices (3D) or rows (2D) — Gaussian passes: of rows or lines; the demons
 * step and the step's division: of voxels or values — that the calling thread and
 * the workers take as they go, all on the same shared memory. Every voxel's
 * arithmetic is independent of the split; the sums (inversion residual norms,
 * composition statistics, CC and SSD energies) are added by the calling thread
 * alone, chunk after chunk in raster order: fused into the computation when it
 * computes the next chunk to add itself, otherwise from per-voxel values the
 * chunk's thread stored (composition: `|v|²`) or recomputed from the inputs and
 * outputs (inversion: the norm of the stored residual; energies: from the factors
 * or `δ`) once that chunk is finished; the step conditioning's maximum (which does
 * not depend on the order) is taken over per-row or per-slice maxima. So the
 * results are the same bits for every number of threads and every split. The
 * Gauss-Seidel sweep (a sequential recurrence), the CC factors (running sums) and
 * the 2D downsampling run on the calling thread only.
 */
import type { Affine, ComposeStats, InversionResult, Kernels, Shape2D, Shape3D } from '@diffeo/core';
import { Slot, type WasmHeap } from './heap.js';
import type { WasmExports } from './load.js';
import type { Split, ThreadPool } from './pool.js';
import { chunkStart, type ThreadedFunction } from './protocol.js';
import { gaussianWeights } from './weights.js';
import { makeEmKernels } from './kernels-em.js';

/** Sigmas at or below this are not smoothed (SciPy's threshold, as the TypeScript kernel). */
const SIGMA_EPS = 1e-15;

/** Columns per panel of `gaussianPanel` (as in `assembly/gaussian.ts`). */
const PANEL = 64;

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

/** Work units per voxel of one 3D inversion pass. */
const INVERT_WORK = 1.5;
/** Work units per pixel of one 2D inversion pass (some 8.5 ns on one thread). */
const INVERT2D_WORK = 0.6;
/** Work units per voxel of a 2D composition. */
const COMPOSE2D_WORK = 1;
/** Work units per voxel of a 2D warp. */
const WARP2D_WORK = 0.7;

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
  /** The most chunks of one call the calling thread computes itself (default ∞). */
  callerChunks: number;
}

/** How a split kernel's sums are added on the calling thread (see `run` in {@link makeKernels}). */
interface Reduction {
  /** Computes items `[lo, hi)` and adds their sums (the next ones in raster order). */
  fused(lo: number, hi: number): void;
  /** Adds the sums of items `[lo, hi)`, already computed by any thread. */
  reduce(lo: number, hi: number): void;
}

/** Builds the kernel table of one instance. */
export function makeKernels(wasm: WasmExports, heap: WasmHeap, threads: PoolRef): Partial<Kernels> {
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
  const plan = (n: number, work: number): Split | null => {
    const pool = threads.pool;
    if (pool === null) {
      if (threads.start !== null && n >= 2 && work >= threads.minWork) threads.start();
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

  function finishStats(p: number): ComposeStats {
    const f = heap.f64;
    const o = p >>> 3;
    const cnt = f[o], maxQ = f[o + 1], sumQ = f[o + 2], sumQ2 = f[o + 3];
    const mean = sumQ / cnt;
    return [Math.sqrt(maxQ), Math.sqrt(mean), Math.sqrt(sumQ2 / cnt - mean * mean)];
  }

  const compose2d = (out: Float32Array, d1: Float32Array, shape1: Shape2D, d2: Float32Array, shape2: Shape2D,
    A: Affine, B: Affine, t: number, wantStats = true): ComposeStats => {
    heap.reset();
    const [nr1, nc1] = shape1;
    const nv1 = nr1 * nc1, n1 = nv1 * 2;
    const p1 = inp(d1, n1);
    const pOut = heap.owns(out) ? out.byteOffset : out === d1 ? p1 : heap.allocF32(n1);
    const [nr2, nc2] = shape2;
    const p2 = inp(d2, nr2 * nc2 * 2);
    const a = heap.affine(Slot.A, A, 3), b = heap.affine(Slot.B, B, 3);
    const split = plan(nr1, COMPOSE2D_WORK * nv1);
    if (!wantStats) {
      const { rows, rowBytes } = scratchRows(nc1);
      run(split, nr1, 'compose2d', [pOut, p1, nr1, nc1, p2, nr2, nc2, a, b, t, 0, 0],
        (lo, hi) => wasm.compose2d(pOut, p1, nr1, nc1, p2, nr2, nc2, a, b, t, 0, 0, lo, hi, rows), null, rows, rowBytes);
      fin(pOut, out, n1);
      return [NaN, NaN, NaN];
    }
    const qrow = heap.alloc(nc1 * 4);
    // Chunks computed without adding store every voxel's q; the calling thread adds them in raster order.
    const qAll = split ? heap.alloc(nv1 * 4) : 0;
    const stats = heap.slot(Slot.RESULT);
    heap.f64.fill(0, stats >>> 3, (stats >>> 3) + 4);
    run(split, nr1, 'compose2d', [pOut, p1, nr1, nc1, p2, nr2, nc2, a, b, t, 0, qAll],
      (lo, hi) => wasm.compose2d(pOut, p1, nr1, nc1, p2, nr2, nc2, a, b, t, 0, qAll, lo, hi, 0), {
        fused: (lo, hi) => wasm.compose2d(pOut, p1, nr1, nc1, p2, nr2, nc2, a, b, t, stats, qrow, lo, hi, 0),
        reduce: (lo, hi) => wasm.composeStats(qAll, lo * nc1, hi * nc1, stats),
      });
    fin(pOut, out, n1);
    return finishStats(stats);
  };

  const compose3d = (out: Float32Array, d1: Float32Array, shape1: Shape3D, d2: Float32Array, shape2: Shape3D,
    A: Affine, B: Affine, t: number, wantStats = true): ComposeStats => {
    heap.reset();
    const [ns1, nr1, nc1] = shape1;
    const nv1 = ns1 * nr1 * nc1, n1 = nv1 * 3;
    const p1 = inp(d1, n1);
    const pOut = heap.owns(out) ? out.byteOffset : out === d1 ? p1 : heap.allocF32(n1);
    const p2 = inp(d2, shape2[0] * shape2[1] * shape2[2] * 3);
    const a = heap.affine(Slot.A, A, 4), b = heap.affine(Slot.B, B, 4);
    const split = plan(ns1, 1.6 * nv1);
    const [ns2, nr2, nc2] = shape2;
    if (!wantStats) {
      const { rows, rowBytes } = scratchRows(nc1);
      run(split, ns1, 'compose3d', [pOut, p1, ns1, nr1, nc1, p2, ns2, nr2, nc2, a, b, t, 0, 0],
        (lo, hi) => wasm.compose3d(pOut, p1, ns1, nr1, nc1, p2, ns2, nr2, nc2, a, b, t, 0, 0, lo, hi, rows), null, rows, rowBytes);
      fin(pOut, out, n1);
      return [NaN, NaN, NaN];
    }
    const qrow = heap.alloc(nc1 * 4);
    // Chunks computed without adding store every voxel's q; the calling thread adds them in raster order.
    const qAll = split ? heap.alloc(nv1 * 4) : 0;
    const stats = heap.slot(Slot.RESULT);
    heap.f64.fill(0, stats >>> 3, (stats >>> 3) + 4);
    const slice = nr1 * nc1;
    run(split, ns1, 'compose3d', [pOut, p1, ns1, nr1, nc1, p2, ns2, nr2, nc2, a, b, t, 0, qAll],
      (lo, hi) => wasm.compose3d(pOut, p1, ns1, nr1, nc1, p2, ns2, nr2, nc2, a, b, t, 0, qAll, lo, hi, 0), {
        fused: (lo, hi) => wasm.compose3d(pOut, p1, ns1, nr1, nc1, p2, ns2, nr2, nc2, a, b, t, stats, qrow, lo, hi, 0),
        reduce: (lo, hi) => wasm.composeStats(qAll, lo * slice, hi * slice, stats),
      });
    fin(pOut, out, n1);
    return finishStats(stats);
  };

  /** One scratch row of `nc` floats per thread (the calling thread's first; a worker's at `rows + w·rowBytes`). */
  function scratchRows(nc: number): { rows: number; rowBytes: number } {
    const rowBytes = Math.ceil((nc * 4) / 64) * 64;
    return { rows: heap.alloc(rowBytes * (threads.pool?.size ?? 1)), rowBytes };
  }

  /**
   * The fixed-point iteration of the inversion (ALGORITHM §2.2; the same control
   * flow as the TypeScript kernels), pass by pass: each pass applies the pending
   * update and measures the new residuals (split over threads by `n` rows or
   * slices; `pass(…, res, lo, hi)` runs items `[lo, hi)`, `sum(lo, hi, res)` adds the
   * norms of items computed without adding); the calling thread adds the residual
   * norms in raster order and decides whether to go on. `minMag` is 3D's extra stop
   * (`0.1 < difmag`; null in 2D).
   */
  function iterateInversion(fn: ThreadedFunction, split: Split | null, n: number, voxels: number,
    args: (update: number, measure: number, eps: number, maxlen: number) => number[],
    pass: (update: number, measure: number, eps: number, maxlen: number, res: number, lo: number, hi: number) => void,
    sum: (lo: number, hi: number, res: number) => void,
    maxIter: number, tol: number, firstDifmag: number, minMag: number | null): InversionResult {
    const res = heap.slot(Slot.RESULT);
    const o = res >>> 3;
    let iter = 0;
    let error = 1 + tol;
    let difmag = firstDifmag;
    let measured = false;
    let eps = 0.75, maxlen = 0.0;
    for (;;) {
      const cont = (minMag === null || minMag < difmag) && iter < maxIter && tol < error;
      if (!cont && !measured) break;
      const update = measured ? 1 : 0, measure = cont ? 1 : 0;
      const e = eps, ml = maxlen;
      const f = heap.f64;
      f[o] = 0;
      f[o + 1] = 0;
      run(split, n, fn, args(update, measure, e, ml), (lo, hi) => pass(update, measure, e, ml, 0, lo, hi),
        cont ? {
          fused: (lo, hi) => pass(update, measure, e, ml, res, lo, hi),
          reduce: (lo, hi) => sum(lo, hi, res),
        } : null);
      if (!cont) break;
      const g = heap.f64;
      const total = g[o], mx = g[o + 1];
      eps = iter === 0 ? 0.75 : 0.5;
      difmag = mx;
      error = total / voxels;
      maxlen = difmag * eps;
      measured = true;
      iter++;
    }
    return iter === 0
      ? { iterations: 0, error: NaN, maxResidual: NaN }
      : { iterations: iter, error, maxResidual: difmag };
  }

  /** 2D inversion: passes split by rows (see {@link iterateInversion}). */
  const invert2d = (inv: Float32Array, d: Float32Array, shape: Shape2D, W: Affine, spacing: ArrayLike<number>,
    maxIter: number, tol: number, scratch: Float32Array): InversionResult => {
    heap.reset();
    const [nr, nc] = shape;
    const nv = nr * nc;
    const pInv = inp(inv, nv * 2);
    const pD = inp(d, nv * 2);
    const pQ = heap.owns(scratch) && scratch.length >= nv * 2 ? scratch.byteOffset : heap.allocF32(nv * 2);
    const w = heap.affine(Slot.A, W, 3);
    const sr = +spacing[0], sc = +spacing[1];
    const result = iterateInversion('invertPass2d', plan(nr, INVERT2D_WORK * nv), nr, nv,
      (u, m, e, ml) => [pInv, pD, pQ, nr, nc, w, sr, sc, u, m, e, ml, 0],
      (u, m, e, ml, res, lo, hi) => wasm.invertPass2d(pInv, pD, pQ, nr, nc, w, sr, sc, u, m, e, ml, res, lo, hi),
      (lo, hi, res) => wasm.invertSum2d(pQ, lo * nc, hi * nc, sr, sc, res),
      maxIter, tol, NaN, null);
    fin(pInv, inv, nv * 2);
    return result;
  };

  /** 3D inversion: passes split by slices (see {@link iterateInversion}). */
  const invert3d = (inv: Float32Array, d: Float32Array, shape: Shape3D, W: Affine, spacing: ArrayLike<number>,
    maxIter: number, tol: number, scratch: Float32Array): InversionResult => {
    heap.reset();
    const [ns, nr, nc] = shape;
    const nv = ns * nr * nc;
    const slice = nr * nc;
    const pInv = inp(inv, nv * 3);
    const pD = inp(d, nv * 3);
    const pQ = heap.owns(scratch) && scratch.length >= nv * 3 ? scratch.byteOffset : heap.allocF32(nv * 3);
    const w = heap.affine(Slot.A, W, 4);
    const ss = +spacing[0], sr = +spacing[1], sc = +spacing[2];
    const result = iterateInversion('invertPass3d', plan(ns, INVERT_WORK * nv), ns, nv,
      (u, m, e, ml) => [pInv, pD, pQ, ns, nr, nc, w, ss, sr, sc, u, m, e, ml, 0],
      (u, m, e, ml, res, lo, hi) => wasm.invertPass3d(pInv, pD, pQ, ns, nr, nc, w, ss, sr, sc, u, m, e, ml, res, lo, hi),
      (lo, hi, res) => wasm.invertSum3d(pQ, lo * slice, hi * slice, ss, sr, sc, res),
      maxIter, tol, 1, 0.1);
    fin(pInv, inv, nv * 3);
    return result;
  };

  const warp2d = (out: Float32Array, outShape: Shape2D, image: Float32Array, imageShape: Shape2D,
    field: Float32Array | null, fieldShape: Shape2D, A: Affine, B: Affine, C: Affine): void => {
    heap.reset();
    const [nr, nc] = outShape;
    const n = nr * nc;
    const [ir, ic] = imageShape, [fr, fc] = fieldShape;
    const pImg = inp(image, ir * ic);
    const pField = field === null ? 0 : inp(field, fr * fc * 2);
    const pOut = outp(out, n);
    const a = heap.affine(Slot.A, A, 3), b = heap.affine(Slot.B, B, 3), c = heap.affine(Slot.C, C, 3);
    run(plan(nr, WARP2D_WORK * n), nr, 'warp2d', [pOut, nr, nc, pImg, ir, ic, pField, fr, fc, a, b, c],
      (lo, hi) => wasm.warp2d(pOut, nr, nc, pImg, ir, ic, pField, fr, fc, a, b, c, lo, hi));
    fin(pOut, out, n);
  };

  const warp3d = (out: Float32Array, outShape: Shape3D, image: Float32Array, imageShape: Shape3D,
    field: Float32Array | null, fieldShape: Shape3D, A: Affine, B: Affine, C: Affine): void => {
    heap.reset();
    const [ns, nr, nc] = outShape;
    const n = ns * nr * nc;
    const pImg = inp(image, imageShape[0] * imageShape[1] * imageShape[2]);
    const pField = field === null ? 0 : inp(field, fieldShape[0] * fieldShape[1] * fieldShape[2] * 3);
    const pOut = outp(out, n);
    const a = heap.affine(Slot.A, A, 4), b = heap.affine(Slot.B, B, 4), c = heap.affine(Slot.C, C, 4);
    const args = [pOut, ns, nr, nc, pImg, imageShape[0], imageShape[1], imageShape[2],
      pField, fieldShape[0], fieldShape[1], fieldShape[2], a, b, c] as const;
    run(plan(ns, n), ns, 'warp3d', args,
      (lo, hi) => wasm.warp3d(pOut, ns, nr, nc, pImg, imageShape[0], imageShape[1], imageShape[2],
        pField, fieldShape[0], fieldShape[1], fieldShape[2], a, b, c, lo, hi));
    fin(pOut, out, n);
  };

  const ccFactors2d = (out: Float32Array, staticImage: Float32Array, movingImage: Float32Array,
    shape: Shape2D, radius: number): void => {
    heap.reset();
    const nr = shape[0], nc = shape[1], n = nr * nc;
    const side = 2 * radius + 1;
    const pS = inp(staticImage, n);
    const pM = inp(movingImage, n);
    const pOut = outp(out, n * 5);
    const slots = heap.alloc(nc * side * 5 * 8), tails = heap.alloc(nc * 5 * 8), rv = heap.alloc(nc * 5 * 8);
    wasm.ccFactors2d(pOut, pS, pM, nr, nc, radius, slots, tails, rv);
    fin(pOut, out, n * 5);
  };

  const ccFactors3d = (out: Float32Array, staticImage: Float32Array, movingImage: Float32Array,
    shape: Shape3D, radius: number): void => {
    heap.reset();
    const ns = shape[0], nr = shape[1], nc = shape[2], n = ns * nr * nc;
    const pS = inp(staticImage, n);
    const pM = inp(movingImage, n);
    const pOut = outp(out, n * 5);
    const temp = heap.alloc(2 * nr * nc * 48);
    heap.f64.fill(0, temp >>> 3, (temp >>> 3) + 2 * nr * nc * 6);
    wasm.ccFactors3d(pOut, 0, pS, pM, ns, nr, nc, radius, temp, 0, ns + radius);
    fin(pOut, out, n * 5);
  };

  /**
   * Resumable 3D CC factors (the running sums along slices are sequential, so this
   * runs on the calling thread): the caller's `state` (the TypeScript kernel's layout,
   * `2·nr·nc·5` doubles) is converted to this backend's layout and back around the
   * iterations `[sFrom, sTo)`, which write factor slices `[max(sFrom − r, 0), sTo − r)`.
   */
  const ccFactors3dStream = (out: Float32Array, outFirstSlice: number, staticImage: Float32Array,
    movingImage: Float32Array, shape: Shape3D, radius: number, state: Float64Array, sFrom: number, sTo: number): void => {
    if (!(sTo > sFrom)) return;
    heap.reset();
    const [ns, nr, nc] = shape;
    const plane = nr * nc, n = ns * plane;
    const pS = inp(staticImage, n);
    const pM = inp(movingImage, n);
    const z0 = Math.max(sFrom - radius, 0), z1 = sTo - radius; // the factor slices written
    const owned = heap.owns(out);
    const pOut = owned ? out.byteOffset : heap.allocF32(Math.max(z1 - z0, 0) * plane * 5);
    const nState = 2 * plane;
    const pTs = heap.alloc(nState * 40), temp = heap.alloc(nState * 48);
    heap.f64.set(state.subarray(0, nState * 5), pTs >>> 3);
    wasm.ccStateConvert(pTs, temp, nState, 1);
    wasm.ccFactors3d(pOut, owned ? outFirstSlice : z0, pS, pM, ns, nr, nc, radius, temp, sFrom, sTo);
    wasm.ccStateConvert(pTs, temp, nState, 0);
    const f64 = heap.f64;
    state.set(f64.subarray(pTs >>> 3, (pTs >>> 3) + nState * 5));
    if (!owned && z1 > z0) {
      const o = pOut >>> 2;
      out.set(heap.f32.subarray(o, o + (z1 - z0) * plane * 5), (z0 - outFirstSlice) * plane * 5);
    }
  };

  /** The 3D CC energy over slices `[sFrom, sTo)` continuing `acc` (a sequential sum: the calling thread). */
  const ccEnergy3d = (factors: Float32Array, firstSlice: number, shape: Shape3D, radius: number,
    sFrom: number, sTo: number, acc: number): number => {
    const [ns, nr, nc] = shape;
    const s0 = Math.max(sFrom, radius), s1 = Math.min(sTo, ns - radius);
    if (!(s1 > s0) || nr <= 2 * radius || nc <= 2 * radius) return acc;
    heap.reset();
    const fPlane = nr * nc * 5;
    let pF: number, first: number;
    if (heap.owns(factors)) {
      pF = factors.byteOffset;
      first = firstSlice;
    } else {
      pF = put(factors.subarray((s0 - firstSlice) * fPlane), (s1 - s0) * fPlane);
      first = s0;
    }
    return wasm.ccEnergy3d(pF, first, ns, nr, nc, radius, 3, 4, s0, s1, acc);
  };

  const ccStep2d = (forward: boolean) => (out: Float32Array, grad: Float32Array, factors: Float32Array,
    shape: Shape2D, radius: number): number => {
    heap.reset();
    const [nr, nc] = shape;
    const n = nr * nc;
    const pG = inp(grad, n * 2);
    const pF = inp(factors, n * 5);
    const pOut = outp(out, n * 2);
    const [iy, ix, ia, ib] = forward ? [0, 1, 3, 4] : [1, 0, 4, 3];
    let energy = 0;
    run(plan(nr, n / 3), nr, 'ccStep2d', [pOut, pG, pF, nr, nc, radius, iy, ix, ia, ib, 0, 0],
      (lo, hi) => { wasm.ccStep2d(pOut, pG, pF, nr, nc, radius, iy, ix, ia, ib, 0, 0, lo, hi); }, {
        fused: (lo, hi) => { energy = wasm.ccStep2d(pOut, pG, pF, nr, nc, radius, iy, ix, ia, ib, 1, energy, lo, hi); },
        reduce: (lo, hi) => { energy = wasm.ccEnergy2d(pF, nr, nc, radius, ia, ib, lo, hi, energy); },
      });
    fin(pOut, out, n * 2);
    return energy;
  };

  const ccStep3d = (forward: boolean) => (out: Float32Array, grad: Float32Array, factors: Float32Array,
    shape: Shape3D, radius: number): number => {
    heap.reset();
    const [ns, nr, nc] = shape;
    const n = ns * nr * nc;
    const pG = inp(grad, n * 3);
    const pF = inp(factors, n * 5);
    const pOut = outp(out, n * 3);
    const [iy, ix, ia, ib] = forward ? [0, 1, 3, 4] : [1, 0, 4, 3];
    let energy = 0;
    run(plan(ns, n / 3), ns, 'ccStep3d', [pOut, pG, pF, ns, nr, nc, radius, iy, ix, ia, ib, 0, 0],
      (lo, hi) => { wasm.ccStep3d(pOut, pG, pF, ns, nr, nc, radius, iy, ix, ia, ib, 0, 0, lo, hi); }, {
        fused: (lo, hi) => { energy = wasm.ccStep3d(pOut, pG, pF, ns, nr, nc, radius, iy, ix, ia, ib, 1, energy, lo, hi); },
        reduce: (lo, hi) => { energy = wasm.ccEnergy3d(pF, 0, ns, nr, nc, radius, ia, ib, lo, hi, energy); },
      });
    fin(pOut, out, n * 3);
    return energy;
  };

  /**
   * Gaussian filter: one pass per smoothed axis, all in one buffer — the output when
   * it lives in the memory (the input is copied into it first unless it is there
   * already), else one arena buffer copied out at the end. The first pass reads the
   * input in place when it lives in the memory. A non-last axis is filtered by column
   * panels (`gaussianPanel`), the last axis line by line (`gaussianLast`); both copy
   * what they read into per-thread scratch first, so every pass may write over its
   * source.
   */
  const gaussianFilter = (out: Float32Array, input: Float32Array, shape: Shape2D | Shape3D, ncomp: number,
    sigma: ArrayLike<number>): void => {
    const d = shape.length;
    let total = ncomp;
    for (let k = 0; k < d; k++) total *= shape[k];
    if (total === 0) return;
    const axes: { k: number; w: Float64Array }[] = [];
    for (let k = 0; k < d; k++) {
      const s = sigma[k];
      if (!(s > SIGMA_EPS)) continue;
      const w = gaussianWeights(s);
      if (w.length > 1) axes.push({ k, w }); // a radius-0 kernel is the identity
    }
    if (axes.length === 0) {
      if (out !== input) out.set(input.subarray(0, total));
      return;
    }
    heap.reset();
    const inOwned = heap.owns(input), outOwned = heap.owns(out);
    let maxR = 0, scratchBytes = 0;
    for (const { k, w } of axes) {
      const r = w.length - 1;
      maxR = Math.max(maxR, r);
      const rows = shape[k] + 2 * r;
      scratchBytes = Math.max(scratchBytes, k === d - 1 ? (rows + 2) * 8 : rows * PANEL * 8);
    }
    scratchBytes = Math.ceil(scratchBytes / 64) * 64 + 64;
    const pW = heap.alloc((maxR + 1) * 8);
    const nThreads = threads.pool?.size ?? 1;
    const scratch = heap.alloc(scratchBytes * nThreads);
    // `work`: where every pass writes; `src`: what the first pass reads.
    let work: number, src: number;
    if (outOwned) {
      work = out.byteOffset;
      if (!inOwned) {
        heap.f32.set(input.subarray(0, total), work >>> 2);
        src = work;
      } else if (input.byteOffset !== work && input.byteOffset < work + total * 4 && work < input.byteOffset + total * 4) {
        heap.f32.copyWithin(work >>> 2, input.byteOffset >>> 2, (input.byteOffset >>> 2) + total); // partial overlap
        src = work;
      } else {
        src = input.byteOffset;
      }
    } else {
      work = inOwned ? heap.allocF32(total) : put(input, total);
      src = inOwned ? input.byteOffset : work;
    }
    for (const { k, w } of axes) {
      heap.f64.set(w, pW >>> 3);
      const r = w.length - 1;
      const n = shape[k];
      let outer = 1;
      for (let a = 0; a < k; a++) outer *= shape[a];
      const from = src, to = work;
      const cost = total * (r + 1) / 30;
      if (k === d - 1) {
        run(plan(outer, cost), outer, 'gaussianLast', [to, from, outer, n, ncomp, pW, r],
          (lo, hi) => wasm.gaussianLast(to, from, outer, n, ncomp, pW, r, lo, hi, scratch), null, scratch, scratchBytes);
      } else {
        let inner = ncomp;
        for (let a = k + 1; a < d; a++) inner *= shape[a];
        const panels = outer * Math.ceil(inner / PANEL);
        run(plan(panels, cost), panels, 'gaussianPanel', [to, from, outer, n, inner, pW, r],
          (lo, hi) => wasm.gaussianPanel(to, from, outer, n, inner, pW, r, lo, hi, scratch), null, scratch, scratchBytes);
      }
      src = work;
    }
    if (!outOwned) get(work, out, total);
  };

  const numpyGradient = (out: Float32Array, image: Float32Array, shape: Shape2D | Shape3D): void => {
    heap.reset();
    const d = shape.length;
    let n = 1;
    for (let k = 0; k < d; k++) n *= shape[k];
    const pImg = inp(image, n);
    const pOut = outp(out, n * d);
    if (d === 2) {
      const [nr, nc] = shape as Shape2D;
      run(plan(nr, n / 4), nr, 'numpyGradient2d', [pOut, pImg, nr, nc],
        (lo, hi) => wasm.numpyGradient2d(pOut, pImg, nr, nc, lo, hi));
    } else {
      const [ns, nr, nc] = shape as Shape3D;
      run(plan(ns, n / 4), ns, 'numpyGradient3d', [pOut, pImg, ns, nr, nc],
        (lo, hi) => wasm.numpyGradient3d(pOut, pImg, ns, nr, nc, lo, hi));
    }
    fin(pOut, out, n * d);
  };

  /**
   * The metrics' physical gradient: `numpy.gradient`, then per voxel the division by
   * the spacing and the rotation by the direction's linear part (split by rows or slices).
   */
  const physicalGradient = (out: Float32Array, image: Float32Array, shape: Shape2D | Shape3D,
    spacing: ArrayLike<number>, direction: ArrayLike<number>): void => {
    heap.reset();
    const d = shape.length;
    let n = 1;
    for (let k = 0; k < d; k++) n *= shape[k];
    const pImg = inp(image, n);
    const pOut = outp(out, n * d);
    const m = d + 1;
    const dir = new Float64Array(m * m);
    for (let k = 0; k < m * m; k++) dir[k] = +direction[k];
    const D = heap.affine(Slot.B, dir, m);
    if (d === 2) {
      const [nr, nc] = shape as Shape2D;
      const s0 = +spacing[0], s1 = +spacing[1];
      run(plan(nr, n / 2), nr, 'physicalGradient2d', [pOut, pImg, nr, nc, s0, s1, D],
        (lo, hi) => wasm.physicalGradient2d(pOut, pImg, nr, nc, s0, s1, D, lo, hi));
    } else {
      const [ns, nr, nc] = shape as Shape3D;
      const s0 = +spacing[0], s1 = +spacing[1], s2 = +spacing[2];
      run(plan(ns, n / 2), ns, 'physicalGradient3d', [pOut, pImg, ns, nr, nc, s0, s1, s2, D],
        (lo, hi) => wasm.physicalGradient3d(pOut, pImg, ns, nr, nc, s0, s1, s2, D, lo, hi));
    }
    fin(pOut, out, n * d);
  };

  /**
   * SyN's step conditioning (in place): the boundary layer is zeroed and the largest
   * squared voxel norm of every row (2D) or slice (3D) measured, split over threads;
   * their maximum (independent of the order) gives the norm; then every value is
   * divided by its float32 rounding, again split over threads.
   */
  const conditionStep = (step: Float32Array, shape: Shape2D | Shape3D, spacing: ArrayLike<number>): number => {
    heap.reset();
    const d = shape.length;
    let nv = 1;
    for (let k = 0; k < d; k++) nv *= shape[k];
    const total = nv * d;
    const pS = inp(step, total);
    const lines = shape[0];
    const pMax = heap.alloc(lines * 8);
    if (d === 2) {
      const [nr, nc] = shape as Shape2D;
      const s0 = +spacing[0], s1 = +spacing[1];
      run(plan(nr, nv / 4), nr, 'stepMaxNorm2d', [pS, nr, nc, s0, s1, pMax],
        (lo, hi) => wasm.stepMaxNorm2d(pS, nr, nc, s0, s1, pMax, lo, hi));
    } else {
      const [ns, nr, nc] = shape as Shape3D;
      const s0 = +spacing[0], s1 = +spacing[1], s2 = +spacing[2];
      run(plan(ns, nv / 4), ns, 'stepMaxNorm3d', [pS, ns, nr, nc, s0, s1, s2, pMax],
        (lo, hi) => wasm.stepMaxNorm3d(pS, ns, nr, nc, s0, s1, s2, pMax, lo, hi));
    }
    const f64 = heap.f64;
    let sq = 0;
    for (let k = 0, o = pMax >>> 3; k < lines; k++) if (f64[o + k] > sq) sq = f64[o + k];
    const nrm = Math.sqrt(sq);
    if (nrm > 0) {
      const f = Math.fround(nrm);
      run(plan(total, total / 8), total, 'stepDivide', [pS, f], (lo, hi) => wasm.stepDivide(pS, f, lo, hi));
    }
    fin(pS, step, total);
    return nrm;
  };

  const resampleField2d = (out: Float32Array, outShape: Shape2D, field: Float32Array, shape: Shape2D,
    factors: ArrayLike<number>): void => {
    heap.reset();
    const pF = inp(field, shape[0] * shape[1] * 2);
    const [nr, nc] = outShape;
    const n = nr * nc * 2;
    const pOut = outp(out, n);
    const f0 = +factors[0], f1 = +factors[1];
    run(plan(nr, nr * nc), nr, 'resampleField2d', [pOut, nr, nc, pF, shape[0], shape[1], f0, f1],
      (lo, hi) => wasm.resampleField2d(pOut, nr, nc, pF, shape[0], shape[1], f0, f1, lo, hi));
    fin(pOut, out, n);
  };

  const resampleField3d = (out: Float32Array, outShape: Shape3D, field: Float32Array, shape: Shape3D,
    factors: ArrayLike<number>): void => {
    heap.reset();
    const pF = inp(field, shape[0] * shape[1] * shape[2] * 3);
    const [ns, nr, nc] = outShape;
    const nv = ns * nr * nc, n = nv * 3;
    const pOut = outp(out, n);
    const f0 = +factors[0], f1 = +factors[1], f2 = +factors[2];
    run(plan(ns, nv), ns, 'resampleField3d', [pOut, ns, nr, nc, pF, shape[0], shape[1], shape[2], f0, f1, f2],
      (lo, hi) => wasm.resampleField3d(pOut, ns, nr, nc, pF, shape[0], shape[1], shape[2], f0, f1, f2, lo, hi));
    fin(pOut, out, n);
  };

  const downsample2d = (out: Float32Array, input: Float32Array, shape: Shape2D, ncomp: number): void => {
    heap.reset();
    const nIn = shape[0] * shape[1] * ncomp;
    const nOut = ((shape[0] + 1) >> 1) * ((shape[1] + 1) >> 1) * ncomp;
    const pIn = inp(input, nIn);
    const pOut = outp(out, nOut);
    wasm.downsample2d(pOut, pIn, shape[0], shape[1], ncomp);
    fin(pOut, out, nOut);
  };

  const downsample3d = (out: Float32Array, input: Float32Array, shape: Shape3D, ncomp: number): void => {
    heap.reset();
    const [ns, nr, nc] = shape;
    const nIn = ns * nr * nc * ncomp;
    const ms = (ns + 1) >> 1;
    const nOut = ms * ((nr + 1) >> 1) * ((nc + 1) >> 1) * ncomp;
    const pIn = inp(input, nIn);
    const pOut = outp(out, nOut);
    run(plan(ms, nIn / 4), ms, 'downsample3d', [pOut, pIn, ns, nr, nc, ncomp],
      (lo, hi) => wasm.downsample3d(pOut, pIn, ns, nr, nc, ncomp, lo, hi));
    fin(pOut, out, nOut);
  };

  const ssdDemonsStep2d = (out: Float32Array, delta: Float32Array, gradient: Float32Array,
    shape: Shape2D, sigmaSqX: number): number => {
    heap.reset();
    const n = shape[0] * shape[1];
    const pD = inp(delta, n);
    const pG = inp(gradient, n * 2);
    const pOut = outp(out, n * 2);
    let e = 0;
    run(plan(n, n / 2), n, 'ssdDemonsStep2d', [pOut, pD, pG, sigmaSqX, 0],
      (lo, hi) => { wasm.ssdDemonsStep2d(pOut, pD, pG, sigmaSqX, 0, lo, hi); }, {
        fused: (lo, hi) => { e = wasm.ssdDemonsStep2d(pOut, pD, pG, sigmaSqX, e, lo, hi); },
        reduce: (lo, hi) => { e = wasm.sumSquares(pD, lo, hi, e); },
      });
    fin(pOut, out, n * 2);
    return e;
  };

  const ssdDemonsStep3d = (out: Float32Array, delta: Float32Array, gradient: Float32Array,
    shape: Shape3D, sigmaSqX: number): number => {
    heap.reset();
    const n = shape[0] * shape[1] * shape[2];
    const pD = inp(delta, n);
    const pG = inp(gradient, n * 3);
    const pOut = outp(out, n * 3);
    let e = 0;
    run(plan(n, n / 2), n, 'ssdDemonsStep3d', [pOut, pD, pG, sigmaSqX, 0],
      (lo, hi) => { wasm.ssdDemonsStep3d(pOut, pD, pG, sigmaSqX, 0, lo, hi); }, {
        fused: (lo, hi) => { e = wasm.ssdDemonsStep3d(pOut, pD, pG, sigmaSqX, e, lo, hi); },
        reduce: (lo, hi) => { e = wasm.sumSquares(pD, lo, hi, e); },
      });
    fin(pOut, out, n * 3);
    return e;
  };

  /** The optional arrays of the Gauss-Newton kernels (0 for null). */
  const optional = (a: Float32Array | null, n: number): number => (a === null ? 0 : inp(a, n));

  const gaussSeidelSweep = (dim: 2 | 3) => (u: Float32Array, delta: Float32Array, sigmaSq: Float32Array | null,
    gradient: Float32Array, target: Float32Array | null, lambda: number, shape: Shape2D | Shape3D): void => {
    heap.reset();
    let n = 1;
    for (let k = 0; k < dim; k++) n *= shape[k];
    const nv = n * dim;
    const pU = inp(u, nv);
    const pD = target === null ? inp(delta, n) : 0;
    const pS = optional(sigmaSq, n);
    const pG = inp(gradient, nv);
    const pT = optional(target, nv);
    if (dim === 2) wasm.gaussSeidelSweep2d(pU, pD, pS, pG, pT, lambda, shape[0], shape[1]);
    else wasm.gaussSeidelSweep3d(pU, pD, pS, pG, pT, lambda, shape[0], shape[1], (shape as Shape3D)[2]);
    fin(pU, u, nv);
  };

  const residual = (dim: 2 | 3) => (out: Float32Array, delta: Float32Array, sigmaSq: Float32Array | null,
    gradient: Float32Array, target: Float32Array | null, lambda: number, u: Float32Array, shape: Shape2D | Shape3D): void => {
    heap.reset();
    let n = 1;
    for (let k = 0; k < dim; k++) n *= shape[k];
    const nv = n * dim;
    const pD = target === null ? inp(delta, n) : 0;
    const pS = optional(sigmaSq, n);
    const pG = inp(gradient, nv);
    const pT = optional(target, nv);
    const pU = inp(u, nv);
    const pOut = outp(out, nv);
    if (dim === 2) {
      const [nr, nc] = shape as Shape2D;
      run(plan(nr, n), nr, 'residual2d', [pOut, pD, pS, pG, pT, lambda, pU, nr, nc],
        (lo, hi) => wasm.residual2d(pOut, pD, pS, pG, pT, lambda, pU, nr, nc, lo, hi));
    } else {
      const [ns, nr, nc] = shape as Shape3D;
      run(plan(ns, n), ns, 'residual3d', [pOut, pD, pS, pG, pT, lambda, pU, ns, nr, nc],
        (lo, hi) => wasm.residual3d(pOut, pD, pS, pG, pT, lambda, pU, ns, nr, nc, lo, hi));
    }
    fin(pOut, out, nv);
  };

  return {
    resampleField2d, resampleField3d, downsample2d, downsample3d,
    ssdDemonsStep2d, ssdDemonsStep3d,
    gaussSeidelSweep2d: gaussSeidelSweep(2), gaussSeidelSweep3d: gaussSeidelSweep(3),
    residual2d: residual(2), residual3d: residual(3),
    compose2d, compose3d, invert2d, invert3d, warp2d, warp3d,
    ccFactors2d, ccFactors3d, ccFactors3dStream, ccEnergy3d,
    ccForwardStep2d: ccStep2d(true), ccBackwardStep2d: ccStep2d(false),
    ccForwardStep3d: ccStep3d(true), ccBackwardStep3d: ccStep3d(false),
    gaussianFilter, numpyGradient, physicalGradient, conditionStep,
    ...makeEmKernels(wasm, heap),
  };
}
