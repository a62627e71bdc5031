/**
 * Image warping through a displacement field and three affines (DIPY's
 * `warp_2d/3d`, `warp_2d/3d_nn`, and with no field `transform_2d/3d_affine[_nn]`;
 * docs/algorithm.md §2.3).
 *
 * For each output voxel `i` (grid index of the sampling grid, raster order):
 * ```
 * v = field ? (A ? interp(field, A·[i;1]) : field[i]) : 0     (field interpolated linearly, float32)
 * v = C ? C·[v;0] : v                                          (displacement → image grid units)
 * x = B ? v + B·[i;1] : v + i                                  (position on the image grid)
 * out[i] = interp(image, x)                                    (bilinear/trilinear or nearest)
 * ```
 * Frames: `A` maps sampling-grid indices to field-grid indices, `B` maps
 * sampling-grid indices to image-grid indices, `C` maps field values (usually world
 * units) to image-grid units. All products are evaluated left to right in double
 * (`M[r,0]·x0 + M[r,1]·x1 (+ M[r,2]·x2) + M[r,d]`), the interpolated displacement is
 * float32 (as DIPY's scratch buffer), the output float32 (linear) or the image type
 * (nearest). Interpolation follows docs/algorithm.md §1.5 (see `interp.ts`); the
 * all-corners-inside case is inlined here for speed with the same operation order.
 *
 * With `field = null` the displacement is 0 and `x = B·[i;1]` exactly (`0 + y = y`),
 * which is bit-identical to DIPY's affine-only transforms that sample at `M·[i;1]`.
 * When `A` is null the field is read at the same index `i` (its grid must then
 * cover the output grid). The `0·M[r,d]` term of `C·[v;0]` is omitted: it can only
 * change the sign of a zero, which no interpolation can see.
 */
import type { Affine, NumericArray, Shape2D, Shape3D } from '../types.js';
import { bilinear, bilinearVector, nearestIndex2d, nearestIndex3d, trilinear, trilinearVector } from './interp.js';

const f32 = Math.fround;

/** Entries of a `(d+1)×(d+1)` affine (identity when null); a `d×(d+1)` matrix is accepted too. */
function entries(m: Affine, n: number): Float64Array {
  const e = new Float64Array(n * n);
  if (m === null) {
    for (let r = 0; r < n; r++) e[r * n + r] = 1;
  } else {
    for (let q = 0; q < Math.min(m.length, n * n); q++) e[q] = m[q];
  }
  return e;
}

/**
 * Bilinear warp of a 2D float32 image (docs/algorithm.md §2.3).
 * @param out `outShape` float32 output (C order), fully overwritten.
 * @param outShape sampling grid `[rows, cols]`.
 * @param image float32 image on its own grid `imageShape`.
 * @param field interleaved 2-component float32 displacement on `fieldShape`, or null (no displacement).
 * @param A sampling index → field index (null: read `field[i]`); B sampling index → image index (null: identity);
 *   C field value → image-grid displacement (null: identity).
 */
