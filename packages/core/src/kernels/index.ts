/**
 * The pure-TypeScript kernels: the reference implementation every backend is
 * checked against, and the fallback for any kernel a backend lacks.
 */
import type { Kernels } from './types.js';
import { warp2d, warp3d, warpNearest2d, warpNearest3d } from './warp.js';
import { compose2d, compose3d } from './compose.js';
import { invert2d, invert3d } from './invert.js';
import { resampleField2d, resampleField3d, downsample2d, downsample3d } from './resample.js';
import { numpyGradient, numpyGradientAdd, physicalGradient, gradientSampler2d, gradientSampler3d } from './gradient.js';
import { conditionStep } from './step.js';
import { jacobianDeterminant2d, jacobianDeterminant3d } from './jacobian.js';
import { gaussianFilter } from './gaussian.js';
import { ccFactors2d, ccFactors3d, ccFactors3dStream, ccEnergy3d, ccForwardStep2d, ccBackwardStep2d, ccForwardStep3d, ccBackwardStep3d } from './cc.js';
import { ssdDemonsStep2d, ssdDemonsStep3d, gaussSeidelSweep2d, gaussSeidelSweep3d, residual2d, residual3d } from './ssd.js';
import { resampleAffineLinear2d, resampleAffineLinear3d, affineGradient2d, affineGradient3d, affineGradientSparse, parzenJointPdf, parzenJointGradient, affineMIDense2d, affineMIDense3d } from './affine-mi.js';
import { quantizePositive, maskedClassStats, emClassFields, addFloat32, subtractFloat32, sumSquaresFloat32, positiveMask, emDemonsStep2d, emDemonsStep3d } from './em.js';
import { miJointPdf, parzenMiStep } from './mi.js';

/** The complete table of pure-TypeScript kernels. */
export const tsKernels: Kernels = {
  warp2d, warp3d, warpNearest2d, warpNearest3d,
  compose2d, compose3d,
  invert2d, invert3d,
  resampleField2d, resampleField3d, downsample2d, downsample3d,
  numpyGradient, numpyGradientAdd, physicalGradient, gradientSampler2d, gradientSampler3d,
  conditionStep,
  jacobianDeterminant2d, jacobianDeterminant3d,
  gaussianFilter,
  ccFactors2d, ccFactors3d, ccFactors3dStream, ccEnergy3d, ccForwardStep2d, ccBackwardStep2d, ccForwardStep3d, ccBackwardStep3d,
  ssdDemonsStep2d, ssdDemonsStep3d, gaussSeidelSweep2d, gaussSeidelSweep3d, residual2d, residual3d,
  quantizePositive, maskedClassStats, emClassFields, addFloat32, subtractFloat32, sumSquaresFloat32, positiveMask, emDemonsStep2d, emDemonsStep3d,
  resampleAffineLinear2d, resampleAffineLinear3d, affineGradient2d, affineGradient3d, affineGradientSparse,
  parzenJointPdf, parzenJointGradient, affineMIDense2d, affineMIDense3d,
  miJointPdf, parzenMiStep,
};

export type { Kernels, KernelName, InversionResult } from './types.js';

/** The spacing division and rotation of the `physicalGradient` kernel, for metrics that compute their own voxel-unit gradient. */
export { orientGradient } from './gradient.js';

/** The cubic B-spline Parzen window, its derivative and the intensity-to-bin mapping shared by the MI metrics (affine and deformable). */
export { cubicSpline, cubicSplineDerivative, parzenBinning, PARZEN_PADDING } from './mi.js';
