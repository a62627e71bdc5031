/**
 * Tests of the local cross-correlation kernels (docs/algorithm.md §5.2), ported from
 * DIPY's `test_crosscorr.py`: the fast factor schemes against the direct
 * window-sum oracle (`naive/cc.ts`, on the `@diffeo/core/oracles` subpath), and the forward/backward steps and the
 * energy against their closed forms written independently here. The DIPY
 * fixtures themselves are checked by the reference runner (tools/reference,
 * case unit_cc_kernels).
 */
import { ccFactorsNaive2d, ccFactorsNaive3d, mulberry32 } from '@diffeo/core/oracles';
import { describe, expect, it } from 'vitest';
import { tsKernels } from '@diffeo/core';
import type { Shape2D, Shape3D } from '@diffeo/core';

const { ccFactors2d, ccFactors3d, ccForwardStep2d, ccBackwardStep2d, ccForwardStep3d, ccBackwardStep3d } = tsKernels;
const f32 = Math.fround;

/** Largest `|a − b| / max(1, |b|)`. */
function maxScaledDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i]));
    if (!(d <= m)) m = d; // NaN propagates as a failure
  }
  return m;
}

/** DIPY's test images: `a = arange(n)/max(a)`, `b` the same values reversed (float32 arithmetic). */
function rampPair(n: number): { a: Float32Array; b: Float32Array } {
  const a = new Float32Array(n);
  const b = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a[i] = f32(i / (n - 1));
    b[i] = f32((n - 1 - i) / (n - 1));
  }
  return { a, b };
}

function smoothRandom(n: number, seed: number, flatAbove?: number): Float32Array {
  const r = mulberry32(seed);
  const out = new Float32Array(n);
  let prev = r();
  for (let i = 0; i < n; i++) {
    prev = 0.7 * prev + 0.3 * r();
    out[i] = flatAbove !== undefined && prev > flatAbove ? flatAbove : prev;
  }
  return out;
}

describe('ccFactors2d / ccFactors3d vs direct window sums', () => {
  for (const radius of [0, 1, 3, 6]) {
    it(`2D ramp images 20×20, radius ${radius} (DIPY test_cc_factors_2d)`, () => {
      const shape: Shape2D = [20, 20];
      const { a, b } = rampPair(400);
      const fast = new Float32Array(400 * 5).fill(NaN);
      const slow = new Float32Array(400 * 5);
      ccFactors2d(fast, a, b, shape, radius);
      ccFactorsNaive2d(slow, a, b, shape, radius);
      expect(maxScaledDiff(fast, slow)).toBeLessThan(1e-6);
    });
    it(`3D ramp volumes 20×20×20, radius ${radius} (DIPY test_cc_factors_3d)`, () => {
      const shape: Shape3D = [20, 20, 20];
      const n = 8000;
      const { a, b } = rampPair(n);
      const fast = new Float32Array(n * 5).fill(NaN);
      const slow = new Float32Array(n * 5);
      ccFactors3d(fast, a, b, shape, radius);
      ccFactorsNaive3d(slow, a, b, shape, radius);
      expect(maxScaledDiff(fast, slow)).toBeLessThan(1e-5);
    });
  }

  // Uneven shapes exercise every border case of the ring indexing and the
  // bulk fast path of the 3D scheme; flat regions give zero variances.
  const shapes3: Array<[Shape3D, number]> = [[[13, 17, 23], 2], [[9, 12, 30], 4], [[25, 11, 7], 3], [[5, 6, 7], 0]];
  for (const [shape, radius] of shapes3) {
    it(`3D smooth random ${shape.join('×')}, radius ${radius}`, () => {
      const n = shape[0] * shape[1] * shape[2];
      const a = smoothRandom(n, 11);
      const b = smoothRandom(n, 12, 0.6);
      const fast = new Float32Array(n * 5).fill(NaN);
      const slow = new Float32Array(n * 5);
      ccFactors3d(fast, a, b, shape, radius);
      ccFactorsNaive3d(slow, a, b, shape, radius);
      expect(maxScaledDiff(fast, slow)).toBeLessThan(1e-5);
    });
  }
  const shapes2: Array<[Shape2D, number]> = [[[31, 17], 4], [[9, 40], 4], [[15, 15], 7], [[3, 5], 1]];
  for (const [shape, radius] of shapes2) {
    it(`2D smooth random ${shape.join('×')}, radius ${radius}`, () => {
      const n = shape[0] * shape[1];
      const a = smoothRandom(n, 21);
      const b = smoothRandom(n, 22, 0.6);
      const fast = new Float32Array(n * 5).fill(NaN);
      const slow = new Float32Array(n * 5);
      ccFactors2d(fast, a, b, shape, radius);
      ccFactorsNaive2d(slow, a, b, shape, radius);
      expect(maxScaledDiff(fast, slow)).toBeLessThan(1e-6);
    });
  }

  it('identical images give F0 = F1 and F2 = F3 = F4 exactly', () => {
    const shape: Shape3D = [11, 12, 13];
    const n = 11 * 12 * 13;
    const a = smoothRandom(n, 5);
    const F = new Float32Array(n * 5);
    ccFactors3d(F, a, a, shape, 2);
    for (let p = 0; p < n; p++) {
      expect(F[5 * p]).toBe(F[5 * p + 1]);
      expect(F[5 * p + 2]).toBe(F[5 * p + 3]);
      expect(F[5 * p + 3]).toBe(F[5 * p + 4]);
    }
  });
});

