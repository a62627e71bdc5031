import { naiveGaussian } from '@diffeo/core/oracles';
import { describe, expect, it } from 'vitest';
import { gaussianFilter, gaussianRadius, gaussianWeights } from './gaussian.js';
import type { Shape2D, Shape3D } from '../types.js';

/** Deterministic pseudo-random float32 data (LCG), values in [0, scale). */
function randomData(n: number, seed: number, scale = 100): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = (s / 4294967296) * scale;
  }
  return a;
}

function expectSameBits(a: Float32Array, b: Float32Array): void {
  expect(a.length).toBe(b.length);
  let bad = 0;
  let first = -1;
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) {
      bad++;
      if (first < 0) first = i;
    }
  }
  expect(bad, bad ? `first mismatch at ${first}: ${a[first]} vs ${b[first]}` : '').toBe(0);
}

describe('gaussianWeights', () => {
  it('uses radius trunc(4σ + 0.5)', () => {
    expect(gaussianRadius(0.12)).toBe(0);
    expect(gaussianRadius(0.2)).toBe(1);
    expect(gaussianRadius(0.6)).toBe(2);
    expect(gaussianRadius(1.4)).toBe(6);
    expect(gaussianRadius(4)).toBe(16);
    expect(gaussianWeights(1.4).length).toBe(7);
  });
  it('is a normalised sampled Gaussian', () => {
    for (const s of [0.2, 0.6, 1, 1.4, 2, 4, 7.3]) {
      const w = gaussianWeights(s);
      let sum = w[0];
      for (let j = 1; j < w.length; j++) sum += 2 * w[j];
      expect(Math.abs(sum - 1)).toBeLessThan(1e-14);
      for (let j = 1; j < w.length; j++) {
        expect(w[j] / w[0]).toBeCloseTo(Math.exp((-j * j) / (2 * s * s)), 14);
      }
    }
  });
  it('is the identity kernel [1] when the radius is 0', () => {
    expect(Array.from(gaussianWeights(0.1))).toEqual([1]);
  });
});

