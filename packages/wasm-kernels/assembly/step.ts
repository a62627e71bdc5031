/**
 * SyN's conditioning of a raw metric step (docs/algorithm.md §4.5), the
 * WebAssembly port of `conditionStep` in `packages/core/src/kernels/step.ts`, in two
 * passes that can each be split over threads:
 *
 * 1. {@link stepMaxNorm2d} / {@link stepMaxNorm3d}: zero the outermost voxel layer of
 *    rows (2D) or slices (3D) `[lo, hi)` and write, per row or slice, the largest
 *    squared voxel norm `Σ (s_k / spacing_k)²` (double). The JavaScript side takes the
 *    largest of those: a maximum does not depend on the order in which it is taken
 *    (NaN is never taken, as in the TypeScript kernel's `v > max`), so this equals the
 *    TypeScript kernel's raster-order maximum.
 * 2. {@link stepDivide}: `s ← f32(s / f)` with `f = f32(√max)`.
 *
 * Units: the step is in world units (mm), `spacing` world units per voxel, the norm in voxels.
 */
import { exactReciprocal } from './common';

/** The largest of `v` and the squared norm `(a·a + b·b)` lanes, NaN never taken. */
// @ts-ignore: decorator
@inline function maxLanes(MX: v128, V: v128): v128 {
  return v128.bitselect(V, MX, f64x2.gt(V, MX));
}

/** The larger lane of `MX` (NaN-free: both lanes are maxima that never took a NaN). */
// @ts-ignore: decorator
@inline function laneMax(MX: v128, mx: f64): f64 {
  let m = mx;
  const a = f64x2.extract_lane(MX, 0), b = f64x2.extract_lane(MX, 1);
  if (a > m) m = a;
  if (b > m) m = b;
  return m;
}

/**
 * 2D: zeroes the boundary voxels of the rows `[lo, hi)` of `step` (`nr×nc` voxels of 2
 * float32) and writes each row's largest squared norm to `rowMax[row]` (doubles).
 */
export function stepMaxNorm2d(step: usize, nr: i32, nc: i32, s0: f64, s1: f64, rowMax: usize, lo: i32, hi: i32): void {
  const pw2 = exactReciprocal(s0) && exactReciprocal(s1);
  const r0 = 1 / s0, r1 = 1 / s1;
  const S0 = f64x2.splat(s0), S1 = f64x2.splat(s1), R0 = f64x2.splat(r0), R1 = f64x2.splat(r1);
  const rowB = <usize>nc << 3;
  for (let i = lo; i < hi; i++) {
    const row = step + <usize>i * rowB;
    if (i == 0 || i == nr - 1) {
      memory.fill(row, 0, rowB);
    } else {
      store<u64>(row, 0);
      store<u64>(row + rowB - 8, 0);
    }
    let MX = f64x2.splat(0);
    let p = row;
    const end = row + rowB;
    for (; p + 16 <= end; p += 16) {
      const L = v128.load(p);
      const E0 = f64x2.promote_low_f32x4(i32x4.shuffle(L, L, 0, 2, 0, 2));
      const E1 = f64x2.promote_low_f32x4(i32x4.shuffle(L, L, 1, 3, 1, 3));
      let A: v128, B: v128;
      if (pw2) { A = f64x2.mul(E0, R0); B = f64x2.mul(E1, R1); } else { A = f64x2.div(E0, S0); B = f64x2.div(E1, S1); }
      MX = maxLanes(MX, f64x2.add(f64x2.mul(A, A), f64x2.mul(B, B)));
    }
    let mx = 0.0;
    for (; p < end; p += 8) {
      const e0 = <f64>load<f32>(p), e1 = <f64>load<f32>(p, 4);
      const a = pw2 ? e0 * r0 : e0 / s0, b = pw2 ? e1 * r1 : e1 / s1;
      const v = a * a + b * b;
      if (v > mx) mx = v;
    }
    store<f64>(rowMax + (<usize>i << 3), laneMax(MX, mx));
  }
}

