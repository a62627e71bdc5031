/**
 * World-space Jacobian determinant of `x ↦ x + u(x)`, the WebAssembly port of
 * `jacobianDeterminant2d/3d` in `packages/core/src/kernels/jacobian.ts`, with the same
 * expressions in the same order: per voxel, `G[a][k] = (u_a[v + up] − u_a[v − dn])·s`
 * (numpy.gradient's scheme: `s = 0.5` with both neighbours, offsets 0 on a missing side),
 * `J[a][b] = δ_ab + Σ_k G[a][k]·W[k][b]` in double (`W` the linear part of the field
 * grid's world-to-grid), the determinant by cofactors along the first row, stored float32.
 * Scalar code (no SIMD): the result must be bit-identical, and the kernel runs once per map.
 *
 * Ranges: rows `[lo, hi)` in 2D, slices `[lo, hi)` in 3D.
 */
import { aff, ldf, stf } from './common';

/** 2D: `out` (`nr·nc` float32) from `field` (`nr·nc·2` float32); `W` a 3×3 affine or 0 (identity). */
export function jacobianDeterminant2d(out: usize, field: usize, nr: i32, nc: i32, W: usize, lo: i32, hi: i32): void {
  const w00 = aff(W, 3, 0, 0), w01 = aff(W, 3, 0, 1);
  const w10 = aff(W, 3, 1, 0), w11 = aff(W, 3, 1, 1);
  const rowStride = nc * 2;
  for (let i = lo; i < hi; i++) {
    const up = i + 1 < nr ? rowStride : 0, dn = i > 0 ? rowStride : 0;
    const si: f64 = up != 0 && dn != 0 ? 0.5 : 1.0;
    for (let j = 0; j < nc; j++) {
      const right = j + 1 < nc ? 2 : 0, left = j > 0 ? 2 : 0;
      const sj: f64 = right != 0 && left != 0 ? 0.5 : 1.0;
      const o = (i * nc + j) * 2;
      const g00 = (ldf(field, o + up) - ldf(field, o - dn)) * si;
      const g01 = (ldf(field, o + right) - ldf(field, o - left)) * sj;
      const g10 = (ldf(field, o + 1 + up) - ldf(field, o + 1 - dn)) * si;
      const g11 = (ldf(field, o + 1 + right) - ldf(field, o + 1 - left)) * sj;
      const j00 = 1 + (g00 * w00 + g01 * w10);
      const j01 = g00 * w01 + g01 * w11;
      const j10 = g10 * w00 + g11 * w10;
      const j11 = 1 + (g10 * w01 + g11 * w11);
      stf(out, i * nc + j, j00 * j11 - j01 * j10);
    }
  }
}

/** 3D: `out` (`ns·nr·nc` float32) from `field` (`ns·nr·nc·3` float32); `W` a 4×4 affine or 0. */
export function jacobianDeterminant3d(out: usize, field: usize, ns: i32, nr: i32, nc: i32, W: usize, lo: i32, hi: i32): void {
  const w00 = aff(W, 4, 0, 0), w01 = aff(W, 4, 0, 1), w02 = aff(W, 4, 0, 2);
  const w10 = aff(W, 4, 1, 0), w11 = aff(W, 4, 1, 1), w12 = aff(W, 4, 1, 2);
  const w20 = aff(W, 4, 2, 0), w21 = aff(W, 4, 2, 1), w22 = aff(W, 4, 2, 2);
  const rowStride = nc * 3, sliceStride = nr * nc * 3;
  for (let k = lo; k < hi; k++) {
    const kUp = k + 1 < ns ? sliceStride : 0, kDn = k > 0 ? sliceStride : 0;
    const sk: f64 = kUp != 0 && kDn != 0 ? 0.5 : 1.0;
    for (let i = 0; i < nr; i++) {
      const up = i + 1 < nr ? rowStride : 0, dn = i > 0 ? rowStride : 0;
      const si: f64 = up != 0 && dn != 0 ? 0.5 : 1.0;
      let v = (k * nr + i) * nc;
      for (let j = 0; j < nc; j++, v++) {
        const right = j + 1 < nc ? 3 : 0, left = j > 0 ? 3 : 0;
        const sj: f64 = right != 0 && left != 0 ? 0.5 : 1.0;
        const o = v * 3;
        const g00 = (ldf(field, o + kUp) - ldf(field, o - kDn)) * sk;
        const g01 = (ldf(field, o + up) - ldf(field, o - dn)) * si;
        const g02 = (ldf(field, o + right) - ldf(field, o - left)) * sj;
        const g10 = (ldf(field, o + 1 + kUp) - ldf(field, o + 1 - kDn)) * sk;
        const g11 = (ldf(field, o + 1 + up) - ldf(field, o + 1 - dn)) * si;
        const g12 = (ldf(field, o + 1 + right) - ldf(field, o + 1 - left)) * sj;
        const g20 = (ldf(field, o + 2 + kUp) - ldf(field, o + 2 - kDn)) * sk;
        const g21 = (ldf(field, o + 2 + up) - ldf(field, o + 2 - dn)) * si;
        const g22 = (ldf(field, o + 2 + right) - ldf(field, o + 2 - left)) * sj;
        const j00 = 1 + (g00 * w00 + g01 * w10 + g02 * w20);
        const j01 = g00 * w01 + g01 * w11 + g02 * w21;
        const j02 = g00 * w02 + g01 * w12 + g02 * w22;
        const j10 = g10 * w00 + g11 * w10 + g12 * w20;
        const j11 = 1 + (g10 * w01 + g11 * w11 + g12 * w21);
        const j12 = g10 * w02 + g11 * w12 + g12 * w22;
        const j20 = g20 * w00 + g21 * w10 + g22 * w20;
        const j21 = g20 * w01 + g21 * w11 + g22 * w21;
        const j22 = 1 + (g20 * w02 + g21 * w12 + g22 * w22);
        stf(out, v, j00 * (j11 * j22 - j12 * j21) - j01 * (j10 * j22 - j12 * j20) + j02 * (j10 * j21 - j11 * j20));
      }
    }
  }
}
