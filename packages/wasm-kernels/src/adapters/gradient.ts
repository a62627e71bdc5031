/**
 * Image gradients (`assembly/gradient.ts`): `numpy.gradient` (written, or added to `out`) and the metrics' physical
 * gradient (divided by the spacing, rotated by the direction).
 * JavaScript side only: puts the arguments into the backend's memory, splits the call
 * over threads (see `env.ts`) and takes the outputs back; the arithmetic is in WebAssembly.
 */
import type { Kernels, Shape2D, Shape3D } from '@diffeo/core';
import { Slot } from '../heap.js';
import type { AdapterEnv } from './env.js';

/** The gradient kernels of one instance. */
export type GradientKernels = Pick<Kernels, 'numpyGradient' | 'numpyGradientAdd' | 'physicalGradient'>;

/** Builds the gradient kernels over one instance's memory and threads. */
export function gradientKernels(env: AdapterEnv): GradientKernels {
  const { wasm, heap, inp, outp, fin, plan, run } = env;

  /**
   * `numpy.gradient` into `out`, or with `add` added to it (`out` then read as well:
   * in place when it lives in the memory, else copied in and out).
   */
  const gradient = (out: Float32Array, image: Float32Array, shape: Shape2D | Shape3D, add: boolean): void => {
    heap.reset();
    const d = shape.length;
    let n = 1;
    for (let k = 0; k < d; k++) n *= shape[k];
    const pImg = inp(image, n);
    const pOut = add ? inp(out, n * d) : outp(out, n * d);
    if (d === 2) {
      const [nr, nc] = shape as Shape2D;
      const fn = add ? 'numpyGradientAdd2d' : 'numpyGradient2d';
      run(plan(nr, n / 4), nr, fn, [pOut, pImg, nr, nc], (lo, hi) => wasm[fn](pOut, pImg, nr, nc, lo, hi));
    } else {
      const [ns, nr, nc] = shape as Shape3D;
      const fn = add ? 'numpyGradientAdd3d' : 'numpyGradient3d';
      run(plan(ns, n / 4), ns, fn, [pOut, pImg, ns, nr, nc], (lo, hi) => wasm[fn](pOut, pImg, ns, nr, nc, lo, hi));
    }
    fin(pOut, out, n * d);
  };
  const numpyGradient = (out: Float32Array, image: Float32Array, shape: Shape2D | Shape3D): void =>
    gradient(out, image, shape, false);
  const numpyGradientAdd = (out: Float32Array, image: Float32Array, shape: Shape2D | Shape3D): void =>
    gradient(out, image, shape, true);

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
    // the direction matrix goes straight into its parameter slot (no array per call)
    const D = heap.slot(Slot.B);
    const f = heap.f64, o = D >>> 3;
    for (let k = 0; k < m * m; k++) f[o + k] = +direction[k];
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

  return {
    numpyGradient, numpyGradientAdd, physicalGradient
  };
}
