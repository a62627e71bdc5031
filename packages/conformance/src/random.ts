/**
 * The seeded generator and test-data helpers of the kits: re-exported from
 * `@diffeo/core/oracles`, where the one copy lives (core's own tests use it and
 * core cannot depend on this package).
 */
export { mulberry32, hashString, count, randomFloat32, smoothImage, smoothField, randomAffine, diagonalAffine } from '@diffeo/core/oracles';
export type { Random } from '@diffeo/core/oracles';
