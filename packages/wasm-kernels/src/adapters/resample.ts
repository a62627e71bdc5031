/**
 * Field resampling between pyramid levels and 2× downsampling (`assembly/resample.ts`).
 * JavaScript side only: puts the arguments into the backend's memory, splits the call
 * over threads (see `env.ts`) and takes the outputs back; the arithmetic is in WebAssembly.
 */
import type { Kernels, Shape2D, Shape3D } from '@diffeo/core';
import type { AdapterEnv } from './env.js';

/** The resample kernels of one instance. */
export type ResampleKernels = Pick<Kernels, 'resampleField2d' | 'resampleField3d' | 'downsample2d' | 'downsample3d'>;

/** Builds the resample kernels over one instance's memory and threads. */
export function resampleKernels(env: AdapterEnv): ResampleKernels {
  const { wasm, heap, inp, outp, fin, plan, run } = env;

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

  return {
    resampleField2d, resampleField3d, downsample2d, downsample3d
  };
}
