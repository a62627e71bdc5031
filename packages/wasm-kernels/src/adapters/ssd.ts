/**
 * The sum-of-squared-differences metric's kernels (`assembly/ssd.ts`): the demons step and
 * the Gauss-Newton multigrid's Gauss-Seidel sweep and residual.
 * JavaScript side only: puts the arguments into the backend's memory, splits the call
 * over threads (see `env.ts`) and takes the outputs back; the arithmetic is in WebAssembly.
 */
import type { Kernels, Shape2D, Shape3D } from '@diffeo/core';
import type { AdapterEnv } from './env.js';

/** The ssd kernels of one instance. */
export type SsdKernels = Pick<Kernels, 'ssdDemonsStep2d' | 'ssdDemonsStep3d' | 'gaussSeidelSweep2d' | 'gaussSeidelSweep3d'
  | 'residual2d' | 'residual3d'>;

/** Builds the ssd kernels over one instance's memory and threads. */
export function ssdKernels(env: AdapterEnv): SsdKernels {
  const { wasm, heap, inp, outp, fin, plan, run } = env;

  const ssdDemonsStep2d = (out: Float32Array, delta: Float32Array, gradient: Float32Array,
    shape: Shape2D, sigmaSqX: number): number => {
    heap.reset();
    const n = shape[0] * shape[1];
    const pD = inp(delta, n);
    const pG = inp(gradient, n * 2);
    const pOut = outp(out, n * 2);
    let e = 0;
    run(plan(n, n / 2), n, 'ssdDemonsStep2d', [pOut, pD, pG, sigmaSqX, 0],
      (lo, hi) => { wasm.ssdDemonsStep2d(pOut, pD, pG, sigmaSqX, 0, lo, hi); }, {
        fused: (lo, hi) => { e = wasm.ssdDemonsStep2d(pOut, pD, pG, sigmaSqX, e, lo, hi); },
        reduce: (lo, hi) => { e = wasm.sumSquares(pD, lo, hi, e); },
      });
    fin(pOut, out, n * 2);
    return e;
  };

  const ssdDemonsStep3d = (out: Float32Array, delta: Float32Array, gradient: Float32Array,
    shape: Shape3D, sigmaSqX: number): number => {
    heap.reset();
    const n = shape[0] * shape[1] * shape[2];
    const pD = inp(delta, n);
    const pG = inp(gradient, n * 3);
    const pOut = outp(out, n * 3);
    let e = 0;
    run(plan(n, n / 2), n, 'ssdDemonsStep3d', [pOut, pD, pG, sigmaSqX, 0],
      (lo, hi) => { wasm.ssdDemonsStep3d(pOut, pD, pG, sigmaSqX, 0, lo, hi); }, {
        fused: (lo, hi) => { e = wasm.ssdDemonsStep3d(pOut, pD, pG, sigmaSqX, e, lo, hi); },
        reduce: (lo, hi) => { e = wasm.sumSquares(pD, lo, hi, e); },
      });
    fin(pOut, out, n * 3);
    return e;
  };

  /** The optional arrays of the Gauss-Newton kernels (0 for null). */
  const optional = (a: Float32Array | null, n: number): number => (a === null ? 0 : inp(a, n));

  const gaussSeidelSweep = (dim: 2 | 3) => (u: Float32Array, delta: Float32Array, sigmaSq: Float32Array | null,
    gradient: Float32Array, target: Float32Array | null, lambda: number, shape: Shape2D | Shape3D): void => {
    heap.reset();
    let n = 1;
    for (let k = 0; k < dim; k++) n *= shape[k];
    const nv = n * dim;
    const pU = inp(u, nv);
    const pD = target === null ? inp(delta, n) : 0;
    const pS = optional(sigmaSq, n);
    const pG = inp(gradient, nv);
    const pT = optional(target, nv);
    if (dim === 2) wasm.gaussSeidelSweep2d(pU, pD, pS, pG, pT, lambda, shape[0], shape[1]);
    else wasm.gaussSeidelSweep3d(pU, pD, pS, pG, pT, lambda, shape[0], shape[1], (shape as Shape3D)[2]);
    fin(pU, u, nv);
  };

  const residual = (dim: 2 | 3) => (out: Float32Array, delta: Float32Array, sigmaSq: Float32Array | null,
    gradient: Float32Array, target: Float32Array | null, lambda: number, u: Float32Array, shape: Shape2D | Shape3D): void => {
    heap.reset();
    let n = 1;
    for (let k = 0; k < dim; k++) n *= shape[k];
    const nv = n * dim;
    const pD = target === null ? inp(delta, n) : 0;
    const pS = optional(sigmaSq, n);
    const pG = inp(gradient, nv);
    const pT = optional(target, nv);
    const pU = inp(u, nv);
    const pOut = outp(out, nv);
    if (dim === 2) {
      const [nr, nc] = shape as Shape2D;
      run(plan(nr, n), nr, 'residual2d', [pOut, pD, pS, pG, pT, lambda, pU, nr, nc],
        (lo, hi) => wasm.residual2d(pOut, pD, pS, pG, pT, lambda, pU, nr, nc, lo, hi));
    } else {
      const [ns, nr, nc] = shape as Shape3D;
      run(plan(ns, n), ns, 'residual3d', [pOut, pD, pS, pG, pT, lambda, pU, ns, nr, nc],
        (lo, hi) => wasm.residual3d(pOut, pD, pS, pG, pT, lambda, pU, ns, nr, nc, lo, hi));
    }
    fin(pOut, out, nv);
  };

  return {
    ssdDemonsStep2d, ssdDemonsStep3d,
    gaussSeidelSweep2d: gaussSeidelSweep(2), gaussSeidelSweep3d: gaussSeidelSweep(3),
    residual2d: residual(2), residual3d: residual(3),
  };
}
