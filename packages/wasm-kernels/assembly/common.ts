/**
 * Shared helpers of the WebAssembly kernels (AssemblyScript).
 *
 * Conventions of every exported kernel in this folder:
 * - arrays are raw byte addresses (`usize`) into the one linear memory the
 *   JavaScript side owns; float32 data is read with `load<f32>` and widened to
 *   double exactly as a `Float32Array` read is in JavaScript;
 * - an affine is the address of a row-major `(d+1)×(d+1)` float64 block, or 0
 *   for `null` (the identity);
 * - every floating-point operation is the one the TypeScript kernel performs, in
 *   the same order: double arithmetic, `f32()` where the TypeScript kernel calls
 *   `Math.fround` or stores into a `Float32Array`. WebAssembly has no implicit
 *   fused multiply-add and Binaryen does not reassociate floating-point
 *   expressions, so the results are bit-identical.
 */

/** Rounds a double to float32 and back (JavaScript's `Math.fround`). */
// @ts-ignore: decorator
@inline export function f32r(x: f64): f64 {
  return <f64><f32>x;
}

/** Whether `x` is +∞ or −∞ (not NaN). */
// @ts-ignore: decorator
@inline export function isInf(x: f64): bool {
  return x == Infinity || x == -Infinity;
}

/** Reads float32 element `i` of the array at `base` as a double. */
// @ts-ignore: decorator
@inline export function ldf(base: usize, i: i32): f64 {
  return <f64>load<f32>(base + (<usize>i << 2));
}

/** Stores a double as float32 element `i` of the array at `base`. */
// @ts-ignore: decorator
@inline export function stf(base: usize, i: i32, v: f64): void {
  store<f32>(base + (<usize>i << 2), <f32>v);
}

/** Reads float64 element `i` of the block at `base`. */
// @ts-ignore: decorator
@inline export function ldd(base: usize, i: i32): f64 {
  return load<f64>(base + (<usize>i << 3));
}

/** Writes float64 element `i` of the block at `base`. */
// @ts-ignore: decorator
@inline export function std(base: usize, i: i32, v: f64): void {
  store<f64>(base + (<usize>i << 3), v);
}

/** Entry `(r, c)` of a `n×n` affine at `m`, or of the identity when `m` is 0. */
// @ts-ignore: decorator
@inline export function aff(m: usize, n: i32, r: i32, c: i32): f64 {
  return m == 0 ? (r == c ? 1.0 : 0.0) : load<f64>(m + (<usize>(r * n + c) << 3));
}

/**
 * Whether `x / s` has the bits of `x · (1/s)` for every double `x`: `s` is ± a power
 * of two whose reciprocal is a normal double (then `1/s` is exact and both operations
 * round the same real number). Kernels that divide by a spacing use it to multiply
 * instead, since spacings are mostly 1.
 */
export function exactReciprocal(s: f64): bool {
  const b = reinterpret<u64>(s);
  const e = <i32>((b >> 52) & 0x7ff);
  return (b & 0xFFFFFFFFFFFFF) == 0 && e >= 1 && e <= 2045;
}

/** Start of the memory the JavaScript side may use (after this module's static data). */
export function heapBase(): usize {
  return __heap_base;
}

/** {@link linearMode3d}: the linear part of `W` is the identity (or `W` is null). */
export const W_IDENTITY: i32 = 0;
/** {@link linearMode3d}: the linear part of `W` is diagonal (a pyramid level's scaling). */
export const W_DIAGONAL: i32 = 1;
/** {@link linearMode3d}: any other linear part. */
export const W_GENERAL: i32 = 2;

/**
 * How a sampling position `(k, i, j) + W·v` (k, i, j ≥ 0) may be formed with the bits
 * of the general `(b_r0·v0 + b_r1·v1) + b_r2·v2`. An off-diagonal entry that is ±0 adds
 * a zero product, which changes nothing but perhaps the sign of a zero coordinate, and
 * that sign is lost in `k + (±0)` (k ≥ 0); when any `v_m` is ±∞ or NaN, both forms have
 * a coordinate that is not finite, so the voxel is not inside either way. Hence a
 * diagonal `W` needs only `b_rr·v_r`, and the identity (all of SyN's full-resolution
 * levels in voxel space) not even that. (Only where the position's other term is a
 * non-negative voxel index and the voxel's result does not depend on the position once
 * one coordinate is not finite: the 3D inversion, and the 3D composition without `A`.)
 */
export function linearMode3d(b00: f64, b01: f64, b02: f64, b10: f64, b11: f64, b12: f64, b20: f64, b21: f64, b22: f64): i32 {
  if (b01 != 0 || b02 != 0 || b10 != 0 || b12 != 0 || b20 != 0 || b21 != 0) return W_GENERAL;
  return b00 == 1 && b11 == 1 && b22 == 1 ? W_IDENTITY : W_DIAGONAL;
}
