/**
 * Tests of the composition kernels (docs/algorithm.md §2.1) against analytic results and
 * against a slow, straightforward oracle written directly from the spec (generic
 * in the dimension, per-corner bounds checks, explicit matrix-vector loops).
 * The DIPY fixtures themselves are checked by the reference runner
 * (tools/reference, cases unit_compose_2d / unit_compose_3d).
 */
import { mulberry32, naiveCompose, randomFloat32 } from '@diffeo/core/oracles';
import { describe, expect, it } from 'vitest';
import { tsKernels, type ComposeStats } from '@diffeo/core';

const { compose2d, compose3d } = tsKernels;
const f32 = Math.fround;

/** A random (d+1)×(d+1) affine: identity-ish linear part plus noise, and a translation. */
function randomAffine(dim: number, seed: number, noise: number, shift: number): Float64Array {
  const r = mulberry32(seed);
  const n = dim + 1;
  const m = new Float64Array(n * n);
  for (let a = 0; a < dim; a++) {
    for (let b = 0; b < dim; b++) m[a * n + b] = (a === b ? 1 : 0) + noise * (2 * r() - 1);
    m[a * n + dim] = shift * (2 * r() - 1);
  }
  m[n * n - 1] = 1;
  return m;
}

/** Number of positions where two arrays differ (+0 and −0 count as equal). */
function mismatches(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) n++;
  return n;
}

function expectStatsEqual(a: ComposeStats, b: ComposeStats): void {
  for (let k = 0; k < 3; k++) {
    if (Number.isNaN(b[k])) expect(a[k]).toBeNaN();
    else expect(a[k]).toBe(b[k]);
  }
}

