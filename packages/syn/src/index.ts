/**
 * @diffeo/syn — Symmetric diffeomorphic registration (SyN), DIPY's
 * `SymmetricDiffeomorphicRegistration` in TypeScript.
 */
export { SymmetricDiffeomorphicRegistration, energyDerivative } from './registration.js';
export type { SynOptions, OptimizeInput } from './registration.js';
export * from './events.js';
export { estimateSynPeakBytes, checkSynMemory, WASM_MEMORY_LIMIT } from './memory.js';
