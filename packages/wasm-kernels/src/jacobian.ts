/**
 * JavaScript side of the WebAssembly Jacobian-determinant kernels
 * (`assembly/jacobian.ts`): the `jacobianDeterminant2d/3d` entries of the `Kernels`
 * contract. The field is used in place when it lives in the backend's memory (else
 * copied in once), the determinants are written in place when `out` lives there (else
 * copied out once), and the world-to-grid affine goes to parameter slot A. The whole
 * grid runs on the calling thread (the kernel runs once per map, not per iteration), so
 * the result does not depend on the number of threads.
 */
import type { Affine, Kernels, Shape2D, Shape3D } from '@diffeo/core';
import { Slot, type WasmHeap } from './heap.js';
import type { WasmExports } from './load.js';

/** The two Jacobian-determinant kernels of one instance. */
export function makeJacobianKernels(wasm: WasmExports, heap: WasmHeap): Pick<Kernels, 'jacobianDeterminant2d' | 'jacobianDeterminant3d'> {
  const run = (out: Float32Array, field: Float32Array, shape: readonly number[], W: Affine): void => {
    heap.reset();
    const d = shape.length;
    let n = 1;
    for (let k = 0; k < d; k++) n *= shape[k];
    const pF = heap.owns(field) ? field.byteOffset : heap.allocF32(n * d, field.length === n * d ? field : field.subarray(0, n * d));
    const outOwned = heap.owns(out);
    const pOut = outOwned ? out.byteOffset : heap.allocF32(n);
    const pW = heap.affine(Slot.A, W, d + 1);
    if (d === 2) wasm.jacobianDeterminant2d(pOut, pF, shape[0], shape[1], pW, 0, shape[0]);
    else wasm.jacobianDeterminant3d(pOut, pF, shape[0], shape[1], shape[2], pW, 0, shape[0]);
    if (!outOwned) heap.readF32(pOut, out.length === n ? out : out.subarray(0, n));
  };
  return {
    jacobianDeterminant2d: (out: Float32Array, field: Float32Array, shape: Shape2D, W: Affine): void => run(out, field, shape, W),
    jacobianDeterminant3d: (out: Float32Array, field: Float32Array, shape: Shape3D, W: Affine): void => run(out, field, shape, W),
  };
}