describe('compose2d', () => {
  it('matches the naive oracle bit for bit with general affines on different grids', () => {
    const s1: [number, number] = [23, 31], s2: [number, number] = [27, 19];
    for (let seed = 1; seed <= 4; seed++) {
      const d1 = randomFloat32(mulberry32(seed), s1[0] * s1[1] * 2, -4, 4);
      const d2 = randomFloat32(mulberry32(100 + seed), s2[0] * s2[1] * 2, -3, 3);
      const A = randomAffine(2, 200 + seed, 0.3, 3);
      const B = randomAffine(2, 300 + seed, 0.4, 5);
      for (const [a, b, t] of [[A, B, 0.7], [null, B, 2.5], [A, null, 0.25], [null, null, 1]] as const) {
        const out = new Float32Array(d1.length);
        const stats = compose2d(out, d1, s1, d2, s2, a, b, t);
        const ref = naiveCompose(d1, [...s1], d2, [...s2], a, b, t);
        expect(mismatches(out, ref.out)).toBe(0);
        expectStatsEqual(stats, ref.stats);
      }
    }
  });

  it('applies the strict inside rule: a point exactly on the last row or column gives 0', () => {
    // integer displacements land exactly on grid points, including n−1 and 0
    const s: [number, number] = [6, 7];
    const d1 = new Float32Array(6 * 7 * 2);
    for (let i = 0; i < 6; i++) for (let j = 0; j < 7; j++) {
      d1[(i * 7 + j) * 2] = (i + j) % 3 - 1;
      d1[(i * 7 + j) * 2 + 1] = (2 * i + j) % 3 - 1;
    }
    const d2 = randomFloat32(mulberry32(9), 6 * 7 * 2, -1, 1);
    const out = new Float32Array(d1.length);
    const stats = compose2d(out, d1, s, d2, s, null, null, 1);
    const ref = naiveCompose(d1, [6, 7], d2, [6, 7], null, null, 1);
    expect(mismatches(out, ref.out)).toBe(0);
    expectStatsEqual(stats, ref.stats);
    for (let i = 0; i < 6; i++) for (let j = 0; j < 7; j++) {
      const o = (i * 7 + j) * 2;
      const p0 = i + d1[o], p1 = j + d1[o + 1];
      if (p0 >= 0 && p0 < 5 && p1 >= 0 && p1 < 6) {
        // exact grid point: the value of d2 there plus d1
        const q = (p0 * 7 + p1) * 2;
        expect(out[o]).toBe(f32(d2[q] + d1[o]));
        expect(out[o + 1]).toBe(f32(d2[q + 1] + d1[o + 1]));
      } else {
        expect(out[o]).toBe(0);
        expect(out[o + 1]).toBe(0);
      }
    }
  });

  it('composing with a zero second field returns d1 where inside and 0 elsewhere', () => {
    const s: [number, number] = [20, 25];
    const d1 = randomFloat32(mulberry32(5), 20 * 25 * 2, -3, 3);
    const zero = new Float32Array(d1.length);
    const out = new Float32Array(d1.length);
    compose2d(out, d1, s, zero, s, null, null, 0.5);
    for (let i = 0; i < 20; i++) for (let j = 0; j < 25; j++) {
      const o = (i * 25 + j) * 2;
      const inside = i + d1[o] >= 0 && i + d1[o] < 19 && j + d1[o + 1] >= 0 && j + d1[o + 1] < 24;
      expect(out[o]).toBe(inside ? d1[o] : 0);
      expect(out[o + 1]).toBe(inside ? d1[o + 1] : 0);
    }
  });

  it('a zero first field samples d2 at the grid points (0 on the last row and column)', () => {
    const s: [number, number] = [9, 11];
    const d2 = randomFloat32(mulberry32(6), 9 * 11 * 2, -2, 2);
    const out = new Float32Array(d2.length);
    compose2d(out, new Float32Array(d2.length), s, d2, s, null, null, 1);
    for (let i = 0; i < 9; i++) for (let j = 0; j < 11; j++) {
      const o = (i * 11 + j) * 2;
      const inside = i < 8 && j < 10;
      expect(out[o]).toBe(inside ? d2[o] : 0);
      expect(out[o + 1]).toBe(inside ? d2[o + 1] : 0);
    }
  });

  it('composes two constant translations into their (time-scaled) sum', () => {
    const s: [number, number] = [20, 30];
    const a = [1.5, -2.25], b = [-0.75, 3.5], t = 0.6;
    // world displacements with spacing (2, 0.5): B = world-to-grid linear part
    const B = new Float64Array([0.5, 0, 7, 0, 2, -3, 0, 0, 1]);
    const d1 = new Float32Array(20 * 30 * 2), d2 = new Float32Array(20 * 30 * 2);
    for (let v = 0; v < 600; v++) { d1[2 * v] = a[0]; d1[2 * v + 1] = a[1]; d2[2 * v] = b[0]; d2[2 * v + 1] = b[1]; }
    const out = new Float32Array(d1.length);
    const stats = compose2d(out, d1, s, d2, s, null, B, t);
    let cnt = 0;
    for (let i = 0; i < 20; i++) for (let j = 0; j < 30; j++) {
      const o = (i * 30 + j) * 2;
      const p0 = i + 0.5 * a[0], p1 = j + 2 * a[1]; // grid position of the target
      const inside = p0 >= 0 && p0 < 19 && p1 >= 0 && p1 < 29;
      if (inside) {
        cnt++;
        expect(out[o]).toBeCloseTo(a[0] + t * b[0], 6);
        expect(out[o + 1]).toBeCloseTo(a[1] + t * b[1], 6);
      } else {
        expect(out[o]).toBe(0);
        expect(out[o + 1]).toBe(0);
      }
    }
    expect(cnt).toBe(19 * 25);
    const norm = Math.hypot(a[0] + t * b[0], a[1] + t * b[1]);
    expect(stats[0]).toBeCloseTo(norm, 5);
    expect(stats[1]).toBeCloseTo(norm, 5);
  });

  it('in place (out = d1) gives the same field and stats as a separate output', () => {
    const s1: [number, number] = [17, 21], s2: [number, number] = [15, 24];
    const d1 = randomFloat32(mulberry32(11), 17 * 21 * 2, -3, 3);
    const d2 = randomFloat32(mulberry32(12), 15 * 24 * 2, -2, 2);
    const A = randomAffine(2, 13, 0.2, 2), B = randomAffine(2, 14, 0.2, 2);
    const sep = new Float32Array(d1.length);
    const s = compose2d(sep, d1, s1, d2, s2, A, B, 0.8);
    const inPlace = d1.slice();
    const sIn = compose2d(inPlace, inPlace, s1, d2, s2, A, B, 0.8);
    expect(mismatches(inPlace, sep)).toBe(0);
    expectStatsEqual(sIn, s);
  });

  it('fields pointing to −1 or n give an all-zero composition and NaN mean/std', () => {
    const s: [number, number] = [8, 10];
    const d2 = randomFloat32(mulberry32(15), 80 * 2, -1, 1);
    for (const target of ['low', 'high'] as const) {
      const d1 = new Float32Array(80 * 2);
      for (let i = 0; i < 8; i++) for (let j = 0; j < 10; j++) {
        const o = (i * 10 + j) * 2;
        if (target === 'low') { d1[o] = -1 - i; d1[o + 1] = 0; } else { d1[o] = 0; d1[o + 1] = 10 - j; }
      }
      const out = new Float32Array(d1.length).fill(7);
      const stats = compose2d(out, d1, s, d2, s, null, null, 1);
      expect(out.every((x) => x === 0)).toBe(true);
      expect(stats[0]).toBe(0);
      expect(stats[1]).toBeNaN();
      expect(stats[2]).toBeNaN();
    }
  });
});

