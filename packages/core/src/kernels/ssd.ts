// PLACEHOLDER: to be replaced by the real kernels.
export function ssdDemonsStep2d(..._args: unknown[]): never { throw new Error('ssdDemonsStep2d: not implemented yet'); }
export function ssdDemonsStep3d(..._args: unknown[]): never { throw new Error('ssdDemonsStep3d: not implemented yet'); }
export function gaussSeidelSweep2d(..._args: unknown[]): never { throw new Error('gaussSeidelSweep2d: not implemented yet'); }
export function gaussSeidelSweep3d(..._args: unknown[]): never { throw new Error('gaussSeidelSweep3d: not implemented yet'); }
export function residual2d(..._args: unknown[]): never { throw new Error('residual2d: not implemented yet'); }
export function residual3d(..._args: unknown[]): never { throw new Error('residual3d: not implemented yet'); }
