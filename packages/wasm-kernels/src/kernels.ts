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
 * Threads: with a {@link ThreadPool}, the 3D kernels split their work into
 * chunks of slices (Gaussian passes: of rows or lines) that the calling thread
 * and the workers take as they go, all on the same shared memory. Every voxel's
 * arithmetic is independent of the split; the sums (inversion residuals,
 * composition statistics, energies) are added by the calling thread alone, chunk
 * after chunk in raster order: fused into the computation when it computes the
 * next chunk to add itself, otherwise from the per-voxel values the chunk's
 * thread stored (or recomputed from the inputs) once that chunk is finished. So
 * the results are the same bits for every number of threads and every split. The Gauss-Seidel sweep (a
 * sequential recurrence) and the 3D CC factors (running sums along slices) run on
 * the calling thread only, as do the 2D kernels.
 */
import type { Affine, ComposeStats, InversionResult, Kernels, Shape2D, Shape3D } from '@diffeo/core';
import { Slot, type WasmHeap } from './heap.js';
import type { WasmExports } from './load.js';
import type { Split, ThreadPool } from './pool.js';
import { chunkStart, type ThreadedFunction } from './protocol.js';
import { gaussianWeights } from './weights.js';

/** Sigmas at or below this are not smoothed (SciPy's threshold, as the TypeScript kernel). */
const SIGMA_EPS = 1e-15;

/**
 * A call (or an inversion pass, a Gaussian pass) with less work than this runs on
 * the calling thread only: waking the workers costs some 40 µs. One unit is about
 * 15 ns of one thread's time (a voxel of `warp3d`); measured on 2 threads, splitting
 * pays from some 80 µs of work (e.g. 20³ voxels for `warp3d` and a Gaussian pass).
 */
export const MIN_PARALLEL_WORK = 6000;

