/**
 * Sum-of-squared-differences kernels (docs/algorithm.md §5.1): the demons step and
 * the pieces of the Gauss-Newton multigrid solver (one Gauss-Seidel sweep and
 * the residual of the linear system), in 2D and 3D.
 *
 * Maths. With `δ` the float32 intensity difference and `g` the image gradient
 * (world units per voxel of the reference grid):
 * - demons: `step = δ·g / (δ²/σx² + |g|²)` (0 where the denominator is below
 *   1e-9), energy `Σ δ²` (Vercauteren et al. 2009, eq. 4);
 * - Gauss-Newton: per voxel `x`, `(g gᵀ + s²λ·nn·I) u = b + s²λ·Σ_nbr u[nbr]`,
 *   `b = δ·g` (or a multigrid `target`), `s² = σ²[x]` (1 without a σ² field),
 *   `nn` the number of in-grid 4-/6-neighbours; solved by in-place Gauss-Seidel
 *   in raster order (Bruhn & Weickert 2005). The residual is
 *   `r = b − (g·(g·u) + s²λ·Σ_nbr (u[x] − u[nbr]))`; where `s² = ±∞` the data
 *   term vanishes and `u[x]` becomes the mean of its neighbours.
 *
 * Frames and units: everything is on one voxel grid; displacements and
 * gradients are whatever units the caller uses (SyN: world units). Arrays are
 * C-ordered, vector components interleaved, component `k` along array axis `k`.
 *
 * Numerics follow DIPY 1.6 bit for bit: float32 storage; float32 products where
 * DIPY multiplies two float32 values (`n2` of the demons step, the 2D sweep's
 * `b`, `g0²`, `g0·g1`, `g1²`, the residual's `u[x] − u[nbr]` and `g·u`);
 * double arithmetic elsewhere (all 3D sweep products); raster loops; neighbour
 * order 2D (−row, +col, +row, −col), 3D (−slice, −row, +col, +row, −col, +slice).
 */
import type { Shape2D, Shape3D } from '../types.js';

const fround = Math.fround;

/** True for ±∞ (C's `isinf`). */
function isInf(x: number): boolean {
  return x === Infinity || x === -Infinity;
}

// ---------------------------------------------------------------------------
// Demons step
// ---------------------------------------------------------------------------

/**
 * SSD demons step in 2D (docs/algorithm.md §5.1), before smoothing.
 * @param out - `rows·cols·2` float32, receives the step.
 * @param delta - `rows·cols` float32 difference image (static − moving for the forward step).
 * @param gradient - `rows·cols·2` float32 gradient (world units per voxel).
 * @param shape - `[rows, cols]`.
 * @param sigmaSqX - `σx²` (DIPY: `Σ spacing²/d`, world units squared).
 * @returns the energy `Σ δ²` (double squares, raster-order double sum).
 */
export function ssdDemonsStep2d(out: Float32Array, delta: Float32Array, gradient: Float32Array,
  shape: Shape2D, sigmaSqX: number): number {
  const n = shape[0] * shape[1];
  let energy = 0;
  for (let p = 0, q = 0; p < n; p++, q += 2) {
    const d = delta[p];
    const d2 = d * d;
    energy += d2;
    const g0 = gradient[q];
    const g1 = gradient[q + 1];
    const n2 = fround(fround(g0 * g0) + fround(g1 * g1));
    const den = d2 / sigmaSqX + n2;
    if (den < 1e-9) {
      out[q] = 0;
      out[q + 1] = 0;
    } else {
      out[q] = (d * g0) / den;
      out[q + 1] = (d * g1) / den;
    }
  }
  return energy;
}

