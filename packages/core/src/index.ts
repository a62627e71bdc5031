/**
 * @diffeo/core — images and displacement fields (2D and 3D), grid-to-world
 * affines, interpolation, warping, composition, inversion, DiffeomorphicMap,
 * the kernel registry and the similarity-metric plug-in contract.
 */
export * from './types.js';
export * from './errors.js';
export * from './affine.js';
export * from './registry.js';
export * from './metric.js';
export { tsKernels } from './kernels/index.js';
export type { Kernels, KernelName, InversionResult } from './kernels/types.js';