export function warp2d(out: Float32Array, outShape: Shape2D, image: Float32Array, imageShape: Shape2D,
  field: Float32Array | null, fieldShape: Shape2D, A: Affine, B: Affine, C: Affine): void {
  const nr = outShape[0], nc = outShape[1];
  const ir = imageShape[0], ic = imageShape[1], ir1 = ir - 1, ic1 = ic - 1;
  const fr = fieldShape[0], fc = fieldShape[1], fr1 = fr - 1, fc1 = fc - 1;
  const a = entries(A, 3), b = entries(B, 3), c = entries(C, 3);
  const a00 = a[0], a01 = a[1], a02 = a[2], a10 = a[3], a11 = a[4], a12 = a[5];
  const b00 = b[0], b01 = b[1], b02 = b[2], b10 = b[3], b11 = b[4], b12 = b[5];
  const c00 = c[0], c01 = c[1], c10 = c[3], c11 = c[4];
  const hasA = A !== null, hasB = B !== null, hasC = C !== null, hasField = field !== null;
  const fld = field ?? new Float32Array(0);
  const tmp = new Float32Array(2);
  const fRow = 2 * fc;
  let o = 0;
  for (let i = 0; i < nr; i++) {
    const ai0 = a00 * i, ai1 = a10 * i, bi0 = b00 * i, bi1 = b10 * i;
    for (let j = 0; j < nc; j++, o++) {
      let x0: number, x1: number;
      if (hasField) {
        let v0: number, v1: number;
        if (hasA) {
          const y0 = ai0 + a01 * j + a02, y1 = ai1 + a11 * j + a12;
          if (y0 >= 0 && y1 >= 0 && y0 < fr1 && y1 < fc1) {
            const ii = y0 | 0, jj = y1 | 0;
            const ca = y0 - ii, cb = y1 - jj, al = 1 - ca, be = 1 - cb;
            const w00 = al * be, w01 = al * cb, w11 = ca * cb, w10 = ca * be;
            const p = 2 * (ii * fc + jj), p1 = p + fRow;
            v0 = f32(w00 * fld[p]);
            v1 = f32(w00 * fld[p + 1]);
            v0 = f32(v0 + w01 * fld[p + 2]);
            v1 = f32(v1 + w01 * fld[p + 3]);
            v0 = f32(v0 + w11 * fld[p1 + 2]);
            v1 = f32(v1 + w11 * fld[p1 + 3]);
            v0 = f32(v0 + w10 * fld[p1]);
            v1 = f32(v1 + w10 * fld[p1 + 1]);
          } else {
            bilinearVector(fld, fr, fc, y0, y1, tmp, 0);
            v0 = tmp[0];
            v1 = tmp[1];
          }
        } else {
          const p = 2 * (i * fc + j);
          v0 = fld[p];
          v1 = fld[p + 1];
        }
        let d0 = v0, d1 = v1;
        if (hasC) {
          d0 = c00 * v0 + c01 * v1;
          d1 = c10 * v0 + c11 * v1;
        }
        if (hasB) {
          x0 = d0 + (bi0 + b01 * j + b02);
          x1 = d1 + (bi1 + b11 * j + b12);
        } else {
          x0 = d0 + i;
          x1 = d1 + j;
        }
      } else if (hasB) {
        x0 = bi0 + b01 * j + b02;
        x1 = bi1 + b11 * j + b12;
      } else {
        x0 = i;
        x1 = j;
      }
      if (x0 >= 0 && x1 >= 0 && x0 < ir1 && x1 < ic1) {
        const ii = x0 | 0, jj = x1 | 0;
        const ca = x0 - ii, cb = x1 - jj, al = 1 - ca, be = 1 - cb;
        const p = ii * ic + jj;
        let s = f32(al * be * image[p]);
        s = f32(s + al * cb * image[p + 1]);
        s = f32(s + ca * cb * image[p + ic + 1]);
        out[o] = s + ca * be * image[p + ic];
      } else {
        out[o] = bilinear(image, ir, ic, x0, x1);
      }
    }
  }
}

/**
 * Trilinear warp of a 3D float32 volume (docs/algorithm.md §2.3); 3D version of {@link warp2d}.
 * Shapes are `[slices, rows, cols]`; the field has 3 interleaved components.
 */
