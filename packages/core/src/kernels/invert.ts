/**
 * Fixed-point inversion of a displacement field (docs/algorithm.md §2.2), DIPY 1.6
 * `invert_vector_field_fixed_point_2d/3d` bit for bit (Chen et al. 2008).
 *
 * Maths: find `p` with `p(x) + d(x + p(x)) ≈ 0`, i.e. `x ↦ x + p(x)` inverts
 * `x ↦ x + d(x)`. Starting from `p` (zeros or a warm start), each iteration
 *
 *     q = compose(p, d, A = null, B = W, t = 1)        (§2.1: residual, 0 where not inside)
 *     m[i] = sqrt(Σ_k (q[i,k] / spacing[k])²)          (residual norm in voxels, double)
 *     difmag = max m;  error = Σ m / N                  (sequential raster-order sum)
 *     maxlen = eps·difmag,  eps = 0.75 on the first iteration then 0.5
 *     p[i] = f32(p[i] − s_i·q[i]),  s_i = m[i] > maxlen ? eps·maxlen/m[i] : eps
 *
 * runs while `iter < maxIter` and `tol < error` (3D also requires `0.1 < difmag`),
 * both measured *before* the update of the same iteration, so the result carries one
 * more update than the last measured error.
 *
 * Frames and units: `d` and `p` share one grid and hold world displacements;
 * `W` (the grid's world-to-grid, or null) converts them to grid units for sampling;
 * `spacing` (world units per voxel) only scales the stopping measure, so `error` and
 * `maxResidual` are in voxels.
 *
 * Implementation: the update of iteration n and the residual of iteration n+1 are
 * fused into one raster pass (the composition reads `p` only at the voxel it
 * writes, so the per-voxel arithmetic and the order of the sums are unchanged);
 * the residual lives in `scratch` and its norms are recomputed rather than stored.
 */
import type { Affine, Shape2D, Shape3D } from '../types.js';
import type { InversionResult } from './types.js';

const f32 = Math.fround;

/**
 * 2D fixed-point inversion (docs/algorithm.md §2.2).
 *
 * @param inv - in: the start value (zeros for a cold start); out: the inverse. World units,
 *   `rows·cols·2` float32 on grid `shape`. Must not alias `d` or `scratch`.
 * @param d - the field to invert, world units, same grid.
 * @param shape - `[rows, cols]` (voxels).
 * @param W - `3×3` world-to-grid of the field's grid (null = identity).
 * @param spacing - world units per voxel along each axis; scales the stopping measure only.
 * @param maxIter - maximum number of iterations.
 * @param tol - stop once the mean residual norm (voxels) measured before an update is ≤ tol.
 * @param scratch - field-sized float32 buffer (overwritten with the last residual).
 * @returns iterations run and the last measured mean / max residual norm (voxels);
 *   both NaN when no iteration ran.
 */
export function invert2d(inv: Float32Array, d: Float32Array, shape: Shape2D, W: Affine, spacing: ArrayLike<number>,
  maxIter: number, tol: number, scratch: Float32Array): InversionResult {
  const nr = shape[0], nc = shape[1];
  const n = nr * nc;
  const sr = +spacing[0], sc = +spacing[1];
  const lastR = nr - 1, lastC = nc - 1;
  const stride = nc * 2;
  const hasW = W !== null;
  let b00 = 1, b01 = 0, b10 = 0, b11 = 1;
  if (W !== null) { b00 = W[0]; b01 = W[1]; b10 = W[3]; b11 = W[4]; }
  const p = inv, q = scratch;

  let iter = 0;
  let error = 1 + tol;
  let difmag = NaN;
  let measured = false;
  let eps = 0.75, maxlen = 0;
  // `measured` = q holds the residual of the current p (not yet applied).
  while (true) {
    const cont = iter < maxIter && tol < error;
    if (!cont && !measured) break;
    // One pass: apply the pending update (if any), then measure the new residual (if continuing).
    const update = measured;
    let sum = 0, mx = 0;
    let o = 0;
    for (let i = 0; i < nr; i++) {
      for (let j = 0; j < nc; j++, o += 2) {
        let v0 = p[o], v1 = p[o + 1];
        if (update) {
          const e0 = q[o], e1 = q[o + 1];
          const u0 = e0 / sr, u1 = e1 / sc;
          const m = Math.sqrt(u0 * u0 + u1 * u1);
          const sf = m > maxlen ? eps * maxlen / m : eps;
          v0 = f32(v0 - sf * e0);
          v1 = f32(v1 - sf * e1);
          p[o] = v0; p[o + 1] = v1;
        }
        if (!cont) continue;
        let x0: number, x1: number;
        if (hasW) {
          x0 = b00 * v0 + b01 * v1;
          x1 = b10 * v0 + b11 * v1;
        } else {
          x0 = v0; x1 = v1;
        }
        x0 = i + x0;
        x1 = j + x1;
        let c0 = 0, c1 = 0;
        if (x0 >= 0 && x0 < lastR && x1 >= 0 && x1 < lastC) {
          const r = x0 | 0, c = x1 | 0;
          const ca = x0 - r, cb = x1 - c;
          const ea = 1 - ca, eb = 1 - cb;
          const w00 = ea * eb, w01 = ea * cb, w11 = ca * cb, w10 = ca * eb;
          const q00 = r * stride + c * 2;
          const q01 = q00 + 2, q11 = q01 + stride, q10 = q00 + stride;
          let s0 = f32(w00 * d[q00]);
          s0 = f32(s0 + w01 * d[q01]);
          s0 = f32(s0 + w11 * d[q11]);
          s0 = f32(s0 + w10 * d[q10]);
          let s1 = f32(w00 * d[q00 + 1]);
          s1 = f32(s1 + w01 * d[q01 + 1]);
          s1 = f32(s1 + w11 * d[q11 + 1]);
          s1 = f32(s1 + w10 * d[q10 + 1]);
          c0 = f32(s0 + v0);
          c1 = f32(s1 + v1);
        }
        q[o] = c0; q[o + 1] = c1;
        const u0 = c0 / sr, u1 = c1 / sc;
        const m = Math.sqrt(u0 * u0 + u1 * u1);
        sum += m;
        if (mx < m) mx = m;
      }
    }
    if (!cont) break;
    eps = iter === 0 ? 0.75 : 0.5;
    difmag = mx;
    error = sum / n;
    maxlen = difmag * eps;
    measured = true;
    iter++;
  }
  return iter === 0 ? { iterations: 0, error: NaN, maxResidual: NaN } : { iterations: iter, error, maxResidual: difmag };
}

