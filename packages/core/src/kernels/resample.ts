/**
 * Field resampling between pyramid levels and factor-2 downsampling
 * (DIPY's `resample_displacement_field_2d/3d` and `downsample_*_field_2d/3d`;
 * docs/algorithm.md §2.4, §2.5).
 *
 * Resampling: `out[i] = interp(field, (i_0·f_0, …, i_{d−1}·f_{d−1}))` — grid indices of the
 * output scaled by `factors` give a position on the input grid (both in voxels);
 * bilinear/trilinear with zero padding and float32 rounding after every corner. Vector
 * values are copied, not rescaled (SyN fields are in world units). With zero padding,
 * an output sample that falls half a voxel past the last input sample receives half
 * of its value.
 *
 * Downsampling: output shape `(n_k + 1) >> 1`; output voxel `o` is the float32 mean of
 * the input voxels `i` with `i_k >> 1 = o_k` (2×2 or 2×2×2 blocks, fewer on the
 * last row/column/slice of odd sizes). The sum is accumulated in float32 in the input's
 * raster order and divided (float32) by the number of contributions.
 */
import type { Shape2D, Shape3D } from '../types.js';
import { bilinearVector, trilinearVector } from './interp.js';

const f32 = Math.fround;

/**
 * Resamples a 2D vector field (2 interleaved components) onto `outShape`:
 * `out[i, j] = bilinear(field, (i·factors[0], j·factors[1]))`.
 * @param out float32, `outShape[0]·outShape[1]·2` values.
 * @param field float32 input field of grid `shape`.
 * @param factors input voxels per output voxel along each axis.
 */
export function resampleField2d(out: Float32Array, outShape: Shape2D, field: Float32Array, shape: Shape2D, factors: ArrayLike<number>): void {
  const nr = outShape[0], nc = outShape[1];
  const fr = shape[0], fc = shape[1];
  const f0 = +factors[0], f1 = +factors[1];
  const fr1 = fr - 1, fc1 = fc - 1, rowStep = 2 * fc;
  let o = 0;
  for (let i = 0; i < nr; i++) {
    const x0 = i * f0;
    for (let j = 0; j < nc; j++, o += 2) {
      const x1 = j * f1;
      if (x0 >= 0 && x1 >= 0 && x0 < fr1 && x1 < fc1) {
        // All four corners inside: the operations of bilinearVector, inlined.
        const ii = x0 | 0, jj = x1 | 0;
        const ca = x0 - ii, cb = x1 - jj, al = 1 - ca, be = 1 - cb;
        const w00 = al * be, w01 = al * cb, w11 = ca * cb, w10 = ca * be;
        const p = 2 * (ii * fc + jj), p1 = p + rowStep;
        let v0 = f32(w00 * field[p]), v1 = f32(w00 * field[p + 1]);
        v0 = f32(v0 + w01 * field[p + 2]); v1 = f32(v1 + w01 * field[p + 3]);
        v0 = f32(v0 + w11 * field[p1 + 2]); v1 = f32(v1 + w11 * field[p1 + 3]);
        out[o] = v0 + w10 * field[p1];
        out[o + 1] = v1 + w10 * field[p1 + 1];
      } else {
        bilinearVector(field, fr, fc, x0, x1, out, o);
      }
    }
  }
}

/**
 * Resamples a 3D vector field (3 interleaved components) onto `outShape`:
 * `out[k, i, j] = trilinear(field, (k·f0, i·f1, j·f2))`. See {@link resampleField2d}.
 */
export function resampleField3d(out: Float32Array, outShape: Shape3D, field: Float32Array, shape: Shape3D, factors: ArrayLike<number>): void {
  const ns = outShape[0], nr = outShape[1], nc = outShape[2];
  const fs = shape[0], fr = shape[1], fc = shape[2];
  const f0 = +factors[0], f1 = +factors[1], f2 = +factors[2];
  const fs1 = fs - 1, fr1 = fr - 1, fc1 = fc - 1, rowStep = 3 * fc, sliceStep = 3 * fr * fc;
  let o = 0;
  for (let k = 0; k < ns; k++) {
    const x0 = k * f0;
    for (let i = 0; i < nr; i++) {
      const x1 = i * f1;
      for (let j = 0; j < nc; j++, o += 3) {
        const x2 = j * f2;
        if (x0 >= 0 && x1 >= 0 && x2 >= 0 && x0 < fs1 && x1 < fr1 && x2 < fc1) {
          // All eight corners inside: the operations of trilinearVector, inlined.
          const kk = x0 | 0, ii = x1 | 0, jj = x2 | 0;
          const cg = x0 - kk, ca = x1 - ii, cb = x2 - jj;
          const ga = 1 - cg, al = 1 - ca, be = 1 - cb;
          const w00 = al * be, w01 = al * cb, w11 = ca * cb, w10 = ca * be;
          const p = 3 * ((kk * fr + ii) * fc + jj), p1 = p + rowStep, p2 = p + sliceStep, p3 = p2 + rowStep;
          let w = w00 * ga;
          let v0 = f32(w * field[p]), v1 = f32(w * field[p + 1]), v2 = f32(w * field[p + 2]);
          w = w01 * ga;
          v0 = f32(v0 + w * field[p + 3]); v1 = f32(v1 + w * field[p + 4]); v2 = f32(v2 + w * field[p + 5]);
          w = w11 * ga;
          v0 = f32(v0 + w * field[p1 + 3]); v1 = f32(v1 + w * field[p1 + 4]); v2 = f32(v2 + w * field[p1 + 5]);
          w = w10 * ga;
          v0 = f32(v0 + w * field[p1]); v1 = f32(v1 + w * field[p1 + 1]); v2 = f32(v2 + w * field[p1 + 2]);
          w = w00 * cg;
          v0 = f32(v0 + w * field[p2]); v1 = f32(v1 + w * field[p2 + 1]); v2 = f32(v2 + w * field[p2 + 2]);
          w = w01 * cg;
          v0 = f32(v0 + w * field[p2 + 3]); v1 = f32(v1 + w * field[p2 + 4]); v2 = f32(v2 + w * field[p2 + 5]);
          w = w11 * cg;
          v0 = f32(v0 + w * field[p3 + 3]); v1 = f32(v1 + w * field[p3 + 4]); v2 = f32(v2 + w * field[p3 + 5]);
          w = w10 * cg;
          out[o] = v0 + w * field[p3];
          out[o + 1] = v1 + w * field[p3 + 1];
          out[o + 2] = v2 + w * field[p3 + 2];
        } else {
          trilinearVector(field, fs, fr, fc, x0, x1, x2, out, o);
        }
      }
    }
  }
}

