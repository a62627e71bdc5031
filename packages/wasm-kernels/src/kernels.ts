/**
 * JavaScript side of the WebAssembly kernels: each function has exactly the
 * signature of the matching `Kernels` entry (`@diffeo/core`), puts its inputs
 * into the backend's linear memory, runs the WebAssembly kernel and takes the
 * outputs back. The arithmetic is entirely in WebAssembly and bit-identical to
 * the TypeScript kernels (see `assembly/common.ts`).
 *
 * Memory traffic per call: an argument that already lives in the backend's memory
 * (a view from `allocFloat32`, checked with `WasmHeap.owns`) is used in place;
 * any other input is copied in once and any other output copied out once; an
 * in-place argument (compose's `out === d1`) is copied once each way; scratch
 * arrays the contract lets a kernel overwrite (inversion's `scratch`) are used in
 * place when they live in the memory and otherwise never copied.
 *
 * Threads: with a {@link ThreadPool}, the kernels split their work into chunks
 * of slices (3D) or rows (2D) — Gaussian passes: of rows or lines; the demons
 * step and the step's division: of voxels or values — that the calling thread and
 * the workers take as they go, all on the same shared memory. Every voxel's
 * arithmetic is independent of the split; the sums (inversion residual norms,
 * composition statistics, CC and SSD energies) are added by the calling thread
 * alone, chunk after chunk in raster order: fused into the computation when it
 * computes the next chunk to add itself, otherwise from per-voxel values the
 * chunk's thread stored (composition: `|v|²`) or recomputed from the inputs and
 * outputs (inversion: the norm of the stored residual; energies: from the factors
 * or `δ`) once that chunk is finished; the step conditioning's maximum (which does
 * not depend on the order) is taken over per-row or per-slice maxima. So the
 * results are the same bits for every number of threads and every split. The
 * Gauss-Seidel sweep (a sequential recurrence), the CC factors (running sums) and
 * the 2D downsampling, the EM statistics and the affine stage's float64 kernels (Parzen
 * histograms: sequential sums) run on the calling thread only, except the dense MI evaluation:
 * its fixed chunks of voxels (independent of the threads) are summed separately and added in
 * chunk order.
 */
import type { Kernels } from '@diffeo/core';
import type { WasmHeap } from './heap.js';
import type { WasmExports } from './load.js';
import { affineKernels } from './adapters/affine.js';
import { ccKernels } from './adapters/cc.js';
import { composeKernels } from './adapters/compose.js';
import { createAdapterEnv, type PoolRef } from './adapters/env.js';
import { gaussianKernels } from './adapters/gaussian.js';
import { gradientKernels } from './adapters/gradient.js';
import { invertKernels } from './adapters/invert.js';
import { jacobianKernels } from './adapters/jacobian.js';
import { resampleKernels } from './adapters/resample.js';
import { ssdKernels } from './adapters/ssd.js';
import { stepKernels } from './adapters/step.js';
import { warpKernels } from './adapters/warp.js';
import { warpNearestKernels } from './adapters/warp-nearest.js';
import { makeEmKernels } from './kernels-em.js';
import { makeMiKernels } from './kernels-mi.js';

export { MIN_PARALLEL_WORK, START_PARALLEL_WORK, type PoolRef } from './adapters/env.js';

/** Builds the kernel table of one instance: the adapters of every family (`adapters/<family>.ts`). */
export function makeKernels(wasm: WasmExports, heap: WasmHeap, threads: PoolRef): Partial<Kernels> {
  const env = createAdapterEnv(wasm, heap, threads);
  return {
    ...resampleKernels(env), ...ssdKernels(env), ...composeKernels(env), ...invertKernels(env),
    ...warpKernels(env), ...ccKernels(env), ...gaussianKernels(env), ...gradientKernels(env),
    ...stepKernels(env), ...jacobianKernels(env), ...makeEmKernels(wasm, heap), ...makeMiKernels(wasm, heap),
    ...affineKernels(wasm, heap, env), ...warpNearestKernels(env),
  };
}
