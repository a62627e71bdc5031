/**
 * SyN's step conditioning (`assembly/step.ts`): boundary zeroed, normalised by the largest
 * voxel norm in physical units.
 * JavaScript side only: puts the arguments into the backend's memory, splits the call
 * over threads (see `env.ts`) and takes the outputs back; the arithmetic is in WebAssembly.
 */
import type { Kernels, Shape2D, Shape3D } from '@diffeo/core';
import type { AdapterEnv } from './env.js';

/** The step kernels of one instance. */
export type StepKernels = Pick<Kernels, 'conditionStep'>;

/** Builds the step kernels over one instance's memory and threads. */
export function stepKernels(env: AdapterEnv): StepKernels {
  const { wasm, heap, threads, inp, fin, plan, run } = env;

  /**
   * SyN's step conditioning (in place): the boundary layer is zeroed and the largest
   * squared voxel norm of every row (2D) or slice (3D) measured, split over threads;
   * their maximum (independent of the order) gives the norm; then every value is
   * divided by its float32 rounding, again split over threads.
   */
  const conditionStep = (step: Float32Array, shape: Shape2D | Shape3D, spacing: ArrayLike<number>): number => {
    heap.reset();
    const d = shape.length;
    let nv = 1;
    for (let k = 0; k < d; k++) nv *= shape[k];
    const total = nv * d;
    const pS = inp(step, total);
    const lines = shape[0];
    const pMax = heap.alloc(lines * 8);
    if (d === 2) {
      const [nr, nc] = shape as Shape2D;
      const s0 = +spacing[0], s1 = +spacing[1];
      run(plan(nr, nv / 4), nr, 'stepMaxNorm2d', [pS, nr, nc, s0, s1, pMax],
        (lo, hi) => wasm.stepMaxNorm2d(pS, nr, nc, s0, s1, pMax, lo, hi));
    } else {
      const [ns, nr, nc] = shape as Shape3D;
      const s0 = +spacing[0], s1 = +spacing[1], s2 = +spacing[2];
      run(plan(ns, nv / 4), ns, 'stepMaxNorm3d', [pS, ns, nr, nc, s0, s1, s2, pMax],
        (lo, hi) => wasm.stepMaxNorm3d(pS, ns, nr, nc, s0, s1, s2, pMax, lo, hi));
    }
    const f64 = heap.f64;
    let sq = 0;
    for (let k = 0, o = pMax >>> 3; k < lines; k++) if (f64[o + k] > sq) sq = f64[o + k];
    const nrm = Math.sqrt(sq);
    if (nrm > 0) {
      const f = Math.fround(nrm);
      run(plan(total, total / 8), total, 'stepDivide', [pS, f], (lo, hi) => wasm.stepDivide(pS, f, lo, hi));
    }
    fin(pS, step, total);
    return nrm;
  };

  return {
    conditionStep
  };
}
