/**
 * JavaScript side of the WebAssembly mutual-information kernels (`assembly/mi.ts`):
 * `miJointPdf` and `parzenMiStep`, with the signatures of the matching `Kernels`
 * entries of `@diffeo/core` and the same bits as the TypeScript kernels. Float32
 * arguments that live in the backend's memory are used in place; the float64 tables
 * (`nbins²` values) are copied in and out. Both run on the calling thread only: the
 * histogram is one sequential float64 sum, and the step one cheap pass.
 */
import type { Kernels } from '@diffeo/core';
import type { WasmHeap } from './heap.js';

/** The MI exports of the WebAssembly module (addresses are byte offsets into its memory). */
export interface MiWasmExports {
  miJointPdf(joint: number, rowMarginal: number, colMarginal: number, rows: number, cols: number, n: number, nbins: number,
    rowOffset: number, rowDelta: number, colOffset: number, colDelta: number): void;
  parzenMiStep(out: number, rows: number, cols: number, gradient: number, logRatio: number, n: number, d: number, nbins: number,
    rowOffset: number, rowDelta: number, colOffset: number, colDelta: number, scale: number): void;
}

/** The MI kernels of one backend instance. */
export type MiKernels = Pick<Kernels, 'miJointPdf' | 'parzenMiStep'>;

/** Builds the MI kernels on `heap`, calling `wasm`. */
export function makeMiKernels(wasm: MiWasmExports, heap: WasmHeap): MiKernels {
  const inF32 = (a: Float32Array, n: number): number =>
    heap.owns(a) ? a.byteOffset : heap.allocF32(n, a.length === n ? a : a.subarray(0, n));
  const outF32 = (a: Float32Array, n: number): number => (heap.owns(a) ? a.byteOffset : heap.allocF32(n));
  const finF32 = (p: number, a: Float32Array, n: number): void => {
    if (!(p === a.byteOffset && heap.owns(a))) heap.readF32(p, a.length === n ? a : a.subarray(0, n));
  };
  const inF64 = (a: Float64Array, n: number): number => {
    const p = heap.alloc(n * 8);
    heap.f64.set(a.length === n ? a : a.subarray(0, n), p >>> 3);
    heap.countIn(n * 8);
    return p;
  };
  // Re-read `heap.f64` after the call: the memory may have grown since the addresses were taken.
  const finF64 = (p: number, a: Float64Array, n: number): void => {
    const o = p >>> 3;
    a.set(heap.f64.subarray(o, o + n));
    heap.countOut(n * 8);
  };

  const miJointPdf: Kernels['miJointPdf'] = (joint, rowMarginal, colMarginal, rows, cols, nbins, ro, rd, co, cd) => {
    heap.reset();
    const n = rows.length;
    const pR = inF32(rows, n);
    const pC = inF32(cols, n);
    const pJ = heap.alloc(nbins * nbins * 8);
    const pRm = heap.alloc(nbins * 8);
    const pCm = heap.alloc(nbins * 8);
    wasm.miJointPdf(pJ, pRm, pCm, pR, pC, n, nbins, ro, rd, co, cd);
    finF64(pJ, joint, nbins * nbins);
    finF64(pRm, rowMarginal, nbins);
    finF64(pCm, colMarginal, nbins);
  };

  const parzenMiStep: Kernels['parzenMiStep'] = (out, rows, cols, gradient, logRatio, nbins, ro, rd, co, cd, scale) => {
    heap.reset();
    const n = rows.length;
    const d = n > 0 ? Math.round(gradient.length / n) : 0;
    const pR = inF32(rows, n);
    const pC = inF32(cols, n);
    const pG = inF32(gradient, n * d);
    const pL = inF64(logRatio, nbins * nbins);
    const pOut = outF32(out, n * d);
    wasm.parzenMiStep(pOut, pR, pC, pG, pL, n, d, nbins, ro, rd, co, cd, scale);
    finF32(pOut, out, n * d);
  };

  return { miJointPdf, parzenMiStep };
}