export function warp3d(out: Float32Array, outShape: Shape3D, image: Float32Array, imageShape: Shape3D,
  field: Float32Array | null, fieldShape: Shape3D, A: Affine, B: Affine, C: Affine): void {
  const ns = outShape[0], nr = outShape[1], nc = outShape[2];
  const is = imageShape[0], ir = imageShape[1], ic = imageShape[2];
  const is1 = is - 1, ir1 = ir - 1, ic1 = ic - 1, iSlice = ir * ic;
  const fs = fieldShape[0], fr = fieldShape[1], fc = fieldShape[2];
  const fs1 = fs - 1, fr1 = fr - 1, fc1 = fc - 1, fRow = 3 * fc, fSlice = 3 * fr * fc;
  const a = entries(A, 4), b = entries(B, 4), c = entries(C, 4);
  const a00 = a[0], a01 = a[1], a02 = a[2], a03 = a[3];
  const a10 = a[4], a11 = a[5], a12 = a[6], a13 = a[7];
  const a20 = a[8], a21 = a[9], a22 = a[10], a23 = a[11];
  const b00 = b[0], b01 = b[1], b02 = b[2], b03 = b[3];
  const b10 = b[4], b11 = b[5], b12 = b[6], b13 = b[7];
  const b20 = b[8], b21 = b[9], b22 = b[10], b23 = b[11];
  const c00 = c[0], c01 = c[1], c02 = c[2];
  const c10 = c[4], c11 = c[5], c12 = c[6];
  const c20 = c[8], c21 = c[9], c22 = c[10];
  const hasA = A !== null, hasB = B !== null, hasC = C !== null, hasField = field !== null;
  const fld = field ?? new Float32Array(0);
  const tmp = new Float32Array(3);
  let o = 0;
  for (let k = 0; k < ns; k++) {
    for (let i = 0; i < nr; i++) {
      // Left-to-right prefixes of the affine rows (exact: same operations in the same order).
      const ak0 = a00 * k + a01 * i, ak1 = a10 * k + a11 * i, ak2 = a20 * k + a21 * i;
      const bk0 = b00 * k + b01 * i, bk1 = b10 * k + b11 * i, bk2 = b20 * k + b21 * i;
      for (let j = 0; j < nc; j++, o++) {
        let x0: number, x1: number, x2: number;
        if (hasField) {
          let v0: number, v1: number, v2: number;
          if (hasA) {
            const y0 = ak0 + a02 * j + a03, y1 = ak1 + a12 * j + a13, y2 = ak2 + a22 * j + a23;
            if (y0 >= 0 && y1 >= 0 && y2 >= 0 && y0 < fs1 && y1 < fr1 && y2 < fc1) {
              const kk = y0 | 0, ii = y1 | 0, jj = y2 | 0;
              const cg = y0 - kk, ca = y1 - ii, cb = y2 - jj;
              const ga = 1 - cg, al = 1 - ca, be = 1 - cb;
              const w00 = al * be, w01 = al * cb, w11 = ca * cb, w10 = ca * be;
              const p = 3 * ((kk * fr + ii) * fc + jj), p1 = p + fRow, p2 = p + fSlice, p3 = p2 + fRow;
              let w = w00 * ga;
              v0 = f32(w * fld[p]); v1 = f32(w * fld[p + 1]); v2 = f32(w * fld[p + 2]);
              w = w01 * ga;
              v0 = f32(v0 + w * fld[p + 3]); v1 = f32(v1 + w * fld[p + 4]); v2 = f32(v2 + w * fld[p + 5]);
              w = w11 * ga;
              v0 = f32(v0 + w * fld[p1 + 3]); v1 = f32(v1 + w * fld[p1 + 4]); v2 = f32(v2 + w * fld[p1 + 5]);
              w = w10 * ga;
              v0 = f32(v0 + w * fld[p1]); v1 = f32(v1 + w * fld[p1 + 1]); v2 = f32(v2 + w * fld[p1 + 2]);
              w = w00 * cg;
              v0 = f32(v0 + w * fld[p2]); v1 = f32(v1 + w * fld[p2 + 1]); v2 = f32(v2 + w * fld[p2 + 2]);
              w = w01 * cg;
              v0 = f32(v0 + w * fld[p2 + 3]); v1 = f32(v1 + w * fld[p2 + 4]); v2 = f32(v2 + w * fld[p2 + 5]);
              w = w11 * cg;
              v0 = f32(v0 + w * fld[p3 + 3]); v1 = f32(v1 + w * fld[p3 + 4]); v2 = f32(v2 + w * fld[p3 + 5]);
              w = w10 * cg;
              v0 = f32(v0 + w * fld[p3]); v1 = f32(v1 + w * fld[p3 + 1]); v2 = f32(v2 + w * fld[p3 + 2]);
            } else {
              trilinearVector(fld, fs, fr, fc, y0, y1, y2, tmp, 0);
              v0 = tmp[0];
              v1 = tmp[1];
              v2 = tmp[2];
            }
          } else {
            const p = 3 * ((k * fr + i) * fc + j);
            v0 = fld[p];
            v1 = fld[p + 1];
            v2 = fld[p + 2];
          }
          let d0 = v0, d1 = v1, d2 = v2;
          if (hasC) {
            d0 = c00 * v0 + c01 * v1 + c02 * v2;
            d1 = c10 * v0 + c11 * v1 + c12 * v2;
            d2 = c20 * v0 + c21 * v1 + c22 * v2;
          }
          if (hasB) {
            x0 = d0 + (bk0 + b02 * j + b03);
            x1 = d1 + (bk1 + b12 * j + b13);
            x2 = d2 + (bk2 + b22 * j + b23);
          } else {
            x0 = d0 + k;
            x1 = d1 + i;
            x2 = d2 + j;
          }
        } else if (hasB) {
          x0 = bk0 + b02 * j + b03;
          x1 = bk1 + b12 * j + b13;
          x2 = bk2 + b22 * j + b23;
        } else {
          x0 = k;
          x1 = i;
          x2 = j;
        }
        if (x0 >= 0 && x1 >= 0 && x2 >= 0 && x0 < is1 && x1 < ir1 && x2 < ic1) {
          const kk = x0 | 0, ii = x1 | 0, jj = x2 | 0;
          const cg = x0 - kk, ca = x1 - ii, cb = x2 - jj;
          const ga = 1 - cg, al = 1 - ca, be = 1 - cb;
          const w00 = al * be, w01 = al * cb, w11 = ca * cb, w10 = ca * be;
          const p = (kk * ir + ii) * ic + jj, p2 = p + iSlice;
          let s = f32(w00 * ga * image[p]);
          s = f32(s + w01 * ga * image[p + 1]);
          s = f32(s + w11 * ga * image[p + ic + 1]);
          s = f32(s + w10 * ga * image[p + ic]);
          s = f32(s + w00 * cg * image[p2]);
          s = f32(s + w01 * cg * image[p2 + 1]);
          s = f32(s + w11 * cg * image[p2 + ic + 1]);
          out[o] = s + w10 * cg * image[p2 + ic];
        } else {
          out[o] = trilinear(image, is, ir, ic, x0, x1, x2);
        }
      }
    }
  }
}

