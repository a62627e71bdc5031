// PLACEHOLDER: to be replaced by the real kernels.
export function invert2d(..._args: unknown[]): never { throw new Error('invert2d: not implemented yet'); }
export function invert3d(..._args: unknown[]): never { throw new Error('invert3d: not implemented yet'); }
