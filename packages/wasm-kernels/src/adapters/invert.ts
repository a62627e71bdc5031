/**
 * Inversion of displacement fields (`assembly/invert.ts`): DIPY's fixed-point iteration
 * pass by pass, the residual norms added in raster order by the calling thread.
 * JavaScript side only: puts the arguments into the backend's memory, splits the call
 * over threads (see `env.ts`) and takes the outputs back; the arithmetic is in WebAssembly.
 */
import type { Affine, InversionResult, Kernels, Shape2D, Shape3D } from '@diffeo/core';
import { Slot } from '../heap.js';
import type { Split } from '../pool.js';
import type { ThreadedFunction } from '../protocol.js';
import type { AdapterEnv } from './env.js';

/** Work units per voxel of one 3D inversion pass. */
const INVERT_WORK = 1.5;
/** Work units per pixel of one 2D inversion pass (some 8.5 ns on one thread). */
const INVERT2D_WORK = 0.6;

/** The invert kernels of one instance. */
export type InvertKernels = Pick<Kernels, 'invert2d' | 'invert3d'>;

/** Builds the invert kernels over one instance's memory and threads. */
export function invertKernels(env: AdapterEnv): InvertKernels {
  const { wasm, heap, threads, inp, fin, plan, run } = env;

  /**
   * The fixed-point iteration of the inversion (docs/algorithm.md §2.2; the same control
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
      if (split === null || threads.pool === null) {
        // one thread: the pass itself, with no per-pass arrays or closures (what `run`
        // does without a split: the fused pass when measuring, else the plain one)
        pass(update, measure, e, ml, cont ? res : 0, 0, n);
      } else {
        run(split, n, fn, args(update, measure, e, ml), (lo, hi) => pass(update, measure, e, ml, 0, lo, hi),
          cont ? {
            fused: (lo, hi) => pass(update, measure, e, ml, res, lo, hi),
            reduce: (lo, hi) => sum(lo, hi, res),
          } : null);
      }
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
    const split = plan(nr, INVERT2D_WORK * nv);
    if (split === null || threads.pool === null) {
      // one thread: the whole iteration in one call (the same passes and stopping rules)
      const res = heap.slot(Slot.RESULT);
      wasm.invertLoop2d(pInv, pD, pQ, nr, nc, w, sr, sc, maxIter, tol, res);
      const f = heap.f64, o = res >>> 3;
      fin(pInv, inv, nv * 2);
      return { iterations: f[o + 2], error: f[o + 3], maxResidual: f[o + 4] };
    }
    const result = iterateInversion('invertPass2d', split, nr, nv,
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
    const split = plan(ns, INVERT_WORK * nv);
    if (split === null || threads.pool === null) {
      // one thread: the whole iteration in one call (as invert2d)
      const res = heap.slot(Slot.RESULT);
      wasm.invertLoop3d(pInv, pD, pQ, ns, nr, nc, w, ss, sr, sc, maxIter, tol, res);
      const f = heap.f64, o = res >>> 3;
      fin(pInv, inv, nv * 3);
      return { iterations: f[o + 2], error: f[o + 3], maxResidual: f[o + 4] };
    }
    const result = iterateInversion('invertPass3d', split, ns, nv,
      (u, m, e, ml) => [pInv, pD, pQ, ns, nr, nc, w, ss, sr, sc, u, m, e, ml, 0],
      (u, m, e, ml, res, lo, hi) => wasm.invertPass3d(pInv, pD, pQ, ns, nr, nc, w, ss, sr, sc, u, m, e, ml, res, lo, hi),
      (lo, hi, res) => wasm.invertSum3d(pQ, lo * slice, hi * slice, ss, sr, sc, res),
      maxIter, tol, 1, 0.1);
    fin(pInv, inv, nv * 3);
    return result;
  };

  return {
    invert2d, invert3d
  };
}
