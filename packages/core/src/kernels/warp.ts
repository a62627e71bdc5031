// PLACEHOLDER: to be replaced by the real kernels.
export function warp2d(..._args: unknown[]): never { throw new Error('warp2d: not implemented yet'); }
export function warp3d(..._args: unknown[]): never { throw new Error('warp3d: not implemented yet'); }
export function warpNearest2d(..._args: unknown[]): never { throw new Error('warpNearest2d: not implemented yet'); }
export function warpNearest3d(..._args: unknown[]): never { throw new Error('warpNearest3d: not implemented yet'); }
