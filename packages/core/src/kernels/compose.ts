/**
 * Composition of displacement fields (docs/algorithm.md §2.1), DIPY 1.6
 * `compose_vector_fields_2d/3d` bit for bit.
 *
 * Maths: for every voxel `i` of d1's grid (raster order),
 *
 *     v = d1[i]                                   (float32 read as double)
 *     p = (A ? A·[i;1] : i) + (B ? B·[v;0] : v)   (a point on d2's grid, voxel units)
 *     out[i] = f32(t·d2(p) + v)   if p is strictly inside d2's grid, else 0
 *
 * i.e. `out(x) = d1(x) + t·d2(x + d1(x))`: "first d1, then t·d2". `d2(p)` is the
 * bilinear (trilinear) interpolation of docs/algorithm.md §1.5 with the fixed corner order
 * and the float32 output slot re-rounded after every corner; "inside" means that all
 * 4 (8) corners exist, i.e. `0 ≤ p_k < n_k − 1` on every axis (a point exactly on the
 * last row/column is *not* inside). When it is not inside the result is the zero
 * vector, not `d1[i]`.
 *
 * Frames and units: `A` maps d1's grid indices to d2's grid (voxels → voxels);
 * `B` maps d1's displacement vectors (usually world units) into d2's grid units.
 * In SyN both fields share a grid: `A = null`, `B = world-to-grid`. The output has
 * the units of d1 (and t·d2, which must agree).
 *
 * Statistics over inside voxels only, with `q = |out[i]|²` evaluated in float32
 * arithmetic (`f32(f32(c0²) + f32(c1²))`, as DIPY's compiled kernel does; this
 * differs from a double evaluation in the last bits) and the sums in double:
 * `[sqrt(max q), sqrt(Σq / cnt), sqrt(Σq² / cnt − (Σq / cnt)²)]`; with no inside
 * voxel they are `[0, NaN, NaN]` (DIPY 1.6 divides by a zero count).
 *
 * `out` may be the same array as `d1` (each `d1[i]` is read once, before `out[i]`
 * is written); it must not alias `d2`.
 */
import type { Affine, ComposeStats, Shape2D, Shape3D } from '../types.js';

const f32 = Math.fround;

/**
 * 2D composition (docs/algorithm.md §2.1).
 *
 * @param out - output field, `shape1[0]·shape1[1]·2` float32 (may alias `d1`, not `d2`).
 * @param d1 - first field, on grid `shape1` = `[rows, cols]`, interleaved (row, col) components.
 * @param shape1 - grid shape of `d1` and `out` (voxels).
 * @param d2 - second field, on grid `shape2`; sampled bilinearly at grid positions.
 * @param shape2 - grid shape of `d2` (voxels).
 * @param A - `3×3` row-major index pre-multiplication (d1 grid → d2 grid), or `null` (identity).
 * @param B - `3×3` row-major displacement pre-multiplication (d1 displacement units → d2 grid
 *   units; translation ignored), or `null` (identity).
 * @param t - time scaling applied to the interpolated `d2`.
 * @returns `[sqrt(max q), sqrt(mean q), sqrt(std q)]` with `q = |out|²` over inside voxels.
 */
