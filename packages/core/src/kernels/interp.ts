/**
 * Point interpolation on a regular grid, exactly as DIPY 1.6 evaluates it
 * (docs/algorithm.md §1.5). All positions are continuous **grid (voxel index)**
 * coordinates in array-axis order: `(row, col)` in 2D, `(slice, row, col)` in 3D.
 *
 * Linear (bilinear / trilinear):
 * - a position with any coordinate `x_k ≤ −1` or `x_k ≥ n_k` gives 0;
 * - otherwise `i_k = floor(x_k)`, `c_k = x_k − i_k` (double), `w_k = 1 − c_k`, and the
 *   4 (8) corners are visited in the fixed order (i,j) (i,j+1) (i+1,j+1) (i+1,j)
 *   [then the same four on slice k+1 in 3D]; a corner outside the grid contributes
 *   nothing (zero padding);
 * - the weight of a corner is the left-to-right product `(rowW·colW)[·sliceW]`, times
 *   the value, in double; the running sum is **rounded to float32 after every
 *   corner** (DIPY accumulates into a float32 output slot);
 * - "inside" means all corners were in the grid, i.e. `0 ≤ x_k < n_k − 1` for all k.
 *   A point exactly on the last row/column has the right value but is not inside.
 *
 * Nearest neighbour: inside iff `0 ≤ x_k ≤ n_k − 1` (closed interval, else 0); the index is
 * `floor(x_k)`, plus one only when `1 − c_k < c_k` (fraction strictly above one half,
 * so ties round down).
 *
 * Images and fields are C-ordered `Float32Array`s; vector fields are interleaved
 * (`d` components per voxel). Values returned are doubles holding float32 values.
 * NaN positions give 0 (and are never inside).
 *
 * Performance note: these helpers are the general (border-aware) implementation.
 * Hot loops (warp, resample, compose) inline the all-corners-inside fast path, which
 * performs exactly the same operations in the same order, and call these helpers only
 * near the border: V8 boxes doubles passed to calls it does not inline.
 */

const f32 = Math.fround;

/**
 * Bilinear value of a 2D scalar image at grid position `(x0, x1)` with zero padding
 * and float32 rounding after each corner (docs/algorithm.md §1.5).
 * @param image C-ordered `nr × nc` image.
 * @returns the float32 value (as a double); 0 when the position is at or beyond one voxel outside.
 */
export function bilinear(image: Float32Array, nr: number, nc: number, x0: number, x1: number): number {
  if (!(x0 > -1 && x1 > -1 && x0 < nr && x1 < nc)) return 0;
  const i = Math.floor(x0) | 0;
  const j = Math.floor(x1) | 0;
  const ca = x0 - i; // fraction along rows
  const cb = x1 - j; // fraction along columns
  const a = 1 - ca;
  const b = 1 - cb;
  const base = i * nc + j;
  let out = 0;
  if (i >= 0 && j >= 0) out = f32(a * b * image[base]);
  const j1 = j + 1 < nc;
  if (j1 && i >= 0) out = f32(out + a * cb * image[base + 1]);
  const i1 = i + 1 < nr;
  if (j1 && i1) out = f32(out + ca * cb * image[base + nc + 1]);
  if (j >= 0 && i1) out = f32(out + ca * b * image[base + nc]);
  return out;
}

/**
 * Whether a bilinear sample at `(x0, x1)` has all four corners inside an `nr × nc`
 * grid, i.e. `0 ≤ x0 < nr − 1` and `0 ≤ x1 < nc − 1` (DIPY's `inside` flag).
 */
export function bilinearInside(nr: number, nc: number, x0: number, x1: number): boolean {
  return x0 >= 0 && x1 >= 0 && x0 < nr - 1 && x1 < nc - 1;
}

/**
 * Trilinear value of a 3D scalar volume at grid position `(x0, x1, x2)` =
 * (slice, row, col), zero padding, float32 rounding after each of the 8 corners.
 * @param volume C-ordered `ns × nr × nc` volume.
 */
