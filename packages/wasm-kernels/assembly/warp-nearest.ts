/**
 * Nearest-neighbour warping (the WebAssembly port of `warpNearest2d/3d` in
 * `packages/core/src/kernels/warp.ts`): the sampling position of each output voxel is
 * formed exactly as by the linear warp (`v` from the field, interpolated in float32
 * per corner; `C·v`; `+ B·[i;1]` or `+ i`, products left to right in double), then the
 * output takes the image value at the nearest voxel (ties round down) or 0 outside
 * `[0, n − 1]` on any axis. Values are copied as raw elements of `elemBytes` bytes
 * (1, 2 or 4), so the image and the output must have the same element type; zero is
 * the all-zero bit pattern of every such type. With `elemBytes = 0` the output is the
 * int32 index of the nearest voxel (−1 outside) and `image` is not read. A call computes a range of output
 * rows (2D) or slices (3D), so that the calls can be split over threads.
 */
import { aff, ldf } from './common';
import { bilinearVector, trilinearVector, vec0, vec1, vec2 } from './interp';

// @ts-ignore: decorator
@inline function copyElem(out: usize, o: i32, image: usize, q: i32, elemBytes: i32): void {
  if (elemBytes == 0) store<i32>(out + (<usize>o << 2), q);
  else if (elemBytes == 1) store<u8>(out + <usize>o, q < 0 ? 0 : load<u8>(image + <usize>q));
  else if (elemBytes == 2) store<u16>(out + (<usize>o << 1), q < 0 ? 0 : load<u16>(image + (<usize>q << 1)));
  else store<u32>(out + (<usize>o << 2), q < 0 ? 0 : load<u32>(image + (<usize>q << 2)));
}

// @ts-ignore: decorator
@inline function nearestIndex2d(nr: i32, nc: i32, x0: f64, x1: f64): i32 {
  if (!(x0 >= 0 && x1 >= 0 && x0 <= <f64>(nr - 1) && x1 <= <f64>(nc - 1))) return -1;
  let i = <i32>Math.floor(x0);
  let j = <i32>Math.floor(x1);
  const ca = x0 - <f64>i;
  const cb = x1 - <f64>j;
  if (1 - ca < ca) i++;
  if (1 - cb < cb) j++;
  if (i >= nr || j >= nc) return -1;
  return i * nc + j;
}

// @ts-ignore: decorator
@inline function nearestIndex3d(ns: i32, nr: i32, nc: i32, x0: f64, x1: f64, x2: f64): i32 {
  if (!(x0 >= 0 && x1 >= 0 && x2 >= 0 && x0 <= <f64>(ns - 1) && x1 <= <f64>(nr - 1) && x2 <= <f64>(nc - 1))) return -1;
  let k = <i32>Math.floor(x0);
  let i = <i32>Math.floor(x1);
  let j = <i32>Math.floor(x2);
  const cg = x0 - <f64>k;
  const ca = x1 - <f64>i;
  const cb = x2 - <f64>j;
  if (1 - cg < cg) k++;
  if (1 - ca < ca) i++;
  if (1 - cb < cb) j++;
  if (k >= ns || i >= nr || j >= nc) return -1;
  return (k * nr + i) * nc + j;
}

/** 2D nearest-neighbour warp of the output rows `[r0, r1)` (`out` is the whole output; see the module documentation). */
export function warpNearest2d(out: usize, elemBytes: i32, nr: i32, nc: i32, image: usize, ir: i32, ic: i32,
  field: usize, fr: i32, fc: i32, A: usize, B: usize, C: usize, r0: i32, r1: i32): void {
  const a00 = aff(A, 3, 0, 0), a01 = aff(A, 3, 0, 1), a02 = aff(A, 3, 0, 2);
  const a10 = aff(A, 3, 1, 0), a11 = aff(A, 3, 1, 1), a12 = aff(A, 3, 1, 2);
  const b00 = aff(B, 3, 0, 0), b01 = aff(B, 3, 0, 1), b02 = aff(B, 3, 0, 2);
  const b10 = aff(B, 3, 1, 0), b11 = aff(B, 3, 1, 1), b12 = aff(B, 3, 1, 2);
  const c00 = aff(C, 3, 0, 0), c01 = aff(C, 3, 0, 1), c10 = aff(C, 3, 1, 0), c11 = aff(C, 3, 1, 1);
  const hasA = A != 0, hasB = B != 0, hasC = C != 0, hasField = field != 0;
  let o = r0 * nc;
  for (let i = r0; i < r1; i++) {
    const fi = <f64>i;
    const ai0 = a00 * fi, ai1 = a10 * fi, bi0 = b00 * fi, bi1 = b10 * fi;
    for (let j = 0; j < nc; j++, o++) {
      const fj = <f64>j;
      let x0: f64, x1: f64;
      if (hasField) {
        let v0: f64, v1: f64;
        if (hasA) {
          bilinearVector(field, fr, fc, ai0 + a01 * fj + a02, ai1 + a11 * fj + a12);
          v0 = vec0; v1 = vec1;
        } else {
          const p = 2 * (i * fc + j);
          v0 = ldf(field, p); v1 = ldf(field, p + 1);
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
      copyElem(out, o, image, nearestIndex2d(ir, ic, x0, x1), elemBytes);
    }
  }
}

/** 3D nearest-neighbour warp of the output slices `[k0, k1)` (`out` is the whole output; see the module documentation). */
export function warpNearest3d(out: usize, elemBytes: i32, ns: i32, nr: i32, nc: i32, image: usize, is: i32, ir: i32, ic: i32,
  field: usize, fs: i32, fr: i32, fc: i32, A: usize, B: usize, C: usize, k0: i32, k1: i32): void {
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
  let o = k0 * nr * nc;
  for (let k = k0; k < k1; k++) {
    const fk = <f64>k;
    for (let i = 0; i < nr; i++) {
      const fi = <f64>i;
      const ak0 = a00 * fk + a01 * fi, ak1 = a10 * fk + a11 * fi, ak2 = a20 * fk + a21 * fi;
      const bk0 = b00 * fk + b01 * fi, bk1 = b10 * fk + b11 * fi, bk2 = b20 * fk + b21 * fi;
      for (let j = 0; j < nc; j++, o++) {
        const fj = <f64>j;
        let x0: f64, x1: f64, x2: f64;
        if (hasField) {
          let v0: f64, v1: f64, v2: f64;
          if (hasA) {
            trilinearVector(field, fs, fr, fc, ak0 + a02 * fj + a03, ak1 + a12 * fj + a13, ak2 + a22 * fj + a23);
            v0 = vec0; v1 = vec1; v2 = vec2;
          } else {
            const p = 3 * ((k * fr + i) * fc + j);
            v0 = ldf(field, p); v1 = ldf(field, p + 1); v2 = ldf(field, p + 2);
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
        copyElem(out, o, image, nearestIndex3d(is, ir, ic, x0, x1, x2), elemBytes);
      }
    }
  }
}
