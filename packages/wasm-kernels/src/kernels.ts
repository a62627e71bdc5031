/**
 * JavaScript side of the WebAssembly kernels: each function has exactly the
 * signature of the matching `Kernels` entry (`@diffeo/core`), copies its inputs
 * into the backend's linear memory, runs the WebAssembly kernel and copies the
 * outputs back. The arithmetic is entirely in WebAssembly and bit-identical to
 * the TypeScript kernels (see `assembly/common.ts`).
 *
 * Memory traffic per call: every input array once in, every output array once
 * out; an in-place argument (compose's `out === d1`) is copied once each way;
 * scratch arrays the contract lets a kernel overwrite (inversion's `scratch`)
 * are never copied, the kernel uses its own scratch space in wasm memory.
 */
import type { Affine, ComposeStats, InversionResult, Kernels, Shape2D, Shape3D } from '@diffeo/core';
import { Slot, type WasmHeap } from './heap.js';
import type { WasmExports } from './load.js';
import { gaussianWeights } from './weights.js';

/** Sigmas at or below this are not smoothed (SciPy's threshold, as the TypeScript kernel). */
const SIGMA_EPS = 1e-15;

/** Builds the kernel table of one instance. */
export function makeKernels(wasm: WasmExports, heap: WasmHeap): Partial<Kernels> {
  /** Copies the first `n` values of `a` into a new arena buffer and returns its address. */
  const put = (a: Float32Array, n: number): number => heap.allocF32(n, a.length === n ? a : a.subarray(0, n));
  /** Copies `n` float32 values from address `p` into the start of `dst` (the values the kernel wrote). */
  const get = (p: number, dst: Float32Array, n: number): void => heap.readF32(p, dst.length === n ? dst : dst.subarray(0, n));

  function finishStats(p: number): ComposeStats {
    const f = heap.f64;
    const o = p >>> 3;
    const cnt = f[o], maxQ = f[o + 1], sumQ = f[o + 2], sumQ2 = f[o + 3];
    const mean = sumQ / cnt;
    return [Math.sqrt(maxQ), Math.sqrt(mean), Math.sqrt(sumQ2 / cnt - mean * mean)];
  }

  function inversionResult(p: number): InversionResult {
    const f = heap.f64;
    const o = p >>> 3;
    const iterations = f[o];
    return iterations === 0
      ? { iterations: 0, error: NaN, maxResidual: NaN }
      : { iterations, error: f[o + 1], maxResidual: f[o + 2] };
  }

  const compose2d = (out: Float32Array, d1: Float32Array, shape1: Shape2D, d2: Float32Array, shape2: Shape2D,
    A: Affine, B: Affine, t: number): ComposeStats => {
    heap.reset();
    const n1 = shape1[0] * shape1[1] * 2;
    const p1 = put(d1, n1);
    const pOut = out === d1 ? p1 : heap.allocF32(n1);
    const p2 = put(d2, shape2[0] * shape2[1] * 2);
    const a = heap.affine(Slot.A, A, 3), b = heap.affine(Slot.B, B, 3);
    const stats = heap.slot(Slot.RESULT);
    const qrow = heap.alloc(shape1[1] * 8);
    wasm.compose2d(pOut, p1, shape1[0], shape1[1], p2, shape2[0], shape2[1], a, b, t, stats, qrow);
    get(pOut, out, n1);
    return finishStats(stats);
  };

  const compose3d = (out: Float32Array, d1: Float32Array, shape1: Shape3D, d2: Float32Array, shape2: Shape3D,
    A: Affine, B: Affine, t: number): ComposeStats => {
    heap.reset();
    const n1 = shape1[0] * shape1[1] * shape1[2] * 3;
    const p1 = put(d1, n1);
    const pOut = out === d1 ? p1 : heap.allocF32(n1);
    const p2 = put(d2, shape2[0] * shape2[1] * shape2[2] * 3);
    const a = heap.affine(Slot.A, A, 4), b = heap.affine(Slot.B, B, 4);
    const stats = heap.slot(Slot.RESULT);
    const qrow = heap.alloc(shape1[2] * 8);
    wasm.compose3d(pOut, p1, shape1[0], shape1[1], shape1[2], p2, shape2[0], shape2[1], shape2[2], a, b, t, stats, qrow);
    get(pOut, out, n1);
    return finishStats(stats);
  };

  const invert2d = (inv: Float32Array, d: Float32Array, shape: Shape2D, W: Affine, spacing: ArrayLike<number>,
    maxIter: number, tol: number, _scratch: Float32Array): InversionResult => {
    heap.reset();
    const n = shape[0] * shape[1] * 2;
    const pInv = put(inv, n);
    const pD = put(d, n);
    const pQ = heap.allocF32(n);
    const pM = heap.alloc(shape[0] * shape[1] * 8);
    const w = heap.affine(Slot.A, W, 3);
    const res = heap.slot(Slot.RESULT);
    wasm.invert2d(pInv, pD, pQ, shape[0], shape[1], w, +spacing[0], +spacing[1], maxIter, tol, res, pM);
    get(pInv, inv, n);
    return inversionResult(res);
  };

  const invert3d = (inv: Float32Array, d: Float32Array, shape: Shape3D, W: Affine, spacing: ArrayLike<number>,
    maxIter: number, tol: number, _scratch: Float32Array): InversionResult => {
    heap.reset();
    const nv = shape[0] * shape[1] * shape[2];
    const pInv = put(inv, nv * 3);
    const pD = put(d, nv * 3);
    const pQ = heap.allocF32(nv * 3);
    const pM = heap.alloc(nv * 8);
    const w = heap.affine(Slot.A, W, 4);
    const res = heap.slot(Slot.RESULT);
    wasm.invert3d(pInv, pD, pQ, shape[0], shape[1], shape[2], w, +spacing[0], +spacing[1], +spacing[2], maxIter, tol, res, pM);
    get(pInv, inv, nv * 3);
    return inversionResult(res);
  };

  const warp2d = (out: Float32Array, outShape: Shape2D, image: Float32Array, imageShape: Shape2D,
    field: Float32Array | null, fieldShape: Shape2D, A: Affine, B: Affine, C: Affine): void => {
    heap.reset();
    const n = outShape[0] * outShape[1];
    const pImg = put(image, imageShape[0] * imageShape[1]);
    const pField = field === null ? 0 : put(field, fieldShape[0] * fieldShape[1] * 2);
    const pOut = heap.allocF32(n);
    const a = heap.affine(Slot.A, A, 3), b = heap.affine(Slot.B, B, 3), c = heap.affine(Slot.C, C, 3);
    wasm.warp2d(pOut, outShape[0], outShape[1], pImg, imageShape[0], imageShape[1],
      pField, fieldShape[0], fieldShape[1], a, b, c);
    get(pOut, out, n);
  };

  const warp3d = (out: Float32Array, outShape: Shape3D, image: Float32Array, imageShape: Shape3D,
    field: Float32Array | null, fieldShape: Shape3D, A: Affine, B: Affine, C: Affine): void => {
    heap.reset();
    const n = outShape[0] * outShape[1] * outShape[2];
    const pImg = put(image, imageShape[0] * imageShape[1] * imageShape[2]);
    const pField = field === null ? 0 : put(field, fieldShape[0] * fieldShape[1] * fieldShape[2] * 3);
    const pOut = heap.allocF32(n);
    const a = heap.affine(Slot.A, A, 4), b = heap.affine(Slot.B, B, 4), c = heap.affine(Slot.C, C, 4);
    wasm.warp3d(pOut, outShape[0], outShape[1], outShape[2], pImg, imageShape[0], imageShape[1], imageShape[2],
      pField, fieldShape[0], fieldShape[1], fieldShape[2], a, b, c);
    get(pOut, out, n);
  };

  const ccFactors2d = (out: Float32Array, staticImage: Float32Array, movingImage: Float32Array,
    shape: Shape2D, radius: number): void => {
    heap.reset();
    const nr = shape[0], nc = shape[1], n = nr * nc;
    const side = 2 * radius + 1;
    const pS = put(staticImage, n);
    const pM = put(movingImage, n);
    const pOut = heap.allocF32(n * 5);
    const slots = heap.alloc(nc * side * 5 * 8), tails = heap.alloc(nc * 5 * 8), rv = heap.alloc(nc * 5 * 8);
    wasm.ccFactors2d(pOut, pS, pM, nr, nc, radius, slots, tails, rv);
    get(pOut, out, n * 5);
  };

  const ccFactors3d = (out: Float32Array, staticImage: Float32Array, movingImage: Float32Array,
    shape: Shape3D, radius: number): void => {
    heap.reset();
    const ns = shape[0], nr = shape[1], nc = shape[2], n = ns * nr * nc;
    const pS = put(staticImage, n);
    const pM = put(movingImage, n);
    const pOut = heap.allocF32(n * 5);
    const temp = heap.alloc(2 * nr * nc * 48);
    wasm.ccFactors3d(pOut, pS, pM, ns, nr, nc, radius, temp);
    get(pOut, out, n * 5);
  };

  const ccStep2d = (forward: boolean) => (out: Float32Array, grad: Float32Array, factors: Float32Array,
    shape: Shape2D, radius: number): number => {
    heap.reset();
    const n = shape[0] * shape[1];
    const pG = put(grad, n * 2);
    const pF = put(factors, n * 5);
    const pOut = heap.allocF32(n * 2);
    const energy = forward
      ? wasm.ccStep2d(pOut, pG, pF, shape[0], shape[1], radius, 0, 1, 3, 4)
      : wasm.ccStep2d(pOut, pG, pF, shape[0], shape[1], radius, 1, 0, 4, 3);
    get(pOut, out, n * 2);
    return energy;
  };

  const ccStep3d = (forward: boolean) => (out: Float32Array, grad: Float32Array, factors: Float32Array,
    shape: Shape3D, radius: number): number => {
    heap.reset();
    const n = shape[0] * shape[1] * shape[2];
    const pG = put(grad, n * 3);
    const pF = put(factors, n * 5);
    const pOut = heap.allocF32(n * 3);
    const energy = forward
      ? wasm.ccStep3d(pOut, pG, pF, shape[0], shape[1], shape[2], radius, 0, 1, 3, 4)
      : wasm.ccStep3d(pOut, pG, pF, shape[0], shape[1], shape[2], radius, 1, 0, 4, 3);
    get(pOut, out, n * 3);
    return energy;
  };

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
      out.set(input.subarray(0, total));
      return;
    }
    heap.reset();
    let maxR = 0, maxLine = 0;
    for (const a of axes) {
      maxR = Math.max(maxR, a.w.length - 1);
      maxLine = Math.max(maxLine, shape[a.k] + 2 * (a.w.length - 1) + 2);
    }
    let src = put(input, total);
    let dst = heap.allocF32(total);
    const pW = heap.alloc((maxR + 1) * 8);
    const scratch = heap.alloc(Math.max(maxLine * 8, (2 * maxR + 2) * 4));
    for (const { k, w } of axes) {
      heap.f64.set(w, pW >>> 3);
      const r = w.length - 1;
      const n = shape[k];
      let outer = 1;
      for (let a = 0; a < k; a++) outer *= shape[a];
      if (k === d - 1) {
        wasm.gaussianLast(dst, src, outer, n, ncomp, pW, r, scratch);
      } else {
        let inner = ncomp;
        for (let a = k + 1; a < d; a++) inner *= shape[a];
        wasm.gaussianSlab(dst, src, outer, n, inner, pW, r, scratch);
      }
      const t = src; src = dst; dst = t;
    }
    get(src, out, total);
  };

  const numpyGradient = (out: Float32Array, image: Float32Array, shape: Shape2D | Shape3D): void => {
    heap.reset();
    const d = shape.length;
    let n = 1;
    for (let k = 0; k < d; k++) n *= shape[k];
    const pImg = put(image, n);
    const pOut = heap.allocF32(n * d);
    if (d === 2) wasm.numpyGradient2d(pOut, pImg, shape[0], shape[1]);
    else wasm.numpyGradient3d(pOut, pImg, shape[0], shape[1], (shape as Shape3D)[2]);
    get(pOut, out, n * d);
  };

  const resampleField2d = (out: Float32Array, outShape: Shape2D, field: Float32Array, shape: Shape2D,
    factors: ArrayLike<number>): void => {
    heap.reset();
    const pF = put(field, shape[0] * shape[1] * 2);
    const n = outShape[0] * outShape[1] * 2;
    const pOut = heap.allocF32(n);
    wasm.resampleField2d(pOut, outShape[0], outShape[1], pF, shape[0], shape[1], +factors[0], +factors[1]);
    get(pOut, out, n);
  };

  const resampleField3d = (out: Float32Array, outShape: Shape3D, field: Float32Array, shape: Shape3D,
    factors: ArrayLike<number>): void => {
    heap.reset();
    const pF = put(field, shape[0] * shape[1] * shape[2] * 3);
    const n = outShape[0] * outShape[1] * outShape[2] * 3;
    const pOut = heap.allocF32(n);
    wasm.resampleField3d(pOut, outShape[0], outShape[1], outShape[2], pF, shape[0], shape[1], shape[2],
      +factors[0], +factors[1], +factors[2]);
    get(pOut, out, n);
  };

  const downsample2d = (out: Float32Array, input: Float32Array, shape: Shape2D, ncomp: number): void => {
    heap.reset();
    const nIn = shape[0] * shape[1] * ncomp;
    const nOut = ((shape[0] + 1) >> 1) * ((shape[1] + 1) >> 1) * ncomp;
    const pIn = put(input, nIn);
    const pOut = heap.allocF32(nOut);
    wasm.downsample2d(pOut, pIn, shape[0], shape[1], ncomp);
    get(pOut, out, nOut);
  };

  const downsample3d = (out: Float32Array, input: Float32Array, shape: Shape3D, ncomp: number): void => {
    heap.reset();
    const nIn = shape[0] * shape[1] * shape[2] * ncomp;
    const nOut = ((shape[0] + 1) >> 1) * ((shape[1] + 1) >> 1) * ((shape[2] + 1) >> 1) * ncomp;
    const pIn = put(input, nIn);
    const pOut = heap.allocF32(nOut);
    wasm.downsample3d(pOut, pIn, shape[0], shape[1], shape[2], ncomp);
    get(pOut, out, nOut);
  };

  const ssdDemonsStep = (dim: 2 | 3) => (out: Float32Array, delta: Float32Array, gradient: Float32Array,
    shape: Shape2D | Shape3D, sigmaSqX: number): number => {
    heap.reset();
    let n = 1;
    for (let k = 0; k < dim; k++) n *= shape[k];
    const pD = put(delta, n);
    const pG = put(gradient, n * dim);
    const pOut = heap.allocF32(n * dim);
    const e = dim === 2 ? wasm.ssdDemonsStep2d(pOut, pD, pG, n, sigmaSqX) : wasm.ssdDemonsStep3d(pOut, pD, pG, n, sigmaSqX);
    get(pOut, out, n * dim);
    return e;
  };

  /** Copies the optional arrays of the Gauss-Newton kernels (0 for null). */
  const optional = (a: Float32Array | null, n: number): number => (a === null ? 0 : put(a, n));

  const gaussSeidelSweep = (dim: 2 | 3) => (u: Float32Array, delta: Float32Array, sigmaSq: Float32Array | null,
    gradient: Float32Array, target: Float32Array | null, lambda: number, shape: Shape2D | Shape3D): void => {
    heap.reset();
    let n = 1;
    for (let k = 0; k < dim; k++) n *= shape[k];
    const nv = n * dim;
    const pU = put(u, nv);
    const pD = target === null ? put(delta, n) : 0;
    const pS = optional(sigmaSq, n);
    const pG = put(gradient, nv);
    const pT = optional(target, nv);
    if (dim === 2) wasm.gaussSeidelSweep2d(pU, pD, pS, pG, pT, lambda, shape[0], shape[1]);
    else wasm.gaussSeidelSweep3d(pU, pD, pS, pG, pT, lambda, shape[0], shape[1], (shape as Shape3D)[2]);
    get(pU, u, nv);
  };

  const residual = (dim: 2 | 3) => (out: Float32Array, delta: Float32Array, sigmaSq: Float32Array | null,
    gradient: Float32Array, target: Float32Array | null, lambda: number, u: Float32Array, shape: Shape2D | Shape3D): void => {
    heap.reset();
    let n = 1;
    for (let k = 0; k < dim; k++) n *= shape[k];
    const nv = n * dim;
    const pD = target === null ? put(delta, n) : 0;
    const pS = optional(sigmaSq, n);
    const pG = put(gradient, nv);
    const pT = optional(target, nv);
    const pU = put(u, nv);
    const pOut = heap.allocF32(nv);
    if (dim === 2) wasm.residual2d(pOut, pD, pS, pG, pT, lambda, pU, shape[0], shape[1]);
    else wasm.residual3d(pOut, pD, pS, pG, pT, lambda, pU, shape[0], shape[1], (shape as Shape3D)[2]);
    get(pOut, out, nv);
  };

  return {
    resampleField2d, resampleField3d, downsample2d, downsample3d,
    ssdDemonsStep2d: ssdDemonsStep(2), ssdDemonsStep3d: ssdDemonsStep(3),
    gaussSeidelSweep2d: gaussSeidelSweep(2), gaussSeidelSweep3d: gaussSeidelSweep(3),
    residual2d: residual(2), residual3d: residual(3),
    compose2d, compose3d, invert2d, invert3d, warp2d, warp3d,
    ccFactors2d, ccFactors3d,
    ccForwardStep2d: ccStep2d(true), ccBackwardStep2d: ccStep2d(false),
    ccForwardStep3d: ccStep3d(true), ccBackwardStep3d: ccStep3d(false),
    gaussianFilter, numpyGradient,
  };
}
