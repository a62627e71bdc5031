/**
 * Oracle tests of the multigrid V-cycle: depth 0 is plain Gauss-Seidel, repeated
 * cycles solve the linear system (checked with an independent residual
 * evaluation), and bad arguments throw typed errors. The DIPY fixture
 * (`unit_ssd_kernels/vcycle2d`) is checked by the reference runner.
 */
import { mulberry32 } from '@diffeo/core/oracles';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, ShapeMismatchError, tsKernels } from '@diffeo/core';
import { vCycle2d, vCycle3d } from '@diffeo/metrics-ssd';

/** Residual norm ‖δ·g − (g(g·u) + λ·Σ_nbr(u[x] − u[nbr]))‖₂ in double, σ² = 1, generic dimension. */
function residualNorm(delta: Float32Array, g: Float32Array, u: Float32Array, lambda: number, shape: readonly number[]): number {
  const d = shape.length;
  const n = shape.reduce((a, b) => a * b, 1);
  const strides = shape.map((_, a) => shape.slice(a + 1).reduce((x, y) => x * y, 1));
  let sum = 0;
  for (let p = 0; p < n; p++) {
    const idx = shape.map((s, a) => Math.floor(p / strides[a]) % s);
    let dot = 0;
    for (let k = 0; k < d; k++) dot += g[p * d + k] * u[p * d + k];
    for (let k = 0; k < d; k++) {
      let y = 0;
      for (let a = 0; a < d; a++) {
        for (const s of [-1, 1]) {
          const j = idx[a] + s;
          if (j < 0 || j >= shape[a]) continue;
          const q = p + s * strides[a];
          y += u[p * d + k] - u[q * d + k];
        }
      }
      const r = delta[p] * g[p * d + k] - (g[p * d + k] * dot + lambda * y);
      sum += r * r;
    }
  }
  return Math.sqrt(sum);
}

/** A smooth problem: δ and g sampled from low-frequency random sinusoids (the regime multigrid is built for). */
function problem(shape: readonly number[], seed: number): { delta: Float32Array; g: Float32Array } {
  const r = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const d = shape.length;
  const wave = () => {
    const w = shape.map((s) => ((2 * r() - 1) * 2 * Math.PI) / s);
    const phi = 2 * Math.PI * r();
    return (idx: number[]) => Math.sin(w.reduce((x, wa, a) => x + wa * idx[a], phi));
  };
  const fd = wave();
  const fg = Array.from({ length: d }, () => wave());
  const strides = shape.map((_, a) => shape.slice(a + 1).reduce((x, y) => x * y, 1));
  const delta = new Float32Array(n);
  const g = new Float32Array(n * d);
  for (let p = 0; p < n; p++) {
    const idx = shape.map((s, a) => Math.floor(p / strides[a]) % s);
    delta[p] = fd(idx);
    for (let k = 0; k < d; k++) g[p * d + k] = fg[k](idx);
  }
  return { delta, g };
}

describe('vCycle2d / vCycle3d', () => {
  it('depth 0 is k Gauss-Seidel sweeps and returns Σ f32(δ²)', () => {
    const shape = [9, 12] as const;
    const { delta, g } = problem(shape, 3);
    const u = new Float32Array(216);
    const e = vCycle2d(0, 4, delta, null, g, null, 2, u, shape);
    const ref = new Float32Array(216);
    for (let i = 0; i < 4; i++) tsKernels.gaussSeidelSweep2d(ref, delta, null, g, null, 2, shape);
    expect(Array.from(u)).toEqual(Array.from(ref));
    let want = 0;
    for (const d of delta) want += Math.fround(d * d);
    expect(e).toBe(want);
  });

  for (const dim of [2, 3] as const) {
    it(`${dim}D: repeated cycles solve the Gauss-Newton system (odd sizes, depth 3)`, () => {
      const shape = dim === 2 ? ([37, 30] as const) : ([11, 14, 9] as const);
      const { delta, g } = problem(shape, 10 + dim);
      const n = shape.reduce((a: number, b: number) => a * b, 1);
      const u = new Float32Array(n * dim);
      const lambda = 3;
      const r0 = residualNorm(delta, g, u, lambda, shape);
      let prev = r0;
      for (let c = 0; c < 8; c++) {
        if (dim === 2) vCycle2d(3, 2, delta, null, g, null, lambda, u, shape as readonly [number, number]);
        else vCycle3d(3, 2, delta, null, g, null, lambda, u, shape as readonly [number, number, number]);
        const rc = residualNorm(delta, g, u, lambda, shape);
        expect(rc).toBeLessThan(prev);
        prev = rc;
      }
      expect(prev).toBeLessThan(2e-2 * r0);
    });
  }

  it('throws typed errors for bad arguments', () => {
    const shape = [4, 4] as const;
    const { delta, g } = problem(shape, 1);
    const u = new Float32Array(32);
    expect(() => vCycle2d(-1, 2, delta, null, g, null, 1, u, shape)).toThrow(InvalidArgumentError);
    expect(() => vCycle2d(1, 1.5, delta, null, g, null, 1, u, shape)).toThrow(InvalidArgumentError);
    expect(() => vCycle2d(1, 2, delta, null, g, null, 1, new Float32Array(31), shape)).toThrow(ShapeMismatchError);
    expect(() => vCycle3d(1, 2, delta, null, g, null, 1, u, [4, 4] as unknown as [number, number, number])).toThrow(ShapeMismatchError);
  });
});
