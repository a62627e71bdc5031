/**
 * Oracle tests of the SSD kernels (docs/algorithm.md §5.1), after DIPY's
 * `test_sumsqdiff.py`: the demons step against a direct double-precision
 * evaluation of its closed form, the Gauss-Seidel sweeps against a naive
 * d-dimensional sweep with a generic linear solver, the residual against a
 * whole-array ("vectorised") evaluation, and the 2×2 / 3×3 solvers against
 * Gaussian elimination. Bit-exactness with DIPY itself is checked by the
 * reference runner (`unit_ssd_kernels`).
 */
import { gaussSolve, inGrid, mulberry32, naiveSweep, neighbourOffsets, randomFloat32, ravel, unravel } from '@diffeo/core/oracles';
import { describe, expect, it } from 'vitest';
import { tsKernels } from '@diffeo/core';
import { solve2dSymmetricPositiveDefinite, solve3dSymmetricPositiveDefinite } from './ssd.js';

function prod(s: readonly number[]): number {
  return s.reduce((a, b) => a * b, 1);
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < actual.length; i++) {
    const excess = Math.abs(actual[i] - expected[i]) - (atol + rtol * Math.abs(expected[i]));
    if (!(excess <= worst)) {
      worst = excess;
      at = i;
    }
  }
  expect(at, `index ${at}: ${actual[at]} vs ${expected[at]}`).toBe(-1);
}

describe('ssdDemonsStep2d/3d', () => {
  for (const dim of [2, 3] as const) {
    for (const sigmaSqX of [0.01, 1.5, 4.2]) {
      it(`${dim}D matches the closed form δ·g/(δ²/σx² + |g|²) with σx² = ${sigmaSqX}`, () => {
        const shape = dim === 2 ? ([17, 23] as const) : ([7, 9, 11] as const);
        const n = prod(shape);
        const r = mulberry32(11 + dim + sigmaSqX * 10);
        const delta = randomFloat32(r, n, -2, 2);
        const g = randomFloat32(r, n * dim, -3, 3);
        // zero-gradient voxels (some with zero delta too: denominator 0 -> step 0)
        for (let p = 0; p < n; p += 7) for (let k = 0; k < dim; k++) g[p * dim + k] = 0;
        for (let p = 0; p < n; p += 21) delta[p] = 0;
        const out = new Float32Array(n * dim).fill(NaN);
        const energy = dim === 2
          ? tsKernels.ssdDemonsStep2d(out, delta, g, shape as readonly [number, number], sigmaSqX)
          : tsKernels.ssdDemonsStep3d(out, delta, g, shape as readonly [number, number, number], sigmaSqX);
        const expected = new Float64Array(n * dim);
        let e = 0;
        for (let p = 0; p < n; p++) {
          const dl = delta[p];
          e += dl * dl;
          let n2 = 0;
          for (let k = 0; k < dim; k++) n2 += g[p * dim + k] ** 2;
          const den = (dl * dl) / sigmaSqX + n2;
          for (let k = 0; k < dim; k++) expected[p * dim + k] = den < 1e-9 ? 0 : (dl * g[p * dim + k]) / den;
        }
        expect(energy).toBe(e);
        expectClose(out, expected, 1e-6, 1e-12);
        for (let p = 0; p < n; p += 7) for (let k = 0; k < dim; k++) expect(out[p * dim + k] === 0).toBe(true); // ±0
      });
    }
  }
});

