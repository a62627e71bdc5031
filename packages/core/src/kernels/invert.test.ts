/**
 * Tests of the fixed-point inversion kernels (docs/algorithm.md §2.2): analytic fields
 * (constant translations, DIPY's harmonic test field of §2.8) and a slow,
 * straightforward oracle written from the spec (separate composition, norm and
 * update passes, generic in the dimension). The DIPY fixtures are checked by the
 * reference runner (tools/reference, cases unit_invert_2d / unit_invert_3d).
 */
import { naiveInvert } from '@diffeo/core/oracles';
import { describe, expect, it } from 'vitest';
import { invertAffine, mulAffine, tsKernels, type InversionResult } from '@diffeo/core';

const { invert2d, invert3d, compose2d, compose3d } = tsKernels;
const f32 = Math.fround;

/** Number of positions where two arrays differ (+0 and −0 count as equal). */
function mismatches(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

/** DIPY's create_harmonic_fields_2d (§2.8): the field and its analytic inverse, float32. */
function harmonic2d(nr: number, nc: number, b: number, m: number): { d: Float32Array; inv: Float32Array } {
  const d = new Float32Array(nr * nc * 2), inv = new Float32Array(nr * nc * 2);
  for (let i = 0; i < nr; i++) for (let j = 0; j < nc; j++) {
    const ii = i - Math.floor(nr / 2), jj = j - Math.floor(nc / 2);
    const th = Math.atan2(ii, jj);
    const o = (i * nc + j) * 2;
    const f = 1 / (1 + b * Math.cos(m * th)) - 1;
    d[o] = ii * f; d[o + 1] = jj * f;
    const g = b * Math.cos(m * th);
    inv[o] = ii * g; inv[o + 1] = jj * g;
  }
  return { d, inv };
}

/** 3D harmonic field (§2.8): component 0 along slices, θ = atan2(ii, jj). */
function harmonic3d(ns: number, nr: number, nc: number, b: number, m: number): Float32Array {
  const d = new Float32Array(ns * nr * nc * 3);
  let o = 0;
  for (let k = 0; k < ns; k++) for (let i = 0; i < nr; i++) for (let j = 0; j < nc; j++, o += 3) {
    const kk = k - Math.floor(ns / 2), ii = i - Math.floor(nr / 2), jj = j - Math.floor(nc / 2);
    const f = 1 / (1 + b * Math.cos(m * Math.atan2(ii, jj))) - 1;
    d[o] = kk * f; d[o + 1] = ii * f; d[o + 2] = jj * f;
  }
  return d;
}

/** In place `field[i] = f32(M_linear · field[i])` (§2.6). */
function reorient(field: Float32Array, M: Float64Array, dim: number): void {
  const n = dim + 1;
  for (let o = 0; o < field.length; o += dim) {
    const v = Array.from(field.subarray(o, o + dim));
    for (let r = 0; r < dim; r++) {
      let s = 0;
      for (let c = 0; c < dim; c++) s += M[r * n + c] * v[c];
      field[o + r] = s;
    }
  }
}

function expectResultEqual(a: InversionResult, b: InversionResult): void {
  expect(a.iterations).toBe(b.iterations);
  if (Number.isNaN(b.error)) expect(a.error).toBeNaN(); else expect(a.error).toBe(b.error);
  if (Number.isNaN(b.maxResidual)) expect(a.maxResidual).toBeNaN(); else expect(a.maxResidual).toBe(b.maxResidual);
}

describe('invert2d', () => {
  it('inverts DIPY\'s harmonic test field under rotated/scaled grids to a small residual', () => {
    // port of DIPY's test_invert_vector_field_2d (64², b = 0.2, m = 8, 40 iterations, tol 1e-7)
    const nr = 64, nc = 64, tr = 2.5;
    const trans = new Float64Array([1, 0, -tr * nr, 0, 1, -tr * nc, 0, 0, 1]);
    const transInv = invertAffine(trans);
    const { d } = harmonic2d(nr, nc, 0.2, 8);
    for (const theta of [-Math.PI / 5, 0, Math.PI / 5]) {
      for (const s of [0.5, 1, 2]) {
        const ct = Math.cos(theta), st = Math.sin(theta);
        const rot = new Float64Array([ct, -st, 0, st, ct, 0, 0, 0, 1]);
        const scale = new Float64Array([s, 0, 0, 0, s, 0, 0, 0, 1]);
        const g2w = mulAffine(transInv, mulAffine(scale, mulAffine(rot, trans))) as Float64Array;
        const w2g = invertAffine(g2w) as Float64Array;
        const field = d.slice();
        reorient(field, g2w, 2);
        const inv = new Float32Array(field.length);
        const res = invert2d(inv, field, [nr, nc], w2g, [s, s], 40, 1e-7, new Float32Array(field.length));
        expect(res.iterations).toBeGreaterThan(0);
        // DiffeomorphicMap.compute_inversion_error: compose(backward, forward, None, w2g, 1)
        const stats = compose2d(new Float32Array(field.length), inv, [nr, nc], field, [nr, nc], null, w2g, 1);
        expect(Math.abs(stats[1])).toBeLessThan(1.5e-4);
        expect(Math.abs(stats[2])).toBeLessThan(1.5e-4);
      }
    }
  });

  it('approaches the analytic inverse of the harmonic field in the interior', () => {
    const n = 64;
    const { d, inv: exact } = harmonic2d(n, n, 0.1, 4);
    const inv = new Float32Array(d.length);
    invert2d(inv, d, [n, n], null, [1, 1], 50, 1e-6, new Float32Array(d.length));
    let worst = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      if (Math.hypot(i - n / 2, j - n / 2) > 24) continue;
      const o = (i * n + j) * 2;
      worst = Math.max(worst, Math.abs(inv[o] - exact[o]), Math.abs(inv[o + 1] - exact[o + 1]));
    }
    // bilinear sampling of a smooth field: the discrete fixed point is within a few 1e-2 voxel
    expect(worst).toBeLessThan(0.05);
  });

  it('one iteration on a constant translation is the clamped 0.75 step (0.5625·c), 0 on the last row/column', () => {
    const nr = 12, nc = 15;
    const c = [0.6, -0.35];
    const d = new Float32Array(nr * nc * 2);
    for (let v = 0; v < nr * nc; v++) { d[2 * v] = c[0]; d[2 * v + 1] = c[1]; }
    const inv = new Float32Array(d.length);
    const res = invert2d(inv, d, [nr, nc], null, [1, 1], 1, 1e-3, new Float32Array(d.length));
    expect(res.iterations).toBe(1);
    expect(res.maxResidual).toBeCloseTo(Math.hypot(f32(c[0]), f32(c[1])), 12);
    for (let i = 0; i < nr; i++) for (let j = 0; j < nc; j++) {
      const o = (i * nc + j) * 2;
      const inside = i < nr - 1 && j < nc - 1; // residual at p = 0 is d itself, 0 where not inside
      for (let k = 0; k < 2; k++) {
        if (inside) expect(inv[o + k]).toBeCloseTo(-0.5625 * c[k], 6);
        else expect(inv[o + k]).toBe(0);
      }
    }
  });

  it('inverts a constant world translation in the interior (anisotropic spacing)', () => {
    const nr = 30, nc = 26;
    const c = [1.3, -0.7]; // world units; spacing (2, 0.5) → grid displacement (0.65, −1.4)
    const w2g = new Float64Array([0.5, 0, 3, 0, 2, -1, 0, 0, 1]);
    const d = new Float32Array(nr * nc * 2);
    for (let v = 0; v < nr * nc; v++) { d[2 * v] = c[0]; d[2 * v + 1] = c[1]; }
    const inv = new Float32Array(d.length);
    invert2d(inv, d, [nr, nc], w2g, [2, 0.5], 60, 1e-9, new Float32Array(d.length));
    for (let i = 3; i < nr - 3; i++) for (let j = 3; j < nc - 3; j++) {
      const o = (i * nc + j) * 2;
      expect(inv[o]).toBeCloseTo(-c[0], 4);
      expect(inv[o + 1]).toBeCloseTo(-c[1], 4);
    }
  });

  it('keeps the start value with maxIter = 0 and uses it as the warm start', () => {
    const n = 20;
    const { d } = harmonic2d(n, n, 0.15, 3);
    const start = d.map((x) => -0.8 * x);
    const inv = start.slice();
    const res = invert2d(inv, d, [n, n], null, [1, 1], 0, 1e-3, new Float32Array(d.length));
    expect(res.iterations).toBe(0);
    expect(mismatches(inv, start)).toBe(0);
  });

  it('matches the naive oracle bit for bit (general affine, anisotropic spacing, warm and cold starts)', () => {
    const nr = 33, nc = 29;
    const { d: base } = harmonic2d(nr, nc, 0.25, 5);
    const g2w = new Float64Array([1.45, -0.37, 3, 0.37, 1.45, -2, 0, 0, 1]);
    const w2g = invertAffine(g2w) as Float64Array;
    const d = base.slice();
    reorient(d, g2w, 2);
    const spacing = [Math.hypot(1.45, 0.37), Math.hypot(0.37, 1.45)];
    const start = d.map((x) => -0.7 * x);
    const cases: Array<[number, number, Float32Array | null]> = [
      [0, 1e-3, null], [1, 1e-3, null], [2, 1e-3, null], [20, 1e-3, null], [50, 1e-3, start], [7, 0.05, start], [30, 1e-7, null],
    ];
    for (const [maxIter, tol, st] of cases) {
      const inv = st ? st.slice() : new Float32Array(d.length);
      const res = invert2d(inv, d, [nr, nc], w2g, spacing, maxIter, tol, new Float32Array(d.length));
      const ref = naiveInvert(d, [nr, nc], w2g, spacing, maxIter, tol, st);
      expect(mismatches(inv, ref.p)).toBe(0);
      expectResultEqual(res, ref.result);
    }
  });
});