/** 3D version of {@link ssdDemonsStep2d}: `delta` is `prod(shape)`, `gradient` and `out` `prod(shape)·3`; `shape = [slices, rows, cols]`. */
export function ssdDemonsStep3d(out: Float32Array, delta: Float32Array, gradient: Float32Array,
  shape: Shape3D, sigmaSqX: number): number {
  const n = shape[0] * shape[1] * shape[2];
  let energy = 0;
  for (let p = 0, q = 0; p < n; p++, q += 3) {
    const d = delta[p];
    const d2 = d * d;
    energy += d2;
    const g0 = gradient[q];
    const g1 = gradient[q + 1];
    const g2 = gradient[q + 2];
    const n2 = fround(fround(fround(g0 * g0) + fround(g1 * g1)) + fround(g2 * g2));
    const den = d2 / sigmaSqX + n2;
    if (den < 1e-9) {
      out[q] = 0;
      out[q + 1] = 0;
      out[q + 2] = 0;
    } else {
      out[q] = (d * g0) / den;
      out[q + 1] = (d * g1) / den;
      out[q + 2] = (d * g2) / den;
    }
  }
  return energy;
}

// ---------------------------------------------------------------------------
// Small symmetric solvers
// ---------------------------------------------------------------------------

/**
 * Solves the symmetric 2×2 system `[[A0, A1], [A1, A2]]·x = (y0, y1)` given its
 * determinant `det = A0·A2 − A1²` (DIPY's order of operations: `x1 = (A0·y1 − A1·y0)/det`,
 * then `x0 = (y0 − A1·x1)/A0`; `A2` only enters through `det`), writing `x` to
 * `out[0..1]` (double).
 */
export function solve2dSymmetricPositiveDefinite(A0: number, A1: number, _A2: number, y0: number, y1: number,
  det: number, out: Float64Array): void {
  const x1 = (A0 * y1 - A1 * y0) / det;
  out[1] = x1;
  out[0] = (y0 - A1 * x1) / A0;
}

/**
 * Solves `(g gᵀ + τ I)·x = y` for a 3-vector by symmetric elimination in double
 * (DIPY's exact sequence of operations), writing `x` to `out[0..2]`.
 * @returns `true` when the system is numerically singular (a pivot below 1e-9);
 *   `out` is then left untouched.
 */
export function solve3dSymmetricPositiveDefinite(g0: number, g1: number, g2: number, y0: number, y1: number,
  y2: number, tau: number, out: Float64Array): boolean {
  const a = g0 * g0 + tau;
  if (a < 1e-9) return true;
  const b = g0 * g1;
  const sub = a * (g1 * g1 + tau) - b * b;
  if (sub < 1e-9) return true;
  const c = g0 * g2;
  const d = (a * (g1 * g1 + tau) - b * b) / a;
  const e = (a * (g1 * g2) - b * c) / a;
  const f = (a * (g2 * g2 + tau) - c * c) / a - (e * e * a) / sub;
  if (f < 1e-9) return true;
  const z0 = y0;
  const z1 = (y1 * a - z0 * b) / a;
  const z2 = (y2 * a - c * z0) / a - (e * (y1 * a - b * z0)) / sub;
  const x2 = z2 / f;
  const x1 = (z1 - e * x2) / d;
  out[2] = x2;
  out[1] = x1;
  out[0] = (z0 - b * x1 - c * x2) / a;
  return false;
}

// ---------------------------------------------------------------------------
// Gauss-Seidel sweeps
// ---------------------------------------------------------------------------

/**
 * One in-place Gauss-Seidel sweep of the 2D SSD/EM Gauss-Newton system
 * (docs/algorithm.md §5.1), raster order, already-updated neighbours used.
 * @param u - `rows·cols·2` float32 displacement, updated in place.
 * @param delta - `rows·cols` float32 difference image.
 * @param sigmaSq - `rows·cols` float32 intensity variance, or `null` for 1 everywhere
 *   (`±∞` voxels take the neighbour mean).
 * @param gradient - `rows·cols·2` float32 gradient.
 * @param target - `rows·cols·2` float32 right-hand side, or `null` for `f32(δ·g)`.
 * @param lambda - regularisation weight `λ`.
 * @param shape - `[rows, cols]`.
 */