describe('2×2 and 3×3 symmetric solvers', () => {
  it('solve2dSymmetricPositiveDefinite equals a direct solve', () => {
    const r = mulberry32(5);
    const out = new Float64Array(2);
    for (let t = 0; t < 200; t++) {
      const g0 = 4 * r() - 2;
      const g1 = 4 * r() - 2;
      const tau = 3 * r() + 0.01;
      const A0 = g0 * g0 + tau;
      const A1 = g0 * g1;
      const A2 = g1 * g1 + tau;
      const y = [10 * r() - 5, 10 * r() - 5];
      solve2dSymmetricPositiveDefinite(A0, A1, A2, y[0], y[1], A0 * A2 - A1 * A1, out);
      const x = gaussSolve([A0, A1, A1, A2], y, 2);
      expectClose(out, x, 1e-12, 1e-12);
    }
  });

  it('solve3dSymmetricPositiveDefinite equals a direct solve of (g gᵀ + τI) x = y', () => {
    const r = mulberry32(6);
    const out = new Float64Array(3);
    for (let t = 0; t < 200; t++) {
      const g = [4 * r() - 2, 4 * r() - 2, 4 * r() - 2];
      const tau = 3 * r() + 0.01;
      const y = [10 * r() - 5, 10 * r() - 5, 10 * r() - 5];
      const A: number[] = [];
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) A.push(g[i] * g[j] + (i === j ? tau : 0));
      expect(solve3dSymmetricPositiveDefinite(g[0], g[1], g[2], y[0], y[1], y[2], tau, out)).toBe(false);
      expectClose(out, gaussSolve(A, y, 3), 1e-10, 1e-12);
    }
  });

  it('reports τ = 0 (rank-one g gᵀ) as singular and leaves the output untouched', () => {
    const out = new Float64Array([7, 8, 9]);
    expect(solve3dSymmetricPositiveDefinite(0.3, -1.2, 0.8, 1, 2, 3, 0, out)).toBe(true);
    expect(Array.from(out)).toEqual([7, 8, 9]);
    expect(solve3dSymmetricPositiveDefinite(0, 0, 0, 1, 2, 3, 0, out)).toBe(true);
  });
});

