/**
 * The world-space Jacobian determinant of `x ↦ x + u(x)` (`assembly/jacobian.ts`):
 * `det(I + G·M⁻¹)` per voxel, `G` by numpy.gradient's scheme.
 * JavaScript side only: puts the field into the backend's memory (in place when it lives
 * there), splits the rows (2D) or slices (3D) over threads (see `env.ts`; every voxel is
 * independent, so the bits do not depend on the split) and takes the determinants back.
 */
import type { Affine, Kernels, Shape2D, Shape3D } from '@diffeo/core';
import { Slot } from '../heap.js';
import type { AdapterEnv } from './env.js';

/** The Jacobian-determinant kernels of one instance. */
export type JacobianKernels = Pick<Kernels, 'jacobianDeterminant2d' | 'jacobianDeterminant3d'>;

/** Builds the Jacobian-determinant kernels over one instance's memory and threads. */
export function jacobianKernels(env: AdapterEnv): JacobianKernels {
  const { wasm, heap, inp, outp, fin, plan, run } = env;

  const jacobianDeterminant2d = (out: Float32Array, field: Float32Array, shape: Shape2D, W: Affine): void => {
    heap.reset();
    const [nr, nc] = shape;
    const n = nr * nc;
    const pF = inp(field, n * 2);
    const pOut = outp(out, n);
    const pW = heap.affine(Slot.A, W, 3);
    run(plan(nr, n), nr, 'jacobianDeterminant2d', [pOut, pF, nr, nc, pW],
      (lo, hi) => wasm.jacobianDeterminant2d(pOut, pF, nr, nc, pW, lo, hi));
    fin(pOut, out, n);
  };

  const jacobianDeterminant3d = (out: Float32Array, field: Float32Array, shape: Shape3D, W: Affine): void => {
    heap.reset();
    const [ns, nr, nc] = shape;
    const n = ns * nr * nc;
    const pF = inp(field, n * 3);
    const pOut = outp(out, n);
    const pW = heap.affine(Slot.A, W, 4);
    run(plan(ns, 2 * n), ns, 'jacobianDeterminant3d', [pOut, pF, ns, nr, nc, pW],
      (lo, hi) => wasm.jacobianDeterminant3d(pOut, pF, ns, nr, nc, pW, lo, hi));
    fin(pOut, out, n);
  };

  return { jacobianDeterminant2d, jacobianDeterminant3d };
}
