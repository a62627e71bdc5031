/**
 * Separable Gaussian filtering (`assembly/gaussian.ts`), SciPy's `gaussian_filter` with
 * mirrored borders, one pass per smoothed axis.
 * JavaScript side only: puts the arguments into the backend's memory, splits the call
 * over threads (see `env.ts`) and takes the outputs back; the arithmetic is in WebAssembly.
 */
import type { Kernels, Shape2D, Shape3D } from '@diffeo/core';
import { gaussianWeights } from '../weights.js';
import type { AdapterEnv } from './env.js';

/** Sigmas at or below this are not smoothed (SciPy's threshold, as the TypeScript kernel). */
const SIGMA_EPS = 1e-15;

/** Columns per panel of `gaussianPanel` (as in `assembly/gaussian.ts`). */
const PANEL = 64;

/** The gaussian kernels of one instance. */
export type GaussianKernels = Pick<Kernels, 'gaussianFilter'>;

/** Builds the gaussian kernels over one instance's memory and threads. */
export function gaussianKernels(env: AdapterEnv): GaussianKernels {
  const { wasm, heap, threads, put, get, plan, run } = env;

  /**
   * The weights of the last few sigmas (a metric smooths with the same one or two every
   * iteration): the same doubles as {@link gaussianWeights}, computed once. Never written
   * after they are made (the passes copy them into the memory). Bounded: cleared past 16.
   */
  const weightCache = new Map<number, Float64Array>();
  const weightsFor = (sigma: number): Float64Array => {
    let w = weightCache.get(sigma);
    if (w === undefined) {
      if (weightCache.size >= 16) weightCache.clear();
      w = gaussianWeights(sigma);
      weightCache.set(sigma, w);
    }
    return w;
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
      const w = weightsFor(s);
      if (w.length > 1) axes.push({ k, w }); // a radius-0 kernel is the identity
    }
    if (axes.length === 0) {
      if (out !== input) {
        out.set(input.subarray(0, total));
        // a copy across the memory's boundary when exactly one of the two lives in it
        const inOwned = heap.owns(input), outOwned = heap.owns(out);
        if (outOwned && !inOwned) heap.countIn(total * 4);
        else if (inOwned && !outOwned) heap.countOut(total * 4);
      }
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
        heap.countIn(total * 4);
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
        run(plan(outer, cost, total / ncomp), outer, 'gaussianLast', [to, from, outer, n, ncomp, pW, r],
          (lo, hi) => wasm.gaussianLast(to, from, outer, n, ncomp, pW, r, lo, hi, scratch), null, scratch, scratchBytes);
      } else {
        let inner = ncomp;
        for (let a = k + 1; a < d; a++) inner *= shape[a];
        const panels = outer * Math.ceil(inner / PANEL);
        run(plan(panels, cost, total / ncomp), panels, 'gaussianPanel', [to, from, outer, n, inner, pW, r],
          (lo, hi) => wasm.gaussianPanel(to, from, outer, n, inner, pW, r, lo, hi, scratch), null, scratch, scratchBytes);
      }
      src = work;
    }
    if (!outOwned) get(work, out, total);
  };

  return {
    gaussianFilter
  };
}