/**
 * DIPY's test_compute_cc_steps: quadratic images `F = ½‖x − c_f‖²`,
 * `G = ½‖x − c_g‖²` with their exact gradients, plus 10 % noise; the steps must
 * equal `∓2·F2/(F3·F4)·(…)·∇` from the factors, with a zero band of width r.
 */
function quadraticPair(shape: readonly number[], seed: number) {
  const d = shape.length;
  const n = shape.reduce((x, y) => x * y, 1);
  const cf = shape.map((s) => s / 2 + 1.25);
  const cg = cf.map((v) => v + 2.5);
  const r = mulberry32(seed);
  const gradF = new Float32Array(n * d);
  const gradG = new Float32Array(n * d);
  const idx = new Array<number>(d).fill(0);
  for (let p = 0; p < n; p++) {
    let rem = p;
    for (let k = d - 1; k >= 0; k--) { idx[k] = rem % shape[k]; rem = Math.floor(rem / shape[k]); }
    for (let k = 0; k < d; k++) {
      gradF[p * d + k] = idx[k] - cf[k];
      gradG[p * d + k] = idx[k] - cg[k];
    }
  }
  const maxF = gradF.reduce((m, v) => Math.max(m, v), -Infinity);
  const maxG = gradG.reduce((m, v) => Math.max(m, v), -Infinity);
  for (let i = 0; i < n * d; i++) {
    gradF[i] = f32(gradF[i] + f32(r() * maxF * 0.1));
    gradG[i] = f32(gradG[i] + f32(r() * maxG * 0.1));
  }
  const F = new Float32Array(n);
  const G = new Float32Array(n);
  for (let p = 0; p < n; p++) {
    let sf = 0;
    let sg = 0;
    for (let k = 0; k < d; k++) { sf += gradF[p * d + k] ** 2; sg += gradG[p * d + k] ** 2; }
    F[p] = 0.5 * sf;
    G[p] = 0.5 * sg;
  }
  const fMax = F.reduce((m, v) => Math.max(m, v), -Infinity);
  const gMax = G.reduce((m, v) => Math.max(m, v), -Infinity);
  for (let p = 0; p < n; p++) {
    F[p] = f32(F[p] + f32(r() * fMax * 0.1));
    G[p] = f32(G[p] + f32(r() * gMax * 0.1));
  }
  return { F, G, gradF, gradG, n, d };
}

/** Closed forms of the steps and the energy, from the factors, written out directly. */
function expectedSteps(factors: Float32Array, gradF: Float32Array, gradG: Float32Array, shape: readonly number[], radius: number) {
  const d = shape.length;
  const n = shape.reduce((x, y) => x * y, 1);
  const fw = new Float64Array(n * d);
  const bw = new Float64Array(n * d);
  let energy = 0;
  const idx = new Array<number>(d).fill(0);
  for (let p = 0; p < n; p++) {
    let rem = p;
    for (let k = d - 1; k >= 0; k--) { idx[k] = rem % shape[k]; rem = Math.floor(rem / shape[k]); }
    if (idx.some((v, k) => v < radius || v > shape[k] - 1 - radius)) continue;
    const [I, J, sfm, sff, smm] = Array.from(factors.subarray(5 * p, 5 * p + 5));
    if (sff === 0 || smm === 0) continue;
    const cc = sff * smm > 1e-5 ? (sfm * sfm) / (sff * smm) : 0;
    if (cc < 1) energy -= cc;
    const fwFactor = ((-2 * sfm) / (sff * smm)) * (J - (sfm / sff) * I);
    const bwFactor = ((-2 * sfm) / (sff * smm)) * (I - (sfm / smm) * J);
    for (let k = 0; k < d; k++) {
      fw[p * d + k] = fwFactor * gradF[p * d + k];
      bw[p * d + k] = bwFactor * gradG[p * d + k];
    }
  }
  return { fw, bw, energy };
}

function inBand(p: number, shape: readonly number[], radius: number): boolean {
  let rem = p;
  for (let k = shape.length - 1; k >= 0; k--) {
    const v = rem % shape[k];
    rem = Math.floor(rem / shape[k]);
    if (v < radius || v > shape[k] - 1 - radius) return true;
  }
  return false;
}

