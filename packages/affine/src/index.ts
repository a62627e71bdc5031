/**
 * @diffeo/affine — affine registration by mutual information, a port of DIPY 1.6's
 * `dipy.align.imaffine`: parametric transforms (`dipy.align.transforms`), the starting
 * affines, AffineMap, the Parzen-window mutual information metric, and AffineRegistration.
 * Images are `Volume`s (`@diffeo/core`) whose grid-to-world matrices place them in world
 * space (mm); every affine this package returns maps static world points to moving world points.
 */
export * from './transforms.js';
export * from './errors.js';
export { AffineMap, checkAffine } from './affine-map.js';
export type { AffineMapGrids, AffineTransformOptions, MatrixLike } from './affine-map.js';
export { transformCentersOfMass, transformGeometricCenters, transformOrigins, centerOfMass } from './initializers.js';
export { MutualInformationMetric, applyAffinePoints } from './mutual-information.js';
export type { MutualInformationOptions, MutualInformationSetup } from './mutual-information.js';
export { ParzenJointHistogram, computeParzenMI, cubicSpline, cubicSplineDerivative } from './parzen-histogram.js';
export type { MaskData } from './parzen-histogram.js';
export { sampleDomainRegular, LegacyRandom } from './sampling.js';
export { IsotropicScaleSpace, gaussianFilter64 } from './scale-space.js';
export type { IsotropicLevel } from './scale-space.js';
export { minimizeLbfgs } from './lbfgs.js';
export type { LbfgsOptions, LbfgsResult } from './lbfgs.js';
export { AffineRegistration, affineRegistration, checkMask, PIPELINE_STAGES } from './affine-registration.js';
export type {
  AffineProgressEvent, AffineRegistrationOptions, AffineOptimizeInput, AffineOptimizeResult, PipelineStage,
  AffineRegistrationInput, AffineRegistrationResult,
} from './affine-registration.js';
