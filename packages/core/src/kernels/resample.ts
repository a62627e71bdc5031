// PLACEHOLDER: to be replaced by the real kernels.
export function resampleField2d(..._args: unknown[]): never { throw new Error('resampleField2d: not implemented yet'); }
export function resampleField3d(..._args: unknown[]): never { throw new Error('resampleField3d: not implemented yet'); }
export function downsample2d(..._args: unknown[]): never { throw new Error('downsample2d: not implemented yet'); }
export function downsample3d(..._args: unknown[]): never { throw new Error('downsample3d: not implemented yet'); }
