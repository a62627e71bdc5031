/**
 * Nearest-neighbour warping of any-typed images (`assembly/warp-nearest.ts`; the
 * masks of the EM metric, label images). JavaScript side only: the image and the
 * output go to the module as raw elements (1, 2 or 4 bytes); for an image and output
 * of different element types, or of 8-byte elements, the module computes the nearest
 * voxel's index and the values are gathered here with JavaScript's conversion
 * (`out[o] = image[q]`, as the TypeScript kernel does). Large calls are
 * split over threads by output rows (2D) or slices (3D), like the linear warp.
 */
import type { Affine, Kernels, NumericArray, Shape2D, Shape3D } from '@diffeo/core';
import { Slot } from '../heap.js';
import type { AdapterEnv } from './env.js';

/** The nearest-neighbour warp kernels of one instance. */
export type WarpNearestKernels = Pick<Kernels, 'warpNearest2d' | 'warpNearest3d'>;

/** Element size in bytes when `out` and `image` have the same 1-, 2- or 4-byte element type, else 0. */
function rawElementBytes(out: NumericArray, image: NumericArray): number {
  if (out.constructor !== image.constructor) return 0;
  const b = (out as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 0;
  return b === 1 || b === 2 || b === 4 ? b : 0;
}

/** Builds the nearest-neighbour warp kernels over one instance's memory. */
export function warpNearestKernels(env: AdapterEnv): WarpNearestKernels {
  const { wasm, heap, inp, plan, run } = env;

  /** Address of `a`'s first `n` elements of `bytes` bytes: in place when it lives in the memory, else an arena copy. */
  const rawIn = (a: NumericArray, n: number, bytes: number): number => {
    if (bytes === 4 && a instanceof Float32Array) return inp(a, n);
    if (heap.owns(a)) return a.byteOffset;
    const p = heap.alloc(n * bytes);
    const src = new Uint8Array(a.buffer, a.byteOffset, n * bytes);
    new Uint8Array(heap.memory.buffer, p, n * bytes).set(src);
    heap.countIn(n * bytes);
    return p;
  };
  const rawOut = (a: NumericArray, n: number, bytes: number): number => (heap.owns(a) ? a.byteOffset : heap.alloc(n * bytes));
  /** `out[o] = image[q]` (0 where `q < 0`) from the int32 indices at `p`. */
  const gather = (p: number, out: NumericArray, image: NumericArray, n: number): void => {
    const idx = heap.i32;
    const o0 = p >>> 2;
    for (let o = 0; o < n; o++) {
      const q = idx[o0 + o];
      out[o] = q < 0 ? 0 : image[q];
    }
    heap.countOut(n * 4);
  };
  const rawFin = (p: number, a: NumericArray, n: number, bytes: number): void => {
    if (p === a.byteOffset && heap.owns(a)) return;
    new Uint8Array(a.buffer, a.byteOffset, n * bytes).set(new Uint8Array(heap.memory.buffer, p, n * bytes));
    heap.countOut(n * bytes);
  };

  const warpNearest2d = (out: NumericArray, outShape: Shape2D, image: NumericArray, imageShape: Shape2D,
    field: Float32Array | null, fieldShape: Shape2D, A: Affine, B: Affine, C: Affine): void => {
    const bytes = rawElementBytes(out, image);
    heap.reset();
    const [nr, nc] = outShape;
    const [ir, ic] = imageShape, [fr, fc] = fieldShape;
    const pImg = bytes === 0 ? 0 : rawIn(image, ir * ic, bytes);
    const pField = field === null ? 0 : inp(field, fr * fc * 2);
    const pOut = bytes === 0 ? heap.alloc(nr * nc * 4) : rawOut(out, nr * nc, bytes);
    const a = heap.affine(Slot.A, A, 3), b = heap.affine(Slot.B, B, 3), c = heap.affine(Slot.C, C, 3);
    run(plan(nr, nr * nc), nr, 'warpNearest2d', [pOut, bytes, nr, nc, pImg, ir, ic, pField, fr, fc, a, b, c],
      (lo, hi) => wasm.warpNearest2d(pOut, bytes, nr, nc, pImg, ir, ic, pField, fr, fc, a, b, c, lo, hi));
    if (bytes === 0) gather(pOut, out, image, nr * nc);
    else rawFin(pOut, out, nr * nc, bytes);
  };

  const warpNearest3d = (out: NumericArray, outShape: Shape3D, image: NumericArray, imageShape: Shape3D,
    field: Float32Array | null, fieldShape: Shape3D, A: Affine, B: Affine, C: Affine): void => {
    const bytes = rawElementBytes(out, image);
    heap.reset();
    const [ns, nr, nc] = outShape;
    const [is, ir, ic] = imageShape, [fs, fr, fc] = fieldShape;
    const pImg = bytes === 0 ? 0 : rawIn(image, is * ir * ic, bytes);
    const pField = field === null ? 0 : inp(field, fs * fr * fc * 3);
    const pOut = bytes === 0 ? heap.alloc(ns * nr * nc * 4) : rawOut(out, ns * nr * nc, bytes);
    const a = heap.affine(Slot.A, A, 4), b = heap.affine(Slot.B, B, 4), c = heap.affine(Slot.C, C, 4);
    run(plan(ns, ns * nr * nc), ns, 'warpNearest3d', [pOut, bytes, ns, nr, nc, pImg, is, ir, ic, pField, fs, fr, fc, a, b, c],
      (lo, hi) => wasm.warpNearest3d(pOut, bytes, ns, nr, nc, pImg, is, ir, ic, pField, fs, fr, fc, a, b, c, lo, hi));
    if (bytes === 0) gather(pOut, out, image, ns * nr * nc);
    else rawFin(pOut, out, ns * nr * nc, bytes);
  };

  return { warpNearest2d, warpNearest3d };
}