export function trilinear(volume: Float32Array, ns: number, nr: number, nc: number, x0: number, x1: number, x2: number): number {
  if (!(x0 > -1 && x1 > -1 && x2 > -1 && x0 < ns && x1 < nr && x2 < nc)) return 0;
  const k = Math.floor(x0) | 0;
  const i = Math.floor(x1) | 0;
  const j = Math.floor(x2) | 0;
  const cg = x0 - k; // slice fraction
  const ca = x1 - i; // row fraction
  const cb = x2 - j; // column fraction
  const g = 1 - cg;
  const a = 1 - ca;
  const b = 1 - cb;
  const slice = nr * nc;
  const base = (k * nr + i) * nc + j;
  const iIn = i >= 0, jIn = j >= 0, i1 = i + 1 < nr, j1 = j + 1 < nc;
  let out = 0;
  if (k >= 0) {
    if (iIn && jIn) out = f32(a * b * g * volume[base]);
    if (iIn && j1) out = f32(out + a * cb * g * volume[base + 1]);
    if (i1 && j1) out = f32(out + ca * cb * g * volume[base + nc + 1]);
    if (i1 && jIn) out = f32(out + ca * b * g * volume[base + nc]);
  }
  if (k + 1 < ns) {
    const b2 = base + slice;
    if (iIn && jIn) out = f32(out + a * b * cg * volume[b2]);
    if (iIn && j1) out = f32(out + a * cb * cg * volume[b2 + 1]);
    if (i1 && j1) out = f32(out + ca * cb * cg * volume[b2 + nc + 1]);
    if (i1 && jIn) out = f32(out + ca * b * cg * volume[b2 + nc]);
  }
  return out;
}

/**
 * Whether a trilinear sample has all eight corners inside an `ns × nr × nc` grid
 * (`0 ≤ x_k < n_k − 1` on every axis; DIPY's `inside` flag).
 */
export function trilinearInside(ns: number, nr: number, nc: number, x0: number, x1: number, x2: number): boolean {
  return x0 >= 0 && x1 >= 0 && x2 >= 0 && x0 < ns - 1 && x1 < nr - 1 && x2 < nc - 1;
}

/**
 * Bilinear interpolation of a 2D vector field (2 interleaved components per voxel,
 * `nr × nc × 2`) at grid position `(x0, x1)`; writes the two float32 components to
 * `out[o]`, `out[o + 1]` (zeros when fully outside). Same rules as {@link bilinear},
 * applied per component.
 * @returns 1 when all four corners were inside the grid, else 0.
 */
export function bilinearVector(field: Float32Array, nr: number, nc: number, x0: number, x1: number,
  out: Float32Array | Float64Array, o: number): 0 | 1 {
  if (!(x0 > -1 && x1 > -1 && x0 < nr && x1 < nc)) {
    out[o] = 0;
    out[o + 1] = 0;
    return 0;
  }
  const i = Math.floor(x0) | 0;
  const j = Math.floor(x1) | 0;
  const ca = x0 - i;
  const cb = x1 - j;
  const a = 1 - ca;
  const b = 1 - cb;
  const p = 2 * (i * nc + j);
  const rowStep = 2 * nc;
  let v0 = 0, v1 = 0, n = 0;
  if (i >= 0 && j >= 0) {
    const w = a * b;
    v0 = f32(w * field[p]);
    v1 = f32(w * field[p + 1]);
    n++;
  }
  const j1 = j + 1 < nc;
  if (j1 && i >= 0) {
    const w = a * cb;
    v0 = f32(v0 + w * field[p + 2]);
    v1 = f32(v1 + w * field[p + 3]);
    n++;
  }
  const i1 = i + 1 < nr;
  if (j1 && i1) {
    const w = ca * cb;
    const q = p + rowStep + 2;
    v0 = f32(v0 + w * field[q]);
    v1 = f32(v1 + w * field[q + 1]);
    n++;
  }
  if (j >= 0 && i1) {
    const w = ca * b;
    const q = p + rowStep;
    v0 = f32(v0 + w * field[q]);
    v1 = f32(v1 + w * field[q + 1]);
    n++;
  }
  out[o] = v0;
  out[o + 1] = v1;
  return n === 4 ? 1 : 0;
}

/**
 * Trilinear interpolation of a 3D vector field (`ns × nr × nc × 3`, interleaved) at
 * grid position `(x0, x1, x2)`; writes three float32 components to `out[o..o+2]`.
 * @returns 1 when all eight corners were inside the grid, else 0.
 */
