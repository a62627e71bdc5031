/**
 * Border-aware point interpolation (docs/algorithm.md §1.5), the WebAssembly port of
 * `packages/core/src/kernels/interp.ts`. Positions are continuous grid
 * coordinates in array-axis order; a position with a coordinate ≤ −1 or ≥ n gives
 * 0; corners outside the grid contribute nothing; the running sum is rounded to
 * float32 after every corner, corners visited in the order (i,j) (i,j+1)
 * (i+1,j+1) (i+1,j) [then slice k+1]. The hot kernels inline the all-inside case
 * and call these only near the border.
 */
import { f32r, ldf } from './common';

/** Bilinear value of the `nr×nc` float32 image at `img` at `(x0, x1)`. */
export function bilinear(img: usize, nr: i32, nc: i32, x0: f64, x1: f64): f64 {
  if (!(x0 > -1 && x1 > -1 && x0 < <f64>nr && x1 < <f64>nc)) return 0;
  const i = <i32>Math.floor(x0);
  const j = <i32>Math.floor(x1);
  const ca = x0 - <f64>i;
  const cb = x1 - <f64>j;
  const a = 1 - ca;
  const b = 1 - cb;
  // Element indices (a corner index is only formed once it is known to be in the grid).
  const base = i * nc + j;
  let out = 0.0;
  if (i >= 0 && j >= 0) out = f32r(a * b * ldf(img, base));
  const j1 = j + 1 < nc;
  if (j1 && i >= 0) out = f32r(out + a * cb * ldf(img, base + 1));
  const i1 = i + 1 < nr;
  if (j1 && i1) out = f32r(out + ca * cb * ldf(img, base + nc + 1));
  if (j >= 0 && i1) out = f32r(out + ca * b * ldf(img, base + nc));
  return out;
}

/** Trilinear value of the `ns×nr×nc` float32 volume at `vol` at `(x0, x1, x2)`. */
export function trilinear(vol: usize, ns: i32, nr: i32, nc: i32, x0: f64, x1: f64, x2: f64): f64 {
  if (!(x0 > -1 && x1 > -1 && x2 > -1 && x0 < <f64>ns && x1 < <f64>nr && x2 < <f64>nc)) return 0;
  const k = <i32>Math.floor(x0);
  const i = <i32>Math.floor(x1);
  const j = <i32>Math.floor(x2);
  const cg = x0 - <f64>k;
  const ca = x1 - <f64>i;
  const cb = x2 - <f64>j;
  const g = 1 - cg;
  const a = 1 - ca;
  const b = 1 - cb;
  const slice = nr * nc;
  const base = (k * nr + i) * nc + j;
  const iIn = i >= 0, jIn = j >= 0, i1 = i + 1 < nr, j1 = j + 1 < nc;
  let out = 0.0;
  if (k >= 0) {
    if (iIn && jIn) out = f32r(a * b * g * ldf(vol, base));
    if (iIn && j1) out = f32r(out + a * cb * g * ldf(vol, base + 1));
    if (i1 && j1) out = f32r(out + ca * cb * g * ldf(vol, base + nc + 1));
    if (i1 && jIn) out = f32r(out + ca * b * g * ldf(vol, base + nc));
  }
  if (k + 1 < ns) {
    const b2 = base + slice;
    if (iIn && jIn) out = f32r(out + a * b * cg * ldf(vol, b2));
    if (iIn && j1) out = f32r(out + a * cb * cg * ldf(vol, b2 + 1));
    if (i1 && j1) out = f32r(out + ca * cb * cg * ldf(vol, b2 + nc + 1));
    if (i1 && jIn) out = f32r(out + ca * b * cg * ldf(vol, b2 + nc));
  }
  return out;
}

/** Results of the vector interpolators (components as float32-valued doubles). */
export let vec0: f64 = 0;
export let vec1: f64 = 0;
export let vec2: f64 = 0;

/**
 * Bilinear interpolation of a 2-component interleaved field at `(x0, x1)` into
 * `vec0, vec1`. Returns 1 when all four corners were inside, else 0.
 */
