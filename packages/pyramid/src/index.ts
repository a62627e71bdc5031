/**
 * @diffeo/pyramid — the Gaussian scale space (DIPY's `ScaleSpace`) that
 * SymmetricDiffeomorphicRegistration builds for the static and the moving image:
 * full-resolution smoothed, min-max normalised images per level, plus the coarse
 * grid (shape, spacing, affine) of each level on which displacement fields live.
 */
export { ScaleSpace } from './scale-space.js';
export type { ScaleSpaceOptions, ScaleSpaceLevel } from './scale-space.js';
