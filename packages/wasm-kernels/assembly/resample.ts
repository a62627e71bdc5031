/**
 * Field resampling between pyramid levels and factor-2 downsampling (docs/algorithm.md
 * §2.4, §2.5), the WebAssembly port of `packages/core/src/kernels/resample.ts`.
 *
 * Resampling: `out[i] = interp(field, i ⊙ factors)` (voxels), bi/trilinear with zero
 * padding and float32 rounding after every corner; values are not rescaled.
 * Downsampling: float32 block sums in the input's raster order, divided (float32)
 * by the number of contributions.
 */
import { f32r, ldf } from './common';
import { bilinearVector, trilinearVector, vec0, vec1, vec2 } from './interp';
import { insideMask, S0, S1, S2, tri3Pair } from './simd';

/** 2D resampling of the output rows `[r0, r1)` (`out` is the whole output). */
export function resampleField2d(out: usize, nr: i32, nc: i32, field: usize, fr: i32, fc: i32, f0: f64, f1: f64,
  r0: i32, r1: i32): void {
  const fr1 = <f64>(fr - 1), fc1 = <f64>(fc - 1);
  const rowStep = 2 * fc;
  let o = out + (<usize>r0 * <usize>nc << 3);
  for (let i = r0; i < r1; i++) {
    const x0 = <f64>i * f0;
    for (let j = 0; j < nc; j++, o += 8) {
      const x1 = <f64>j * f1;
      if (x0 >= 0 && x1 >= 0 && x0 < fr1 && x1 < fc1) {
        const ii = <i32>x0, jj = <i32>x1;
        const ca = x0 - <f64>ii, cb = x1 - <f64>jj, al = 1 - ca, be = 1 - cb;
        const w00 = al * be, w01 = al * cb, w11 = ca * cb, w10 = ca * be;
        const p = 2 * (ii * fc + jj), p1 = p + rowStep;
        let v0 = f32r(w00 * ldf(field, p)), v1 = f32r(w00 * ldf(field, p + 1));
        v0 = f32r(v0 + w01 * ldf(field, p + 2)); v1 = f32r(v1 + w01 * ldf(field, p + 3));
        v0 = f32r(v0 + w11 * ldf(field, p1 + 2)); v1 = f32r(v1 + w11 * ldf(field, p1 + 3));
        store<f32>(o, <f32>(v0 + w10 * ldf(field, p1)));
        store<f32>(o, <f32>(v1 + w10 * ldf(field, p1 + 1)), 4);
      } else {
        bilinearVector(field, fr, fc, x0, x1);
        store<f32>(o, <f32>vec0);
        store<f32>(o, <f32>vec1, 4);
      }
    }
  }
}

/** 3D resampling of the output slices `[k0, k1)` (`out` is the whole output). */
export function resampleField3d(out: usize, ns: i32, nr: i32, nc: i32, field: usize, fs: i32, fr: i32, fc: i32,
  f0: f64, f1: f64, f2: f64, k0: i32, k1: i32): void {
  const fs1 = <f64>(fs - 1), fr1 = <f64>(fr - 1), fc1 = <f64>(fc - 1);
  const FS1 = f64x2.splat(fs1), FR1 = f64x2.splat(fr1), FC1 = f64x2.splat(fc1);
  const F2 = f64x2.splat(f2);
  const rowStride = 3 * fc, sliceStride = 3 * fr * fc;
  let o = out + ((<usize>k0 * <usize>nr * <usize>nc * 3) << 2);
  for (let k = k0; k < k1; k++) {
    const x0 = <f64>k * f0;
    const X0 = f64x2.splat(x0);
    for (let i = 0; i < nr; i++) {
      const x1 = <f64>i * f1;
      const X1 = f64x2.splat(x1);
      let j = 0;
      for (; j + 1 < nc; j += 2, o += 24) {
        const X2 = f64x2.mul(f64x2.replace_lane(f64x2.splat(<f64>j), 1, <f64>(j + 1)), F2);
        if ((insideMask(X0, FS1) & insideMask(X1, FR1) & insideMask(X2, FC1)) == 3) {
          tri3Pair(field, rowStride, sliceStride, X0, X1, X2);
          const C0 = f32x4.demote_f64x2_zero(S0), C1 = f32x4.demote_f64x2_zero(S1), C2 = f32x4.demote_f64x2_zero(S2);
          v128.store32_lane(o, C0, 0);
          v128.store32_lane(o, C1, 0, 4);
          v128.store32_lane(o, C2, 0, 8);
          v128.store32_lane(o, C0, 1, 12);
          v128.store32_lane(o, C1, 1, 16);
          v128.store32_lane(o, C2, 1, 20);
        } else {
          trilinearVector(field, fs, fr, fc, x0, x1, f64x2.extract_lane(X2, 0));
          store<f32>(o, <f32>vec0);
          store<f32>(o, <f32>vec1, 4);
          store<f32>(o, <f32>vec2, 8);
          trilinearVector(field, fs, fr, fc, x0, x1, f64x2.extract_lane(X2, 1));
          store<f32>(o, <f32>vec0, 12);
          store<f32>(o, <f32>vec1, 16);
          store<f32>(o, <f32>vec2, 20);
        }
      }
      for (; j < nc; j++, o += 12) {
        // trilinearVector gives the same bits as the all-inside fast path.
        trilinearVector(field, fs, fr, fc, x0, x1, <f64>j * f2);
        store<f32>(o, <f32>vec0);
        store<f32>(o, <f32>vec1, 4);
        store<f32>(o, <f32>vec2, 8);
      }
    }
  }
}

