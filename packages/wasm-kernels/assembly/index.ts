/**
 * Entry point of the WebAssembly kernels: every exported function works on raw
 * addresses into the imported linear memory (see `common.ts` for the
 * conventions). Built with `asc --runtime stub --enable simd -O3 --noAssert`, twice: `kernels.wasm`
 * imports an ordinary memory, `kernels-threads.wasm` (`--enable threads --sharedMemory`)
 * a shared one, instantiated once per thread. The module keeps no state in memory
 * (no data segments; its few globals are per instance), so every thread's instance
 * works on the same buffers; the functions that take a range (`k0, k1`, `lo, hi`)
 * are how the work of one call is split between threads.
 */
export { heapBase } from './common';
export { compose2d, compose3d, composeStats } from './compose';
export { invertLoop2d, invertLoop3d, invertPass2d, invertPass3d, invertSum2d, invertSum3d } from './invert';
export { warp2d, warp3d } from './warp';
export { ccFactors2d, ccFactors3d, ccStateConvert, ccStep2d, ccStep3d, ccEnergy2d, ccEnergy3d } from './cc';
export { gaussianPanel, gaussianLast } from './gaussian';
export { numpyGradient2d, numpyGradient3d, numpyGradientAdd2d, numpyGradientAdd3d, physicalGradient2d, physicalGradient3d } from './gradient';
export { jacobianDeterminant2d, jacobianDeterminant3d } from './jacobian';
export { stepDivide, stepMaxNorm2d, stepMaxNorm3d } from './step';
export { resampleField2d, resampleField3d, downsample2d, downsample3d } from './resample';
export { ssdDemonsStep2d, ssdDemonsStep3d, sumSquares, gaussSeidelSweep2d, residual2d, residual3d } from './ssd';
export { gaussSeidelSweep3d } from './gauss-seidel';
export { quantizePositive, maskedClassStats, emClassFields, addFloat32, subtractFloat32, sumSquaresFloat32, positiveMask, emDemonsStep2d, emDemonsStep3d } from './em';
export {
  resampleAffineLinear2d, resampleAffineLinear3d, affineGradient2d, affineGradient3d, affineGradientSparse, parzenJointPdf, parzenJointGradient,
  affineMIDense2d, affineMIDense3d, affineMIChunk2d, affineMIChunk3d, affineMIAdd, affineMIFinish, affineMITerms,
} from './affine';
export { miJointPdf, parzenMiStep } from './mi';
export { warpNearest2d, warpNearest3d } from './warp-nearest';