export function trilinearVector(field: Float32Array, ns: number, nr: number, nc: number, x0: number, x1: number, x2: number,
  out: Float32Array | Float64Array, o: number): 0 | 1 {
  if (!(x0 > -1 && x1 > -1 && x2 > -1 && x0 < ns && x1 < nr && x2 < nc)) {
    out[o] = 0;
    out[o + 1] = 0;
    out[o + 2] = 0;
    return 0;
  }
  const k = Math.floor(x0) | 0;
  const i = Math.floor(x1) | 0;
  const j = Math.floor(x2) | 0;
  const cg = x0 - k;
  const ca = x1 - i;
  const cb = x2 - j;
  const g = 1 - cg;
  const a = 1 - ca;
  const b = 1 - cb;
  const rowStep = 3 * nc;
  const sliceStep = 3 * nr * nc;
  const p = 3 * ((k * nr + i) * nc + j);
  const iIn = i >= 0, jIn = j >= 0, i1 = i + 1 < nr, j1 = j + 1 < nc;
  let v0 = 0, v1 = 0, v2 = 0, n = 0;
  let w = 0, q = 0;
  if (k >= 0) {
    if (iIn && jIn) {
      w = a * b * g;
      v0 = f32(w * field[p]); v1 = f32(w * field[p + 1]); v2 = f32(w * field[p + 2]);
      n++;
    }
    if (iIn && j1) {
      w = a * cb * g; q = p + 3;
      v0 = f32(v0 + w * field[q]); v1 = f32(v1 + w * field[q + 1]); v2 = f32(v2 + w * field[q + 2]);
      n++;
    }
    if (i1 && j1) {
      w = ca * cb * g; q = p + rowStep + 3;
      v0 = f32(v0 + w * field[q]); v1 = f32(v1 + w * field[q + 1]); v2 = f32(v2 + w * field[q + 2]);
      n++;
    }
    if (i1 && jIn) {
      w = ca * b * g; q = p + rowStep;
      v0 = f32(v0 + w * field[q]); v1 = f32(v1 + w * field[q + 1]); v2 = f32(v2 + w * field[q + 2]);
      n++;
    }
  }
  if (k + 1 < ns) {
    const p2 = p + sliceStep;
    if (iIn && jIn) {
      w = a * b * cg; q = p2;
      v0 = f32(v0 + w * field[q]); v1 = f32(v1 + w * field[q + 1]); v2 = f32(v2 + w * field[q + 2]);
      n++;
    }
    if (iIn && j1) {
      w = a * cb * cg; q = p2 + 3;
      v0 = f32(v0 + w * field[q]); v1 = f32(v1 + w * field[q + 1]); v2 = f32(v2 + w * field[q + 2]);
      n++;
    }
    if (i1 && j1) {
      w = ca * cb * cg; q = p2 + rowStep + 3;
      v0 = f32(v0 + w * field[q]); v1 = f32(v1 + w * field[q + 1]); v2 = f32(v2 + w * field[q + 2]);
      n++;
    }
    if (i1 && jIn) {
      w = ca * b * cg; q = p2 + rowStep;
      v0 = f32(v0 + w * field[q]); v1 = f32(v1 + w * field[q + 1]); v2 = f32(v2 + w * field[q + 2]);
      n++;
    }
  }
  out[o] = v0;
  out[o + 1] = v1;
  out[o + 2] = v2;
  return n === 8 ? 1 : 0;
}

/**
 * Flat index of the nearest voxel of an `nr × nc` grid to `(x0, x1)`, or −1 when the
 * position is outside the closed box `[0, nr−1] × [0, nc−1]` (docs/algorithm.md §1.5; ties round down).
 */
export function nearestIndex2d(nr: number, nc: number, x0: number, x1: number): number {
  if (!(x0 >= 0 && x1 >= 0 && x0 <= nr - 1 && x1 <= nc - 1)) return -1;
  let i = Math.floor(x0) | 0;
  let j = Math.floor(x1) | 0;
  const ca = x0 - i;
  const cb = x1 - j;
  if (1 - ca < ca) i++;
  if (1 - cb < cb) j++;
  if (i >= nr || j >= nc) return -1; // cannot happen for finite inputs; kept as DIPY's guard
  return i * nc + j;
}

/**
 * Flat index of the nearest voxel of an `ns × nr × nc` grid to `(x0, x1, x2)`, or −1
 * outside the closed box `[0, n_k − 1]` (ties round down).
 */
export function nearestIndex3d(ns: number, nr: number, nc: number, x0: number, x1: number, x2: number): number {
  if (!(x0 >= 0 && x1 >= 0 && x2 >= 0 && x0 <= ns - 1 && x1 <= nr - 1 && x2 <= nc - 1)) return -1;
  let k = Math.floor(x0) | 0;
  let i = Math.floor(x1) | 0;
  let j = Math.floor(x2) | 0;
  const cg = x0 - k;
  const ca = x1 - i;
  const cb = x2 - j;
  if (1 - cg < cg) k++;
  if (1 - ca < ca) i++;
  if (1 - cb < cb) j++;
  if (k >= ns || i >= nr || j >= nc) return -1;
  return (k * nr + i) * nc + j;
}