export function bilinearVector(f: usize, nr: i32, nc: i32, x0: f64, x1: f64): i32 {
  if (!(x0 > -1 && x1 > -1 && x0 < <f64>nr && x1 < <f64>nc)) {
    vec0 = 0; vec1 = 0;
    return 0;
  }
  const i = <i32>Math.floor(x0);
  const j = <i32>Math.floor(x1);
  const ca = x0 - <f64>i;
  const cb = x1 - <f64>j;
  const a = 1 - ca;
  const b = 1 - cb;
  const p = 2 * (i * nc + j);
  const rowStep = 2 * nc;
  let v0 = 0.0, v1 = 0.0, n = 0;
  if (i >= 0 && j >= 0) {
    const w = a * b;
    v0 = f32r(w * ldf(f, p));
    v1 = f32r(w * ldf(f, p + 1));
    n++;
  }
  const j1 = j + 1 < nc;
  if (j1 && i >= 0) {
    const w = a * cb;
    v0 = f32r(v0 + w * ldf(f, p + 2));
    v1 = f32r(v1 + w * ldf(f, p + 3));
    n++;
  }
  const i1 = i + 1 < nr;
  if (j1 && i1) {
    const w = ca * cb;
    const q = p + rowStep + 2;
    v0 = f32r(v0 + w * ldf(f, q));
    v1 = f32r(v1 + w * ldf(f, q + 1));
    n++;
  }
  if (j >= 0 && i1) {
    const w = ca * b;
    const q = p + rowStep;
    v0 = f32r(v0 + w * ldf(f, q));
    v1 = f32r(v1 + w * ldf(f, q + 1));
    n++;
  }
  vec0 = v0; vec1 = v1;
  return n == 4 ? 1 : 0;
}

/**
 * Trilinear interpolation of a 3-component interleaved field at `(x0, x1, x2)`
 * into `vec0..vec2`. Returns 1 when all eight corners were inside, else 0.
 */
export function trilinearVector(f: usize, ns: i32, nr: i32, nc: i32, x0: f64, x1: f64, x2: f64): i32 {
  if (!(x0 > -1 && x1 > -1 && x2 > -1 && x0 < <f64>ns && x1 < <f64>nr && x2 < <f64>nc)) {
    vec0 = 0; vec1 = 0; vec2 = 0;
    return 0;
  }
  const k = <i32>Math.floor(x0);
  const i = <i32>Math.floor(x1);
  const j = <i32>Math.floor(x2);
  const cg = x0 - <f64>k;
  const ca = x1 - <f64>i;
  const cb = x2 - <f64>j;
  const g = 1 - cg;
  const a = 1 - ca;
  const b = 1 - cb;
  const rowStep = 3 * nc;
  const sliceStep = 3 * nr * nc;
  const p = 3 * ((k * nr + i) * nc + j);
  const iIn = i >= 0, jIn = j >= 0, i1 = i + 1 < nr, j1 = j + 1 < nc;
  let v0 = 0.0, v1 = 0.0, v2 = 0.0, n = 0;
  let w = 0.0;
  let q = 0;
  if (k >= 0) {
    if (iIn && jIn) {
      w = a * b * g;
      v0 = f32r(w * ldf(f, p)); v1 = f32r(w * ldf(f, p + 1)); v2 = f32r(w * ldf(f, p + 2));
      n++;
    }
    if (iIn && j1) {
      w = a * cb * g; q = p + 3;
      v0 = f32r(v0 + w * ldf(f, q)); v1 = f32r(v1 + w * ldf(f, q + 1)); v2 = f32r(v2 + w * ldf(f, q + 2));
      n++;
    }
    if (i1 && j1) {
      w = ca * cb * g; q = p + rowStep + 3;
      v0 = f32r(v0 + w * ldf(f, q)); v1 = f32r(v1 + w * ldf(f, q + 1)); v2 = f32r(v2 + w * ldf(f, q + 2));
      n++;
    }
    if (i1 && jIn) {
      w = ca * b * g; q = p + rowStep;
      v0 = f32r(v0 + w * ldf(f, q)); v1 = f32r(v1 + w * ldf(f, q + 1)); v2 = f32r(v2 + w * ldf(f, q + 2));
      n++;
    }
  }
  if (k + 1 < ns) {
    const p2 = p + sliceStep;
    if (iIn && jIn) {
      w = a * b * cg; q = p2;
      v0 = f32r(v0 + w * ldf(f, q)); v1 = f32r(v1 + w * ldf(f, q + 1)); v2 = f32r(v2 + w * ldf(f, q + 2));
      n++;
    }
    if (iIn && j1) {
      w = a * cb * cg; q = p2 + 3;
      v0 = f32r(v0 + w * ldf(f, q)); v1 = f32r(v1 + w * ldf(f, q + 1)); v2 = f32r(v2 + w * ldf(f, q + 2));
      n++;
    }
    if (i1 && j1) {
      w = ca * cb * cg; q = p2 + rowStep + 3;
      v0 = f32r(v0 + w * ldf(f, q)); v1 = f32r(v1 + w * ldf(f, q + 1)); v2 = f32r(v2 + w * ldf(f, q + 2));
      n++;
    }
    if (i1 && jIn) {
      w = ca * b * cg; q = p2 + rowStep;
      v0 = f32r(v0 + w * ldf(f, q)); v1 = f32r(v1 + w * ldf(f, q + 1)); v2 = f32r(v2 + w * ldf(f, q + 2));
      n++;
    }
  }
  vec0 = v0; vec1 = v1; vec2 = v2;
  return n == 8 ? 1 : 0;
}