/**
 * 3D fixed-point inversion (docs/algorithm.md §2.2), with DIPY's extra stop once the
 * largest residual is ≤ 0.1 voxel.
 *
 * @param inv - in: the start value; out: the inverse. World units, `prod(shape)·3` float32.
 *   Must not alias `d` or `scratch`.
 * @param d - the field to invert, world units, same grid.
 * @param shape - `[slices, rows, cols]` (voxels).
 * @param W - `4×4` world-to-grid of the field's grid (null = identity).
 * @param spacing - world units per voxel along each axis; scales the stopping measure only.
 * @param maxIter - maximum number of iterations.
 * @param tol - stop once the mean residual norm (voxels) measured before an update is ≤ tol.
 * @param scratch - field-sized float32 buffer (overwritten with the last residual).
 * @returns iterations run and the last measured mean / max residual norm (voxels);
 *   both NaN when no iteration ran.
 */
export function invert3d(inv: Float32Array, d: Float32Array, shape: Shape3D, W: Affine, spacing: ArrayLike<number>,
  maxIter: number, tol: number, scratch: Float32Array): InversionResult {
  const ns = shape[0], nr = shape[1], nc = shape[2];
  const n = ns * nr * nc;
  const ss = +spacing[0], sr = +spacing[1], sc = +spacing[2];
  const lastS = ns - 1, lastR = nr - 1, lastC = nc - 1;
  const rowStride = nc * 3, sliceStride = nr * nc * 3;
  let b00 = 1, b01 = 0, b02 = 0, b10 = 0, b11 = 1, b12 = 0, b20 = 0, b21 = 0, b22 = 1;
  if (W !== null) {
    b00 = W[0]; b01 = W[1]; b02 = W[2];
    b10 = W[4]; b11 = W[5]; b12 = W[6];
    b20 = W[8]; b21 = W[9]; b22 = W[10];
  }
  // Off-diagonal zeros of W only add zero products: `(k, i, j) + W·v` has the same bits
  // without them (a zero's sign is lost in `k + (±0)`, and a non-finite `v` leaves some
  // coordinate non-finite, so the voxel is outside either way); the identity needs no products.
  const diagW = b01 === 0 && b02 === 0 && b10 === 0 && b12 === 0 && b20 === 0 && b21 === 0;
  const hasW = !(diagW && b00 === 1 && b11 === 1 && b22 === 1);
  const p = inv, q = scratch;

  let iter = 0;
  let error = 1 + tol;
  let difmag = 1;
  let measured = false;
  let eps = 0.75, maxlen = 0;
  while (true) {
    const cont = 0.1 < difmag && iter < maxIter && tol < error;
    if (!cont && !measured) break;
    const update = measured;
    let sum = 0, mx = 0;
    let o = 0;
    for (let k = 0; k < ns; k++) {
      for (let i = 0; i < nr; i++) {
        for (let j = 0; j < nc; j++, o += 3) {
          let v0 = p[o], v1 = p[o + 1], v2 = p[o + 2];
          if (update) {
            const e0 = q[o], e1 = q[o + 1], e2 = q[o + 2];
            const u0 = e0 / ss, u1 = e1 / sr, u2 = e2 / sc;
            const m = Math.sqrt(u0 * u0 + u1 * u1 + u2 * u2);
            const sf = m > maxlen ? eps * maxlen / m : eps;
            v0 = f32(v0 - sf * e0);
            v1 = f32(v1 - sf * e1);
            v2 = f32(v2 - sf * e2);
            p[o] = v0; p[o + 1] = v1; p[o + 2] = v2;
          }
          if (!cont) continue;
          let x0: number, x1: number, x2: number;
          if (!hasW) {
            x0 = v0; x1 = v1; x2 = v2;
          } else if (diagW) {
            x0 = b00 * v0; x1 = b11 * v1; x2 = b22 * v2;
          } else {
            x0 = b00 * v0 + b01 * v1 + b02 * v2;
            x1 = b10 * v0 + b11 * v1 + b12 * v2;
            x2 = b20 * v0 + b21 * v1 + b22 * v2;
          }
          x0 = k + x0;
          x1 = i + x1;
          x2 = j + x2;
          let c0 = 0, c1 = 0, c2 = 0;
          if (x0 >= 0 && x0 < lastS && x1 >= 0 && x1 < lastR && x2 >= 0 && x2 < lastC) {
            const s = x0 | 0, r = x1 | 0, c = x2 | 0;
            const cg = x0 - s, ca = x1 - r, cb = x2 - c;
            const eg = 1 - cg, ea = 1 - ca, eb = 1 - cb;
            const p00 = ea * eb, p01 = ea * cb, p11 = ca * cb, p10 = ca * eb;
            const w0 = p00 * eg, w1 = p01 * eg, w2 = p11 * eg, w3 = p10 * eg;
            const w4 = p00 * cg, w5 = p01 * cg, w6 = p11 * cg, w7 = p10 * cg;
            const q0 = s * sliceStride + r * rowStride + c * 3;
            const q1 = q0 + 3, q2 = q1 + rowStride, q3 = q0 + rowStride;
            const q4 = q0 + sliceStride, q5 = q1 + sliceStride, q6 = q2 + sliceStride, q7 = q3 + sliceStride;
            let s0 = f32(w0 * d[q0]);
            s0 = f32(s0 + w1 * d[q1]);
            s0 = f32(s0 + w2 * d[q2]);
            s0 = f32(s0 + w3 * d[q3]);
            s0 = f32(s0 + w4 * d[q4]);
            s0 = f32(s0 + w5 * d[q5]);
            s0 = f32(s0 + w6 * d[q6]);
            s0 = f32(s0 + w7 * d[q7]);
            let s1 = f32(w0 * d[q0 + 1]);
            s1 = f32(s1 + w1 * d[q1 + 1]);
            s1 = f32(s1 + w2 * d[q2 + 1]);
            s1 = f32(s1 + w3 * d[q3 + 1]);
            s1 = f32(s1 + w4 * d[q4 + 1]);
            s1 = f32(s1 + w5 * d[q5 + 1]);
            s1 = f32(s1 + w6 * d[q6 + 1]);
            s1 = f32(s1 + w7 * d[q7 + 1]);
            let s2 = f32(w0 * d[q0 + 2]);
            s2 = f32(s2 + w1 * d[q1 + 2]);
            s2 = f32(s2 + w2 * d[q2 + 2]);
            s2 = f32(s2 + w3 * d[q3 + 2]);
            s2 = f32(s2 + w4 * d[q4 + 2]);
            s2 = f32(s2 + w5 * d[q5 + 2]);
            s2 = f32(s2 + w6 * d[q6 + 2]);
            s2 = f32(s2 + w7 * d[q7 + 2]);
            c0 = f32(s0 + v0);
            c1 = f32(s1 + v1);
            c2 = f32(s2 + v2);
          }
          q[o] = c0; q[o + 1] = c1; q[o + 2] = c2;
          const u0 = c0 / ss, u1 = c1 / sr, u2 = c2 / sc;
          const m = Math.sqrt(u0 * u0 + u1 * u1 + u2 * u2);
          sum += m;
          if (mx < m) mx = m;
        }
      }
    }
    if (!cont) break;
    eps = iter === 0 ? 0.75 : 0.5;
    difmag = mx;
    error = sum / n;
    maxlen = difmag * eps;
    measured = true;
    iter++;
  }
  return iter === 0 ? { iterations: 0, error: NaN, maxResidual: NaN } : { iterations: iter, error, maxResidual: difmag };
}
