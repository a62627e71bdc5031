/**
 * The cross-correlation metric's kernels (`assembly/cc.ts`): the local-window factors
 * (running sums, on the calling thread), the energy and the forward / backward steps.
 * JavaScript side only: puts the arguments into the backend's memory, splits the call
 * over threads (see `env.ts`) and takes the outputs back; the arithmetic is in WebAssembly.
 */
import type { Kernels, Shape2D, Shape3D } from '@diffeo/core';
import type { AdapterEnv } from './env.js';

/** The cc kernels of one instance. */
export type CcKernels = Pick<Kernels, 'ccFactors2d' | 'ccFactors3d' | 'ccFactors3dStream' | 'ccEnergy3d'
  | 'ccForwardStep2d' | 'ccBackwardStep2d' | 'ccForwardStep3d' | 'ccBackwardStep3d'>;

/** Builds the cc kernels over one instance's memory and threads. */
export function ccKernels(env: AdapterEnv): CcKernels {
  const { wasm, heap, put, inp, outp, fin, plan, run } = env;

  const ccFactors2d = (out: Float32Array, staticImage: Float32Array, movingImage: Float32Array,
    shape: Shape2D, radius: number): void => {
    heap.reset();
    const nr = shape[0], nc = shape[1], n = nr * nc;
    const side = 2 * radius + 1;
    const pS = inp(staticImage, n);
    const pM = inp(movingImage, n);
    const pOut = outp(out, n * 5);
    const slots = heap.alloc(nc * side * 5 * 8), tails = heap.alloc(nc * 5 * 8), rv = heap.alloc(nc * 5 * 8);
    wasm.ccFactors2d(pOut, pS, pM, nr, nc, radius, slots, tails, rv);
    fin(pOut, out, n * 5);
  };

  const ccFactors3d = (out: Float32Array, staticImage: Float32Array, movingImage: Float32Array,
    shape: Shape3D, radius: number): void => {
    heap.reset();
    const ns = shape[0], nr = shape[1], nc = shape[2], n = ns * nr * nc;
    const pS = inp(staticImage, n);
    const pM = inp(movingImage, n);
    const pOut = outp(out, n * 5);
    const temp = heap.alloc(2 * nr * nc * 48);
    heap.f64.fill(0, temp >>> 3, (temp >>> 3) + 2 * nr * nc * 6);
    wasm.ccFactors3d(pOut, 0, pS, pM, ns, nr, nc, radius, temp, 0, ns + radius);
    fin(pOut, out, n * 5);
  };

  /**
   * Resumable 3D CC factors (the running sums along slices are sequential, so this
   * runs on the calling thread): the caller's `state` (the TypeScript kernel's layout,
   * `2·nr·nc·5` doubles) is converted to this backend's layout and back around the
   * iterations `[sFrom, sTo)`, which write factor slices `[max(sFrom − r, 0), sTo − r)`.
   */
  const ccFactors3dStream = (out: Float32Array, outFirstSlice: number, staticImage: Float32Array,
    movingImage: Float32Array, shape: Shape3D, radius: number, state: Float64Array, sFrom: number, sTo: number): void => {
    if (!(sTo > sFrom)) return;
    heap.reset();
    const [ns, nr, nc] = shape;
    const plane = nr * nc, n = ns * plane;
    const pS = inp(staticImage, n);
    const pM = inp(movingImage, n);
    const z0 = Math.max(sFrom - radius, 0), z1 = sTo - radius; // the factor slices written
    const owned = heap.owns(out);
    const pOut = owned ? out.byteOffset : heap.allocF32(Math.max(z1 - z0, 0) * plane * 5);
    const nState = 2 * plane;
    // The running sums: used in place when they live in the memory (a view of an allocFloat32 array), else copied in and out.
    const stateOwned = heap.owns(state);
    const pTs = stateOwned ? state.byteOffset : heap.alloc(nState * 40), temp = heap.alloc(nState * 48);
    if (!stateOwned) {
      heap.f64.set(state.subarray(0, nState * 5), pTs >>> 3);
      heap.countIn(nState * 40);
    }
    wasm.ccStateConvert(pTs, temp, nState, 1);
    wasm.ccFactors3d(pOut, owned ? outFirstSlice : z0, pS, pM, ns, nr, nc, radius, temp, sFrom, sTo);
    wasm.ccStateConvert(pTs, temp, nState, 0);
    if (!stateOwned) {
      const f64 = heap.f64;
      state.set(f64.subarray(pTs >>> 3, (pTs >>> 3) + nState * 5));
      heap.countOut(nState * 40);
    }
    if (!owned && z1 > z0) {
      const o = pOut >>> 2;
      out.set(heap.f32.subarray(o, o + (z1 - z0) * plane * 5), (z0 - outFirstSlice) * plane * 5);
      heap.countOut((z1 - z0) * plane * 20);
    }
  };

  /** The 3D CC energy over slices `[sFrom, sTo)` continuing `acc` (a sequential sum: the calling thread). */
  const ccEnergy3d = (factors: Float32Array, firstSlice: number, shape: Shape3D, radius: number,
    sFrom: number, sTo: number, acc: number): number => {
    const [ns, nr, nc] = shape;
    const s0 = Math.max(sFrom, radius), s1 = Math.min(sTo, ns - radius);
    if (!(s1 > s0) || nr <= 2 * radius || nc <= 2 * radius) return acc;
    heap.reset();
    const fPlane = nr * nc * 5;
    let pF: number, first: number;
    if (heap.owns(factors)) {
      pF = factors.byteOffset;
      first = firstSlice;
    } else {
      pF = put(factors.subarray((s0 - firstSlice) * fPlane), (s1 - s0) * fPlane);
      first = s0;
    }
    return wasm.ccEnergy3d(pF, first, ns, nr, nc, radius, 3, 4, s0, s1, acc);
  };

  const ccStep2d = (forward: boolean) => (out: Float32Array, grad: Float32Array, factors: Float32Array,
    shape: Shape2D, radius: number): number => {
    heap.reset();
    const [nr, nc] = shape;
    const n = nr * nc;
    const pG = inp(grad, n * 2);
    const pF = inp(factors, n * 5);
    const pOut = outp(out, n * 2);
    const [iy, ix, ia, ib] = forward ? [0, 1, 3, 4] : [1, 0, 4, 3];
    let energy = 0;
    run(plan(nr, n / 3), nr, 'ccStep2d', [pOut, pG, pF, nr, nc, radius, iy, ix, ia, ib, 0, 0],
      (lo, hi) => { wasm.ccStep2d(pOut, pG, pF, nr, nc, radius, iy, ix, ia, ib, 0, 0, lo, hi); }, {
        fused: (lo, hi) => { energy = wasm.ccStep2d(pOut, pG, pF, nr, nc, radius, iy, ix, ia, ib, 1, energy, lo, hi); },
        reduce: (lo, hi) => { energy = wasm.ccEnergy2d(pF, nr, nc, radius, ia, ib, lo, hi, energy); },
      });
    fin(pOut, out, n * 2);
    return energy;
  };

  const ccStep3d = (forward: boolean) => (out: Float32Array, grad: Float32Array, factors: Float32Array,
    shape: Shape3D, radius: number): number => {
    heap.reset();
    const [ns, nr, nc] = shape;
    const n = ns * nr * nc;
    const pG = inp(grad, n * 3);
    const pF = inp(factors, n * 5);
    const pOut = outp(out, n * 3);
    const [iy, ix, ia, ib] = forward ? [0, 1, 3, 4] : [1, 0, 4, 3];
    let energy = 0;
    run(plan(ns, n / 3), ns, 'ccStep3d', [pOut, pG, pF, ns, nr, nc, radius, iy, ix, ia, ib, 0, 0],
      (lo, hi) => { wasm.ccStep3d(pOut, pG, pF, ns, nr, nc, radius, iy, ix, ia, ib, 0, 0, lo, hi); }, {
        fused: (lo, hi) => { energy = wasm.ccStep3d(pOut, pG, pF, ns, nr, nc, radius, iy, ix, ia, ib, 1, energy, lo, hi); },
        reduce: (lo, hi) => { energy = wasm.ccEnergy3d(pF, 0, ns, nr, nc, radius, ia, ib, lo, hi, energy); },
      });
    fin(pOut, out, n * 3);
    return energy;
  };

  return {
    ccFactors2d, ccFactors3d, ccFactors3dStream, ccEnergy3d,
    ccForwardStep2d: ccStep2d(true), ccBackwardStep2d: ccStep2d(false),
    ccForwardStep3d: ccStep3d(true), ccBackwardStep3d: ccStep3d(false),
  };
}
