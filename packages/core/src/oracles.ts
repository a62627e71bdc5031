/**
 * `@diffeo/core/oracles` — slow, literal implementations of the kernels, written
 * straight from docs/algorithm.md, and one seeded generator of test data. They
 * are the independent oracles the kernel tests, the conformance kits and
 * third-party backends compare against; they are not part of the kernel table and
 * are not exported from the root index.
 *
 * Conventions as in the kernels: C-order arrays, grid coordinates in array-axis
 * order (voxels), vector fields interleaved (component `k` along axis `k`),
 * affines `(d+1)×(d+1)` row-major `Float64Array`s (`null` = identity).
 */
export { mulberry32, hashString, count, randomFloat32, smoothImage, smoothField, randomAffine, diagonalAffine } from './kernels/naive/random.js';
export type { Random } from './kernels/naive/random.js';
export { ccFactorsNaive2d, ccFactorsNaive3d } from './kernels/naive/cc.js';
export { jacobianDeterminantNaive, determinantNaive } from './kernels/naive/jacobian.js';
export { naiveLinear, naiveLinearDouble, naiveNearest, affineApply } from './kernels/naive/interp.js';
export { naiveWarpPosition } from './kernels/naive/warp.js';
export { naiveCompose } from './kernels/naive/compose.js';
export { naiveResidual, naiveInvert } from './kernels/naive/invert.js';
export { naiveDownsample } from './kernels/naive/resample.js';
export { naiveAxisGradient, naiveGradientAdd, naiveSampler } from './kernels/naive/gradient.js';
export { naiveConditionStep } from './kernels/naive/step.js';
export { naiveGaussian, reflectNaive } from './kernels/naive/gaussian.js';
export { naiveSweep, gaussSolve, neighbourOffsets, unravel, ravel, inGrid } from './kernels/naive/ssd.js';
export { naiveResampleAffineLinear, naiveAffineGradientAt, naiveParzenJointPdf, naiveParzenJointGradient, naiveAffineMIDense } from './kernels/naive/affine.js';
export { miJointPdfNaive, parzenMiStepNaive } from './kernels/naive/mi.js';
export { emClassFieldsNaive, emCombineNaive, sumSquaresFloat32Naive, positiveMaskNaive } from './kernels/naive/em.js';
