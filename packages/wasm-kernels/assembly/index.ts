/**
 * Entry point of the WebAssembly kernels: every exported function works on raw
 * addresses into the imported linear memory (see `common.ts` for the
 * conventions). Built with `asc --runtime stub --enable simd -O3 --noAssert`.
 */
export { heapBase } from './common';
export { compose2d, compose3d } from './compose';
export { invert2d, invert3d } from './invert';
export { warp2d, warp3d } from './warp';
export { ccFactors2d, ccFactors3d, ccStep2d, ccStep3d } from './cc';
export { gaussianSlab, gaussianLast } from './gaussian';
export { numpyGradient2d, numpyGradient3d } from './gradient';
export { resampleField2d, resampleField3d, downsample2d, downsample3d } from './resample';
export { ssdDemonsStep2d, ssdDemonsStep3d, gaussSeidelSweep2d, gaussSeidelSweep3d, residual2d, residual3d } from './ssd';