describe('gaussianFilter', () => {
  it('is the identity for σ = 0, tiny or negative sigmas', () => {
    const shape: Shape2D = [7, 9];
    const x = randomData(63, 1);
    for (const sigma of [[0, 0], [1e-16, 0], [-0.5, 1e-15], [0.1, 0.05]]) {
      const out = new Float32Array(63).fill(-1);
      gaussianFilter(out, x, shape, 1, sigma);
      expectSameBits(out, x);
      const inPlace = Float32Array.from(x);
      gaussianFilter(inPlace, inPlace, shape, 1, sigma);
      expectSameBits(inPlace, x);
    }
  });

  it('matches the naive oracle in 2D (isotropic, anisotropic, single axis)', () => {
    const shape: Shape2D = [23, 31];
    const x = randomData(23 * 31, 7);
    for (const sigma of [[0.2, 0.2], [0.6, 0.6], [1.4, 1.4], [0.0667, 0.2], [2, 0.5], [0, 3], [4, 0]]) {
      const out = new Float32Array(x.length);
      gaussianFilter(out, x, shape, 1, sigma);
      expectSameBits(out, naiveGaussian(x, shape, 1, sigma));
    }
  });

  it('matches the naive oracle in 3D, also in place', () => {
    const shape: Shape3D = [9, 11, 13];
    const x = randomData(9 * 11 * 13, 11);
    for (const sigma of [[0.6, 0.6, 0.44], [1.4, 0.2, 2.5], [0, 1, 0], [3, 0, 0]]) {
      const expected = naiveGaussian(x, shape, 1, sigma);
      const out = new Float32Array(x.length);
      gaussianFilter(out, x, shape, 1, sigma);
      expectSameBits(out, expected);
      const inPlace = Float32Array.from(x);
      gaussianFilter(inPlace, inPlace, shape, 1, sigma);
      expectSameBits(inPlace, expected);
    }
  });

  it('filters in place through a ring of 2r+1 rows on axes longer than the kernel', () => {
    // axes longer than 2r+1 (ring smaller than the axis), exactly 2r+1 + 1, and shorter (whole axis kept)
    const cases: [Shape2D | Shape3D, number, number[]][] = [
      [[40, 37, 5], 3, [1.4, 2, 0.6]],
      [[12, 11, 4], 1, [1.2, 1.2, 0]],
      [[50, 9], 2, [2, 1]],
      [[7, 30], 1, [2.5, 0.3]],
      // rows longer than one column block of the in-place pass (2048 values): full and partial blocks
      [[20, 41, 53], 1, [1.5, 0.7, 0]],
      [[14, 30, 30], 3, [1.1, 0, 0.5]],
    ];
    for (const [shape, ncomp, sigma] of cases) {
      const n = shape.reduce((p: number, v: number) => p * v, 1) * ncomp;
      const x = randomData(n, 17);
      const expected = naiveGaussian(x, shape, ncomp, sigma);
      const inPlace = Float32Array.from(x);
      gaussianFilter(inPlace, inPlace, shape, ncomp, sigma);
      expectSameBits(inPlace, expected);
    }
  });

  it('smooths interleaved components independently', () => {
    const shape2: Shape2D = [12, 10];
    const shape3: Shape3D = [5, 6, 7];
    for (const [shape, ncomp] of [[shape2, 2], [shape3, 3]] as const) {
      const nvox = shape.reduce((p: number, v: number) => p * v, 1);
      const x = randomData(nvox * ncomp, 3);
      const sigma = shape.length === 2 ? [1.2, 2.0] : [0.9, 1.7, 0.6];
      const out = new Float32Array(x.length);
      gaussianFilter(out, x, shape, ncomp, sigma);
      expectSameBits(out, naiveGaussian(x, shape, ncomp, sigma));
      // component c alone gives the same numbers
      for (let c = 0; c < ncomp; c++) {
        const xc = new Float32Array(nvox);
        for (let v = 0; v < nvox; v++) xc[v] = x[v * ncomp + c];
        const oc = new Float32Array(nvox);
        gaussianFilter(oc, xc, shape, 1, sigma);
        for (let v = 0; v < nvox; v++) expect(out[v * ncomp + c]).toBe(oc[v]);
      }
    }
  });

  it('reflects repeatedly when the kernel is longer than the line', () => {
    // radius 16 on lines of 1, 2 and 3 samples
    for (const shape of [[1, 3], [3, 1], [2, 3], [3, 2, 1]] as (Shape2D | Shape3D)[]) {
      const n = shape.reduce((p, v) => p * v, 1);
      const x = randomData(n, 5);
      const sigma = shape.map(() => 4);
      const out = new Float32Array(n);
      gaussianFilter(out, x, shape, 1, sigma);
      expectSameBits(out, naiveGaussian(x, shape, 1, sigma));
    }
  });

  it('preserves the sum of an interior blob and a constant image', () => {
    const shape: Shape2D = [64, 64];
    const x = new Float32Array(64 * 64);
    for (let i = 24; i < 40; i++) for (let j = 20; j < 44; j++) x[i * 64 + j] = 1 + ((i * 7 + j * 3) % 5);
    const out = new Float32Array(x.length);
    gaussianFilter(out, x, shape, 1, [1.5, 2.5]); // radius 6 and 10: support stays inside
    let s0 = 0, s1 = 0;
    for (let i = 0; i < x.length; i++) {
      s0 += x[i];
      s1 += out[i];
    }
    expect(Math.abs(s1 - s0) / s0).toBeLessThan(1e-6);
    const c = new Float32Array(64 * 64).fill(3.25);
    gaussianFilter(c, c, shape, 1, [2, 3]);
    for (let i = 0; i < c.length; i++) expect(Math.abs(c[i] - 3.25)).toBeLessThan(1e-6);
  });

  it('reproduces scipy.ndimage.gaussian_filter (SciPy 1.10.1, float32 input)', () => {
    // Values printed by scipy.ndimage.gaussian_filter(x, sigma) for float32 x.
    const x = Float32Array.from([1, 2, 3, 4, 5, 7]);
    const cases: [number[], number[]][] = [
      [[4, 4], [3.666486978530884, 3.666653633117676, 3.666822671890259, 3.6665115356445312, 3.666677951812744, 3.6668472290039062]],
      [[0.7, 1.3], [2.309560537338257, 2.747148275375366, 3.190251588821411, 4.038188457489014, 4.578002452850342, 5.1368489265441895]],
      [[0, 2.5], [1.9675265550613403, 2.0, 2.03247332572937, 5.2846245765686035, 5.3333306312561035, 5.382044792175293]],
    ];
    for (const [sigma, expected] of cases) {
      const out = new Float32Array(6);
      gaussianFilter(out, x, [2, 3], 1, sigma);
      expect(Array.from(out)).toEqual(expected);
    }
    const z = Float32Array.from([0, 7, 3, 10, 6, 2, 9, 5, 1, 8, 4, 0, 7, 3, 10, 6, 2, 9, 5, 1, 8, 4, 0, 7]);
    const zExpected = [4.974053382873535, 5.054365634918213, 5.167997360229492, 5.248291969299316, 4.671552658081055,
      4.703599452972412, 4.748889446258545, 4.780876159667969, 4.121123790740967, 4.108670711517334, 4.090999603271484,
      4.078429698944092, 5.627582550048828, 5.640865325927734, 5.6595458984375, 5.672781944274902, 5.047828197479248,
      5.033742904663086, 5.01381254196167, 4.999698638916016, 4.696875095367432, 4.662830352783203, 4.6147894859313965,
      4.58079719543457];
    const zo = new Float32Array(24);
    gaussianFilter(zo, z, [2, 3, 4], 1, [0.5, 1.0, 3.0]);
    expect(Array.from(zo)).toEqual(zExpected);
  });
});
