// PLACEHOLDER: to be replaced by the real kernels.
export function numpyGradient(..._args: unknown[]): never { throw new Error('numpyGradient: not implemented yet'); }
export function gradientSampler2d(..._args: unknown[]): never { throw new Error('gradientSampler2d: not implemented yet'); }
export function gradientSampler3d(..._args: unknown[]): never { throw new Error('gradientSampler3d: not implemented yet'); }
