/**
 * Naive interpolation oracles (docs/algorithm.md §1.5), generic in the
 * dimension: linear interpolation with zero padding outside the grid (corner
 * offsets in the documented order, weight = ((row·col)·slice), the float32
 * accumulator rounded after every in-grid corner), a double-precision variant,
 * nearest neighbour on the closed interval `[0, n−1]` with ties rounded down, and
 * the literal affine product `M·[p; h]`.
 *
 * Positions are grid (voxel) coordinates in array-axis order; images are
 * C-order, vector images interleaved (`ncomp` components per voxel).
 */
import type { Affine } from '../../types.js';

const f32 = Math.fround;

/**
 * Linear interpolation of component `comp` (of `ncomp`) of `data` (grid `shape`)
 * at grid position `x`, straight from docs/algorithm.md §1.5: corner offsets in the
 * documented order, weight = product of per-axis weights taken as
 * ((row·col)·slice), float32 rounding after each in-grid corner. Positions on or
 * beyond `−1` / `shape[k]` (and NaN) give 0.
 *
 * @returns `[value, inside]`: `inside` is true when all 2^d corners are in the grid.
 */
export function naiveLinear(data: ArrayLike<number>, shape: readonly number[], x: readonly number[], comp = 0, ncomp = 1): [number, boolean] {
  const d = shape.length;
  for (let k = 0; k < d; k++) if (!(x[k] > -1 && x[k] < shape[k])) return [0, false];
  const base = x.map(Math.floor);
  const frac = x.map((v, k) => v - base[k]);
  // corner offsets (row, col) in order (0,0) (0,1) (1,1) (1,0); 3D: slice 0 then slice 1
  const plane = [[0, 0], [0, 1], [1, 1], [1, 0]];
  const corners = d === 2 ? plane : [...plane.map((p) => [0, ...p]), ...plane.map((p) => [1, ...p])];
  let acc = 0;
  let count = 0;
  for (const off of corners) {
    const idx = base.map((b, k) => b + off[k]);
    if (idx.some((v, k) => v < 0 || v >= shape[k])) continue;
    const w = (k: number) => (off[k] ? frac[k] : 1 - frac[k]);
    const weight = d === 2 ? w(0) * w(1) : w(1) * w(2) * w(0);
    let flat = 0;
    for (let k = 0; k < d; k++) flat = flat * shape[k] + idx[k];
    acc = f32(acc + weight * data[flat * ncomp + comp]);
    count++;
  }
  return [acc, count === corners.length];
}

/**
 * Nearest-neighbour sample of `data` (grid `shape`) at grid position `x` (§1.5):
 * inside on the closed interval `[0, n−1]` per axis, ties rounded down; 0 outside.
 */
export function naiveNearest(data: ArrayLike<number>, shape: readonly number[], x: readonly number[]): number {
  let flat = 0;
  for (let k = 0; k < shape.length; k++) {
    if (!(x[k] >= 0 && x[k] <= shape[k] - 1)) return 0;
    const f = Math.floor(x[k]);
    const idx = x[k] - f > 0.5 ? f + 1 : f;
    flat = flat * shape[k] + idx;
  }
  return data[flat];
}

/**
 * Linear interpolation in double precision (no float32 rounding), corners
 * enumerated as the bits of a counter: a second, differently written oracle for
 * tests with a tolerance. Zero padded; positions on or beyond `−1` / `shape[k]` give 0.
 */
export function naiveLinearDouble(img: ArrayLike<number>, shape: readonly number[], x: readonly number[]): number {
  const d = shape.length;
  for (let k = 0; k < d; k++) if (x[k] <= -1 || x[k] >= shape[k]) return 0;
  const base = x.map(Math.floor);
  let s = 0;
  for (let corner = 0; corner < 1 << d; corner++) {
    let w = 1, idx = 0, ok = true;
    for (let k = 0; k < d; k++) {
      const bit = (corner >> (d - 1 - k)) & 1;
      const c = base[k] + bit;
      const f = x[k] - base[k];
      w *= bit ? f : 1 - f;
      if (c < 0 || c >= shape[k]) ok = false;
      idx = idx * shape[k] + c;
    }
    if (ok) s += w * img[idx];
  }
  return s;
}

/**
 * The literal product `M·[p; h]` of a `(d+1)×(d+1)` row-major affine with a
 * point (`h = 1`) or a vector (`h = 0`), row by row, left to right; `null` is the
 * identity (returns a copy of `p`).
 */
export function affineApply(M: Affine, p: readonly number[], h: 0 | 1 = 1): number[] {
  const d = p.length;
  if (M === null) return p.slice();
  return p.map((_, r) => {
    let s = 0;
    for (let c = 0; c < d; c++) s += M[r * (d + 1) + c] * p[c];
    return s + h * M[r * (d + 1) + d];
  });
}
