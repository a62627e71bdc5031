/**
 * Oracle tests of the EM kernels: the quantisation against its definition (bins of
 * equal width over the positive range, class 0 for values ≤ 0, the one-class path),
 * the class statistics against a double-precision two-pass evaluation, and the EM
 * demons step against its closed form. Bit-exactness with DIPY 1.6 itself is checked
 * by the reference runner (`unit_em_kernels`).
 */
import { emClassFieldsNaive, emCombineNaive, mulberry32, positiveMaskNaive, sumSquaresFloat32Naive } from '@diffeo/core/oracles';
import { describe, expect, it } from 'vitest';
import { tsKernels } from '@diffeo/core';

function image(n: number, r: () => number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r() < 0.15 ? (r() < 0.5 ? 0 : -r()) : 0.2 + 3 * r();
  return a;
}

describe('quantizePositive', () => {
  for (const q of [2, 3, 17, 256]) {
    it(`puts every positive value in its equal-width bin (${q} levels) and counts the classes`, () => {
      const r = mulberry32(q);
      const n = 700;
      const img = image(n, r);
      const out = new Int32Array(n);
      const levels = new Float32Array(q);
      const hist = new Int32Array(q);
      tsKernels.quantizePositive(out, levels, hist, img, q);
      const pos = Array.from(img).filter((v) => v > 0);
      const lo = Math.min(...pos);
      const hi = Math.max(...pos);
      const width = (hi - lo + 1e-8) / (q - 1);
      const expectHist = new Array<number>(q).fill(0);
      for (let i = 0; i < n; i++) {
        const v = img[i];
        let c = 0;
        if (v > 0) c = q === 2 ? 1 : 1 + Math.min(q - 2, Math.floor((v - lo) / width));
        expect(out[i]).toBe(c);
        expectHist[c]++;
      }
      expect(Array.from(hist)).toEqual(expectHist);
      expect(levels[0]).toBe(0);
      if (q === 2) expect(levels[1]).toBeCloseTo((lo + hi) / 2, 5);
      else for (let c = 1; c < q; c++) expect(levels[c]).toBeCloseTo(lo + (c - 0.5) * width, 4);
    });
  }

  it('takes the one-class path for a single positive value, and overwrites stale outputs', () => {
    const img = Float32Array.from([0, 2, 2, -1, 2]);
    const out = new Int32Array(5).fill(7);
    const levels = new Float32Array(4).fill(9);
    const hist = new Int32Array(4).fill(9);
    tsKernels.quantizePositive(out, levels, hist, img, 4);
    expect(Array.from(out)).toEqual([0, 1, 1, 0, 1]);
    expect(Array.from(hist)).toEqual([2, 3, 0, 0]);
    expect(Array.from(levels)).toEqual([0, 2, 0, 0]);
  });
});

describe('maskedClassStats', () => {
  it('matches a double-precision two-pass mean and variance per masked class', () => {
    const r = mulberry32(11);
    const n = 900;
    const q = 9;
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) labels[i] = Math.floor(r() * (q - 2)); // classes q-2, q-1 stay empty
    labels[5] = q - 2; // a class of one voxel
    const mask = new Int32Array(n);
    for (let i = 0; i < n; i++) mask[i] = r() < 0.7 ? 1 : 0;
    mask[5] = 1;
    const img = new Float32Array(n);
    for (let i = 0; i < n; i++) img[i] = 10 * r();
    const means = new Float32Array(q);
    const variances = new Float32Array(q);
    const counts = new Int32Array(q);
    tsKernels.maskedClassStats(means, variances, counts, mask, img, labels, q);
    for (let c = 0; c < q; c++) {
      const vals: number[] = [];
      for (let i = 0; i < n; i++) if (mask[i] && labels[i] === c) vals.push(img[i]);
      expect(counts[c]).toBe(vals.length);
      const m = vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : 0;
      expect(means[c]).toBeCloseTo(m, 4);
      if (vals.length < 2) expect(variances[c]).toBe(Infinity);
      else {
        const v = vals.reduce((a, b) => a + (b - m) ** 2, 0) / vals.length;
        expect(Math.abs(variances[c] - v) / v).toBeLessThan(1e-4);
      }
    }
  });
});

describe('maskedClassStats with a uint8 mask', () => {
  it('gives the same bits as with the int32 mask of the same voxels', () => {
    const r = mulberry32(12);
    const n = 500;
    const q = 7;
    const labels = new Int32Array(n).map(() => Math.floor(r() * q));
    const m32 = new Int32Array(n).map(() => (r() < 0.6 ? 1 : 0));
    const m8 = Uint8Array.from(m32);
    const img = new Float32Array(n).map(() => 5 * r());
    const a = [new Float32Array(q), new Float32Array(q), new Int32Array(q)] as const;
    const b = [new Float32Array(q), new Float32Array(q), new Int32Array(q)] as const;
    tsKernels.maskedClassStats(a[0], a[1], a[2], m32, img, labels, q);
    tsKernels.maskedClassStats(b[0], b[1], b[2], m8, img, labels, q);
    expect(b.map((x) => Array.from(x))).toEqual(a.map((x) => Array.from(x)));
  });
});

