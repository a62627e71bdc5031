// PLACEHOLDER: to be replaced by the real kernels.
export function compose2d(..._args: unknown[]): never { throw new Error('compose2d: not implemented yet'); }
export function compose3d(..._args: unknown[]): never { throw new Error('compose3d: not implemented yet'); }
