/**
 * Linear image warping (docs/algorithm.md §2.3), the WebAssembly port of `warp2d/warp3d`
 * in `packages/core/src/kernels/warp.ts`. For each output voxel `i` (raster order):
 * ```
 * v = field ? (A ? interp(field, A·[i;1]) : field[i]) : 0      (float32 components)
 * v = C ? C·[v;0] : v
 * x = B ? v + B·[i;1] : v + i
 * out[i] = interp(image, x)                                     (zero padding, float32 per corner)
 * ```
 * `A` maps sampling indices to field indices, `B` sampling indices to image indices,
 * `C` field values to image-grid displacements (each 0 = identity; null field = 0).
 * All products are left to right in double, as in the TypeScript kernel.
 *
 * Exact shortcut (SyN's per-iteration warps, whose `A` is the identity matrix): when
 * `A` is exactly the identity, an interior sample (`A·[i;1] = i` with every index below
 * the field's last) has the interpolation weights 1, 0, …, 0, so the interpolated
 * displacement is `f32(f32(1·d₀) + 0·d₁ …) = d₀` up to the sign of a zero, provided
 * every corner is finite (`0·∞` is NaN). The sign of a zero component cannot change
 * the sample: it only enters `x = C·v + B·[i;1]` (or `v + i`), where it can at most
 * flip the sign of a zero coordinate, which interpolation does not see (`trunc(±0)`
 * and `±0 − trunc(±0) = +0` give the same index and weights). So when the field rows
 * (2D) or slices (3D) a chunk reads are all finite, its interior voxels read `d₀`
 * directly; any other chunk takes the interpolating path. Same bits either way.
 */
import { aff, ldf } from './common';
import { bilinear, bilinearVector, trilinear, trilinearVector, vec0, vec1, vec2 } from './interp';
import { bi1Pair, bi2Pair, even, insideMask, odd, pick0, pick1, pick2, S0, S1, S2, st2, tri1Pair, tri3Pair } from './simd';

/** Whether the `n` float32 values at `p` are all finite (no ±∞, no NaN). */
export function allFinite(p: usize, n: i32): bool {
  let acc = f32x4.splat(0);
  const end = p + (<usize>n << 2);
  let q = p;
  for (; q + 16 <= end; q += 16) {
    const v = v128.load(q);
    acc = f32x4.add(acc, f32x4.sub(v, v));  // +0 for a finite lane, NaN otherwise (and NaN sticks)
  }
  let ok = i32x4.all_true(f32x4.eq(acc, f32x4.splat(0)));
  for (; q < end; q += 4) {
    const x = load<f32>(q);
    if (!(x - x == 0)) ok = false;
  }
  return ok;
}

/** Whether `A` (a `n×n` affine at `A`, 0 = none) is exactly the identity matrix; false for 0. */
function isIdentity(A: usize, n: i32): bool {
  if (A == 0) return false;
  for (let r = 0; r < n - 1; r++) {
    for (let c = 0; c < n; c++) {
      if (load<f64>(A + (<usize>(r * n + c) << 3)) != (r == c ? 1.0 : 0.0)) return false;
    }
  }
  return true;
}

