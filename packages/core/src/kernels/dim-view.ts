/**
 * The per-dimension view of a kernel table ({@link DimKernels}): `warp` is `warp2d` or
 * `warp3d`, and so on for every `…2d`/`…3d` pair; the dimension-free kernels keep their
 * names. Shared by `KernelContext.kernelsFor` and the profiled context of `profile.ts`.
 * Internal (not exported from the package).
 */
import type { DimKernels, Kernels, PairedKernelName } from './types.js';
import type { Dim } from '../types.js';

/**
 * The kernel pairs of a {@link DimKernels} view (a `…2d` and a `…3d` each). A record keyed by
 * every {@link PairedKernelName}, so that a new pair in the `Kernels` contract does not
 * compile until it is listed here.
 */
const PAIRED: Record<PairedKernelName, true> = {
  warp: true, warpNearest: true, compose: true, invert: true, resampleField: true, downsample: true, gradientSampler: true,
  ccFactors: true, ccForwardStep: true, ccBackwardStep: true, ssdDemonsStep: true, gaussSeidelSweep: true, residual: true,
  emDemonsStep: true, jacobianDeterminant: true, resampleAffineLinear: true, affineGradient: true,
  affineMIDense: true,
};
const PAIRED_KERNELS = Object.keys(PAIRED) as PairedKernelName[];

/** The frozen view of `table` for dimension `dim` (2 or 3; the caller checks it). */
export function dimKernels<D extends Dim>(table: Readonly<Kernels>, dim: D): DimKernels<D> {
  const suffix = dim === 2 ? '2d' : '3d';
  const t = table as unknown as Record<string, unknown>;
  const view: Record<string, unknown> = {
    gaussianFilter: t.gaussianFilter, numpyGradient: t.numpyGradient, numpyGradientAdd: t.numpyGradientAdd,
    physicalGradient: t.physicalGradient, conditionStep: t.conditionStep,
    affineGradientSparse: t.affineGradientSparse, parzenJointPdf: t.parzenJointPdf, parzenJointGradient: t.parzenJointGradient,
  };
  for (const name of PAIRED_KERNELS) view[name] = t[name + suffix];
  return Object.freeze(view) as unknown as DimKernels<D>;
}
