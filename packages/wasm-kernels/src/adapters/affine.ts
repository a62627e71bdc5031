/**
 * The float64 kernels of the affine stage (`assembly/affine.ts`): linear resampling through
 * an affine, the world-space gradients, the Parzen joint pdf and its parameter gradient, and the
 * fused dense evaluation of all four (`affineMIDense2d/3d`).
 * JavaScript side only: an array that lives in the backend's memory (a view of an
 * `allocFloat32` block, see `WasmHeap.owns`) is used in place, any other float64 (or int32
 * mask) input is copied in and any other output copied out. The small per-call parameters
 * (matrices, spacings, the Jacobian's coefficients: at most a few hundred doubles) are written
 * into the call's scratch like the parameter block and not counted as copies.
 */
import type { Kernels, Shape2D, Shape3D } from '@diffeo/core';
import type { WasmHeap } from '../heap.js';
import type { AdapterEnv } from './env.js';

/** The affine-stage exports of the WebAssembly module (addresses are byte offsets into its memory). */
export interface AffineWasmExports {
  resampleAffineLinear2d(out: number, or: number, oc: number, image: number, nr: number, nc: number, M: number): void;
  resampleAffineLinear3d(out: number, os: number, or: number, oc: number, image: number, ns: number, nr: number, nc: number, M: number): void;
  affineGradient2d(out: number, or: number, oc: number, image: number, nr: number, nc: number, W: number, sp: number, A: number): void;
  affineGradient3d(out: number, os: number, or: number, oc: number, image: number, ns: number, nr: number, nc: number,
    W: number, sp: number, A: number): void;
  affineGradientSparse(out: number, points: number, m: number, image: number, d: number, n0: number, n1: number, n2: number,
    W: number, sp: number): void;
  parzenJointPdf(joint: number, smarg: number, mmarg: number, sv: number, mv: number, smask: number, mmask: number, n: number,
    nbins: number, smin: number, sdelta: number, mmin: number, mdelta: number, byCount: number): void;
  parzenJointGradient(grad: number, sv: number, mv: number, smask: number, mmask: number, mgrad: number, points: number,
    jac: number, prod: number, terms: number, n: number, d: number, np: number, nbins: number, smin: number, sdelta: number, mmin: number, mdelta: number): void;
  affineMIDense2d(joint: number, smarg: number, mmarg: number, grad: number, sv: number, smask: number, nr: number, nc: number,
    mov: number, mr: number, mc: number, M: number, A: number, W: number, sp: number, P: number, jac: number, prod: number, terms: number,
    np: number, nbins: number, smin: number, sdelta: number, mmin: number, mdelta: number, byCount: number, acc: number, part: number): void;
  affineMIDense3d(joint: number, smarg: number, mmarg: number, grad: number, sv: number, smask: number, ns: number, nr: number, nc: number,
    mov: number, ms: number, mr: number, mc: number, M: number, A: number, W: number, sp: number, P: number, jac: number, prod: number,
    terms: number, np: number, nbins: number, smin: number, sdelta: number, mmin: number, mdelta: number, byCount: number,
    acc: number, part: number): void;
  affineMIChunk2d(parts: number, withGrad: number, sv: number, smask: number, nr: number, nc: number, mov: number, mr: number, mc: number,
    M: number, A: number, W: number, sp: number, P: number, jac: number, terms: number, np: number, nbins: number,
    smin: number, sdelta: number, mmin: number, mdelta: number, lo: number, hi: number, prod: number): void;
  affineMIChunk3d(parts: number, withGrad: number, sv: number, smask: number, ns: number, nr: number, nc: number, mov: number, ms: number,
    mr: number, mc: number, M: number, A: number, W: number, sp: number, P: number, jac: number, terms: number, np: number, nbins: number,
    smin: number, sdelta: number, mmin: number, mdelta: number, lo: number, hi: number, prod: number): void;
  affineMIAdd(dst: number, src: number, n: number): void;
  affineMIFinish(joint: number, smarg: number, mmarg: number, grad: number, acc: number, nbins: number, np: number, mdelta: number,
    byCount: number): void;
  affineMITerms(jac: number, terms: number, d: number, np: number): void;
}