/**
 * 3D: zeroes the boundary voxels of the slices `[lo, hi)` of `step` (`ns×nr×nc`
 * voxels of 3 float32) and writes each slice's largest squared norm to `sliceMax[slice]`.
 */
export function stepMaxNorm3d(step: usize, ns: i32, nr: i32, nc: i32, s0: f64, s1: f64, s2: f64, sliceMax: usize,
  lo: i32, hi: i32): void {
  const pw2 = exactReciprocal(s0) && exactReciprocal(s1) && exactReciprocal(s2);
  const r0 = 1 / s0, r1 = 1 / s1, r2 = 1 / s2;
  const S0 = f64x2.splat(s0), S1 = f64x2.splat(s1), S2 = f64x2.splat(s2);
  const R0 = f64x2.splat(r0), R1 = f64x2.splat(r1), R2 = f64x2.splat(r2);
  const rowB = <usize>nc * 12;
  for (let k = lo; k < hi; k++) {
    let MX = f64x2.splat(0);
    let mx = 0.0;
    for (let i = 0; i < nr; i++) {
      const row = step + (<usize>k * <usize>nr + <usize>i) * rowB;
      if (k == 0 || k == ns - 1 || i == 0 || i == nr - 1) {
        memory.fill(row, 0, rowB);
      } else {
        memory.fill(row, 0, 12);
        memory.fill(row + rowB - 12, 0, 12);
      }
      let p = row;
      const end = row + rowB;
      for (; p + 24 <= end; p += 24) {
        const L = v128.load(p), M = v128.load64_zero(p, 16);
        const E0 = f64x2.promote_low_f32x4(i32x4.shuffle(L, M, 0, 3, 0, 3));
        const E1 = f64x2.promote_low_f32x4(i32x4.shuffle(L, M, 1, 4, 1, 4));
        const E2 = f64x2.promote_low_f32x4(i32x4.shuffle(L, M, 2, 5, 2, 5));
        let A: v128, B: v128, C: v128;
        if (pw2) {
          A = f64x2.mul(E0, R0); B = f64x2.mul(E1, R1); C = f64x2.mul(E2, R2);
        } else {
          A = f64x2.div(E0, S0); B = f64x2.div(E1, S1); C = f64x2.div(E2, S2);
        }
        MX = maxLanes(MX, f64x2.add(f64x2.add(f64x2.mul(A, A), f64x2.mul(B, B)), f64x2.mul(C, C)));
      }
      for (; p < end; p += 12) {
        const e0 = <f64>load<f32>(p), e1 = <f64>load<f32>(p, 4), e2 = <f64>load<f32>(p, 8);
        const a = pw2 ? e0 * r0 : e0 / s0, b = pw2 ? e1 * r1 : e1 / s1, c = pw2 ? e2 * r2 : e2 / s2;
        const v = a * a + b * b + c * c;
        if (v > mx) mx = v;
      }
    }
    store<f64>(sliceMax + (<usize>k << 3), laneMax(MX, mx));
  }
}

/** `s ← f32(s / f)` for the float32 values `[lo, hi)` of `step` (`f` is the float32 divisor as a double). */
export function stepDivide(step: usize, f: f64, lo: i32, hi: i32): void {
  const F = f64x2.splat(f);
  let p = step + (<usize>lo << 2);
  const end = step + (<usize>hi << 2);
  for (; p + 16 <= end; p += 16) {
    const L = v128.load(p);
    const a = f32x4.demote_f64x2_zero(f64x2.div(f64x2.promote_low_f32x4(L), F));
    const b = f32x4.demote_f64x2_zero(f64x2.div(f64x2.promote_low_f32x4(i32x4.shuffle(L, L, 2, 3, 2, 3)), F));
    v128.store(p, i32x4.shuffle(a, b, 0, 1, 4, 5));
  }
  for (; p < end; p += 4) store<f32>(p, <f32>(<f64>load<f32>(p) / f));
}
