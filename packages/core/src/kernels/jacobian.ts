/**
 * Jacobian determinant of the map `x ↦ x + u(x)` defined by a displacement field.
 *
 * Maths. `u` is stored on a grid with grid-to-world affine `M·i + t`; its values are
 * displacements in world units (component `a` along world axis `a`). With
 * `G[a][k] = ∂u_a/∂i_k` (derivative along array axis `k`, per voxel) the chain rule gives
 * the world-space Jacobian `J = I + G·M⁻¹`, and the kernel writes `det J` per voxel.
 * `M⁻¹` is the linear part of the grid's world-to-grid affine `W` (the argument).
 *
 * `G` follows `numpy.gradient`'s scheme with unit spacing and `edge_order=1`, in double
 * arithmetic on the float32 values: central difference `(u[i+1] − u[i−1])·0.5` inside,
 * one-sided differences `u[1] − u[0]` and `u[n−1] − u[n−2]` at the ends, and 0 along an
 * axis of length 1. Every voxel uses the same expression, `(u[v + up] − u[v − dn])·s`,
 * with a zero offset on a missing side and `s = 0.5` only when both neighbours exist.
 *
 * Arithmetic (kept identical in the WebAssembly port, `assembly/jacobian.ts`): the entries
 * `J[a][b] = δ_ab + (G[a][0]·W[0][b] + G[a][1]·W[1][b] (+ G[a][2]·W[2][b]))` in double,
 * the determinant by cofactor expansion along the first row, rounded once to float32.
 * Units: `det J` is dimensionless (volume ratio); `det J ≤ 0` marks a folded voxel.
 */
import type { Affine, Shape2D, Shape3D } from '../types.js';

/**
 * World-space Jacobian determinant of `x ↦ x + u(x)` for a 2D field (see the module documentation).
 * @param out float32 of `nr·nc` values (C order), dimensionless.
 * @param field float32 of `nr·nc·2` values, interleaved, world units.
 * @param shape `[nr, nc]` (voxels).
 * @param W `3×3` row-major world-to-grid affine of the field's grid (only its linear part
 *   is used), or `null` (identity: world units are voxels).
 */
export function jacobianDeterminant2d(out: Float32Array, field: Float32Array, shape: Shape2D, W: Affine): void {
  const nr = shape[0], nc = shape[1];
  const w00 = W ? W[0] : 1, w01 = W ? W[1] : 0;
  const w10 = W ? W[3] : 0, w11 = W ? W[4] : 1;
  const rowStride = nc * 2;
  for (let i = 0; i < nr; i++) {
    const up = i + 1 < nr ? rowStride : 0, dn = i > 0 ? rowStride : 0, si = up !== 0 && dn !== 0 ? 0.5 : 1;
    for (let j = 0; j < nc; j++) {
      const right = j + 1 < nc ? 2 : 0, left = j > 0 ? 2 : 0, sj = right !== 0 && left !== 0 ? 0.5 : 1;
      const o = (i * nc + j) * 2;
      const g00 = (field[o + up] - field[o - dn]) * si;
      const g01 = (field[o + right] - field[o - left]) * sj;
      const g10 = (field[o + 1 + up] - field[o + 1 - dn]) * si;
      const g11 = (field[o + 1 + right] - field[o + 1 - left]) * sj;
      const j00 = 1 + (g00 * w00 + g01 * w10);
      const j01 = g00 * w01 + g01 * w11;
      const j10 = g10 * w00 + g11 * w10;
      const j11 = 1 + (g10 * w01 + g11 * w11);
      out[i * nc + j] = j00 * j11 - j01 * j10;
    }
  }
}

/**
 * World-space Jacobian determinant of `x ↦ x + u(x)` for a 3D field (see the module documentation).
 * @param out float32 of `ns·nr·nc` values (C order), dimensionless.
 * @param field float32 of `ns·nr·nc·3` values, interleaved, world units.
 * @param shape `[ns, nr, nc]` (voxels).
 * @param W `4×4` row-major world-to-grid affine of the field's grid (linear part used), or `null`.
 */
export function jacobianDeterminant3d(out: Float32Array, field: Float32Array, shape: Shape3D, W: Affine): void {
  const ns = shape[0], nr = shape[1], nc = shape[2];
  const w00 = W ? W[0] : 1, w01 = W ? W[1] : 0, w02 = W ? W[2] : 0;
  const w10 = W ? W[4] : 0, w11 = W ? W[5] : 1, w12 = W ? W[6] : 0;
  const w20 = W ? W[8] : 0, w21 = W ? W[9] : 0, w22 = W ? W[10] : 1;
  const rowStride = nc * 3, sliceStride = nr * nc * 3;
  let v = 0;
  for (let k = 0; k < ns; k++) {
    const kUp = k + 1 < ns ? sliceStride : 0, kDn = k > 0 ? sliceStride : 0, sk = kUp !== 0 && kDn !== 0 ? 0.5 : 1;
    for (let i = 0; i < nr; i++) {
      const up = i + 1 < nr ? rowStride : 0, dn = i > 0 ? rowStride : 0, si = up !== 0 && dn !== 0 ? 0.5 : 1;
      for (let j = 0; j < nc; j++, v++) {
        const right = j + 1 < nc ? 3 : 0, left = j > 0 ? 3 : 0, sj = right !== 0 && left !== 0 ? 0.5 : 1;
        const o = v * 3;
        const g00 = (field[o + kUp] - field[o - kDn]) * sk;
        const g01 = (field[o + up] - field[o - dn]) * si;
        const g02 = (field[o + right] - field[o - left]) * sj;
        const g10 = (field[o + 1 + kUp] - field[o + 1 - kDn]) * sk;
        const g11 = (field[o + 1 + up] - field[o + 1 - dn]) * si;
        const g12 = (field[o + 1 + right] - field[o + 1 - left]) * sj;
        const g20 = (field[o + 2 + kUp] - field[o + 2 - kDn]) * sk;
        const g21 = (field[o + 2 + up] - field[o + 2 - dn]) * si;
        const g22 = (field[o + 2 + right] - field[o + 2 - left]) * sj;
        const j00 = 1 + (g00 * w00 + g01 * w10 + g02 * w20);
        const j01 = g00 * w01 + g01 * w11 + g02 * w21;
        const j02 = g00 * w02 + g01 * w12 + g02 * w22;
        const j10 = g10 * w00 + g11 * w10 + g12 * w20;
        const j11 = 1 + (g10 * w01 + g11 * w11 + g12 * w21);
        const j12 = g10 * w02 + g11 * w12 + g12 * w22;
        const j20 = g20 * w00 + g21 * w10 + g22 * w20;
        const j21 = g20 * w01 + g21 * w11 + g22 * w21;
        const j22 = 1 + (g20 * w02 + g21 * w12 + g22 * w22);
        out[v] = j00 * (j11 * j22 - j12 * j21) - j01 * (j10 * j22 - j12 * j20) + j02 * (j10 * j21 - j11 * j20);
      }
    }
  }
}