/**
 * One component of the all-inside bilinear sum of a 2-component interleaved field:
 * the corners `(r,c) (r,c+1) (r+1,c+1) (r+1,c)` at `q00`, `q00 + 8`, `q10 + 8`, `q10`
 * (byte addresses of the component, `off` bytes into the voxel) with weights
 * `w00, w01, w11, w10`, the running sum rounded to float32 after every corner.
 * Shared by the composition and the inversion (inlined, so no call cost).
 */
// @ts-ignore: decorator
@inline export function cornerSum2(q00: usize, q10: usize, off: usize,
  w00: f64, w01: f64, w11: f64, w10: f64): f64 {
  let s = f32r(w00 * <f64>load<f32>(q00 + off));
  s = f32r(s + w01 * <f64>load<f32>(q00 + off + 8));
  s = f32r(s + w11 * <f64>load<f32>(q10 + off + 8));
  return f32r(s + w10 * <f64>load<f32>(q10 + off));
}

/**
 * One component of the all-inside trilinear sum of a 3-component interleaved field:
 * the corners `q0, q0+1 voxel, q3+1 voxel, q3` on slice `s`, then the same at `q4`, `q7`
 * on slice `s+1` (byte addresses, `off` bytes into the voxel) with weights `w0..w7`,
 * the running sum rounded to float32 after every corner. Shared by the composition
 * and the inversion (inlined).
 */
// @ts-ignore: decorator
@inline export function cornerSum3(q0: usize, q3: usize, q4: usize, q7: usize, off: usize,
  w0: f64, w1: f64, w2: f64, w3: f64, w4: f64, w5: f64, w6: f64, w7: f64): f64 {
  let s = f32r(w0 * <f64>load<f32>(q0 + off));
  s = f32r(s + w1 * <f64>load<f32>(q0 + off + 12));
  s = f32r(s + w2 * <f64>load<f32>(q3 + off + 12));
  s = f32r(s + w3 * <f64>load<f32>(q3 + off));
  s = f32r(s + w4 * <f64>load<f32>(q4 + off));
  s = f32r(s + w5 * <f64>load<f32>(q4 + off + 12));
  s = f32r(s + w6 * <f64>load<f32>(q7 + off + 12));
  return f32r(s + w7 * <f64>load<f32>(q7 + off));
}
