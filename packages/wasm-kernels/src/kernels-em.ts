/**
 * JavaScript side of the WebAssembly EM-metric kernels (`assembly/em.ts`):
 * `quantizePositive`, `maskedClassStats`, `emClassFields`, `addFloat32`,
 * `subtractFloat32`, `sumSquaresFloat32`, `positiveMask`, `emDemonsStep2d/3d`, with the signatures of the matching
 * `Kernels` entries of `@diffeo/core` and the same bits as the TypeScript kernels.
 * Float32 and int32 arguments that live in the backend's memory (for example an
 * `Int32Array` view of an `allocFloat32` block) are used in place, everything else
 * is copied in and out once; the mask goes to the module as bytes (a uint8 mask is
 * copied as is, an int32 one converted). These kernels run on the calling thread
 * only: the class statistics are sequential float32 sums, the rest are cheap passes.
 */
import type { Kernels, Shape2D, Shape3D } from '@diffeo/core';
import type { WasmHeap } from './heap.js';

/** The EM exports of the WebAssembly module (addresses are byte offsets into its memory). */
export interface EmWasmExports {
  quantizePositive(out: number, levels: number, hist: number, image: number, n: number, numLevels: number): void;
  maskedClassStats(means: number, variances: number, counts: number, mask: number, image: number, labels: number,
    n: number, numLabels: number): void;
  emClassFields(means: number, sigmaSq: number, labels: number, classMeans: number, classVariances: number, n: number): void;
  addFloat32(out: number, a: number, b: number, n: number): void;
  subtractFloat32(out: number, a: number, b: number, n: number): void;
  sumSquaresFloat32(a: number, n: number): number;
  positiveMask(out: number, image: number, n: number): void;
  emDemonsStep2d(out: number, delta: number, sigmaSq: number, gradient: number, sigmaSqX: number, e0: number,
    lo: number, hi: number): number;
  emDemonsStep3d(out: number, delta: number, sigmaSq: number, gradient: number, sigmaSqX: number, e0: number,
    lo: number, hi: number): number;
}

/** The EM kernels of one backend instance. */
export type EmKernels = Pick<Kernels, 'quantizePositive' | 'maskedClassStats' | 'emClassFields' | 'addFloat32' | 'subtractFloat32' | 'sumSquaresFloat32' | 'positiveMask'
  | 'emDemonsStep2d' | 'emDemonsStep3d'>;

