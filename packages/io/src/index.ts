/**
 * @diffeo/io — reading and writing `.npy` and NIfTI files.
 */
export * from './npy.js';
export * from './nifti.js';
export * from './nifti-volume.js';
export * from './nifti-series.js';
export * from './mapping.js';
export * from './atomic.js';
export * from './ants.js';
