/**
 * Homogeneous affine matrices: products, inverses, and the spacing/direction
 * split DIPY performs (docs/algorithm.md §1.1).
 *
 * An affine for dimension `d` is a `(d+1)×(d+1)` row-major `Float64Array`, or
 * `null` for the identity (DIPY's `None`). Applying it to a point uses the
 * homogeneous coordinate 1 (translation included); applying it to a
 * displacement uses 0 (translation ignored).
 */
import type { Affine, Dim } from './types.js';
import { InvalidAffineError } from './errors.js';

/** Anything diffeo accepts where an affine is expected: a flat row-major array of `(d+1)²` numbers, nested rows, or `null` (identity). */
export type AffineLike = Affine | ArrayLike<number> | ReadonlyArray<ArrayLike<number>>;

/** Identity `(d+1)×(d+1)` matrix as a new `Float64Array`. */
export function identityAffine(dim: Dim): Float64Array {
  const n = dim + 1;
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) m[i * n + i] = 1;
  return m;
}

/**
 * Converts an {@link AffineLike} to a validated `Float64Array` affine of size `(d+1)²`
 * (or `null`). Throws {@link InvalidAffineError} when the size is wrong, an entry
 * is not finite, the last row is not `[0, …, 0, 1]` (within 1e-9), or (with
 * `requireInvertible`) the matrix is singular.
 * @param what - a name used in error messages, for example `"staticGridToWorld"`.
 */
export function toAffine(a: AffineLike | undefined, dim: Dim, what = 'affine', requireInvertible = false): Affine {
  if (a === null || a === undefined) return null;
  const n = dim + 1;
  let flat: Float64Array;
  const first = (a as ArrayLike<unknown>)[0];
  if (typeof first === 'object' && first !== null) {
    const rows = a as ReadonlyArray<ArrayLike<number>>;
    if (rows.length !== n || rows.some((r) => r.length !== n)) {
      throw new InvalidAffineError(
        `${what} must be a ${n}x${n} homogeneous matrix for a ${dim}D grid; got ${rows.length} rows of lengths ${rows.map((r) => r.length).join(',')}.`,
      );
    }
    flat = new Float64Array(n * n);
    for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) flat[r * n + c] = rows[r][c];
  } else {
    const arr = a as ArrayLike<number>;
    if (arr.length !== n * n) {
      throw new InvalidAffineError(
        `${what} must have ${n * n} entries (a ${n}x${n} row-major matrix for a ${dim}D grid); got ${arr.length}.`,
      );
    }
    flat = Float64Array.from(arr);
  }
  for (let i = 0; i < flat.length; i++) {
    if (!Number.isFinite(flat[i])) {
      throw new InvalidAffineError(`${what} has a non-finite entry at row ${Math.floor(i / n)}, column ${i % n}; pass finite numbers.`);
    }
  }
  if (requireInvertible && invertAffineOrNull(flat, n) === null) {
    throw new InvalidAffineError(`${what} is singular (not invertible); a grid-to-world matrix needs non-zero voxel sizes and independent axes.`);
  }
  // The last row of a homogeneous affine is [0, …, 0, 1]; anything else is not an affine of
  // points (a projective matrix, or rows in the wrong order). Within 1e-9, so inverses and
  // products computed in float64 pass.
  for (let c = 0; c < n; c++) {
    const want = c === n - 1 ? 1 : 0;
    if (Math.abs(flat[(n - 1) * n + c] - want) > 1e-9) {
      throw new InvalidAffineError(
        `${what} has last row [${Array.from(flat.subarray((n - 1) * n)).map(String).join(', ')}]; a homogeneous affine's last row must be [${new Array(n - 1).fill('0').join(', ')}, 1] (check the row order and that the matrix is an affine).`,
      );
    }
  }
  return flat;
}

/** Matrix size `n` (= d+1) of a flat square matrix. */
function sizeOf(m: Float64Array): number {
  const n = Math.round(Math.sqrt(m.length));
  if (n * n !== m.length) throw new InvalidAffineError(`affine of length ${m.length} is not square.`);
  return n;
}

/**
 * Product `A·B` where `null` acts as the identity (`null·null = null`), as DIPY's `mult_aff`.
 * Each entry is the left-to-right double sum `Σ_k A[r,k]·B[k,c]`.
 */
export function mulAffine(a: Affine, b: Affine): Affine {
  if (a === null) return b === null ? null : b.slice();
  if (b === null) return a.slice();
  const n = sizeOf(a);
  const out = new Float64Array(n * n);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += a[r * n + k] * b[k * n + c];
      out[r * n + c] = s;
    }
  }
  return out;
}