/** Builds the EM kernels on `heap`, calling `wasm`. */
export function makeEmKernels(wasm: EmWasmExports, heap: WasmHeap): EmKernels {
  const inF32 = (a: Float32Array, n: number): number =>
    heap.owns(a) ? a.byteOffset : heap.allocF32(n, a.length === n ? a : a.subarray(0, n));
  const outF32 = (a: Float32Array, n: number): number => (heap.owns(a) ? a.byteOffset : heap.allocF32(n));
  const finF32 = (p: number, a: Float32Array, n: number): void => {
    if (!(p === a.byteOffset && heap.owns(a))) heap.readF32(p, a.length === n ? a : a.subarray(0, n));
  };
  /** Whether `a` (any typed array) lies in one of the heap's long-lived blocks. */
  const ownsView = (a: Int32Array | Float32Array): boolean => heap.owns(a as Float32Array);
  const inI32 = (a: Int32Array, n: number): number => {
    if (ownsView(a)) return a.byteOffset;
    const p = heap.alloc(n * 4);
    heap.i32.set(a.length === n ? a : a.subarray(0, n), p >>> 2);
    heap.countIn(n * 4);
    return p;
  };
  const outI32 = (a: Int32Array, n: number): number => (ownsView(a) ? a.byteOffset : heap.alloc(n * 4));
  // Re-read `heap.i32` after the call: the memory may have grown since the addresses were taken.
  const finI32 = (p: number, a: Int32Array, n: number): void => {
    if (p === a.byteOffset && ownsView(a)) return;
    const o = p >>> 2;
    a.set(heap.i32.subarray(o, o + n));
    heap.countOut(n * 4);
  };
  /** The mask as `n` bytes in the memory (0 where the mask is 0, else non-zero): in place when it is a byte array living there. */
  const inMask = (mask: Int32Array | Uint8Array, n: number): number => {
    if (mask instanceof Uint8Array && heap.owns(mask)) return mask.byteOffset;
    const p = heap.alloc(n);
    const bytes = new Uint8Array(heap.memory.buffer, p, n);
    if (mask instanceof Uint8Array) bytes.set(mask.length === n ? mask : mask.subarray(0, n));
    else for (let i = 0; i < n; i++) bytes[i] = mask[i] !== 0 ? 1 : 0;
    heap.countIn(n);
    return p;
  };

  const quantizePositive = (out: Int32Array, levels: Float32Array, hist: Int32Array, image: Float32Array, numLevels: number): void => {
    heap.reset();
    const n = image.length;
    const pImg = inF32(image, n);
    const pOut = outI32(out, n);
    const pLev = outF32(levels, numLevels);
    const pHist = outI32(hist, numLevels);
    wasm.quantizePositive(pOut, pLev, pHist, pImg, n, numLevels);
    finI32(pOut, out, n);
    finF32(pLev, levels, numLevels);
    finI32(pHist, hist, numLevels);
  };

  const maskedClassStats = (means: Float32Array, variances: Float32Array, counts: Int32Array, mask: Int32Array | Uint8Array,
    image: Float32Array, labels: Int32Array, numLabels: number): void => {
    heap.reset();
    const n = image.length;
    const pImg = inF32(image, n);
    const pMask = inMask(mask, n);
    const pLab = inI32(labels, n);
    const pMeans = outF32(means, numLabels);
    const pVar = outF32(variances, numLabels);
    const pCounts = outI32(counts, numLabels);
    wasm.maskedClassStats(pMeans, pVar, pCounts, pMask, pImg, pLab, n, numLabels);
    finF32(pMeans, means, numLabels);
    finF32(pVar, variances, numLabels);
    finI32(pCounts, counts, numLabels);
  };

  const emClassFields = (means: Float32Array, sigmaSq: Float32Array, labels: Int32Array, classMeans: Float32Array,
    classVariances: Float32Array): void => {
    heap.reset();
    const n = labels.length;
    const q = classMeans.length;
    const pLab = inI32(labels, n);
    const pCm = inF32(classMeans, q);
    const pCv = inF32(classVariances, classVariances.length);
    const pM = outF32(means, n);
    const pS = outF32(sigmaSq, n);
    wasm.emClassFields(pM, pS, pLab, pCm, pCv, n);
    finF32(pM, means, n);
    finF32(pS, sigmaSq, n);
  };

  const combine = (op: 'addFloat32' | 'subtractFloat32') => (out: Float32Array, a: Float32Array, b: Float32Array): void => {
    heap.reset();
    const n = out.length;
    const pA = inF32(a, n);
    const pB = b === a ? pA : inF32(b, n);
    const pOut = out === a ? pA : out === b ? pB : outF32(out, n);
    wasm[op](pOut, pA, pB, n);
    finF32(pOut, out, n);
  };

  const sumSquaresFloat32 = (a: Float32Array): number => {
    heap.reset();
    return wasm.sumSquaresFloat32(inF32(a, a.length), a.length);
  };

  /** Values per piece when {@link positiveMask} copies an image in (so the arena stays small). */
  const MASK_PIECE = 1 << 16;

  const positiveMask = (out: Uint8Array, image: Float32Array): void => {
    heap.reset();
    const n = image.length;
    if (n > MASK_PIECE && !heap.owns(image)) {
      // an ordinary image (an original read once per level): piece by piece, each copied
      // in and the bytes written straight into `out` when it lives in the memory
      for (let lo = 0; lo < n; lo += MASK_PIECE) {
        heap.reset();
        const hi = Math.min(n, lo + MASK_PIECE);
        positiveMask(out.subarray(lo, hi), image.subarray(lo, hi));
      }
      return;
    }
    const pImg = inF32(image, n);
    const inPlace = heap.owns(out);
    const pOut = inPlace ? out.byteOffset : heap.alloc(n);
    wasm.positiveMask(pOut, pImg, n);
    if (inPlace) return;
    out.set(new Uint8Array(heap.memory.buffer, pOut, n));
    heap.countOut(n);
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
    emClassFields,
    addFloat32: combine('addFloat32'),
    subtractFloat32: combine('subtractFloat32'),
    sumSquaresFloat32,
    positiveMask,
    emDemonsStep2d: demons(2) as Kernels['emDemonsStep2d'],
    emDemonsStep3d: demons(3) as Kernels['emDemonsStep3d'],
  };
}