export function compose2d(out: Float32Array, d1: Float32Array, shape1: Shape2D, d2: Float32Array, shape2: Shape2D,
  A: Affine, B: Affine, t: number, wantStats = true): ComposeStats {
  const nr1 = shape1[0], nc1 = shape1[1];
  const nr2 = shape2[0], nc2 = shape2[1];
  const lastR = nr2 - 1, lastC = nc2 - 1;
  const stride = nc2 * 2;
  // A = null is the identity exactly: 1·i + 0·j + 0 = i for integer indices.
  let a00 = 1, a01 = 0, a02 = 0, a10 = 0, a11 = 1, a12 = 0;
  if (A !== null) { a00 = A[0]; a01 = A[1]; a02 = A[2]; a10 = A[3]; a11 = A[4]; a12 = A[5]; }
  const hasB = B !== null;
  let b00 = 1, b01 = 0, b10 = 0, b11 = 1;
  if (B !== null) { b00 = B[0]; b01 = B[1]; b10 = B[3]; b11 = B[4]; }

  let cnt = 0, maxQ = 0, sumQ = 0, sumQ2 = 0;
  let o = 0;
  for (let i = 0; i < nr1; i++) {
    const ri0 = a00 * i, ri1 = a10 * i;
    for (let j = 0; j < nc1; j++, o += 2) {
      const v0 = d1[o], v1 = d1[o + 1];
      let x0: number, x1: number;
      if (hasB) {
        x0 = b00 * v0 + b01 * v1;
        x1 = b10 * v0 + b11 * v1;
      } else {
        x0 = v0; x1 = v1;
      }
      x0 = (ri0 + a01 * j + a02) + x0;
      x1 = (ri1 + a11 * j + a12) + x1;
      if (x0 >= 0 && x0 < lastR && x1 >= 0 && x1 < lastC) {
        const r = x0 | 0, c = x1 | 0;
        const ca = x0 - r, cb = x1 - c;
        const ea = 1 - ca, eb = 1 - cb;
        const w00 = ea * eb, w01 = ea * cb, w11 = ca * cb, w10 = ca * eb;
        const q00 = r * stride + c * 2;
        const q01 = q00 + 2, q11 = q01 + stride, q10 = q00 + stride;
        let s0 = f32(w00 * d2[q00]);
        s0 = f32(s0 + w01 * d2[q01]);
        s0 = f32(s0 + w11 * d2[q11]);
        s0 = f32(s0 + w10 * d2[q10]);
        let s1 = f32(w00 * d2[q00 + 1]);
        s1 = f32(s1 + w01 * d2[q01 + 1]);
        s1 = f32(s1 + w11 * d2[q11 + 1]);
        s1 = f32(s1 + w10 * d2[q10 + 1]);
        const c0 = f32(t * s0 + v0);
        const c1 = f32(t * s1 + v1);
        out[o] = c0; out[o + 1] = c1;
        const q = f32(f32(c0 * c0) + f32(c1 * c1));
        cnt++;
        sumQ += q;
        sumQ2 += q * q;
        if (maxQ < q) maxQ = q;
      } else {
        out[o] = 0; out[o + 1] = 0;
      }
    }
  }
  return wantStats ? finishStats(cnt, maxQ, sumQ, sumQ2) : [NaN, NaN, NaN];
}

/**
 * 3D composition (docs/algorithm.md §2.1), trilinear interpolation of `d2`.
 *
 * @param out - output field, `prod(shape1)·3` float32 (may alias `d1`, not `d2`).
 * @param d1 - first field on grid `shape1` = `[slices, rows, cols]`, interleaved components.
 * @param shape1 - grid shape of `d1` and `out` (voxels).
 * @param d2 - second field on grid `shape2`.
 * @param shape2 - grid shape of `d2` (voxels).
 * @param A - `4×4` row-major index pre-multiplication (d1 grid → d2 grid), or `null`.
 * @param B - `4×4` row-major displacement pre-multiplication (to d2 grid units), or `null`.
 * @param t - time scaling applied to the interpolated `d2`.
 * @returns `[sqrt(max q), sqrt(mean q), sqrt(std q)]` with `q = |out|²` over inside voxels.
 */