describe('emClassFields, addFloat32, subtractFloat32', () => {
  it('look the class tables up per voxel, as the naive oracle', () => {
    const r = mulberry32(13);
    const q = 11;
    const n = 301;
    const labels = new Int32Array(n).map(() => Math.floor(r() * q));
    const cm = new Float32Array(q).map(() => 3 * r());
    const cv = new Float32Array(q).map(() => (r() < 0.2 ? Infinity : r()));
    const means = new Float32Array(n).fill(NaN);
    const sig = new Float32Array(n).fill(NaN);
    tsKernels.emClassFields(means, sig, labels, cm, cv);
    const [wm, ws] = emClassFieldsNaive(labels, cm, cv);
    expect(Array.from(means)).toEqual(Array.from(wm));
    expect(Array.from(sig)).toEqual(Array.from(ws));
  });
  it('may write the variances over the labels (sigmaSq sharing their memory)', () => {
    const r = mulberry32(15);
    const q = 5;
    const n = 64;
    const sig = new Float32Array(n);
    const labels = new Int32Array(sig.buffer);
    for (let i = 0; i < n; i++) labels[i] = Math.floor(r() * q);
    const cm = new Float32Array(q).map(() => r());
    const cv = new Float32Array(q).map(() => r());
    const [wm, ws] = emClassFieldsNaive(labels.slice(), cm, cv);
    const means = new Float32Array(n);
    tsKernels.emClassFields(means, sig, labels, cm, cv);
    expect(Array.from(means)).toEqual(Array.from(wm));
    expect(Array.from(sig)).toEqual(Array.from(ws));
  });
  it('round the sum and the difference once to float32 (also in place), as the naive oracle', () => {
    const r = mulberry32(14);
    const n = 257;
    const a = new Float32Array(n).map(() => 1e3 * (r() - 0.5));
    const b = new Float32Array(n).map(() => 1e-3 * (r() - 0.5));
    const sum = new Float32Array(n);
    tsKernels.addFloat32(sum, a, b);
    expect(Array.from(sum)).toEqual(Array.from(emCombineNaive(a, b, 1)));
    const diff = b.slice();
    tsKernels.subtractFloat32(diff, a, diff);
    expect(Array.from(diff)).toEqual(Array.from(emCombineNaive(a, b, -1)));
    // rounding actually happens: some sums differ from the double sum
    expect(Array.from(sum).some((v, i) => v !== a[i] + b[i])).toBe(true);
  });
});

describe('positiveMask', () => {
  it('is 1 exactly where the value is > 0 (0 for zeros, negatives, NaN), as the naive oracle', () => {
    const img = Float32Array.from([0, -0, 1e-30, -1e-30, NaN, Infinity, -Infinity, 3, -2]);
    const out = new Uint8Array(img.length).fill(7);
    tsKernels.positiveMask(out, img);
    expect(Array.from(out)).toEqual(Array.from(positiveMaskNaive(img)));
    expect(Array.from(out)).toEqual([0, 0, 1, 0, 0, 1, 0, 1, 0]);
  });
});

describe('sumSquaresFloat32', () => {
  it('sums the float32 squares in double, as the naive oracle (not the double squares)', () => {
    const r = mulberry32(16);
    const a = new Float32Array(333).map(() => 10 * (r() - 0.5));
    const e = tsKernels.sumSquaresFloat32(a);
    expect(e).toBe(sumSquaresFloat32Naive(a));
    expect(e).not.toBe(Array.from(a).reduce((s, v) => s + v * v, 0));
  });
});

describe('emDemonsStep2d/3d', () => {
  for (const dim of [2, 3] as const) {
    it(`${dim}D: σx²·δ·g/(σx²|g|² + σ²), δ·g/|g|² for σ² = 0, zero for σ² = ∞ or σ² = |g|² = 0; energy Σδ²`, () => {
      const r = mulberry32(dim);
      const shape = dim === 2 ? ([9, 11] as [number, number]) : ([4, 5, 6] as [number, number, number]);
      const n = shape.reduce((a, b) => a * b, 1);
      const delta = new Float32Array(n).map(() => 2 * r() - 1);
      const sigma = new Float32Array(n).map(() => {
        const u = r();
        return u < 0.1 ? Infinity : u < 0.2 ? 0 : 0.5 * r();
      });
      const grad = new Float32Array(n * dim).map(() => (r() < 0.1 ? 0 : 2 * r() - 1));
      for (let k = 0; k < dim; k++) grad[k] = 0; // voxel 0: zero gradient
      sigma[0] = 0;
      const out = new Float32Array(n * dim).fill(NaN);
      const sx = 1.3;
      const e = dim === 2
        ? tsKernels.emDemonsStep2d(out, delta, sigma, grad, shape as [number, number], sx)
        : tsKernels.emDemonsStep3d(out, delta, sigma, grad, shape as [number, number, number], sx);
      let energy = 0;
      for (let p = 0; p < n; p++) {
        const d = delta[p];
        energy += d * d;
        let g2 = 0;
        for (let k = 0; k < dim; k++) g2 += grad[p * dim + k] ** 2;
        for (let k = 0; k < dim; k++) {
          const g = grad[p * dim + k];
          let want: number;
          if (!Number.isFinite(sigma[p])) want = 0;
          else if (sigma[p] === 0) want = g2 === 0 ? 0 : (d * g) / g2;
          else want = (sx * d * g) / (sx * g2 + sigma[p]);
          expect(out[p * dim + k]).toBeCloseTo(want, 5);
        }
      }
      expect(e).toBeCloseTo(energy, 10);
    });
  }
});