/** The thread pool of a backend, if any (`pool` becomes null when the backend is disposed). */
export interface PoolRef {
  pool: ThreadPool | null;
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
  const plan = (n: number, work: number): Split | null => threads.pool?.split(n, work, threads.minWork) ?? null;

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
    const mine = red ? new Uint8Array(k) : null;
    try {
      let taken = 0;
      for (let c = 0; c >= 0; c = ++taken < threads.callerChunks ? pool.claim(k) : -1) {
        if (red && c === next) {
          red.fused(at(c), at(c + 1));
          next++;
        } else {
          own(at(c), at(c + 1));
          if (mine) mine[c] = 1;
        }
        if (red && mine) {
          for (; next < k && (mine[next] === 1 || pool.finished(next)); next++) red.reduce(at(next), at(next + 1));
        }
      }
    } finally {
      pool.join();
    }
    if (red) for (; next < k; next++) red.reduce(at(next), at(next + 1));
  }

  function finishStats(p: number): ComposeStats {
    const f = heap.f64;
    const o = p >>> 3;
    const cnt = f[o], maxQ = f[o + 1], sumQ = f[o + 2], sumQ2 = f[o + 3];
    const mean = sumQ / cnt;
    return [Math.sqrt(maxQ), Math.sqrt(mean), Math.sqrt(sumQ2 / cnt - mean * mean)];
  }

  const compose2d = (out: Float32Array, d1: Float32Array, shape1: Shape2D, d2: Float32Array, shape2: Shape2D,
    A: Affine, B: Affine, t: number): ComposeStats => {
    heap.reset();
    const n1 = shape1[0] * shape1[1] * 2;
    const p1 = inp(d1, n1);
    const pOut = heap.owns(out) ? out.byteOffset : out === d1 ? p1 : heap.allocF32(n1);
    const p2 = inp(d2, shape2[0] * shape2[1] * 2);
    const a = heap.affine(Slot.A, A, 3), b = heap.affine(Slot.B, B, 3);
    const stats = heap.slot(Slot.RESULT);
    const qrow = heap.alloc(shape1[1] * 8);
    wasm.compose2d(pOut, p1, shape1[0], shape1[1], p2, shape2[0], shape2[1], a, b, t, stats, qrow);
    fin(pOut, out, n1);
    return finishStats(stats);
  };

  const compose3d = (out: Float32Array, d1: Float32Array, shape1: Shape3D, d2: Float32Array, shape2: Shape3D,
    A: Affine, B: Affine, t: number): ComposeStats => {
    heap.reset();
    const [ns1, nr1, nc1] = shape1;
    const nv1 = ns1 * nr1 * nc1, n1 = nv1 * 3;
    const p1 = inp(d1, n1);
    const pOut = heap.owns(out) ? out.byteOffset : out === d1 ? p1 : heap.allocF32(n1);
    const p2 = inp(d2, shape2[0] * shape2[1] * shape2[2] * 3);
    const a = heap.affine(Slot.A, A, 4), b = heap.affine(Slot.B, B, 4);
    const qrow = heap.alloc(nc1 * 4);
    const split = plan(ns1, 1.6 * nv1);
    // Chunks computed without adding store every voxel's q; the calling thread adds them in raster order.
    const qAll = split ? heap.alloc(nv1 * 4) : 0;
    const stats = heap.slot(Slot.RESULT);
    heap.f64.fill(0, stats >>> 3, (stats >>> 3) + 4);
    const [ns2, nr2, nc2] = shape2;
    const slice = nr1 * nc1;
    run(split, ns1, 'compose3d', [pOut, p1, ns1, nr1, nc1, p2, ns2, nr2, nc2, a, b, t, 0, qAll],
      (lo, hi) => wasm.compose3d(pOut, p1, ns1, nr1, nc1, p2, ns2, nr2, nc2, a, b, t, 0, qAll, lo, hi), {
        fused: (lo, hi) => wasm.compose3d(pOut, p1, ns1, nr1, nc1, p2, ns2, nr2, nc2, a, b, t, stats, qrow, lo, hi),
        reduce: (lo, hi) => wasm.composeStats(qAll, lo * slice, hi * slice, stats),
      });
    fin(pOut, out, n1);
    return finishStats(stats);
  };

  const invert2d = (inv: Float32Array, d: Float32Array, shape: Shape2D, W: Affine, spacing: ArrayLike<number>,
    maxIter: number, tol: number, scratch: Float32Array): InversionResult => {
    heap.reset();
    const n = shape[0] * shape[1] * 2;
    const pInv = inp(inv, n);
    const pD = inp(d, n);
    const pQ = heap.owns(scratch) && scratch.length >= n ? scratch.byteOffset : heap.allocF32(n);
    const pM = heap.alloc(shape[0] * shape[1] * 8);
    const w = heap.affine(Slot.A, W, 3);
    const res = heap.slot(Slot.RESULT);
    wasm.invert2d(pInv, pD, pQ, shape[0], shape[1], w, +spacing[0], +spacing[1], maxIter, tol, res, pM);
    fin(pInv, inv, n);
    const f = heap.f64;
    const o = res >>> 3;
    const iterations = f[o];
    return iterations === 0
      ? { iterations: 0, error: NaN, maxResidual: NaN }
      : { iterations, error: f[o + 1], maxResidual: f[o + 2] };
  };

  /**
   * 3D inversion, pass by pass (ALGORITHM §2.2; the same control flow as the
   * TypeScript kernel): each pass applies the pending update and measures the new
   * residuals (split by slices); the calling thread then sums the residual norms in
   * raster order and decides whether to go on.
   */
  const invert3d = (inv: Float32Array, d: Float32Array, shape: Shape3D, W: Affine, spacing: ArrayLike<number>,
    maxIter: number, tol: number, scratch: Float32Array): InversionResult => {
    heap.reset();
    const [ns, nr, nc] = shape;
    const nv = ns * nr * nc;
    const pInv = inp(inv, nv * 3);
    const pD = inp(d, nv * 3);
    const pQ = heap.owns(scratch) && scratch.length >= nv * 3 ? scratch.byteOffset : heap.allocF32(nv * 3);
    const pM = heap.alloc(nv * 8);
    const w = heap.affine(Slot.A, W, 4);
    const res = heap.slot(Slot.RESULT);
    const ss = +spacing[0], sr = +spacing[1], sc = +spacing[2];
    const split = plan(ns, 1.5 * nv);
    const slice = nr * nc;
    const f = heap.f64;
    const o = res >>> 3;
    const n = ns * nr * nc;
    let iter = 0;
    let error = 1 + tol;
    let difmag = 1.0;
    let measured = false;
    let eps = 0.75, maxlen = 0.0;
    for (;;) {
      const cont = 0.1 < difmag && iter < maxIter && tol < error;
      if (!cont && !measured) break;
      const update = measured ? 1 : 0, measure = cont ? 1 : 0;
      f[o] = 0;
      f[o + 1] = 0;
      run(split, ns, 'invertPass3d', [pInv, pD, pQ, pM, ns, nr, nc, w, ss, sr, sc, update, measure, eps, maxlen, 0],
        (lo, hi) => wasm.invertPass3d(pInv, pD, pQ, pM, ns, nr, nc, w, ss, sr, sc, update, measure, eps, maxlen, 0, lo, hi),
        cont ? {
          fused: (lo, hi) => wasm.invertPass3d(pInv, pD, pQ, pM, ns, nr, nc, w, ss, sr, sc, update, measure, eps, maxlen, res, lo, hi),
          reduce: (lo, hi) => wasm.invertSum(pM, lo * slice, hi * slice, res),
        } : null);
      if (!cont) break;
      const sum = f[o], mx = f[o + 1];
      eps = iter === 0 ? 0.75 : 0.5;
      difmag = mx;
      error = sum / n;
      maxlen = difmag * eps;
      measured = true;
      iter++;
    }
    fin(pInv, inv, nv * 3);
    return iter === 0
      ? { iterations: 0, error: NaN, maxResidual: NaN }
      : { iterations: iter, error, maxResidual: difmag };
  };

  const warp2d = (out: Float32Array, outShape: Shape2D, image: Float32Array, imageShape: Shape2D,
    field: Float32Array | null, fieldShape: Shape2D, A: Affine, B: Affine, C: Affine): void => {
    heap.reset();
    const n = outShape[0] * outShape[1];
    const pImg = inp(image, imageShape[0] * imageShape[1]);
    const pField = field === null ? 0 : inp(field, fieldShape[0] * fieldShape[1] * 2);
    const pOut = outp(out, n);
    const a = heap.affine(Slot.A, A, 3), b = heap.affine(Slot.B, B, 3), c = heap.affine(Slot.C, C, 3);
    wasm.warp2d(pOut, outShape[0], outShape[1], pImg, imageShape[0], imageShape[1],
      pField, fieldShape[0], fieldShape[1], a, b, c);
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
    wasm.ccFactors3d(pOut, pS, pM, ns, nr, nc, radius, temp);
    fin(pOut, out, n * 5);
  };

  const ccStep2d = (forward: boolean) => (out: Float32Array, grad: Float32Array, factors: Float32Array,
    shape: Shape2D, radius: number): number => {
    heap.reset();
    const n = shape[0] * shape[1];
    const pG = inp(grad, n * 2);
    const pF = inp(factors, n * 5);
    const pOut = outp(out, n * 2);
    const energy = forward
      ? wasm.ccStep2d(pOut, pG, pF, shape[0], shape[1], radius, 0, 1, 3, 4)
      : wasm.ccStep2d(pOut, pG, pF, shape[0], shape[1], radius, 1, 0, 4, 3);
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
    run(plan(ns, n / 3), ns, 'ccStep3d', [pOut, pG, pF, ns, nr, nc, radius, iy, ix, ia, ib, 0],
      (lo, hi) => { wasm.ccStep3d(pOut, pG, pF, ns, nr, nc, radius, iy, ix, ia, ib, 0, lo, hi); }, {
        fused: (lo, hi) => { energy = wasm.ccStep3d(pOut, pG, pF, ns, nr, nc, radius, iy, ix, ia, ib, energy, lo, hi); },
        reduce: (lo, hi) => { energy = wasm.ccEnergy3d(pF, ns, nr, nc, radius, ia, ib, lo, hi, energy); },
      });
    fin(pOut, out, n * 3);
    return energy;
  };

  /**
   * Gaussian filter: one pass per smoothed axis, each from a source buffer into a
   * different destination. The first pass reads the input in place when it lives in
   * the memory; the last writes the output in place when it does (through one arena
   * buffer, alternating, so a 3-axis filter of a field needs one extra field of
   * memory; an in-place call with an odd number of passes ends with a copy).
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
    const m = axes.length;
    const inOwned = heap.owns(input), outOwned = heap.owns(out);
    const pIn = inOwned ? input.byteOffset : put(input, total);
    // Destinations of the passes (see the function documentation).
    const dst = new Array<number>(m);
    let copyTo = -1;
    const A = heap.allocF32(total);
    if (outOwned) {
      const pOut = out.byteOffset;
      const overlaps = inOwned && pOut < pIn + total * 4 && pIn < pOut + total * 4;
      for (let j = 0; j < m; j++) dst[j] = (m - 1 - j) % 2 === 0 ? pOut : A;
      if (overlaps && dst[0] === pOut) {
        for (let j = 0; j < m; j++) dst[j] = (m - 1 - j) % 2 === 0 ? A : pOut;
        copyTo = pOut;
      }
    } else {
      // The result is copied out: alternate between A and a second buffer (the input's own copy when it was copied).
      const other = inOwned ? heap.allocF32(total) : pIn;
      for (let j = 0; j < m; j++) dst[j] = j % 2 === 0 ? A : other;
    }
    let maxR = 0, maxLine = 0;
    for (const a of axes) {
      maxR = Math.max(maxR, a.w.length - 1);
      maxLine = Math.max(maxLine, shape[a.k] + 2 * (a.w.length - 1) + 2);
    }
    const pW = heap.alloc((maxR + 1) * 8);
    const scratchBytes = Math.ceil(Math.max(maxLine * 8, (2 * maxR + 2) * 4) / 64) * 64 + 64;
    const nThreads = threads.pool?.size ?? 1;
    const scratch = heap.alloc(scratchBytes * nThreads);
    let src = pIn;
    for (let j = 0; j < m; j++) {
      const { k, w } = axes[j];
      heap.f64.set(w, pW >>> 3);
      const r = w.length - 1;
      const n = shape[k];
      let outer = 1;
      for (let a = 0; a < k; a++) outer *= shape[a];
      const to = dst[j];
      if (k === d - 1) {
        run(plan(outer, total * (r + 1) / 30), outer, 'gaussianLast', [to, src, outer, n, ncomp, pW, r],
          (lo, hi) => wasm.gaussianLast(to, src, outer, n, ncomp, pW, r, lo, hi, scratch), null, scratch, scratchBytes);
      } else {
        let inner = ncomp;
        for (let a = k + 1; a < d; a++) inner *= shape[a];
        const rows = outer * n;
        run(plan(rows, total * (r + 1) / 30), rows, 'gaussianSlab', [to, src, outer, n, inner, pW, r],
          (lo, hi) => wasm.gaussianSlab(to, src, outer, n, inner, pW, r, lo, hi, scratch), null, scratch, scratchBytes);
      }
      src = to;
    }
    if (copyTo >= 0) heap.f32.copyWithin(copyTo >>> 2, src >>> 2, (src >>> 2) + total);
    else fin(src, out, total);
  };

  const numpyGradient = (out: Float32Array, image: Float32Array, shape: Shape2D | Shape3D): void => {
    heap.reset();
    const d = shape.length;
    let n = 1;
    for (let k = 0; k < d; k++) n *= shape[k];
    const pImg = inp(image, n);
    const pOut = outp(out, n * d);
    if (d === 2) {
      wasm.numpyGradient2d(pOut, pImg, shape[0], shape[1]);
    } else {
      const [ns, nr, nc] = shape as Shape3D;
      run(plan(ns, n / 4), ns, 'numpyGradient3d', [pOut, pImg, ns, nr, nc],
        (lo, hi) => wasm.numpyGradient3d(pOut, pImg, ns, nr, nc, lo, hi));
    }
    fin(pOut, out, n * d);
  };

  const resampleField2d = (out: Float32Array, outShape: Shape2D, field: Float32Array, shape: Shape2D,
    factors: ArrayLike<number>): void => {
    heap.reset();
    const pF = inp(field, shape[0] * shape[1] * 2);
    const n = outShape[0] * outShape[1] * 2;
    const pOut = outp(out, n);
    wasm.resampleField2d(pOut, outShape[0], outShape[1], pF, shape[0], shape[1], +factors[0], +factors[1]);
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
    const e = wasm.ssdDemonsStep2d(pOut, pD, pG, n, sigmaSqX);
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
      wasm.residual2d(pOut, pD, pS, pG, pT, lambda, pU, shape[0], shape[1]);
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
    ccFactors2d, ccFactors3d,
    ccForwardStep2d: ccStep2d(true), ccBackwardStep2d: ccStep2d(false),
    ccForwardStep3d: ccStep3d(true), ccBackwardStep3d: ccStep3d(false),
    gaussianFilter, numpyGradient,
  };
}