describe('gaussSeidelSweep2d/3d', () => {
  for (const dim of [2, 3] as const) {
    for (const variant of ['sigma null, no target', 'sigma field with +inf, target'] as const) {
      it(`${dim}D sweep equals a naive sweep (${variant})`, () => {
        const shape = dim === 2 ? ([13, 16] as const) : ([5, 7, 6] as const);
        const n = prod(shape);
        const r = mulberry32(21 + dim + (variant.length % 7));
        const delta = randomFloat32(r, n, -1, 1);
        const g = randomFloat32(r, n * dim, -2, 2);
        let sigmaSq: Float32Array | null = null;
        let target: Float32Array | null = null;
        if (variant !== 'sigma null, no target') {
          sigmaSq = new Float32Array(n);
          for (let p = 0; p < n; p++) sigmaSq[p] = r() < 0.15 ? Infinity : 0.5 + 2 * r();
          target = randomFloat32(r, n * dim, -1, 1);
        }
        const u0 = randomFloat32(r, n * dim, -0.5, 0.5);
        const lambda = 1.5;
        const got = Float32Array.from(u0);
        const want = Float32Array.from(u0);
        for (let it = 0; it < 3; it++) {
          if (dim === 2) tsKernels.gaussSeidelSweep2d(got, delta, sigmaSq, g, target, lambda, shape as readonly [number, number]);
          else tsKernels.gaussSeidelSweep3d(got, delta, sigmaSq, g, target, lambda, shape as readonly [number, number, number]);
          naiveSweep(want, delta, sigmaSq, g, target, lambda, shape);
        }
        expectClose(got, want, 1e-5, 1e-6);
      });
    }
  }

  it('2D: a singular system (λ = 0) gives b/|g|², and 0 where g = 0', () => {
    const shape = [3, 4] as const;
    const r = mulberry32(31);
    const delta = randomFloat32(r, 12, -1, 1);
    // small gradients keep det = f32(g0²)·f32(g1²) − f32(g0·g1)² below 1e-9
    const g = randomFloat32(r, 24, -0.05, 0.05);
    g[10] = 0;
    g[11] = 0;
    const u = randomFloat32(r, 24, -1, 1);
    tsKernels.gaussSeidelSweep2d(u, delta, null, g, null, 0, shape);
    for (let p = 0; p < 12; p++) {
      const n2 = g[2 * p] ** 2 + g[2 * p + 1] ** 2;
      for (let k = 0; k < 2; k++) {
        const want = n2 === 0 ? 0 : (delta[p] * g[2 * p + k]) / n2;
        expect(Math.abs(u[2 * p + k] - want)).toBeLessThanOrEqual(1e-6 * Math.abs(want) + 1e-12);
      }
    }
  });

  it('3D: a voxel with σ² < 1e-9 gets b/|g|² (0 where g = 0)', () => {
    const shape = [2, 2, 2] as const;
    const r = mulberry32(32);
    const delta = randomFloat32(r, 8, -1, 1);
    const g = randomFloat32(r, 24, -2, 2);
    g[9] = g[10] = g[11] = 0;
    const sigmaSq = new Float32Array(8); // all zero
    const u = randomFloat32(r, 24, -1, 1);
    tsKernels.gaussSeidelSweep3d(u, delta, sigmaSq, g, null, 2, shape);
    for (let p = 0; p < 8; p++) {
      const n2 = g[3 * p] ** 2 + g[3 * p + 1] ** 2 + g[3 * p + 2] ** 2;
      for (let k = 0; k < 3; k++) {
        const want = n2 === 0 ? 0 : (delta[p] * g[3 * p + k]) / n2;
        expect(Math.abs(u[3 * p + k] - want)).toBeLessThanOrEqual(1e-6 * Math.abs(want) + 1e-12);
      }
    }
  });

  it('3D: a singular voxel receives the last vector solved in this sweep (DIPY quirk), zeros before any', () => {
    // One row of 4 voxels. σ² = 1e-8 with a tiny gradient makes g gᵀ + τI numerically
    // singular (pivot < 1e-9); σ² = 1 with a unit gradient is well posed.
    const shape = [1, 1, 4] as const;
    const delta = new Float32Array([0.5, 0.7, -0.3, 0.2]);
    const g = new Float32Array([0.001, 0.002, 0.001, 1, 0.5, -0.25, 0.001, -0.001, 0.002, 0.8, -0.2, 0.4]);
    const sigmaSq = new Float32Array([1e-8, 1, 1e-8, 1]);
    const u = new Float32Array(12).fill(3);
    tsKernels.gaussSeidelSweep3d(u, delta, sigmaSq, g, null, 1, shape);
    // voxel 0: singular, nothing solved yet -> zeros
    expect(Array.from(u.subarray(0, 3))).toEqual([0, 0, 0]);
    // voxel 1: solved directly: (g gᵀ + 2·I) x = δ·g + 1·(u[0] + u[2])
    const A: number[] = [];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) A.push(g[3 + i] * g[3 + j] + (i === j ? 2 : 0));
    const x = gaussSolve(A, [0, 1, 2].map((k) => delta[1] * g[3 + k] + 0 + 3), 3);
    expectClose(u.subarray(3, 6), x, 1e-6, 1e-7);
    // voxel 2: singular -> copy of voxel 1's solution
    expect(Array.from(u.subarray(6, 9))).toEqual(Array.from(u.subarray(3, 6)));
  });
});

