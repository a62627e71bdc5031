/**
 * JavaScript side of the WebAssembly EM-metric kernels (`assembly/em.ts`):
 * `quantizePositive`, `maskedClassStats`, `emDemonsStep2d/3d`, with the signatures
 * of the matching `Kernels` entries of `@diffeo/core` and the same bits as the
 * TypeScript kernels. Float32 arguments that live in the backend's memory are used
 * in place, everything else (including the int32 classes, masks, histograms and
 * counts) is copied in and out once. These kernels run on the calling thread only:
 * the class statistics are sequential float32 sums, and the demons step is one
 * cheap pass.
 */
import type { Kernels, Shape2D, Shape3D } from '@diffeo/core';
import type { WasmHeap } from './heap.js';

/** The EM exports of the WebAssembly module (addresses are byte offsets into its memory). */
export interface EmWasmExports {
  quantizePositive(out: number, levels: number, hist: number, image: number, n: number, numLevels: number): void;
  maskedClassStats(means: number, variances: number, counts: number, mask: number, image: number, labels: number,
    n: number, numLabels: number): void;
  emDemonsStep2d(out: number, delta: number, sigmaSq: number, gradient: number, sigmaSqX: number, e0: number,
    lo: number, hi: number): number;
  emDemonsStep3d(out: number, delta: number, sigmaSq: number, gradient: number, sigmaSqX: number, e0: number,
    lo: number, hi: number): number;
}

/** The EM kernels of one backend instance. */
export type EmKernels = Pick<Kernels, 'quantizePositive' | 'maskedClassStats' | 'emDemonsStep2d' | 'emDemonsStep3d'>;

/** Builds the EM kernels on `heap`, calling `wasm`. */
export function makeEmKernels(wasm: EmWasmExports, heap: WasmHeap): EmKernels {
  const inF32 = (a: Float32Array, n: number): number =>
    heap.owns(a) ? a.byteOffset : heap.allocF32(n, a.length === n ? a : a.subarray(0, n));
  const outF32 = (a: Float32Array, n: number): number => (heap.owns(a) ? a.byteOffset : heap.allocF32(n));
  const finF32 = (p: number, a: Float32Array, n: number): void => {
    if (!(p === a.byteOffset && heap.owns(a))) heap.readF32(p, a.length === n ? a : a.subarray(0, n));
  };
  const inI32 = (a: Int32Array, n: number): number => {
    const p = heap.alloc(n * 4);
    heap.i32.set(a.length === n ? a : a.subarray(0, n), p >>> 2);
    heap.countIn(n * 4);
    return p;
  };
  const outI32 = (n: number): number => heap.alloc(n * 4);
  // Re-read `heap.i32` after the call: the memory may have grown since the addresses were taken.
  const finI32 = (p: number, a: Int32Array, n: number): void => {
    const o = p >>> 2;
    a.set(heap.i32.subarray(o, o + n));
    heap.countOut(n * 4);
  };

  const quantizePositive = (out: Int32Array, levels: Float32Array, hist: Int32Array, image: Float32Array, numLevels: number): void => {
    heap.reset();
    const n = image.length;
    const pImg = inF32(image, n);
    const pOut = outI32(n);
    const pLev = outF32(levels, numLevels);
    const pHist = outI32(numLevels);
    wasm.quantizePositive(pOut, pLev, pHist, pImg, n, numLevels);
    finI32(pOut, out, n);
    finF32(pLev, levels, numLevels);
    finI32(pHist, hist, numLevels);
  };

  const maskedClassStats = (means: Float32Array, variances: Float32Array, counts: Int32Array, mask: Int32Array,
    image: Float32Array, labels: Int32Array, numLabels: number): void => {
    heap.reset();
    const n = image.length;
    const pImg = inF32(image, n);
    const pMask = inI32(mask, n);
    const pLab = inI32(labels, n);
    const pMeans = outF32(means, numLabels);
    const pVar = outF32(variances, numLabels);
    const pCounts = outI32(numLabels);
    wasm.maskedClassStats(pMeans, pVar, pCounts, pMask, pImg, pLab, n, numLabels);
    finF32(pMeans, means, numLabels);
    finF32(pVar, variances, numLabels);
    finI32(pCounts, counts, numLabels);
  };

  const demons = (dim: 2 | 3) => (out: Float32Array, delta: Float32Array, sigmaSq: Float32Array, gradient: Float32Array,
    shape: Shape2D | Shape3D, sigmaSqX: number): number => {
    heap.reset();
    let n = 1;
    for (let k = 0; k < dim; k++) n *= shape[k];
    const pD = inF32(delta, n);
    const pS = inF32(sigmaSq, n);
    const pG = inF32(gradient, n * dim);
    const pOut = outF32(out, n * dim);
    const e = dim === 2
      ? wasm.emDemonsStep2d(pOut, pD, pS, pG, sigmaSqX, 0, 0, n)
      : wasm.emDemonsStep3d(pOut, pD, pS, pG, sigmaSqX, 0, 0, n);
    finF32(pOut, out, n * dim);
    return e;
  };

  return {
    quantizePositive,
    maskedClassStats,
    emDemonsStep2d: demons(2) as Kernels['emDemonsStep2d'],
    emDemonsStep3d: demons(3) as Kernels['emDemonsStep3d'],
  };
}