/** 2D warp of the output rows `[lo, hi)` (`out` is the whole output). */
export function warp2d(out: usize, nr: i32, nc: i32, image: usize, ir: i32, ic: i32,
  field: usize, fr: i32, fc: i32, A: usize, B: usize, C: usize, lo: i32, hi: i32): void {
  const ir1 = <f64>(ir - 1), ic1 = <f64>(ic - 1);
  const fr1 = <f64>(fr - 1), fc1 = <f64>(fc - 1);
  const a00 = aff(A, 3, 0, 0), a01 = aff(A, 3, 0, 1), a02 = aff(A, 3, 0, 2);
  const a10 = aff(A, 3, 1, 0), a11 = aff(A, 3, 1, 1), a12 = aff(A, 3, 1, 2);
  const b00 = aff(B, 3, 0, 0), b01 = aff(B, 3, 0, 1), b02 = aff(B, 3, 0, 2);
  const b10 = aff(B, 3, 1, 0), b11 = aff(B, 3, 1, 1), b12 = aff(B, 3, 1, 2);
  const c00 = aff(C, 3, 0, 0), c01 = aff(C, 3, 0, 1);
  const c10 = aff(C, 3, 1, 0), c11 = aff(C, 3, 1, 1);
  const hasA = A != 0, hasB = B != 0, hasC = C != 0, hasField = field != 0;
  const A01 = f64x2.splat(a01), A02 = f64x2.splat(a02), A11 = f64x2.splat(a11), A12 = f64x2.splat(a12);
  const B01 = f64x2.splat(b01), B02 = f64x2.splat(b02), B11 = f64x2.splat(b11), B12 = f64x2.splat(b12);
  const C00 = f64x2.splat(c00), C01 = f64x2.splat(c01), C10 = f64x2.splat(c10), C11 = f64x2.splat(c11);
  const FR1 = f64x2.splat(fr1), FC1 = f64x2.splat(fc1), IR1 = f64x2.splat(ir1), IC1 = f64x2.splat(ic1);
  const TWO = f64x2.splat(2);
  // The identity shortcut (module documentation): field rows [lo, min(hi, fr − 1)] are read.
  const rowsEnd = min(hi + 1, fr), rowsStart = min(lo, rowsEnd);
  const direct = hasField && isIdentity(A, 3) && allFinite(field + (<usize>(2 * rowsStart * fc) << 2), 2 * (rowsEnd - rowsStart) * fc);
  let po = out + (<usize>lo * <usize>nc << 2);
  for (let i = lo; i < hi; i++) {
    const fi = <f64>i;
    const I = f64x2.splat(fi);
    const rowDirect = direct && i + 1 < fr;
    const ai0 = a00 * fi, ai1 = a10 * fi, bi0 = b00 * fi, bi1 = b10 * fi;
    const AI0 = f64x2.splat(ai0), AI1 = f64x2.splat(ai1), BI0 = f64x2.splat(bi0), BI1 = f64x2.splat(bi1);
    let J = f64x2.replace_lane(f64x2.splat(0), 1, 1);
    let j = 0;
    for (; j + 1 < nc; j += 2, po += 8, J = f64x2.add(J, TWO)) {
      let X0: v128, X1: v128;
      if (hasField) {
        let V0: v128, V1: v128;
        if (rowDirect && j + 2 < fc) {
          const L = v128.load(field + (<usize>(2 * (i * fc + j)) << 2));
          V0 = even(L); V1 = odd(L);
        } else if (hasA) {
          const Y0 = f64x2.add(f64x2.add(AI0, f64x2.mul(A01, J)), A02);
          const Y1 = f64x2.add(f64x2.add(AI1, f64x2.mul(A11, J)), A12);
          if ((insideMask(Y0, FR1) & insideMask(Y1, FC1)) == 3) {
            bi2Pair(field, fc, Y0, Y1);
            V0 = S0; V1 = S1;
          } else {
            bilinearVector(field, fr, fc, f64x2.extract_lane(Y0, 0), f64x2.extract_lane(Y1, 0));
            V0 = f64x2.splat(vec0); V1 = f64x2.splat(vec1);
            bilinearVector(field, fr, fc, f64x2.extract_lane(Y0, 1), f64x2.extract_lane(Y1, 1));
            V0 = f64x2.replace_lane(V0, 1, vec0); V1 = f64x2.replace_lane(V1, 1, vec1);
          }
        } else {
          const L = v128.load(field + (<usize>(2 * (i * fc + j)) << 2));
          V0 = even(L); V1 = odd(L);
        }
        let D0 = V0, D1 = V1;
        if (hasC) {
          D0 = f64x2.add(f64x2.mul(C00, V0), f64x2.mul(C01, V1));
          D1 = f64x2.add(f64x2.mul(C10, V0), f64x2.mul(C11, V1));
        }
        if (hasB) {
          X0 = f64x2.add(D0, f64x2.add(f64x2.add(BI0, f64x2.mul(B01, J)), B02));
          X1 = f64x2.add(D1, f64x2.add(f64x2.add(BI1, f64x2.mul(B11, J)), B12));
        } else {
          X0 = f64x2.add(D0, I);
          X1 = f64x2.add(D1, J);
        }
      } else if (hasB) {
        X0 = f64x2.add(f64x2.add(BI0, f64x2.mul(B01, J)), B02);
        X1 = f64x2.add(f64x2.add(BI1, f64x2.mul(B11, J)), B12);
      } else {
        X0 = I;
        X1 = J;
      }
      if ((insideMask(X0, IR1) & insideMask(X1, IC1)) == 3) {
        st2(po, bi1Pair(image, ic, X0, X1));
      } else {
        store<f32>(po, <f32>bilinear(image, ir, ic, f64x2.extract_lane(X0, 0), f64x2.extract_lane(X1, 0)));
        store<f32>(po, <f32>bilinear(image, ir, ic, f64x2.extract_lane(X0, 1), f64x2.extract_lane(X1, 1)), 4);
      }
    }
    for (; j < nc; j++, po += 4) {
      const fj = <f64>j;
      let x0: f64, x1: f64;
      if (hasField) {
        let v0: f64, v1: f64;
        if (hasA) {
          bilinearVector(field, fr, fc, ai0 + a01 * fj + a02, ai1 + a11 * fj + a12);
          v0 = vec0;
          v1 = vec1;
        } else {
          const p = 2 * (i * fc + j);
          v0 = ldf(field, p);
          v1 = ldf(field, p + 1);
        }
        let d0 = v0, d1 = v1;
        if (hasC) {
          d0 = c00 * v0 + c01 * v1;
          d1 = c10 * v0 + c11 * v1;
        }
        if (hasB) {
          x0 = d0 + (bi0 + b01 * fj + b02);
          x1 = d1 + (bi1 + b11 * fj + b12);
        } else {
          x0 = d0 + fi;
          x1 = d1 + fj;
        }
      } else if (hasB) {
        x0 = bi0 + b01 * fj + b02;
        x1 = bi1 + b11 * fj + b12;
      } else {
        x0 = fi;
        x1 = fj;
      }
      // bilinear() gives the same bits as the inlined all-inside path for inside points.
      store<f32>(po, <f32>bilinear(image, ir, ic, x0, x1));
    }
  }
}