describe('residual2d/3d', () => {
  /** Whole-array evaluation: Laplacian-like term by shifted copies, one axis direction at a time. */
  function vectorisedResidual(delta: Float32Array, sigmaSq: Float32Array | null, g: Float32Array,
    target: Float32Array | null, lambda: number, u: Float32Array, shape: readonly number[]): Float64Array {
    const d = shape.length;
    const n = prod(shape);
    const y = new Float64Array(n * d);
    for (const o of neighbourOffsets(d)) {
      for (let p = 0; p < n; p++) {
        const j = unravel(p, shape).map((v, a) => v + o[a]);
        if (!inGrid(j, shape)) continue;
        const q = ravel(j, shape);
        for (let k = 0; k < d; k++) y[p * d + k] += u[p * d + k] - u[q * d + k];
      }
    }
    const res = new Float64Array(n * d);
    for (let p = 0; p < n; p++) {
      const s2 = sigmaSq ? sigmaSq[p] : 1;
      let dot = 0;
      for (let k = 0; k < d; k++) dot += g[p * d + k] * u[p * d + k];
      for (let k = 0; k < d; k++) {
        const b = target ? target[p * d + k] : delta[p] * g[p * d + k];
        res[p * d + k] = Number.isFinite(s2) ? b - (g[p * d + k] * dot + s2 * lambda * y[p * d + k]) : -lambda * y[p * d + k];
      }
    }
    return res;
  }

  for (const dim of [2, 3] as const) {
    for (const withTarget of [false, true]) {
      it(`${dim}D equals the vectorised formula (random +inf σ², λ = 1.5${withTarget ? ', target' : ''})`, () => {
        const shape = dim === 2 ? ([14, 11] as const) : ([6, 5, 7] as const);
        const n = prod(shape);
        const r = mulberry32(41 + dim + (withTarget ? 10 : 0));
        const delta = randomFloat32(r, n, -1, 1);
        const g = randomFloat32(r, n * dim, -2, 2);
        const u = randomFloat32(r, n * dim, -1, 1);
        const sigmaSq = new Float32Array(n);
        for (let p = 0; p < n; p++) sigmaSq[p] = r() < 0.2 ? Infinity : 0.5 + r();
        const target = withTarget ? randomFloat32(r, n * dim, -1, 1) : null;
        const out = new Float32Array(n * dim);
        if (dim === 2) tsKernels.residual2d(out, delta, sigmaSq, g, target, 1.5, u, shape as readonly [number, number]);
        else tsKernels.residual3d(out, delta, sigmaSq, g, target, 1.5, u, shape as readonly [number, number, number]);
        expectClose(out, vectorisedResidual(delta, sigmaSq, g, target, 1.5, u, shape), 1e-6, 1e-5);
        // without a σ² field (SSD): σ² = 1 everywhere
        if (dim === 2) tsKernels.residual2d(out, delta, null, g, target, 1.5, u, shape as readonly [number, number]);
        else tsKernels.residual3d(out, delta, null, g, target, 1.5, u, shape as readonly [number, number, number]);
        expectClose(out, vectorisedResidual(delta, null, g, target, 1.5, u, shape), 1e-6, 1e-5);
      });
    }
  }

  it('is zero at an exact solution of the 2D system', () => {
    // Choose u, then define the target so that the system holds exactly in double: b = g(g·u) + λ·Σ(u[x]−u[nbr]).
    const shape = [6, 5] as const;
    const r = mulberry32(51);
    const g = randomFloat32(r, 60, -1, 1);
    const u = randomFloat32(r, 60, -1, 1);
    const target = new Float32Array(vectorisedResidualOfZeroTarget(g, u, shape, 0.75));
    const out = new Float32Array(60);
    tsKernels.residual2d(out, new Float32Array(30), null, g, target, 0.75, u, shape);
    for (const v of out) expect(Math.abs(v)).toBeLessThan(1e-5);
  });
});

/** `g(g·u) + λ·Σ(u[x] − u[nbr])` per voxel (2D), the left-hand side of the system. */
function vectorisedResidualOfZeroTarget(g: Float32Array, u: Float32Array, shape: readonly [number, number], lambda: number): number[] {
  const out: number[] = [];
  const [nr, nc] = shape;
  for (let r = 0; r < nr; r++) {
    for (let c = 0; c < nc; c++) {
      const p = r * nc + c;
      const y = [0, 0];
      for (const [dr, dc] of [[-1, 0], [0, 1], [1, 0], [0, -1]]) {
        const rr = r + dr;
        const cc = c + dc;
        if (rr < 0 || rr >= nr || cc < 0 || cc >= nc) continue;
        const q = rr * nc + cc;
        for (let k = 0; k < 2; k++) y[k] += u[2 * p + k] - u[2 * q + k];
      }
      const dot = g[2 * p] * u[2 * p] + g[2 * p + 1] * u[2 * p + 1];
      for (let k = 0; k < 2; k++) out.push(g[2 * p + k] * dot + lambda * y[k]);
    }
  }
  return out;
}