/** Adds one input row into the output row at `orow` (float32 sums); returns the next input address. */
function accumulateRow(orow: usize, p: usize, nc: i32, ncomp: i32): usize {
  for (let j = 0; j < nc; j++) {
    const q = orow + (<usize>(ncomp * (j >> 1)) << 2);
    for (let c = 0; c < ncomp; c++, p += 4) {
      const a = q + (<usize>c << 2);
      store<f32>(a, load<f32>(a) + load<f32>(p));
    }
  }
  return p;
}

/** Divides one output row by its contribution counts; returns the next output address. */
function divideRow(o: usize, mc: i32, nc: i32, ncomp: i32, rowCount: i32): usize {
  for (let J = 0; J < mc; J++) {
    const cnt = <f32>(rowCount * (2 * J + 1 < nc ? 2 : 1));
    for (let c = 0; c < ncomp; c++, o += 4) store<f32>(o, load<f32>(o) / cnt);
  }
  return o;
}

export function downsample2d(out: usize, input: usize, nr: i32, nc: i32, ncomp: i32): void {
  const mr = (nr + 1) >> 1, mc = (nc + 1) >> 1;
  memory.fill(out, 0, <usize>(mr * mc * ncomp) << 2);
  let p = input;
  for (let i = 0; i < nr; i++) p = accumulateRow(out + (<usize>((i >> 1) * mc * ncomp) << 2), p, nc, ncomp);
  let o = out;
  for (let I = 0; I < mr; I++) o = divideRow(o, mc, nc, ncomp, 2 * I + 1 < nr ? 2 : 1);
}

/**
 * 3D downsampling of the output slices `[K0, K1)` (input slices `2·K0 .. 2·K1 − 1`;
 * `out` and `input` are whole). Each output value still sums its inputs in raster order.
 */
export function downsample3d(out: usize, input: usize, ns: i32, nr: i32, nc: i32, ncomp: i32, K0: i32, K1: i32): void {
  const mr = (nr + 1) >> 1, mc = (nc + 1) >> 1;
  const outSlice = <usize>(mr * mc * ncomp) << 2;
  memory.fill(out + <usize>K0 * outSlice, 0, <usize>(K1 - K0) * outSlice);
  const kEnd = 2 * K1 < ns ? 2 * K1 : ns;
  let p = input + ((<usize>(2 * K0) * <usize>nr * <usize>nc * <usize>ncomp) << 2);
  for (let k = 2 * K0; k < kEnd; k++) {
    for (let i = 0; i < nr; i++) p = accumulateRow(out + (<usize>(((k >> 1) * mr + (i >> 1)) * mc * ncomp) << 2), p, nc, ncomp);
  }
  let o = out + <usize>K0 * outSlice;
  for (let K = K0; K < K1; K++) {
    const ck = 2 * K + 1 < ns ? 2 : 1;
    for (let I = 0; I < mr; I++) o = divideRow(o, mc, nc, ncomp, ck * (2 * I + 1 < nr ? 2 : 1));
  }
}