function invertAffineOrNull(m: Float64Array, n: number): Float64Array | null {
  // Gauss-Jordan elimination with partial pivoting on [M | I].
  const w = 2 * n;
  const a = new Float64Array(n * w);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) a[r * w + c] = m[r * n + c];
    a[r * w + n + r] = 1;
  }
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale = Math.max(scale, Math.abs(m[i]));
  if (scale === 0) return null;
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r * w + col]) > Math.abs(a[piv * w + col])) piv = r;
    const p = a[piv * w + col];
    if (Math.abs(p) <= scale * 1e-14) return null;
    if (piv !== col) {
      for (let c = 0; c < w; c++) {
        const t = a[col * w + c];
        a[col * w + c] = a[piv * w + c];
        a[piv * w + c] = t;
      }
    }
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = a[r * w + col] / p;
      if (f === 0) continue;
      for (let c = col; c < w; c++) a[r * w + c] -= f * a[col * w + c];
    }
  }
  const out = new Float64Array(n * n);
  for (let r = 0; r < n; r++) {
    const p = a[r * w + r];
    for (let c = 0; c < n; c++) out[r * n + c] = a[r * w + n + c] / p;
  }
  return out;
}

/**
 * Inverse of an affine (`null` stays `null`). Throws {@link InvalidAffineError}
 * if the matrix is singular. Results may differ from LAPACK's in the last ulp
 * for general matrices; identity, diagonal and power-of-two matrices are exact.
 */
export function invertAffine(m: Affine, what = 'affine'): Affine {
  if (m === null) return null;
  const inv = invertAffineOrNull(m, sizeOf(m));
  if (inv === null) throw new InvalidAffineError(`${what} is singular and cannot be inverted; check its voxel sizes and axes.`);
  return inv;
}

/**
 * Applies `M` to a point (`h = 1`) or a displacement (`h = 0`) given as `x[0..d-1]`,
 * writing the `d` results into `out`. Each row is evaluated left to right in double:
 * `M[r,0]·x0 + M[r,1]·x1 (+ M[r,2]·x2) + h·M[r,d]`.
 */
export function applyAffine(m: Affine, x: ArrayLike<number>, h: 0 | 1, out: Float64Array | number[], dim: Dim): void {
  if (m === null) {
    for (let k = 0; k < dim; k++) out[k] = x[k];
    return;
  }
  const n = dim + 1;
  if (dim === 2) {
    const x0 = x[0], x1 = x[1];
    out[0] = m[0] * x0 + m[1] * x1 + h * m[2];
    out[1] = m[n] * x0 + m[n + 1] * x1 + h * m[n + 2];
  } else {
    const x0 = x[0], x1 = x[1], x2 = x[2];
    out[0] = m[0] * x0 + m[1] * x1 + m[2] * x2 + h * m[3];
    out[1] = m[4] * x0 + m[5] * x1 + m[6] * x2 + h * m[7];
    out[2] = m[8] * x0 + m[9] * x1 + m[10] * x2 + h * m[11];
  }
}

/** Diagonal scaling affine `diag(factors..., 1)`. */
export function scalingAffine(factors: ArrayLike<number>): Float64Array {
  const d = factors.length;
  const n = d + 1;
  const m = new Float64Array(n * n);
  for (let i = 0; i < d; i++) m[i * n + i] = factors[i];
  m[n * n - 1] = 1;
  return m;
}

/**
 * Voxel spacing and direction of a grid-to-world affine, exactly as DIPY's
 * `get_direction_and_spacings`: spacing `s_k` is the Euclidean norm of column
 * `k` of the linear block, **rounded to float32** (as a NIfTI pixdim would be);
 * direction is `A·diag(1/s)` (`d×d`, row-major). `null` gives unit spacing and
 * the identity direction.
 * @returns `spacing` (world units per voxel, length d) and `direction` (`d×d`).
 */
export function getDirectionAndSpacings(g2w: Affine, dim: Dim): { spacing: Float64Array; direction: Float64Array } {
  const spacing = new Float64Array(dim);
  const direction = new Float64Array(dim * dim);
  if (g2w === null) {
    spacing.fill(1);
    for (let i = 0; i < dim; i++) direction[i * dim + i] = 1;
    return { spacing, direction };
  }
  const n = dim + 1;
  for (let c = 0; c < dim; c++) {
    let s = 0;
    for (let r = 0; r < dim; r++) s += g2w[r * n + c] * g2w[r * n + c];
    spacing[c] = Math.fround(Math.sqrt(s));
  }
  for (let r = 0; r < dim; r++) for (let c = 0; c < dim; c++) direction[r * dim + c] = g2w[r * n + c] * (1 / spacing[c]);
  return { spacing, direction };
}

/** Embeds a `d×d` linear block into a `(d+1)×(d+1)` homogeneous affine (no translation). */
export function linearToAffine(lin: ArrayLike<number>, dim: Dim): Float64Array {
  const n = dim + 1;
  const m = new Float64Array(n * n);
  for (let r = 0; r < dim; r++) for (let c = 0; c < dim; c++) m[r * n + c] = lin[r * dim + c];
  m[n * n - 1] = 1;
  return m;
}