/**
 * Downsamples a 2D image or field with `ncomp` interleaved components by 2 (block means).
 * @param out float32 of `((shape[0]+1)>>1)·((shape[1]+1)>>1)·ncomp` values, fully overwritten.
 * @param input float32 of `shape[0]·shape[1]·ncomp` values.
 */
export function downsample2d(out: Float32Array, input: Float32Array, shape: Shape2D, ncomp: number): void {
  const nr = shape[0], nc = shape[1];
  const mr = (nr + 1) >> 1, mc = (nc + 1) >> 1;
  out.fill(0, 0, mr * mc * ncomp);
  // Float32 accumulation in the input's raster order (the store into `out` rounds each sum).
  let p = 0;
  for (let i = 0; i < nr; i++) p = accumulateRow(out, input, p, (i >> 1) * mc * ncomp, nc, ncomp);
  let o = 0;
  for (let I = 0; I < mr; I++) {
    const ci = 2 * I + 1 < nr ? 2 : 1;
    o = divideRow(out, o, mc, nc, ncomp, ci);
  }
}

/**
 * Downsamples a 3D volume or field with `ncomp` interleaved components by 2 (2×2×2 block
 * means, partial blocks at odd sizes). See {@link downsample2d}.
 */
export function downsample3d(out: Float32Array, input: Float32Array, shape: Shape3D, ncomp: number): void {
  const ns = shape[0], nr = shape[1], nc = shape[2];
  const ms = (ns + 1) >> 1, mr = (nr + 1) >> 1, mc = (nc + 1) >> 1;
  out.fill(0, 0, ms * mr * mc * ncomp);
  let p = 0;
  for (let k = 0; k < ns; k++) {
    for (let i = 0; i < nr; i++) p = accumulateRow(out, input, p, ((k >> 1) * mr + (i >> 1)) * mc * ncomp, nc, ncomp);
  }
  let o = 0;
  for (let K = 0; K < ms; K++) {
    const ck = 2 * K + 1 < ns ? 2 : 1;
    for (let I = 0; I < mr; I++) {
      const ci = ck * (2 * I + 1 < nr ? 2 : 1);
      o = divideRow(out, o, mc, nc, ncomp, ci);
    }
  }
}

/** Adds one input row (`nc` voxels of `ncomp` values from `p`) into the output row at `orow`; returns the next input offset. */
function accumulateRow(out: Float32Array, input: Float32Array, p: number, orow: number, nc: number, ncomp: number): number {
  if (ncomp === 1) {
    for (let j = 0; j < nc; j++, p++) out[orow + (j >> 1)] += input[p];
  } else if (ncomp === 2) {
    for (let j = 0; j < nc; j++, p += 2) {
      const q = orow + 2 * (j >> 1);
      out[q] += input[p];
      out[q + 1] += input[p + 1];
    }
  } else if (ncomp === 3) {
    for (let j = 0; j < nc; j++, p += 3) {
      const q = orow + 3 * (j >> 1);
      out[q] += input[p];
      out[q + 1] += input[p + 1];
      out[q + 2] += input[p + 2];
    }
  } else {
    for (let j = 0; j < nc; j++) {
      const q = orow + ncomp * (j >> 1);
      for (let c = 0; c < ncomp; c++, p++) out[q + c] += input[p];
    }
  }
  return p;
}

/** Divides one output row (`mc` voxels from `o`) by its contribution counts (`rowCount` × 1 or 2 columns); returns the next offset. */
function divideRow(out: Float32Array, o: number, mc: number, nc: number, ncomp: number, rowCount: number): number {
  for (let J = 0; J < mc; J++) {
    const cnt = rowCount * (2 * J + 1 < nc ? 2 : 1);
    for (let c = 0; c < ncomp; c++, o++) out[o] = out[o] / cnt;
  }
  return o;
}