/** 3D warp of the output slices `[k0, k1)` (`out` is the whole output). */
export function warp3d(out: usize, ns: i32, nr: i32, nc: i32, image: usize, is: i32, ir: i32, ic: i32,
  field: usize, fs: i32, fr: i32, fc: i32, A: usize, B: usize, C: usize, k0: i32, k1: i32): void {
  const is1 = <f64>(is - 1), ir1 = <f64>(ir - 1), ic1 = <f64>(ic - 1);
  const fs1 = <f64>(fs - 1), fr1 = <f64>(fr - 1), fc1 = <f64>(fc - 1);
  const fRowStride = 3 * fc, fSliceStride = 3 * fr * fc;
  const a00 = aff(A, 4, 0, 0), a01 = aff(A, 4, 0, 1), a02 = aff(A, 4, 0, 2), a03 = aff(A, 4, 0, 3);
  const a10 = aff(A, 4, 1, 0), a11 = aff(A, 4, 1, 1), a12 = aff(A, 4, 1, 2), a13 = aff(A, 4, 1, 3);
  const a20 = aff(A, 4, 2, 0), a21 = aff(A, 4, 2, 1), a22 = aff(A, 4, 2, 2), a23 = aff(A, 4, 2, 3);
  const b00 = aff(B, 4, 0, 0), b01 = aff(B, 4, 0, 1), b02 = aff(B, 4, 0, 2), b03 = aff(B, 4, 0, 3);
  const b10 = aff(B, 4, 1, 0), b11 = aff(B, 4, 1, 1), b12 = aff(B, 4, 1, 2), b13 = aff(B, 4, 1, 3);
  const b20 = aff(B, 4, 2, 0), b21 = aff(B, 4, 2, 1), b22 = aff(B, 4, 2, 2), b23 = aff(B, 4, 2, 3);
  const c00 = aff(C, 4, 0, 0), c01 = aff(C, 4, 0, 1), c02 = aff(C, 4, 0, 2);
  const c10 = aff(C, 4, 1, 0), c11 = aff(C, 4, 1, 1), c12 = aff(C, 4, 1, 2);
  const c20 = aff(C, 4, 2, 0), c21 = aff(C, 4, 2, 1), c22 = aff(C, 4, 2, 2);
  const hasA = A != 0, hasB = B != 0, hasC = C != 0, hasField = field != 0;
  const A02 = f64x2.splat(a02), A03 = f64x2.splat(a03), A12 = f64x2.splat(a12), A13 = f64x2.splat(a13);
  const A22 = f64x2.splat(a22), A23 = f64x2.splat(a23);
  const B02 = f64x2.splat(b02), B03 = f64x2.splat(b03), B12 = f64x2.splat(b12), B13 = f64x2.splat(b13);
  const B22 = f64x2.splat(b22), B23 = f64x2.splat(b23);
  const C00 = f64x2.splat(c00), C01 = f64x2.splat(c01), C02 = f64x2.splat(c02);
  const C10 = f64x2.splat(c10), C11 = f64x2.splat(c11), C12 = f64x2.splat(c12);
  const C20 = f64x2.splat(c20), C21 = f64x2.splat(c21), C22 = f64x2.splat(c22);
  const FS1 = f64x2.splat(fs1), FR1 = f64x2.splat(fr1), FC1 = f64x2.splat(fc1);
  const IS1 = f64x2.splat(is1), IR1 = f64x2.splat(ir1), IC1 = f64x2.splat(ic1);
  const TWO = f64x2.splat(2);
  // The identity shortcut (module documentation): field slices [k0, min(k1, fs − 1)] are read.
  const slicesEnd = min(k1 + 1, fs), slicesStart = min(k0, slicesEnd);
  const fSlice = 3 * fr * fc;
  const direct = hasField && isIdentity(A, 4)
    && allFinite(field + (<usize>(slicesStart * fSlice) << 2), (slicesEnd - slicesStart) * fSlice);
  let po = out + ((<usize>k0 * <usize>nr * <usize>nc) << 2);
  for (let k = k0; k < k1; k++) {
    const fk = <f64>k;
    const K = f64x2.splat(fk);
    const sliceDirect = direct && k + 1 < fs;
    for (let i = 0; i < nr; i++) {
      const fi = <f64>i;
      const I = f64x2.splat(fi);
      const rowDirect = sliceDirect && i + 1 < fr;
      // Left-to-right prefixes of the affine rows (same operations, same order).
      const ak0 = a00 * fk + a01 * fi, ak1 = a10 * fk + a11 * fi, ak2 = a20 * fk + a21 * fi;
      const bk0 = b00 * fk + b01 * fi, bk1 = b10 * fk + b11 * fi, bk2 = b20 * fk + b21 * fi;
      const AK0 = f64x2.splat(ak0), AK1 = f64x2.splat(ak1), AK2 = f64x2.splat(ak2);
      const BK0 = f64x2.splat(bk0), BK1 = f64x2.splat(bk1), BK2 = f64x2.splat(bk2);
      let J = f64x2.replace_lane(f64x2.splat(0), 1, 1);
      let j = 0;
      // Two output voxels (j, j+1) per step, one per lane.
      for (; j + 1 < nc; j += 2, po += 8, J = f64x2.add(J, TWO)) {
        let X0: v128, X1: v128, X2: v128;
        if (hasField) {
          let V0: v128, V1: v128, V2: v128;
          if (rowDirect && j + 2 < fc) {
            const p = field + (<usize>(3 * ((k * fr + i) * fc + j)) << 2);
            // Voxel a at p, voxel b at p + 12 (16-byte loads; the arena's tail covers the last float).
            const L = v128.load(p), M = v128.load(p, 12);
            V0 = pick0(L, M);
            V1 = pick1(L, M);
            V2 = pick2(L, M);
          } else if (hasA) {
            const Y0 = f64x2.add(f64x2.add(AK0, f64x2.mul(A02, J)), A03);
            const Y1 = f64x2.add(f64x2.add(AK1, f64x2.mul(A12, J)), A13);
            const Y2 = f64x2.add(f64x2.add(AK2, f64x2.mul(A22, J)), A23);
            if ((insideMask(Y0, FS1) & insideMask(Y1, FR1) & insideMask(Y2, FC1)) == 3) {
              tri3Pair(field, fRowStride, fSliceStride, Y0, Y1, Y2);
              V0 = S0; V1 = S1; V2 = S2;
            } else {
              trilinearVector(field, fs, fr, fc, f64x2.extract_lane(Y0, 0), f64x2.extract_lane(Y1, 0), f64x2.extract_lane(Y2, 0));
              V0 = f64x2.splat(vec0); V1 = f64x2.splat(vec1); V2 = f64x2.splat(vec2);
              trilinearVector(field, fs, fr, fc, f64x2.extract_lane(Y0, 1), f64x2.extract_lane(Y1, 1), f64x2.extract_lane(Y2, 1));
              V0 = f64x2.replace_lane(V0, 1, vec0); V1 = f64x2.replace_lane(V1, 1, vec1); V2 = f64x2.replace_lane(V2, 1, vec2);
            }
          } else {
            const p = field + (<usize>(3 * ((k * fr + i) * fc + j)) << 2);
            // Voxel a at p, voxel b at p + 12 (16-byte loads; the arena's tail covers the last float).
            const L = v128.load(p), M = v128.load(p, 12);
            V0 = pick0(L, M);
            V1 = pick1(L, M);
            V2 = pick2(L, M);
          }
          let D0 = V0, D1 = V1, D2 = V2;
          if (hasC) {
            D0 = f64x2.add(f64x2.add(f64x2.mul(C00, V0), f64x2.mul(C01, V1)), f64x2.mul(C02, V2));
            D1 = f64x2.add(f64x2.add(f64x2.mul(C10, V0), f64x2.mul(C11, V1)), f64x2.mul(C12, V2));
            D2 = f64x2.add(f64x2.add(f64x2.mul(C20, V0), f64x2.mul(C21, V1)), f64x2.mul(C22, V2));
          }
          if (hasB) {
            X0 = f64x2.add(D0, f64x2.add(f64x2.add(BK0, f64x2.mul(B02, J)), B03));
            X1 = f64x2.add(D1, f64x2.add(f64x2.add(BK1, f64x2.mul(B12, J)), B13));
            X2 = f64x2.add(D2, f64x2.add(f64x2.add(BK2, f64x2.mul(B22, J)), B23));
          } else {
            X0 = f64x2.add(D0, K);
            X1 = f64x2.add(D1, I);
            X2 = f64x2.add(D2, J);
          }
        } else if (hasB) {
          X0 = f64x2.add(f64x2.add(BK0, f64x2.mul(B02, J)), B03);
          X1 = f64x2.add(f64x2.add(BK1, f64x2.mul(B12, J)), B13);
          X2 = f64x2.add(f64x2.add(BK2, f64x2.mul(B22, J)), B23);
        } else {
          X0 = K;
          X1 = I;
          X2 = J;
        }
        if ((insideMask(X0, IS1) & insideMask(X1, IR1) & insideMask(X2, IC1)) == 3) {
          st2(po, tri1Pair(image, ir, ic, X0, X1, X2));
        } else {
          store<f32>(po, <f32>trilinear(image, is, ir, ic, f64x2.extract_lane(X0, 0), f64x2.extract_lane(X1, 0), f64x2.extract_lane(X2, 0)));
          store<f32>(po, <f32>trilinear(image, is, ir, ic, f64x2.extract_lane(X0, 1), f64x2.extract_lane(X1, 1), f64x2.extract_lane(X2, 1)), 4);
        }
      }
      for (; j < nc; j++, po += 4) {
        const fj = <f64>j;
        let x0: f64, x1: f64, x2: f64;
        if (hasField) {
          let v0: f64, v1: f64, v2: f64;
          if (hasA) {
            trilinearVector(field, fs, fr, fc, ak0 + a02 * fj + a03, ak1 + a12 * fj + a13, ak2 + a22 * fj + a23);
            v0 = vec0;
            v1 = vec1;
            v2 = vec2;
          } else {
            const p = 3 * ((k * fr + i) * fc + j);
            v0 = ldf(field, p);
            v1 = ldf(field, p + 1);
            v2 = ldf(field, p + 2);
          }
          let d0 = v0, d1 = v1, d2 = v2;
          if (hasC) {
            d0 = c00 * v0 + c01 * v1 + c02 * v2;
            d1 = c10 * v0 + c11 * v1 + c12 * v2;
            d2 = c20 * v0 + c21 * v1 + c22 * v2;
          }
          if (hasB) {
            x0 = d0 + (bk0 + b02 * fj + b03);
            x1 = d1 + (bk1 + b12 * fj + b13);
            x2 = d2 + (bk2 + b22 * fj + b23);
          } else {
            x0 = d0 + fk;
            x1 = d1 + fi;
            x2 = d2 + fj;
          }
        } else if (hasB) {
          x0 = bk0 + b02 * fj + b03;
          x1 = bk1 + b12 * fj + b13;
          x2 = bk2 + b22 * fj + b23;
        } else {
          x0 = fk;
          x1 = fi;
          x2 = fj;
        }
        // trilinear() gives the same bits as the inlined all-inside path for inside points.
        store<f32>(po, <f32>trilinear(image, is, ir, ic, x0, x1, x2));
      }
    }
  }
}