export function compose3d(out: Float32Array, d1: Float32Array, shape1: Shape3D, d2: Float32Array, shape2: Shape3D,
  A: Affine, B: Affine, t: number, wantStats = true): ComposeStats {
  const ns1 = shape1[0], nr1 = shape1[1], nc1 = shape1[2];
  const ns2 = shape2[0], nr2 = shape2[1], nc2 = shape2[2];
  const lastS = ns2 - 1, lastR = nr2 - 1, lastC = nc2 - 1;
  const rowStride = nc2 * 3, sliceStride = nr2 * nc2 * 3;
  let a00 = 1, a01 = 0, a02 = 0, a03 = 0;
  let a10 = 0, a11 = 1, a12 = 0, a13 = 0;
  let a20 = 0, a21 = 0, a22 = 1, a23 = 0;
  if (A !== null) {
    a00 = A[0]; a01 = A[1]; a02 = A[2]; a03 = A[3];
    a10 = A[4]; a11 = A[5]; a12 = A[6]; a13 = A[7];
    a20 = A[8]; a21 = A[9]; a22 = A[10]; a23 = A[11];
  }
  const hasB = B !== null;
  let b00 = 1, b01 = 0, b02 = 0, b10 = 0, b11 = 1, b12 = 0, b20 = 0, b21 = 0, b22 = 1;
  if (B !== null) {
    b00 = B[0]; b01 = B[1]; b02 = B[2];
    b10 = B[4]; b11 = B[5]; b12 = B[6];
    b20 = B[8]; b21 = B[9]; b22 = B[10];
  }

  let cnt = 0, maxQ = 0, sumQ = 0, sumQ2 = 0;
  let o = 0;
  for (let k = 0; k < ns1; k++) {
    const sk0 = a00 * k, sk1 = a10 * k, sk2 = a20 * k;
    for (let i = 0; i < nr1; i++) {
      const ri0 = sk0 + a01 * i, ri1 = sk1 + a11 * i, ri2 = sk2 + a21 * i;
      for (let j = 0; j < nc1; j++, o += 3) {
        const v0 = d1[o], v1 = d1[o + 1], v2 = d1[o + 2];
        let x0: number, x1: number, x2: number;
        if (hasB) {
          x0 = b00 * v0 + b01 * v1 + b02 * v2;
          x1 = b10 * v0 + b11 * v1 + b12 * v2;
          x2 = b20 * v0 + b21 * v1 + b22 * v2;
        } else {
          x0 = v0; x1 = v1; x2 = v2;
        }
        x0 = (ri0 + a02 * j + a03) + x0;
        x1 = (ri1 + a12 * j + a13) + x1;
        x2 = (ri2 + a22 * j + a23) + x2;
        if (x0 >= 0 && x0 < lastS && x1 >= 0 && x1 < lastR && x2 >= 0 && x2 < lastC) {
          const s = x0 | 0, r = x1 | 0, c = x2 | 0;
          const cg = x0 - s, ca = x1 - r, cb = x2 - c;
          const eg = 1 - cg, ea = 1 - ca, eb = 1 - cb;
          // weights ((row·col)·slice), corners (r,c) (r,c+1) (r+1,c+1) (r+1,c) at s then s+1
          const p00 = ea * eb, p01 = ea * cb, p11 = ca * cb, p10 = ca * eb;
          const w0 = p00 * eg, w1 = p01 * eg, w2 = p11 * eg, w3 = p10 * eg;
          const w4 = p00 * cg, w5 = p01 * cg, w6 = p11 * cg, w7 = p10 * cg;
          const q0 = s * sliceStride + r * rowStride + c * 3;
          const q1 = q0 + 3, q2 = q1 + rowStride, q3 = q0 + rowStride;
          const q4 = q0 + sliceStride, q5 = q1 + sliceStride, q6 = q2 + sliceStride, q7 = q3 + sliceStride;
          let s0 = f32(w0 * d2[q0]);
          s0 = f32(s0 + w1 * d2[q1]);
          s0 = f32(s0 + w2 * d2[q2]);
          s0 = f32(s0 + w3 * d2[q3]);
          s0 = f32(s0 + w4 * d2[q4]);
          s0 = f32(s0 + w5 * d2[q5]);
          s0 = f32(s0 + w6 * d2[q6]);
          s0 = f32(s0 + w7 * d2[q7]);
          let s1 = f32(w0 * d2[q0 + 1]);
          s1 = f32(s1 + w1 * d2[q1 + 1]);
          s1 = f32(s1 + w2 * d2[q2 + 1]);
          s1 = f32(s1 + w3 * d2[q3 + 1]);
          s1 = f32(s1 + w4 * d2[q4 + 1]);
          s1 = f32(s1 + w5 * d2[q5 + 1]);
          s1 = f32(s1 + w6 * d2[q6 + 1]);
          s1 = f32(s1 + w7 * d2[q7 + 1]);
          let s2 = f32(w0 * d2[q0 + 2]);
          s2 = f32(s2 + w1 * d2[q1 + 2]);
          s2 = f32(s2 + w2 * d2[q2 + 2]);
          s2 = f32(s2 + w3 * d2[q3 + 2]);
          s2 = f32(s2 + w4 * d2[q4 + 2]);
          s2 = f32(s2 + w5 * d2[q5 + 2]);
          s2 = f32(s2 + w6 * d2[q6 + 2]);
          s2 = f32(s2 + w7 * d2[q7 + 2]);
          const c0 = f32(t * s0 + v0);
          const c1 = f32(t * s1 + v1);
          const c2 = f32(t * s2 + v2);
          out[o] = c0; out[o + 1] = c1; out[o + 2] = c2;
          const q = f32(f32(f32(c0 * c0) + f32(c1 * c1)) + f32(c2 * c2));
          cnt++;
          sumQ += q;
          sumQ2 += q * q;
          if (maxQ < q) maxQ = q;
        } else {
          out[o] = 0; out[o + 1] = 0; out[o + 2] = 0;
        }
      }
    }
  }
  return wantStats ? finishStats(cnt, maxQ, sumQ, sumQ2) : [NaN, NaN, NaN];
}

function finishStats(cnt: number, maxQ: number, sumQ: number, sumQ2: number): ComposeStats {
  const mean = sumQ / cnt;
  return [Math.sqrt(maxQ), Math.sqrt(mean), Math.sqrt(sumQ2 / cnt - mean * mean)];
}