describe('compose3d', () => {
  it('matches the naive oracle bit for bit with general affines on different grids', () => {
    const s1: [number, number, number] = [9, 11, 8], s2: [number, number, number] = [10, 8, 12];
    for (let seed = 1; seed <= 3; seed++) {
      const d1 = randomFloat32(mulberry32(400 + seed), s1[0] * s1[1] * s1[2] * 3, -3, 3);
      const d2 = randomFloat32(mulberry32(500 + seed), s2[0] * s2[1] * s2[2] * 3, -2, 2);
      const A = randomAffine(3, 600 + seed, 0.25, 2);
      const B = randomAffine(3, 700 + seed, 0.3, 4);
      for (const [a, b, t] of [[A, B, 0.6], [null, B, 1.75], [A, null, 0.5], [null, null, 1]] as const) {
        const out = new Float32Array(d1.length);
        const stats = compose3d(out, d1, s1, d2, s2, a, b, t);
        const ref = naiveCompose(d1, [...s1], d2, [...s2], a, b, t);
        expect(mismatches(out, ref.out)).toBe(0);
        expectStatsEqual(stats, ref.stats);
      }
    }
  });

  it('composes two constant translations and zeroes targets outside', () => {
    const s: [number, number, number] = [8, 9, 10];
    const a = [0.5, -1.25, 2], b = [1, 0.25, -0.5], t = 2;
    const n = 8 * 9 * 10;
    const d1 = new Float32Array(n * 3), d2 = new Float32Array(n * 3);
    for (let v = 0; v < n; v++) for (let k = 0; k < 3; k++) { d1[3 * v + k] = a[k]; d2[3 * v + k] = b[k]; }
    const out = new Float32Array(d1.length);
    compose3d(out, d1, s, d2, s, null, null, t);
    for (let k = 0; k < 8; k++) for (let i = 0; i < 9; i++) for (let j = 0; j < 10; j++) {
      const o = ((k * 9 + i) * 10 + j) * 3;
      const inside = k + a[0] >= 0 && k + a[0] < 7 && i + a[1] >= 0 && i + a[1] < 8 && j + a[2] >= 0 && j + a[2] < 9;
      for (let c = 0; c < 3; c++) {
        if (inside) expect(out[o + c]).toBeCloseTo(a[c] + t * b[c], 6);
        else expect(out[o + c]).toBe(0);
      }
    }
  });

  it('in place (out = d1) gives the same field and stats as a separate output', () => {
    const s1: [number, number, number] = [7, 9, 6], s2: [number, number, number] = [8, 7, 9];
    const d1 = randomFloat32(mulberry32(21), 7 * 9 * 6 * 3, -2, 2);
    const d2 = randomFloat32(mulberry32(22), 8 * 7 * 9 * 3, -2, 2);
    const A = randomAffine(3, 23, 0.2, 1), B = randomAffine(3, 24, 0.2, 1);
    const sep = new Float32Array(d1.length);
    const s = compose3d(sep, d1, s1, d2, s2, A, B, 1.3);
    const inPlace = d1.slice();
    const sIn = compose3d(inPlace, inPlace, s1, d2, s2, A, B, 1.3);
    expect(mismatches(inPlace, sep)).toBe(0);
    expectStatsEqual(sIn, s);
  });

  it('fields pointing to −1 or n give an all-zero composition', () => {
    const s: [number, number, number] = [5, 6, 7];
    const n = 5 * 6 * 7;
    const d2 = randomFloat32(mulberry32(25), n * 3, -1, 1);
    for (let axis = 0; axis < 3; axis++) {
      for (const target of ['low', 'high'] as const) {
        const d1 = new Float32Array(n * 3);
        for (let k = 0; k < 5; k++) for (let i = 0; i < 6; i++) for (let j = 0; j < 7; j++) {
          const v = (k * 6 + i) * 7 + j;
          const idx = [k, i, j][axis];
          d1[v * 3 + axis] = target === 'low' ? -1 - idx : s[axis] - idx;
        }
        const out = new Float32Array(d1.length).fill(3);
        const stats = compose3d(out, d1, s, d2, s, null, null, 1);
        expect(out.every((x) => x === 0)).toBe(true);
        expect(stats[1]).toBeNaN();
      }
    }
  });
});
