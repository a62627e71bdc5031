// PLACEHOLDER: to be replaced by the real kernels.
export function ccFactors2d(..._args: unknown[]): never { throw new Error('ccFactors2d: not implemented yet'); }
export function ccFactors3d(..._args: unknown[]): never { throw new Error('ccFactors3d: not implemented yet'); }
export function ccForwardStep2d(..._args: unknown[]): never { throw new Error('ccForwardStep2d: not implemented yet'); }
export function ccBackwardStep2d(..._args: unknown[]): never { throw new Error('ccBackwardStep2d: not implemented yet'); }
export function ccForwardStep3d(..._args: unknown[]): never { throw new Error('ccForwardStep3d: not implemented yet'); }
export function ccBackwardStep3d(..._args: unknown[]): never { throw new Error('ccBackwardStep3d: not implemented yet'); }