export function gaussSeidelSweep2d(u: Float32Array, delta: Float32Array, sigmaSq: Float32Array | null,
  gradient: Float32Array, target: Float32Array | null, lambda: number, shape: Shape2D): void {
  const nr = shape[0];
  const nc = shape[1];
  const rowStride = 2 * nc;
  const hasSigma = sigmaSq !== null;
  const hasTarget = target !== null;
  const sol = new Float64Array(2);
  for (let r = 0; r < nr; r++) {
    const up = r > 0;
    const down = r + 1 < nr;
    for (let c = 0; c < nc; c++) {
      const p = r * nc + c;
      const q = 2 * p;
      const s2 = hasSigma ? sigmaSq[p] : 1;
      const g0 = gradient[q];
      const g1 = gradient[q + 1];
      let b0: number;
      let b1: number;
      if (hasTarget) {
        b0 = target[q];
        b1 = target[q + 1];
      } else {
        const d = delta[p];
        b0 = fround(d * g0);
        b1 = fround(d * g1);
      }
      // neighbours in DIPY's order: −row, +col, +row, −col
      let nn = 0;
      let y0 = 0;
      let y1 = 0;
      if (up) { nn++; y0 += u[q - rowStride]; y1 += u[q - rowStride + 1]; }
      if (c + 1 < nc) { nn++; y0 += u[q + 2]; y1 += u[q + 3]; }
      if (down) { nn++; y0 += u[q + rowStride]; y1 += u[q + rowStride + 1]; }
      if (c > 0) { nn++; y0 += u[q - 2]; y1 += u[q - 1]; }
      if (s2 === Infinity || s2 === -Infinity) {
        u[q] = y0 / nn;
        u[q + 1] = y1 / nn;
        continue;
      }
      const sl = s2 * lambda;
      const tau = sl * nn;
      const g00 = fround(g0 * g0);
      const g11 = fround(g1 * g1);
      const A0 = g00 + tau;
      const A1 = fround(g0 * g1);
      const A2 = g11 + tau;
      const det = A0 * A2 - A1 * A1;
      if (det < 1e-9) {
        const n2 = fround(g00 + g11);
        if (n2 < 1e-9) {
          u[q] = 0;
          u[q + 1] = 0;
        } else {
          u[q] = b0 / n2;
          u[q + 1] = b1 / n2;
        }
      } else {
        solve2dSymmetricPositiveDefinite(A0, A1, A2, b0 + sl * y0, b1 + sl * y1, det, sol);
        u[q] = sol[0];
        u[q + 1] = sol[1];
      }
    }
  }
}

/**
 * One in-place Gauss-Seidel sweep of the 3D system (docs/algorithm.md §5.1): double
 * products, `s² < 1e-9` handled as `b/|g|²`, and DIPY's singular-system quirk
 * (a voxel whose 3×3 system is singular receives the last vector successfully
 * solved earlier in this sweep, or zeros if none).
 * Arguments as {@link gaussSeidelSweep2d} with 3 components and `shape = [slices, rows, cols]`.
 */
