import { mulberry32, randomFloat32 } from '@diffeo/core/oracles';
import { describe, expect, it } from 'vitest';
import {
  DiffeoError,
  DimensionError,
  EmptyImageError,
  ImageTooSmallError,
  InvalidAffineError,
  InvalidArgumentError,
  NonFiniteError,
  ShapeMismatchError,
  createContext,
  tsKernels,
  type Kernels,
} from '@diffeo/core';
import { ScaleSpace } from '@diffeo/pyramid';

/** Independent oracle of scipy's gaussian_filter: plain sampled kernel, explicit reflect indexing, float32 per axis. */
function naiveGaussian(input: Float32Array, shape: readonly number[], sigma: ArrayLike<number>): Float32Array {
  const d = shape.length;
  const strides: number[] = new Array<number>(d);
  let st = 1;
  for (let k = d - 1; k >= 0; k--) {
    strides[k] = st;
    st *= shape[k];
  }
  const reflect = (i: number, n: number): number => {
    let j = i;
    while (j < 0 || j >= n) j = j < 0 ? -j - 1 : 2 * n - 1 - j;
    return j;
  };
  let cur = Float32Array.from(input);
  for (let k = 0; k < d; k++) {
    const s = sigma[k];
    if (!(s > 1e-15)) continue;
    const r = Math.trunc(4 * s + 0.5);
    const g: number[] = [];
    let sum = 0;
    for (let j = -r; j <= r; j++) {
      g.push(Math.exp((-0.5 * j * j) / (s * s)));
      sum += g[g.length - 1];
    }
    const w = g.slice(r).map((v) => v / sum); // w[j], j = 0..r
    const next = new Float32Array(cur.length);
    for (let v = 0; v < cur.length; v++) {
      const i = Math.floor(v / strides[k]) % shape[k];
      const base = v - i * strides[k];
      let acc = cur[v] * w[0];
      for (let j = r; j >= 1; j--) {
        acc += (cur[base + reflect(i - j, shape[k]) * strides[k]] + cur[base + reflect(i + j, shape[k]) * strides[k]]) * w[j];
      }
      next[v] = acc;
    }
    cur = next;
  }
  return cur;
}

