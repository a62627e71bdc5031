/**
 * Slow, dimension-generic Jacobian determinant of `x ↦ x + u(x)`: a test oracle for the
 * `jacobianDeterminant2d/3d` kernels (not part of the kernel table). It shares only the
 * definition with the kernels: `G[a][k] = ∂u_a/∂i_k` by `numpy.gradient`'s scheme
 * (central differences inside, one-sided at the ends, 0 along an axis of length 1),
 * `J = I + G·M⁻¹` with `M⁻¹` the linear part of the world-to-grid affine, and `det J` by
 * Gaussian elimination with partial pivoting (the kernels expand cofactors), so it agrees
 * with them to rounding, not bit for bit.
 */
import type { Affine } from '../../types.js';

/** Determinant of a `d×d` row-major matrix by Gaussian elimination with partial pivoting (double). */
export function determinantNaive(m: ArrayLike<number>, d: number): number {
  const a = Array.from({ length: d * d }, (_, i) => +m[i]);
  let det = 1;
  for (let c = 0; c < d; c++) {
    let p = c;
    for (let r = c + 1; r < d; r++) if (Math.abs(a[r * d + c]) > Math.abs(a[p * d + c])) p = r;
    if (a[p * d + c] === 0) return 0;
    if (p !== c) {
      for (let k = 0; k < d; k++) [a[c * d + k], a[p * d + k]] = [a[p * d + k], a[c * d + k]];
      det = -det;
    }
    det *= a[c * d + c];
    for (let r = c + 1; r < d; r++) {
      const f = a[r * d + c] / a[c * d + c];
      for (let k = c; k < d; k++) a[r * d + k] -= f * a[c * d + k];
    }
  }
  return det;
}

/**
 * Naive world-space `det(I + G·M⁻¹)` of a 2D or 3D displacement field.
 * @param field float32 `prod(shape)·d`, interleaved, world units.
 * @param shape grid shape (voxels), length `d`.
 * @param W `(d+1)×(d+1)` row-major world-to-grid affine, or `null` (identity).
 * @returns float64 `prod(shape)` determinants (C order).
 */
export function jacobianDeterminantNaive(field: Float32Array, shape: readonly number[], W: Affine): Float64Array {
  const d = shape.length;
  const strides = new Array<number>(d);
  let n = 1;
  for (let k = d - 1; k >= 0; k--) {
    strides[k] = n;
    n *= shape[k];
  }
  const out = new Float64Array(n);
  const idx = new Array<number>(d);
  const G = new Float64Array(d * d);
  const J = new Float64Array(d * d);
  const w = (r: number, c: number): number => (W ? W[r * (d + 1) + c] : r === c ? 1 : 0);
  const value = (v: number, a: number): number => field[v * d + a];
  for (let v = 0; v < n; v++) {
    let rest = v;
    for (let k = 0; k < d; k++) {
      idx[k] = Math.floor(rest / strides[k]);
      rest -= idx[k] * strides[k];
    }
    for (let a = 0; a < d; a++) {
      for (let k = 0; k < d; k++) {
        const len = shape[k], i = idx[k], s = strides[k];
        let g: number;
        if (len < 2) g = 0;
        else if (i === 0) g = value(v + s, a) - value(v, a);
        else if (i === len - 1) g = value(v, a) - value(v - s, a);
        else g = (value(v + s, a) - value(v - s, a)) / 2;
        G[a * d + k] = g;
      }
    }
    for (let a = 0; a < d; a++) {
      for (let b = 0; b < d; b++) {
        let sum = a === b ? 1 : 0;
        for (let k = 0; k < d; k++) sum += G[a * d + k] * w(k, b);
        J[a * d + b] = sum;
      }
    }
    out[v] = determinantNaive(J, d);
  }
  return out;
}
