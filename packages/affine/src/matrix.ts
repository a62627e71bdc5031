/**
 * Small dense matrix helpers for homogeneous `(d+1)×(d+1)` affines, row-major
 * `Float64Array`s (no frames of their own: callers say what maps to what).
 */
import { InvalidAffineError, type Dim } from '@diffeo/core';

/** The `m×m` identity, row-major. */
export function eye(m: number): Float64Array {
  const a = new Float64Array(m * m);
  for (let i = 0; i < m; i++) a[i * m + i] = 1;
  return a;
}

/** `a·b` for square `m×m` matrices (sums in index order). */
export function matMul(a: ArrayLike<number>, b: ArrayLike<number>, m: number): Float64Array {
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let k = 0; k < m; k++) s += a[i * m + k] * b[k * m + j];
      out[i * m + j] = s;
    }
  }
  return out;
}

/**
 * Inverse of a square matrix by Gauss–Jordan elimination with partial pivoting.
 * @throws InvalidAffineError when the matrix is singular or not finite.
 */
export function invert(a: ArrayLike<number>, m: number, what = 'matrix'): Float64Array {
  const w = Float64Array.from(a as ArrayLike<number>);
  const inv = eye(m);
  for (let c = 0; c < m; c++) {
    let p = c, best = Math.abs(w[c * m + c]);
    for (let r = c + 1; r < m; r++) {
      const v = Math.abs(w[r * m + c]);
      if (v > best) { best = v; p = r; }
    }
    if (!(best > 0) || !Number.isFinite(best)) {
      throw new InvalidAffineError(`${what} is singular (or not finite) and cannot be inverted; pass an invertible matrix.`);
    }
    if (p !== c) {
      for (let k = 0; k < m; k++) {
        let t = w[c * m + k]; w[c * m + k] = w[p * m + k]; w[p * m + k] = t;
        t = inv[c * m + k]; inv[c * m + k] = inv[p * m + k]; inv[p * m + k] = t;
      }
    }
    const piv = w[c * m + c];
    for (let k = 0; k < m; k++) { w[c * m + k] /= piv; inv[c * m + k] /= piv; }
    for (let r = 0; r < m; r++) {
      if (r === c) continue;
      const f = w[r * m + c];
      if (f === 0) continue;
      for (let k = 0; k < m; k++) { w[r * m + k] -= f * w[c * m + k]; inv[r * m + k] -= f * inv[c * m + k]; }
    }
  }
  return inv;
}

/**
 * A `(d+1)×(d+1)` homogeneous matrix from `null` (identity), a flat array or nested rows.
 * @throws InvalidAffineError for a wrong size or non-finite entries.
 */
export function toMatrix(a: ArrayLike<number> | ReadonlyArray<ArrayLike<number>> | null | undefined, dim: Dim, what: string): Float64Array {
  const m = dim + 1;
  if (a == null) return eye(m);
  let flat: Float64Array;
  if (a.length === m && typeof (a as ArrayLike<unknown>)[0] !== 'number') {
    flat = new Float64Array(m * m);
    const rows = a as ReadonlyArray<ArrayLike<number>>;
    for (let i = 0; i < m; i++) {
      if (rows[i].length !== m) throw new InvalidAffineError(`${what} must be ${m}×${m}; row ${i} has ${rows[i].length} entries.`);
      for (let j = 0; j < m; j++) flat[i * m + j] = rows[i][j];
    }
  } else {
    if (a.length !== m * m) {
      throw new InvalidAffineError(`${what} must be a ${m}×${m} matrix (${m * m} values) for a ${dim}D image, got ${a.length} values.`);
    }
    flat = Float64Array.from(a as ArrayLike<number>);
  }
  for (let i = 0; i < flat.length; i++) {
    if (!Number.isFinite(flat[i])) throw new InvalidAffineError(`${what} has a non-finite entry at row ${Math.floor(i / m)}, column ${i % m}.`);
  }
  return flat;
}

/** Column norms of the linear part of a grid-to-world matrix (voxel sizes, mm), float32-rounded as DIPY's `get_direction_and_spacings`. */
export function spacingsOf(g2w: ArrayLike<number>, dim: Dim): Float64Array {
  const m = dim + 1;
  const out = new Float64Array(dim);
  for (let j = 0; j < dim; j++) {
    let s = 0;
    for (let i = 0; i < dim; i++) s += g2w[i * m + j] * g2w[i * m + j];
    out[j] = Math.fround(Math.sqrt(s));
  }
  return out;
}