/** Min-max normalisation in float32 arithmetic, as NumPy on float32 arrays. */
function minMaxF32(a: Float32Array): Float32Array {
  let mn = Infinity, mx = -Infinity;
  for (const v of a) {
    mn = Math.min(mn, v);
    mx = Math.max(mx, v);
  }
  const range = Math.fround(mx - mn);
  return a.map((v) => Math.fround(Math.fround(v - mn) / range));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('ScaleSpace geometry', () => {
  it('isotropic 1 mm, 256², 4 levels: sigmas 0, 0.2, 0.6, 1.4; scalings 1, 2, 4, 8', () => {
    const ss = new ScaleSpace({ image: randomFloat32(mulberry32(1), 256 * 256, 0, 100), shape: [256, 256], numLevels: 4 });
    expect(ss.dim).toBe(2);
    expect(ss.numLevels).toBe(4);
    const sig = [0, 0.2, 0.6, 1.4];
    for (let i = 0; i < 4; i++) {
      const f = 2 ** i;
      expect(ss.getDomainShape(i)).toEqual([256 / f, 256 / f]);
      expect(Array.from(ss.getScaling(i))).toEqual([f, f]);
      expect(Array.from(ss.getSpacing(i))).toEqual([f, f]);
      for (const s of ss.getSigmas(i)) expect(s).toBeCloseTo(sig[i], 14);
      if (i === 0) {
        expect(ss.getAffine(0)).toBeNull();
        expect(ss.getAffineInv(0)).toBeNull();
      } else {
        expect(Array.from(ss.getAffine(i)!)).toEqual([f, 0, 0, 0, f, 0, 0, 0, 1]);
        expect(Array.from(ss.getAffineInv(i)!)).toEqual([1 / f, 0, 0, 0, 1 / f, 0, 0, 0, 1]);
      }
      expect(ss.getImage(i).length).toBe(256 * 256); // never sub-sampled
    }
    for (let i = 0; i < 3; i++) expect(Array.from(ss.getExpandFactors(i + 1, i))).toEqual([0.5, 0.5]);
  });

  it('anisotropic spacing (1.5, 1.0), shape (45, 50)', () => {
    const ss = new ScaleSpace({ image: randomFloat32(mulberry32(2), 45 * 50, 0, 100), shape: [45, 50], spacing: [1.5, 1.0], numLevels: 4 });
    expect(ss.getDomainShape(1)).toEqual([34, 25]);
    const sc1 = ss.getScaling(1);
    expect(sc1[0]).toBeCloseTo(4 / 3, 14);
    expect(sc1[1]).toBe(2);
    expect(Array.from(ss.getSpacing(1))).toEqual([2, 2]);
    const s1 = ss.getSigmas(1);
    expect(s1[0]).toBeCloseTo(0.2 / 3, 14);
    expect(s1[1]).toBeCloseTo(0.2, 14);
    expect(ss.getDomainShape(3)).toEqual([8, 6]);
    const s3 = ss.getSigmas(3);
    expect(s3[0]).toBeCloseTo(0.2 * (16 / 3 - 1), 14);
    expect(s3[1]).toBeCloseTo(1.4, 14);
    const e = ss.getExpandFactors(1, 0);
    expect(e[0]).toBeCloseTo(0.75, 14);
    expect(e[1]).toBe(0.5);
    // without an affine the coarse affine is diag(scaling, 1)
    const a1 = ss.getAffine(1)!;
    expect(a1[0]).toBeCloseTo(4 / 3, 14);
    expect(a1[4]).toBe(2);
  });

  it('3D: spacing from the affine (float32 column norms), affine = g2w·diag(scaling, 1)', () => {
    // columns of norm 1.1, 2 and 3 with a rotation about axis 0 and a translation
    const c = Math.cos(0.3), s = Math.sin(0.3);
    const g2w = [
      [1.1, 0, 0, 10],
      [0, 2 * c, -3 * s, -5],
      [0, 2 * s, 3 * c, 7],
      [0, 0, 0, 1],
    ];
    const shape = [20, 16, 12] as const;
    const ss = new ScaleSpace({ image: randomFloat32(mulberry32(3), 20 * 16 * 12, 0, 100), shape, gridToWorld: g2w, numLevels: 3 });
    expect(ss.dim).toBe(3);
    const sp0 = ss.getSpacing(0);
    expect(sp0[0]).toBe(Math.fround(1.1));
    expect(sp0[1]).toBeCloseTo(2, 6);
    expect(sp0[2]).toBeCloseTo(3, 6);
    const smin = sp0[0];
    for (let i = 1; i < 3; i++) {
      const sc = ss.getScaling(i);
      const sp = ss.getSpacing(i);
      const sh = ss.getDomainShape(i);
      for (let k = 0; k < 3; k++) {
        expect(sc[k]).toBeCloseTo((2 ** i * smin) / sp0[k], 12);
        expect(sp[k]).toBeCloseTo(2 ** i * smin, 12);
        expect(sh[k]).toBe(Math.floor(shape[k] * (sp0[k] / sp[k]) + 0.5));
      }
      const a = ss.getAffine(i)!;
      const inv = ss.getAffineInv(i)!;
      for (let r = 0; r < 4; r++) {
        for (let col = 0; col < 4; col++) {
          const expected = col < 3 ? g2w[r][col] * sc[col] : g2w[r][col];
          expect(a[r * 4 + col]).toBeCloseTo(expected, 12);
          let p = 0; // (inv · a)[r, col]
          for (let m = 0; m < 4; m++) p += inv[r * 4 + m] * a[m * 4 + col];
          expect(p).toBeCloseTo(r === col ? 1 : 0, 12);
        }
      }
    }
  });

  it('scaling below 1 on a coarse axis gives a negative sigma (no smoothing along it), as DIPY', () => {
    const ss = new ScaleSpace({ image: randomFloat32(mulberry32(4), 40 * 4, 0, 100), shape: [40, 4], spacing: [1, 10], numLevels: 2 });
    expect(ss.getScaling(1)[1]).toBeCloseTo(0.2, 14);
    expect(ss.getSigmas(1)[1]).toBeCloseTo(-0.16, 14);
    expect(ss.getDomainShape(1)).toEqual([20, 20]);
  });
});

describe('ScaleSpace images', () => {
  it('level 0 is the float32 min-max normalisation of the input; levels ≥ 1 of its Gaussian (2D)', () => {
    const shape = [37, 29] as const;
    const x = randomFloat32(mulberry32(5), 37 * 29, -120, -120 + 500);
    const ss = new ScaleSpace({ image: x, shape, numLevels: 4 });
    expect(Array.from(ss.getImage(0))).toEqual(Array.from(minMaxF32(x)));
    for (let i = 1; i < 4; i++) {
      const expected = minMaxF32(naiveGaussian(x, shape, ss.getSigmas(i)));
      expect(maxAbsDiff(ss.getImage(i), expected)).toBeLessThanOrEqual(1e-6);
      let lo = Infinity, hi = -Infinity;
      for (const v of ss.getImage(i)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      expect(lo).toBe(0);
      expect(hi).toBe(1);
    }
  });

  it('3D anisotropic levels match the oracle', () => {
    const shape = [14, 12, 10] as const;
    const x = randomFloat32(mulberry32(6), 14 * 12 * 10, 0, 100);
    const ss = new ScaleSpace({ image: x, shape, spacing: [2, 2, 2.5], numLevels: 3 });
    for (let i = 1; i < 3; i++) {
      const expected = minMaxF32(naiveGaussian(x, shape, ss.getSigmas(i)));
      expect(maxAbsDiff(ss.getImage(i), expected)).toBeLessThanOrEqual(1e-6);
    }
  });

  it('mask0 keeps the zero voxels of the input at zero on every level', () => {
    const shape = [30, 30] as const;
    const x = randomFloat32(mulberry32(7), 900, 1, 1 + 10);
    for (let i = 0; i < 900; i++) if (i % 7 === 0) x[i] = 0;
    const plain = new ScaleSpace({ image: x, shape, numLevels: 3 });
    const masked = new ScaleSpace({ image: x, shape, numLevels: 3, mask0: true });
    for (let l = 0; l < 3; l++) {
      const a = plain.getImage(l), b = masked.getImage(l);
      for (let i = 0; i < 900; i++) expect(b[i]).toBe(x[i] > 0 ? a[i] : 0);
    }
  });

  it('converts non-float32 input to float32 first', () => {
    const x64 = Float64Array.from(randomFloat32(mulberry32(8), 100, 0, 100), (v) => v + 1e-9);
    const a = new ScaleSpace({ image: x64, shape: [10, 10], numLevels: 2 });
    const b = new ScaleSpace({ image: Float32Array.from(x64), shape: [10, 10], numLevels: 2 });
    expect(Array.from(a.getImage(1))).toEqual(Array.from(b.getImage(1)));
  });

  it('runs the Gaussian through the given kernel context', () => {
    let calls = 0;
    const spy: Kernels['gaussianFilter'] = (...args) => {
      calls++;
      tsKernels.gaussianFilter(...args);
    };
    const context = createContext({ name: 'spy', priority: 1, kernels: { gaussianFilter: spy } });
    new ScaleSpace({ image: randomFloat32(mulberry32(9), 64, 0, 100), shape: [8, 8], numLevels: 3, context });
    expect(calls).toBe(2);
  });
});

describe('ScaleSpace lazy levels and release', () => {
  const shape = [26, 23, 9] as const;
  const n = 26 * 23 * 9;

  it('builds lazily the same images as eagerly, with the input untouched, in any order', () => {
    const x = randomFloat32(mulberry32(21), n, -7, -7 + 50);
    const before = Float32Array.from(x);
    const eager = new ScaleSpace({ image: x, shape, numLevels: 3, mask0: true });
    for (const order of [[2, 1, 0], [0, 2, 1], [1, 0, 2]]) {
      const lazy = new ScaleSpace({ image: x, shape, numLevels: 3, mask0: true, lazy: true });
      for (const l of order) expect(lazy.getImage(l)).toEqual(eager.getImage(l));
      expect(lazy.getLevel(1).image).toBe(lazy.getImage(1));
    }
    expect(x).toEqual(before);
    // oracle for the values themselves (level 0 exactly, level 2 up to the oracle's own rounding)
    const mask = x.map((v) => (v > 0 ? 1 : 0));
    expect(Array.from(eager.getImage(0))).toEqual(Array.from(minMaxF32(x)).map((v, i) => (mask[i] ? v : 0)));
  });

  it('throws a NOT_READY DiffeoError for a released level, keeps its geometry, and builds the others unchanged', () => {
    const x = randomFloat32(mulberry32(22), n, 0, 100);
    const eager = new ScaleSpace({ image: x, shape, numLevels: 3 });
    const lazy = new ScaleSpace({ image: x, shape, numLevels: 3, lazy: true });
    const wanted = [0, 1, 2].map((l) => Float32Array.from(eager.getImage(l)));
    expect(lazy.getImage(2)).toEqual(wanted[2]);
    lazy.release(2);
    lazy.release(2); // twice is harmless
    expect(lazy.isReleased(2)).toBe(true);
    expect(lazy.isReleased(1)).toBe(false);
    expect(() => lazy.getImage(2)).toThrow(DiffeoError);
    expect(() => lazy.getLevel(2)).toThrow(/level 2 of the input scale space was released/);
    try { lazy.getImage(2); } catch (e) { expect((e as DiffeoError).code).toBe('NOT_READY'); }
    expect(lazy.getDomainShape(2)).toEqual(eager.getDomainShape(2));
    expect(lazy.getSigmas(2)).toEqual(eager.getSigmas(2));
    // the next levels (which may reuse the released array) are unchanged
    expect(lazy.getImage(1)).toEqual(wanted[1]);
    lazy.release(1);
    expect(lazy.getImage(0)).toEqual(wanted[0]);
    // releasing a level never built means it is never built
    const other = new ScaleSpace({ image: x, shape, numLevels: 3, lazy: true, name: 'moving' });
    other.release(0);
    expect(other.getImage(1)).toEqual(wanted[1]);
    expect(() => other.getImage(0)).toThrow(/moving scale space was released/);
    expect(() => other.release(3)).toThrow(InvalidArgumentError);
  });

  it('normalises the input in place as level 0 only when allowed (reuseInput) and built last', () => {
    const x = randomFloat32(mulberry32(23), n, 2, 2 + 30);
    const eager = new ScaleSpace({ image: x, shape, numLevels: 2 });
    const level0 = Float32Array.from(eager.getImage(0));
    const level1 = Float32Array.from(eager.getImage(1));
    // built last: the input array becomes level 0
    const mine = Float32Array.from(x);
    const a = new ScaleSpace({ image: mine, shape, numLevels: 2, lazy: true, reuseInput: true });
    expect(a.getImage(1)).toEqual(level1);
    expect(a.getImage(0)).toBe(mine);
    expect(mine).toEqual(level0);
    // level 0 first: the input is still needed for level 1, so it is copied
    const mine2 = Float32Array.from(x);
    const b = new ScaleSpace({ image: mine2, shape, numLevels: 2, lazy: true, reuseInput: true });
    expect(b.getImage(0)).toEqual(level0);
    expect(mine2).toEqual(x);
    expect(b.getImage(1)).toEqual(level1);
    // eager construction with reuseInput gives the same images
    const mine3 = Float32Array.from(x);
    const c = new ScaleSpace({ image: mine3, shape, numLevels: 2, reuseInput: true });
    expect(c.getImage(0)).toEqual(level0);
    expect(c.getImage(1)).toEqual(level1);
  });

  it('computeImage writes the level images into a given buffer without keeping them', () => {
    const x = randomFloat32(mulberry32(24), n, -3, -3 + 10);
    const eager = new ScaleSpace({ image: x, shape, numLevels: 3, mask0: true });
    const lazy = new ScaleSpace({ image: x, shape, numLevels: 3, mask0: true, lazy: true });
    const big = new Float32Array(3 * n).fill(NaN);
    for (const l of [2, 0, 1]) {
      const out = big.subarray(n, 2 * n); // a view inside a larger buffer
      lazy.computeImage(l, out);
      expect(out).toEqual(eager.getImage(l));
      eager.computeImage(l, big.subarray(0, n)); // a built level is copied
      expect(big.subarray(0, n)).toEqual(eager.getImage(l));
    }
    expect(lazy.isReleased(0)).toBe(false);
    expect(() => lazy.computeImage(0, new Float32Array(n - 1))).toThrow(ShapeMismatchError);
    lazy.release(1);
    expect(() => lazy.computeImage(1, new Float32Array(n))).toThrow(/was released/);
    lazy.release(0);
    lazy.release(2);
    // every level released: the input is gone
    expect(() => lazy.getImage(0)).toThrow(DiffeoError);
  });

  it('rejects a constant input at construction, also when lazy', () => {
    expect(() => new ScaleSpace({ image: new Float32Array(100).fill(2), shape: [10, 10], numLevels: 3, lazy: true, name: 'static' }))
      .toThrow(/static image is constant/);
  });
});

describe('ScaleSpace errors', () => {
  const img = randomFloat32(mulberry32(10), 100, 0, 100);
  it('rejects a constant image with EmptyImageError', () => {
    expect(() => new ScaleSpace({ image: new Float32Array(100).fill(3), shape: [10, 10], numLevels: 2 })).toThrow(EmptyImageError);
    expect(() => new ScaleSpace({ image: new Float32Array(100).fill(3), shape: [10, 10], numLevels: 2 })).toThrow(/constant/);
    expect(() => new ScaleSpace({ image: new Float32Array(100).fill(3), shape: [10, 10], numLevels: 2, name: 'static' })).toThrow(/static image is constant/);
  });
  it('rejects invalid levels', () => {
    const ss = new ScaleSpace({ image: img, shape: [10, 10], numLevels: 2 });
    for (const bad of [-1, 2, 0.5, Number.NaN]) {
      expect(() => ss.getImage(bad)).toThrow(InvalidArgumentError);
      expect(() => ss.getExpandFactors(bad, 0)).toThrow(InvalidArgumentError);
    }
  });
  it('rejects bad arguments', () => {
    expect(() => new ScaleSpace({ image: img, shape: [100] as unknown as [number, number], numLevels: 1 })).toThrow(DimensionError);
    expect(() => new ScaleSpace({ image: img, shape: [10, 11], numLevels: 1 })).toThrow(ShapeMismatchError);
    expect(() => new ScaleSpace({ image: img, shape: [10, 10], numLevels: 0 })).toThrow(InvalidArgumentError);
    expect(() => new ScaleSpace({ image: img, shape: [10, 10], numLevels: 2, sigmaFactor: -1 })).toThrow(InvalidArgumentError);
    expect(() => new ScaleSpace({ image: img, shape: [10, 10], numLevels: 2, spacing: [1] })).toThrow(ShapeMismatchError);
    expect(() => new ScaleSpace({ image: img, shape: [10, 10], numLevels: 2, spacing: [1, 0] })).toThrow(InvalidArgumentError);
    expect(() => new ScaleSpace({ image: img, shape: [10, 10], numLevels: 2, gridToWorld: [1, 0, 0, 0, 0, 0, 0, 0, 1] })).toThrow(InvalidAffineError);
    const nan = img.slice();
    nan[5] = Number.NaN;
    expect(() => new ScaleSpace({ image: nan, shape: [10, 10], numLevels: 2 })).toThrow(NonFiniteError);
    // finite voxels whose range max − min overflows float32: the normalised image would hold NaN (∞/∞)
    const wide = img.slice();
    wide[3] = -3e38;
    wide[7] = 3e38;
    expect(() => new ScaleSpace({ image: wide, shape: [10, 10], numLevels: 2 })).toThrow(NonFiniteError);
    expect(() => new ScaleSpace({ image: wide, shape: [10, 10], numLevels: 2 })).toThrow(/range max − min overflows float32/);
    expect(() => new ScaleSpace({ image: new Float32Array(0), shape: [0, 10], numLevels: 1 })).toThrow(EmptyImageError);
    // 10 voxels at level 5 (scaling 32): int(10/32 + 0.5) = 0
    expect(() => new ScaleSpace({ image: img, shape: [10, 10], numLevels: 6 })).toThrow(ImageTooSmallError);
  });
});
