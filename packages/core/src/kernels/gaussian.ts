// PLACEHOLDER: to be replaced by the real kernels.
export function gaussianFilter(..._args: unknown[]): never { throw new Error('gaussianFilter: not implemented yet'); }
