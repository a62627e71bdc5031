/**
 * Trilinear / bilinear warping of images through a displacement field (`assembly/warp.ts`).
 * JavaScript side only: puts the arguments into the backend's memory, splits the call
 * over threads (see `env.ts`) and takes the outputs back; the arithmetic is in WebAssembly.
 */
import type { Affine, Kernels, Shape2D, Shape3D } from '@diffeo/core';
import { Slot } from '../heap.js';
import type { AdapterEnv } from './env.js';

/** Work units per voxel of a 2D warp. */
const WARP2D_WORK = 0.7;

/** The warp kernels of one instance. */
export type WarpKernels = Pick<Kernels, 'warp2d' | 'warp3d'>;

/** Builds the warp kernels over one instance's memory and threads. */
export function warpKernels(env: AdapterEnv): WarpKernels {
  const { wasm, heap, inp, outp, fin, plan, run } = env;

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

  return {
    warp2d, warp3d
  };
}
