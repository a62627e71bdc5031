/**
 * @diffeo/core — images and displacement fields (2D and 3D), grid-to-world
 * affines, interpolation, warping, composition, inversion, DiffeomorphicMap,
 * the kernel registry and the similarity-metric plug-in contract.
 */
export * from './types.js';
export * from './errors.js';
export { checkOptionKeys, nearestName } from './options.js';
export { FLOAT32_MAX, describeValue, nonFiniteText } from './value-text.js';
export { fileAccessError } from './file-access.js';
export * from './affine.js';
export * from './registry.js';
export { profileKernels } from './profile.js';
export type { KernelProfile, KernelProfileEntry, KernelProfileReport, ProfileKernelsOptions } from './profile.js';
export * from './metric.js';
export { metricGradient } from './metric-gradient.js';
export { stepDisposedError, assertStepOutput, assertMetricInputs, assertGradientShape, WorkspaceCache, allocWorkspaceArrays } from './metric-step.js';
export { tsKernels, orientGradient, cubicSpline, cubicSplineDerivative, parzenBinning, PARZEN_PADDING } from './kernels/index.js';
export type { Kernels, KernelName, InversionResult, DimKernels, PairedKernelName } from './kernels/types.js';
export {
  isNdArray, isVolume, toContiguous, toImage, toFloat32Image, toField, toOutputField, toPoints, toShape, sameShape,
  wrapArray, wrapField, scatterInto, assertFinite, checkViewExtent,
} from './ndarray.js';
export type {
  NdArray, InputData, PlainArray, ArrayInput, ImageInput, FieldInput, PointsInput, ContiguousImage, ContiguousField,
} from './ndarray.js';
export {
  warpImage, transformAffine, composeVectorFields, invertVectorFieldFixedPoint, resampleDisplacementField,
  downsampleScalarField, downsampleDisplacementField, gradient, numpyGradient, reorientVectorField,
} from './fields.js';
export { simplifyWarpFunction } from './simplify-warp.js';
export { createHarmonicFields2d, createHarmonicFields3d, createCircle, createSphere } from './synthetic.js';
export type {
  KernelOptions, Interpolation, WarpImageOptions, TransformAffineOptions, ComposeOptions, ComposeResult,
  InvertOptions, InvertResult, GradientOptions,
} from './fields.js';
export { DiffeomorphicMap } from './diffeomorphic-map.js';
export type { DiffeomorphicMapOptions, AffineOption, MapTransformOptions, TransformPointsOptions, FieldBufferPool, ExpandFieldsOptions } from './diffeomorphic-map.js';
export { jacobianDeterminant, jacobianStats, mapJacobianDeterminant, inverseConsistencyError, qualityReport } from './quality.js';
export type { JacobianOptions, JacobianStats, InverseConsistencyStats, QualityReport } from './quality.js';
export { transformSeries, seriesVolumes } from './series.js';
export type { TransformSeriesOptions } from './series.js';
export { dice, meanLabelDice, ncc, ssd } from './scores.js';
