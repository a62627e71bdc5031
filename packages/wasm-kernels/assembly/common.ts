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