describe('invert3d', () => {
  it('stops after one iteration once the max residual is ≤ 0.1 voxel (2D does not)', () => {
    const s: [number, number, number] = [6, 7, 8];
    const n = 6 * 7 * 8;
    const d = new Float32Array(n * 3);
    for (let v = 0; v < n; v++) { d[3 * v] = 0.08; d[3 * v + 1] = 0; d[3 * v + 2] = 0; }
    const inv = new Float32Array(d.length);
    const res = invert3d(inv, d, s, null, [1, 1, 1], 20, 1e-9, new Float32Array(d.length));
    expect(res.iterations).toBe(1);
    expect(res.maxResidual).toBeCloseTo(0.08, 7);

    const d2 = new Float32Array(7 * 8 * 2);
    for (let v = 0; v < 56; v++) d2[2 * v] = 0.08;
    const res2 = invert2d(new Float32Array(d2.length), d2, [7, 8], null, [1, 1], 20, 1e-9, new Float32Array(d2.length));
    expect(res2.iterations).toBeGreaterThan(1);
  });

  it('inverts a 3D harmonic field to a small residual (world grid with anisotropic spacing)', () => {
    const s: [number, number, number] = [24, 28, 28];
    const field = harmonic3d(24, 28, 28, 0.1, 4);
    const g2w = new Float64Array([1.5, 0, 0, 2, 0, 1, 0, -1, 0, 0, 2, 0.5, 0, 0, 0, 1]);
    const w2g = invertAffine(g2w) as Float64Array;
    reorient(field, g2w, 3);
    const inv = new Float32Array(field.length);
    invert3d(inv, field, s, w2g, [1.5, 1, 2], 40, 1e-7, new Float32Array(field.length));
    const stats = compose3d(new Float32Array(field.length), inv, s, field, s, null, w2g, 1);
    expect(stats[1]).toBeLessThan(1.5e-2);
  });

  it('inverts a constant translation in the interior, to within the 0.1-voxel stop', () => {
    const s: [number, number, number] = [12, 14, 13];
    const n = 12 * 14 * 13;
    const c = [-0.9, 1.4, 0.45];
    const d = new Float32Array(n * 3);
    for (let v = 0; v < n; v++) for (let k = 0; k < 3; k++) d[3 * v + k] = c[k];
    const inv = new Float32Array(d.length);
    const res = invert3d(inv, d, s, null, [1, 1, 1], 60, 1e-9, new Float32Array(d.length));
    // 3D stops as soon as the largest residual is ≤ 0.1 voxel; in the interior the
    // residual is p + c, and the last update only shrinks it further.
    expect(res.iterations).toBeLessThan(60);
    expect(res.maxResidual).toBeLessThanOrEqual(0.1);
    for (let k = 3; k < 9; k++) for (let i = 3; i < 11; i++) for (let j = 3; j < 10; j++) {
      const o = ((k * 14 + i) * 13 + j) * 3;
      expect(Math.hypot(inv[o] + c[0], inv[o + 1] + c[1], inv[o + 2] + c[2])).toBeLessThan(0.1);
    }
  });

  it('matches the naive oracle bit for bit (general affine, anisotropic spacing, warm and cold starts)', () => {
    const shape = [11, 13, 12];
    const field = harmonic3d(11, 13, 12, 0.2, 3);
    const g2w = new Float64Array([1.46, 0.18, 0.37, 1, -0.15, 1.48, -0.24, -2, -0.3, 0.15, 1.95, 3, 0, 0, 0, 1]);
    const w2g = invertAffine(g2w) as Float64Array;
    reorient(field, g2w, 3);
    const spacing = [1.5, 1.5, 2];
    const start = field.map((x) => -0.6 * x);
    const cases: Array<[number, number, Float32Array | null]> = [
      [0, 1e-3, null], [1, 1e-3, null], [3, 1e-3, null], [20, 1e-3, null], [20, 1e-3, start], [25, 1e-8, null],
    ];
    for (const [maxIter, tol, st] of cases) {
      const inv = st ? st.slice() : new Float32Array(field.length);
      const res = invert3d(inv, field, [11, 13, 12], w2g, spacing, maxIter, tol, new Float32Array(field.length));
      const ref = naiveInvert(field, shape, w2g, spacing, maxIter, tol, st);
      expect(mismatches(inv, ref.p)).toBe(0);
      expectResultEqual(res, ref.result);
    }
  });
});