/**
 * Nearest-neighbour warp of a 2D image of any numeric type (docs/algorithm.md §2.3, §1.5):
 * same positions as {@link warp2d} (the field is still interpolated bilinearly), the
 * value is `image` at the nearest voxel (ties round down) or 0 outside `[0, n−1]`.
 * @param out output of the same element type as `image`, shape `outShape`.
 */
export function warpNearest2d(out: NumericArray, outShape: Shape2D, image: NumericArray, imageShape: Shape2D,
  field: Float32Array | null, fieldShape: Shape2D, A: Affine, B: Affine, C: Affine): void {
  const nr = outShape[0], nc = outShape[1];
  const ir = imageShape[0], ic = imageShape[1];
  const fr = fieldShape[0], fc = fieldShape[1];
  const a = entries(A, 3), b = entries(B, 3), c = entries(C, 3);
  const a00 = a[0], a01 = a[1], a02 = a[2], a10 = a[3], a11 = a[4], a12 = a[5];
  const b00 = b[0], b01 = b[1], b02 = b[2], b10 = b[3], b11 = b[4], b12 = b[5];
  const c00 = c[0], c01 = c[1], c10 = c[3], c11 = c[4];
  const hasA = A !== null, hasB = B !== null, hasC = C !== null, hasField = field !== null;
  const fld = field ?? new Float32Array(0);
  const tmp = new Float32Array(2);
  let o = 0;
  for (let i = 0; i < nr; i++) {
    const ai0 = a00 * i, ai1 = a10 * i, bi0 = b00 * i, bi1 = b10 * i;
    for (let j = 0; j < nc; j++, o++) {
      let x0: number, x1: number;
      if (hasField) {
        let v0: number, v1: number;
        if (hasA) {
          bilinearVector(fld, fr, fc, ai0 + a01 * j + a02, ai1 + a11 * j + a12, tmp, 0);
          v0 = tmp[0];
          v1 = tmp[1];
        } else {
          const p = 2 * (i * fc + j);
          v0 = fld[p];
          v1 = fld[p + 1];
        }
        let d0 = v0, d1 = v1;
        if (hasC) {
          d0 = c00 * v0 + c01 * v1;
          d1 = c10 * v0 + c11 * v1;
        }
        if (hasB) {
          x0 = d0 + (bi0 + b01 * j + b02);
          x1 = d1 + (bi1 + b11 * j + b12);
        } else {
          x0 = d0 + i;
          x1 = d1 + j;
        }
      } else if (hasB) {
        x0 = bi0 + b01 * j + b02;
        x1 = bi1 + b11 * j + b12;
      } else {
        x0 = i;
        x1 = j;
      }
      const q = nearestIndex2d(ir, ic, x0, x1);
      out[o] = q < 0 ? 0 : image[q];
    }
  }
}