export function gaussSeidelSweep3d(u: Float32Array, delta: Float32Array, sigmaSq: Float32Array | null,
  gradient: Float32Array, target: Float32Array | null, lambda: number, shape: Shape3D): void {
  const ns = shape[0];
  const nr = shape[1];
  const nc = shape[2];
  const rowStride = 3 * nc;
  const sliceStride = 3 * nr * nc;
  // The last solved vector persists across voxels (the singular quirk).
  const sol = new Float64Array(3);
  for (let s = 0; s < ns; s++) {
    for (let r = 0; r < nr; r++) {
      for (let c = 0; c < nc; c++) {
        const p = (s * nr + r) * nc + c;
        const q = 3 * p;
        const g0 = gradient[q];
        const g1 = gradient[q + 1];
        const g2 = gradient[q + 2];
        const s2 = sigmaSq === null ? 1 : sigmaSq[p];
        let b0: number;
        let b1: number;
        let b2: number;
        if (target === null) {
          const d = delta[p];
          b0 = d * g0;
          b1 = d * g1;
          b2 = d * g2;
        } else {
          b0 = target[q];
          b1 = target[q + 1];
          b2 = target[q + 2];
        }
        let nn = 0;
        let y0 = 0;
        let y1 = 0;
        let y2 = 0;
        if (s > 0) { const o = q - sliceStride; nn++; y0 += u[o]; y1 += u[o + 1]; y2 += u[o + 2]; }
        if (r > 0) { const o = q - rowStride; nn++; y0 += u[o]; y1 += u[o + 1]; y2 += u[o + 2]; }
        if (c + 1 < nc) { const o = q + 3; nn++; y0 += u[o]; y1 += u[o + 1]; y2 += u[o + 2]; }
        if (r + 1 < nr) { const o = q + rowStride; nn++; y0 += u[o]; y1 += u[o + 1]; y2 += u[o + 2]; }
        if (c > 0) { const o = q - 3; nn++; y0 += u[o]; y1 += u[o + 1]; y2 += u[o + 2]; }
        if (s + 1 < ns) { const o = q + sliceStride; nn++; y0 += u[o]; y1 += u[o + 1]; y2 += u[o + 2]; }
        if (isInf(s2)) {
          u[q] = y0 / nn;
          u[q + 1] = y1 / nn;
          u[q + 2] = y2 / nn;
        } else if (s2 < 1e-9) {
          const n2 = g0 * g0 + g1 * g1 + g2 * g2;
          if (n2 < 1e-9) {
            u[q] = 0;
            u[q + 1] = 0;
            u[q + 2] = 0;
          } else {
            u[q] = b0 / n2;
            u[q + 1] = b1 / n2;
            u[q + 2] = b2 / n2;
          }
        } else {
          const sl = s2 * lambda;
          const tau = sl * nn;
          // When singular, `sol` keeps the previous voxel's solution (DIPY's quirk).
          solve3dSymmetricPositiveDefinite(g0, g1, g2, b0 + sl * y0, b1 + sl * y1, b2 + sl * y2, tau, sol);
          u[q] = sol[0];
          u[q + 1] = sol[1];
          u[q + 2] = sol[2];
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Residuals
// ---------------------------------------------------------------------------

/**
 * Residual of the 2D Gauss-Newton system (docs/algorithm.md §5.1):
 * `r = b − (g·f32(g·u) + s²λ·y)` with `b = δ·g` in double (or `target`),
 * `y = Σ_nbr f32(u[x] − u[nbr])`; `r = −λ·y` where `s² = ±∞`.
 * @param out - `rows·cols·2` float32, receives the residual.
 * @param u - `rows·cols·2` float32 current displacement.
 * Other arguments as {@link gaussSeidelSweep2d}.
 */
export function residual2d(out: Float32Array, delta: Float32Array, sigmaSq: Float32Array | null,
  gradient: Float32Array, target: Float32Array | null, lambda: number, u: Float32Array, shape: Shape2D): void {
  const nr = shape[0];
  const nc = shape[1];
  const rowStride = 2 * nc;
  for (let r = 0; r < nr; r++) {
    for (let c = 0; c < nc; c++) {
      const p = r * nc + c;
      const q = 2 * p;
      const s2 = sigmaSq === null ? 1 : sigmaSq[p];
      const g0 = gradient[q];
      const g1 = gradient[q + 1];
      let b0: number;
      let b1: number;
      if (target === null) {
        const d = delta[p];
        b0 = d * g0;
        b1 = d * g1;
      } else {
        b0 = target[q];
        b1 = target[q + 1];
      }
      const u0 = u[q];
      const u1 = u[q + 1];
      let y0 = 0;
      let y1 = 0;
      if (r > 0) { y0 += fround(u0 - u[q - rowStride]); y1 += fround(u1 - u[q - rowStride + 1]); }
      if (c + 1 < nc) { y0 += fround(u0 - u[q + 2]); y1 += fround(u1 - u[q + 3]); }
      if (r + 1 < nr) { y0 += fround(u0 - u[q + rowStride]); y1 += fround(u1 - u[q + rowStride + 1]); }
      if (c > 0) { y0 += fround(u0 - u[q - 2]); y1 += fround(u1 - u[q - 1]); }
      if (isInf(s2)) {
        out[q] = -lambda * y0;
        out[q + 1] = -lambda * y1;
      } else {
        const dot = fround(fround(g0 * u0) + fround(g1 * u1));
        const sl = s2 * lambda;
        out[q] = b0 - (g0 * dot + sl * y0);
        out[q + 1] = b1 - (g1 * dot + sl * y1);
      }
    }
  }
}

/** 3D version of {@link residual2d} (3 components, `shape = [slices, rows, cols]`, float32 `g·u`). */
export function residual3d(out: Float32Array, delta: Float32Array, sigmaSq: Float32Array | null,
  gradient: Float32Array, target: Float32Array | null, lambda: number, u: Float32Array, shape: Shape3D): void {
  const ns = shape[0];
  const nr = shape[1];
  const nc = shape[2];
  const rowStride = 3 * nc;
  const sliceStride = 3 * nr * nc;
  for (let s = 0; s < ns; s++) {
    for (let r = 0; r < nr; r++) {
      for (let c = 0; c < nc; c++) {
        const p = (s * nr + r) * nc + c;
        const q = 3 * p;
        const s2 = sigmaSq === null ? 1 : sigmaSq[p];
        const g0 = gradient[q];
        const g1 = gradient[q + 1];
        const g2 = gradient[q + 2];
        let b0: number;
        let b1: number;
        let b2: number;
        if (target === null) {
          const d = delta[p];
          b0 = d * g0;
          b1 = d * g1;
          b2 = d * g2;
        } else {
          b0 = target[q];
          b1 = target[q + 1];
          b2 = target[q + 2];
        }
        const u0 = u[q];
        const u1 = u[q + 1];
        const u2 = u[q + 2];
        let y0 = 0;
        let y1 = 0;
        let y2 = 0;
        if (s > 0) { const o = q - sliceStride; y0 += fround(u0 - u[o]); y1 += fround(u1 - u[o + 1]); y2 += fround(u2 - u[o + 2]); }
        if (r > 0) { const o = q - rowStride; y0 += fround(u0 - u[o]); y1 += fround(u1 - u[o + 1]); y2 += fround(u2 - u[o + 2]); }
        if (c + 1 < nc) { const o = q + 3; y0 += fround(u0 - u[o]); y1 += fround(u1 - u[o + 1]); y2 += fround(u2 - u[o + 2]); }
        if (r + 1 < nr) { const o = q + rowStride; y0 += fround(u0 - u[o]); y1 += fround(u1 - u[o + 1]); y2 += fround(u2 - u[o + 2]); }
        if (c > 0) { const o = q - 3; y0 += fround(u0 - u[o]); y1 += fround(u1 - u[o + 1]); y2 += fround(u2 - u[o + 2]); }
        if (s + 1 < ns) { const o = q + sliceStride; y0 += fround(u0 - u[o]); y1 += fround(u1 - u[o + 1]); y2 += fround(u2 - u[o + 2]); }
        if (isInf(s2)) {
          out[q] = -lambda * y0;
          out[q + 1] = -lambda * y1;
          out[q + 2] = -lambda * y2;
        } else {
          const dot = fround(fround(fround(g0 * u0) + fround(g1 * u1)) + fround(g2 * u2));
          const sl = s2 * lambda;
          out[q] = b0 - (g0 * dot + sl * y0);
          out[q + 1] = b1 - (g1 * dot + sl * y1);
          out[q + 2] = b2 - (g2 * dot + sl * y2);
        }
      }
    }
  }
}