/**
 * Voxels per chunk of a dense MI evaluation (`CHUNK` of `assembly/affine.ts`, `AFFINE_MI_CHUNK` of
 * `@diffeo/core`): the chunks' sums are added in chunk order, so the bits do not depend on the threads.
 */
const MI_CHUNK = 4096;

/** Work units (≈ 15 ns, see `MIN_PARALLEL_WORK`) per voxel of a dense evaluation with its gradient. */
const MI_WORK_PER_VOXEL = 4;

/** The affine-stage kernels of one instance. */
export type AffineKernels = Pick<Kernels, 'resampleAffineLinear2d' | 'resampleAffineLinear3d' | 'affineGradient2d' | 'affineGradient3d'
  | 'affineGradientSparse' | 'parzenJointPdf' | 'parzenJointGradient' | 'affineMIDense2d' | 'affineMIDense3d'>;

/** Builds the affine-stage kernels on `heap`, calling `wasm`. */
export function affineKernels(wasm: AffineWasmExports, heap: WasmHeap, env: AdapterEnv): AffineKernels {
  /** Copies `n` values of `src` (or zeros) into new arena room; returns the address. */
  const inF64 = (src: ArrayLike<number> | null, n: number): number => {
    if (src instanceof Float64Array && src.length >= n && heap.owns(src)) return src.byteOffset;
    const p = heap.alloc(n * 8);
    const f = heap.f64;
    const o = p >>> 3;
    if (src === null) f.fill(0, o, o + n);
    else if (src instanceof Float64Array) f.set(src.length === n ? src : src.subarray(0, n), o);
    else for (let i = 0; i < n; i++) f[o + i] = src[i];
    if (src !== null) heap.countIn(n * 8);
    return p;
  };
  const inI32 = (a: Int32Array | null, n: number): number => {
    if (a === null) return 0;
    if (a.length >= n && heap.owns(a)) return a.byteOffset;
    const p = heap.alloc(n * 4);
    heap.i32.set(a.length === n ? a : a.subarray(0, n), p >>> 2);
    heap.countIn(n * 4);
    return p;
  };
  /** Small parameters (matrices, spacings, coefficients): written into scratch, not counted. */
  const par = (src: ArrayLike<number>, n: number): number => {
    const p = heap.alloc(n * 8);
    const f = heap.f64;
    const o = p >>> 3;
    for (let i = 0; i < n; i++) f[o + i] = src[i];
    return p;
  };
  /** Address where output `dst` (`n` values) is written: in place when it lives in the memory, else scratch. */
  const outAt = (dst: Float64Array, n: number): number => (dst.length >= n && heap.owns(dst) ? dst.byteOffset : heap.alloc(n * 8));
  // Re-read `heap.f64` after the call: the memory may have grown since the addresses were taken.
  const outF64 = (p: number, dst: Float64Array, n: number): void => {
    if (p === dst.byteOffset && heap.owns(dst)) return;
    const o = p >>> 3;
    dst.set(heap.f64.subarray(o, o + n));
    heap.countOut(n * 8);
  };

  const resampleAffineLinear2d = (out: Float64Array, outShape: Shape2D, image: Float64Array, imageShape: Shape2D, M: Float64Array): void => {
    heap.reset();
    const n = outShape[0] * outShape[1];
    const pI = inF64(image, imageShape[0] * imageShape[1]);
    const pM = par(M, 9);
    const pO = heap.alloc(n * 8);
    wasm.resampleAffineLinear2d(pO, outShape[0], outShape[1], pI, imageShape[0], imageShape[1], pM);
    outF64(pO, out, n);
  };

  const resampleAffineLinear3d = (out: Float64Array, outShape: Shape3D, image: Float64Array, imageShape: Shape3D, M: Float64Array): void => {
    heap.reset();
    const n = outShape[0] * outShape[1] * outShape[2];
    const pI = inF64(image, imageShape[0] * imageShape[1] * imageShape[2]);
    const pM = par(M, 16);
    const pO = heap.alloc(n * 8);
    wasm.resampleAffineLinear3d(pO, outShape[0], outShape[1], outShape[2], pI, imageShape[0], imageShape[1], imageShape[2], pM);
    outF64(pO, out, n);
  };

  const affineGradient2d = (out: Float64Array, outShape: Shape2D, image: Float64Array, imageShape: Shape2D,
    imageWorldToGrid: Float64Array, spacing: ArrayLike<number>, samplingGridToWorld: Float64Array): void => {
    heap.reset();
    const n = outShape[0] * outShape[1];
    const pI = inF64(image, imageShape[0] * imageShape[1]);
    const pW = par(imageWorldToGrid, 9), pS = par(spacing, 2), pA = par(samplingGridToWorld, 9);
    const pO = heap.alloc(n * 16);
    wasm.affineGradient2d(pO, outShape[0], outShape[1], pI, imageShape[0], imageShape[1], pW, pS, pA);
    outF64(pO, out, n * 2);
  };

  const affineGradient3d = (out: Float64Array, outShape: Shape3D, image: Float64Array, imageShape: Shape3D,
    imageWorldToGrid: Float64Array, spacing: ArrayLike<number>, samplingGridToWorld: Float64Array): void => {
    heap.reset();
    const n = outShape[0] * outShape[1] * outShape[2];
    const pI = inF64(image, imageShape[0] * imageShape[1] * imageShape[2]);
    const pW = par(imageWorldToGrid, 16), pS = par(spacing, 3), pA = par(samplingGridToWorld, 16);
    const pO = heap.alloc(n * 24);
    wasm.affineGradient3d(pO, outShape[0], outShape[1], outShape[2], pI, imageShape[0], imageShape[1], imageShape[2], pW, pS, pA);
    outF64(pO, out, n * 3);
  };

  const affineGradientSparse = (out: Float64Array, points: Float64Array, image: Float64Array, imageShape: Shape2D | Shape3D,
    imageWorldToGrid: Float64Array, spacing: ArrayLike<number>): void => {
    heap.reset();
    const d = imageShape.length, m = Math.floor(points.length / d);
    let nv = 1;
    for (let k = 0; k < d; k++) nv *= imageShape[k];
    const pI = inF64(image, nv);
    const pP = inF64(points, m * d);
    const pW = par(imageWorldToGrid, (d + 1) * (d + 1)), pS = par(spacing, d);
    const pO = heap.alloc(m * d * 8);
    wasm.affineGradientSparse(pO, pP, m, pI, d, imageShape[0], imageShape[1], d === 3 ? (imageShape as Shape3D)[2] : 1, pW, pS);
    outF64(pO, out, m * d);
  };

  const parzenJointPdf = (joint: Float64Array, smarginal: Float64Array, mmarginal: Float64Array,
    staticValues: Float64Array, movingValues: Float64Array, staticMask: Int32Array | null, movingMask: Int32Array | null,
    nbins: number, smin: number, sdelta: number, mmin: number, mdelta: number, byCount: boolean): void => {
    heap.reset();
    const n = staticValues.length;
    const pS = inF64(staticValues, n), pM = inF64(movingValues, n);
    const pSm = inI32(staticMask, n), pMm = inI32(movingMask, n);
    const pJ = outAt(joint, nbins * nbins), pA = outAt(smarginal, nbins), pB = outAt(mmarginal, nbins);
    wasm.parzenJointPdf(pJ, pA, pB, pS, pM, pSm, pMm, n, nbins, smin, sdelta, mmin, mdelta, byCount ? 1 : 0);
    outF64(pJ, joint, nbins * nbins);
    outF64(pA, smarginal, nbins);
    outF64(pB, mmarginal, nbins);
  };

  const parzenJointGradient = (grad: Float64Array, staticValues: Float64Array, movingValues: Float64Array,
    staticMask: Int32Array | null, movingMask: Int32Array | null, movingGradient: Float64Array, points: Float64Array,
    jacobian: Float64Array, dim: number, nbins: number, smin: number, sdelta: number, mmin: number, mdelta: number): void => {
    heap.reset();
    const n = staticValues.length, d = dim;
    const np = Math.floor(jacobian.length / ((d + 1) * d));
    const pS = inF64(staticValues, n), pM = inF64(movingValues, n);
    const pSm = inI32(staticMask, n), pMm = inI32(movingMask, n);
    const pG = inF64(movingGradient, n * d), pP = inF64(points, n * d);
    const pJ = par(jacobian, (d + 1) * d * np);
    const pProd = heap.alloc(np * 8), pTerms = heap.alloc(np * (d + 1) * 4);
    const len = nbins * nbins * np;
    const pOut = outAt(grad, len);
    wasm.parzenJointGradient(pOut, pS, pM, pSm, pMm, pG, pP, pJ, pProd, pTerms, n, d, np, nbins, smin, sdelta, mmin, mdelta);
    outF64(pOut, grad, len);
  };

  /**
   * The fused dense evaluation: the static values (and mask), the moving image and the small
   * matrices go in, the pdfs and the joint-pdf gradient come out; nothing per sample is copied.
   */
  const dense = (d: 2 | 3, joint: Float64Array, smarginal: Float64Array, mmarginal: Float64Array, jointGrad: Float64Array | null,
    staticValues: Float64Array, staticMask: Int32Array | null, shape: readonly number[], moving: Float64Array, movingShape: readonly number[],
    M: Float64Array, A: Float64Array, W: Float64Array, spacing: ArrayLike<number>, P: Float64Array, jacobian: Float64Array,
    nbins: number, smin: number, sdelta: number, mmin: number, mdelta: number, byCount: boolean): void => {
    heap.reset();
    const m = (d + 1) * (d + 1);
    let n = 1, nm = 1;
    for (let k = 0; k < d; k++) { n *= shape[k]; nm *= movingShape[k]; }
    const np = jointGrad ? Math.floor(jacobian.length / ((d + 1) * d)) : 0;
    const pS = inF64(staticValues, n), pSm = inI32(staticMask, n), pMov = inF64(moving, nm);
    const pM = par(M, m), pA = par(A, m), pW = par(W, m), pSp = par(spacing, d), pP = par(P, m);
    const pJac = jointGrad ? par(jacobian, (d + 1) * d * np) : 0;
    // scratch: prod (np rounded up to even f64) and the Jacobian's table (⌈np/2⌉·(2 + 12d) f64, see assembly/affine.ts fillTerms)
    const pairs = Math.max(1, Math.ceil(np / 2));
    const pProd = heap.alloc(pairs * 16), pTerms = heap.alloc(pairs * (2 + 12 * d) * 8);
    const pJ = outAt(joint, nbins * nbins), pSa = outAt(smarginal, nbins), pMa = outAt(mmarginal, nbins);
    const len = nbins * nbins * np;
    const pG = jointGrad ? outAt(jointGrad, len) : 0;
    // one chunk's sums (assembly/affine.ts partLen): joint, static marginal, gradient, total, count
    const partLen = (nbins * nbins + nbins + len + 2 + 15) & ~15;
    const chunks = Math.max(1, Math.ceil(n / MI_CHUNK));
    const split = env.plan(chunks, n * (jointGrad ? MI_WORK_PER_VOXEL : 1), n);
    const pAcc = heap.alloc(partLen * 8);
    if (split === null) {
      const pPart = chunks > 1 ? heap.alloc(partLen * 8) : pAcc;
      if (d === 2) {
        wasm.affineMIDense2d(pJ, pSa, pMa, pG, pS, pSm, shape[0], shape[1], pMov, movingShape[0], movingShape[1], pM, pA, pW, pSp, pP,
          pJac, pProd, pTerms, np, nbins, smin, sdelta, mmin, mdelta, byCount ? 1 : 0, pAcc, pPart);
      } else {
        wasm.affineMIDense3d(pJ, pSa, pMa, pG, pS, pSm, shape[0], shape[1], shape[2], pMov, movingShape[0], movingShape[1], movingShape[2],
          pM, pA, pW, pSp, pP, pJac, pProd, pTerms, np, nbins, smin, sdelta, mmin, mdelta, byCount ? 1 : 0, pAcc, pPart);
      }
    } else {
      // Threads: chunk c's sums at pParts + c·partLen, added to pAcc in chunk order by this thread.
      if (jointGrad) wasm.affineMITerms(pJac, pTerms, d, np);
      const pParts = heap.alloc(chunks * partLen * 8);
      const size = env.threads.pool?.size ?? 1;
      // each thread's products on cache lines of its own (128 bytes apart at least: no false sharing)
      const prodStride = Math.ceil((pairs * 16) / 128) * 128 + 128;
      const pProds = heap.alloc(size * prodStride);
      const g = jointGrad ? 1 : 0;
      const args = d === 2
        ? [pParts, g, pS, pSm, shape[0], shape[1], pMov, movingShape[0], movingShape[1], pM, pA, pW, pSp, pP, pJac, pTerms, np, nbins,
            smin, sdelta, mmin, mdelta]
        : [pParts, g, pS, pSm, shape[0], shape[1], shape[2], pMov, movingShape[0], movingShape[1], movingShape[2], pM, pA, pW, pSp, pP,
            pJac, pTerms, np, nbins, smin, sdelta, mmin, mdelta];
      const own = (lo: number, hi: number): void => {
        if (d === 2) {
          wasm.affineMIChunk2d(pParts, g, pS, pSm, shape[0], shape[1], pMov, movingShape[0], movingShape[1], pM, pA, pW, pSp, pP, pJac, pTerms,
            np, nbins, smin, sdelta, mmin, mdelta, lo, hi, pProds);
        } else {
          wasm.affineMIChunk3d(pParts, g, pS, pSm, shape[0], shape[1], shape[2], pMov, movingShape[0], movingShape[1], movingShape[2],
            pM, pA, pW, pSp, pP, pJac, pTerms, np, nbins, smin, sdelta, mmin, mdelta, lo, hi, pProds);
        }
      };
      const reduce = (lo: number, hi: number): void => {
        for (let c = lo; c < hi; c++) {
          const at = pParts + c * partLen * 8;
          if (c === 0) heap.f64.copyWithin(pAcc >>> 3, at >>> 3, (at >>> 3) + partLen);
          else wasm.affineMIAdd(pAcc, at, partLen);
        }
      };
      env.run(split, chunks, d === 2 ? 'affineMIChunk2d' : 'affineMIChunk3d', args, own,
        { fused: (lo, hi) => { own(lo, hi); reduce(lo, hi); }, reduce }, pProds, prodStride);
      wasm.affineMIFinish(pJ, pSa, pMa, pG, pAcc, nbins, np, mdelta, byCount ? 1 : 0);
    }
    outF64(pJ, joint, nbins * nbins);
    outF64(pSa, smarginal, nbins);
    outF64(pMa, mmarginal, nbins);
    if (jointGrad) outF64(pG, jointGrad, len);
  };
  const affineMIDense2d: Kernels['affineMIDense2d'] = (joint, smarginal, mmarginal, jointGrad, staticValues, staticMask, shape, moving,
    movingShape, M, A, W, spacing, P, jacobian, nbins, smin, sdelta, mmin, mdelta, byCount) =>
    dense(2, joint, smarginal, mmarginal, jointGrad, staticValues, staticMask, shape, moving, movingShape, M, A, W, spacing, P, jacobian,
      nbins, smin, sdelta, mmin, mdelta, byCount);
  const affineMIDense3d: Kernels['affineMIDense3d'] = (joint, smarginal, mmarginal, jointGrad, staticValues, staticMask, shape, moving,
    movingShape, M, A, W, spacing, P, jacobian, nbins, smin, sdelta, mmin, mdelta, byCount) =>
    dense(3, joint, smarginal, mmarginal, jointGrad, staticValues, staticMask, shape, moving, movingShape, M, A, W, spacing, P, jacobian,
      nbins, smin, sdelta, mmin, mdelta, byCount);

  return {
    affineMIDense2d, affineMIDense3d,
    resampleAffineLinear2d, resampleAffineLinear3d, affineGradient2d, affineGradient3d, affineGradientSparse,
    parzenJointPdf, parzenJointGradient,
  };
}