describe('CC steps vs closed forms (DIPY test_compute_cc_steps_2d/3d)', () => {
  it('2D, 32×32, radius 0..4', () => {
    const shape: Shape2D = [32, 32];
    const { F, G, gradF, gradG, n } = quadraticPair(shape, 1147572);
    const factors = new Float32Array(n * 5);
    ccFactors2d(factors, F, G, shape, 2);
    for (let radius = 0; radius <= 4; radius++) {
      const exp = expectedSteps(factors, gradF, gradG, shape, radius);
      const fw = new Float32Array(n * 2).fill(NaN);
      const bw = new Float32Array(n * 2).fill(NaN);
      const ef = ccForwardStep2d(fw, gradF, factors, shape, radius);
      const eb = ccBackwardStep2d(bw, gradG, factors, shape, radius);
      expect(maxScaledDiff(fw, exp.fw)).toBeLessThan(1e-6);
      expect(maxScaledDiff(bw, exp.bw)).toBeLessThan(1e-6);
      expect(ef).toBeCloseTo(exp.energy, 9);
      expect(eb).toBe(ef);
      expect(ef).toBeLessThan(0);
      for (let p = 0; p < n; p++) {
        if (inBand(p, shape, radius)) {
          expect(fw[2 * p]).toBe(0); expect(fw[2 * p + 1]).toBe(0);
          expect(bw[2 * p]).toBe(0); expect(bw[2 * p + 1]).toBe(0);
        }
      }
    }
  });

  it('3D, 32×32×32, radius 0..4', () => {
    const shape: Shape3D = [32, 32, 32];
    const { F, G, gradF, gradG, n } = quadraticPair(shape, 1147572);
    const factors = new Float32Array(n * 5);
    ccFactors3d(factors, F, G, shape, 2);
    for (let radius = 0; radius <= 4; radius++) {
      const exp = expectedSteps(factors, gradF, gradG, shape, radius);
      const fw = new Float32Array(n * 3).fill(NaN);
      const bw = new Float32Array(n * 3).fill(NaN);
      const ef = ccForwardStep3d(fw, gradF, factors, shape, radius);
      const eb = ccBackwardStep3d(bw, gradG, factors, shape, radius);
      expect(maxScaledDiff(fw, exp.fw)).toBeLessThan(1e-6);
      expect(maxScaledDiff(bw, exp.bw)).toBeLessThan(1e-6);
      expect(ef).toBeCloseTo(exp.energy, 8);
      expect(eb).toBe(ef);
      let bandNonZero = 0;
      for (let p = 0; p < n; p++) {
        if (inBand(p, shape, radius)) {
          for (let k = 0; k < 3; k++) if (fw[3 * p + k] !== 0 || bw[3 * p + k] !== 0) bandNonZero++;
        }
      }
      expect(bandNonZero).toBe(0);
    }
  });

  it('voxels with a zero variance get a zero step and no energy', () => {
    const shape: Shape2D = [12, 12];
    const n = 144;
    const a = smoothRandom(n, 3);
    const b = new Float32Array(n).fill(0.5); // constant moving image: F4 = 0 everywhere
    const factors = new Float32Array(n * 5);
    ccFactors2d(factors, a, b, shape, 2);
    const grad = new Float32Array(n * 2).fill(1);
    const out = new Float32Array(n * 2).fill(NaN);
    expect(ccForwardStep2d(out, grad, factors, shape, 2)).toBe(0);
    expect(Array.from(out).every((v) => v === 0)).toBe(true);
  });
});

describe('ccFactors3dStream and ccEnergy3d (slab by slab)', () => {
  function volume(shape: Shape3D, seed: number): Float32Array {
    const next = mulberry32(seed);
    const n = shape[0] * shape[1] * shape[2];
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = Math.fround(next() * 10 + Math.sin(i / 7));
    return a;
  }
  it.each([
    { shape: [12, 9, 10] as Shape3D, radius: 1, slab: 2 },
    { shape: [12, 9, 10] as Shape3D, radius: 2, slab: 5 },
    { shape: [17, 8, 11] as Shape3D, radius: 3, slab: 3 },
  ])('gives the whole-grid factors and energy bit for bit (shape $shape, radius $radius, slabs of $slab)', ({ shape, radius, slab }) => {
    const [ns, nr, nc] = shape;
    const plane = nr * nc;
    const st = volume(shape, 3);
    const mv = volume(shape, 4);
    const whole = new Float32Array(ns * plane * 5);
    tsKernels.ccFactors3d(whole, st, mv, shape, radius);
    const grad = new Float32Array(ns * plane * 3).fill(1);
    const wantEnergy = tsKernels.ccForwardStep3d(new Float32Array(ns * plane * 3), grad, whole, shape, radius);
    // slabs of output slices [z0, z1): iterations up to z1 + radius complete them
    const state = new Float64Array(2 * plane * 5);
    const got = new Float32Array(ns * plane * 5);
    const buf = new Float32Array(slab * plane * 5);
    let next = 0;
    let energy = 0;
    for (let z0 = 0; z0 < ns; z0 += slab) {
      const z1 = Math.min(ns, z0 + slab);
      const sTo = Math.min(ns + radius, z1 + radius);
      buf.fill(NaN);
      tsKernels.ccFactors3dStream(buf, z0, st, mv, shape, radius, state, next, sTo);
      next = sTo;
      got.set(buf.subarray(0, (z1 - z0) * plane * 5), z0 * plane * 5);
      energy = tsKernels.ccEnergy3d(buf, z0, shape, radius, z0, z1, energy);
    }
    expect(next).toBe(ns + radius);
    expect(Array.from(got)).toEqual(Array.from(whole));
    expect(energy).toBe(wantEnergy);
  });
});