/**
 * Nearest-neighbour warp of a 3D volume of any numeric type; 3D version of
 * {@link warpNearest2d} (the field is interpolated trilinearly).
 */
export function warpNearest3d(out: NumericArray, outShape: Shape3D, image: NumericArray, imageShape: Shape3D,
  field: Float32Array | null, fieldShape: Shape3D, A: Affine, B: Affine, C: Affine): void {
  const ns = outShape[0], nr = outShape[1], nc = outShape[2];
  const is = imageShape[0], ir = imageShape[1], ic = imageShape[2];
  const fs = fieldShape[0], fr = fieldShape[1], fc = fieldShape[2];
  const a = entries(A, 4), b = entries(B, 4), c = entries(C, 4);
  const a00 = a[0], a01 = a[1], a02 = a[2], a03 = a[3];
  const a10 = a[4], a11 = a[5], a12 = a[6], a13 = a[7];
  const a20 = a[8], a21 = a[9], a22 = a[10], a23 = a[11];
  const b00 = b[0], b01 = b[1], b02 = b[2], b03 = b[3];
  const b10 = b[4], b11 = b[5], b12 = b[6], b13 = b[7];
  const b20 = b[8], b21 = b[9], b22 = b[10], b23 = b[11];
  const c00 = c[0], c01 = c[1], c02 = c[2];
  const c10 = c[4], c11 = c[5], c12 = c[6];
  const c20 = c[8], c21 = c[9], c22 = c[10];
  const hasA = A !== null, hasB = B !== null, hasC = C !== null, hasField = field !== null;
  const fld = field ?? new Float32Array(0);
  const tmp = new Float32Array(3);
  let o = 0;
  for (let k = 0; k < ns; k++) {
    for (let i = 0; i < nr; i++) {
      const ak0 = a00 * k + a01 * i, ak1 = a10 * k + a11 * i, ak2 = a20 * k + a21 * i;
      const bk0 = b00 * k + b01 * i, bk1 = b10 * k + b11 * i, bk2 = b20 * k + b21 * i;
      for (let j = 0; j < nc; j++, o++) {
        let x0: number, x1: number, x2: number;
        if (hasField) {
          let v0: number, v1: number, v2: number;
          if (hasA) {
            trilinearVector(fld, fs, fr, fc, ak0 + a02 * j + a03, ak1 + a12 * j + a13, ak2 + a22 * j + a23, tmp, 0);
            v0 = tmp[0];
            v1 = tmp[1];
            v2 = tmp[2];
          } else {
            const p = 3 * ((k * fr + i) * fc + j);
            v0 = fld[p];
            v1 = fld[p + 1];
            v2 = fld[p + 2];
          }
          let d0 = v0, d1 = v1, d2 = v2;
          if (hasC) {
            d0 = c00 * v0 + c01 * v1 + c02 * v2;
            d1 = c10 * v0 + c11 * v1 + c12 * v2;
            d2 = c20 * v0 + c21 * v1 + c22 * v2;
          }
          if (hasB) {
            x0 = d0 + (bk0 + b02 * j + b03);
            x1 = d1 + (bk1 + b12 * j + b13);
            x2 = d2 + (bk2 + b22 * j + b23);
          } else {
            x0 = d0 + k;
            x1 = d1 + i;
            x2 = d2 + j;
          }
        } else if (hasB) {
          x0 = bk0 + b02 * j + b03;
          x1 = bk1 + b12 * j + b13;
          x2 = bk2 + b22 * j + b23;
        } else {
          x0 = k;
          x1 = i;
          x2 = j;
        }
        const q = nearestIndex3d(is, ir, ic, x0, x1, x2);
        out[o] = q < 0 ? 0 : image[q];
      }
    }
  }
}
