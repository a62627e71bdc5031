/**
 * Behavioural tests of SSDMetric: zero energy and zero step for identical
 * images, descent directions checked by finite differences against an analytic
 * image pair, and the typed errors for bad options and inputs. Bit-exactness
 * with DIPY is checked by the reference runner (`unit_ssd_kernels`).
 */
import { mulberry32 } from '@diffeo/core/oracles';
import { describe, expect, it } from 'vitest';
import {
  DimensionError,
  ImageTooSmallError,
  InvalidArgumentError,
  NonFiniteError,
  ShapeMismatchError,
  createContext,
  type Dim,
  type MetricInputs,
  type ShapeOf,
} from '@diffeo/core';
import { SSDMetric, ssdMetric, type SSDMetricOptions } from '@diffeo/metrics-ssd';

function identity(dim: Dim): Float64Array {
  const m = new Float64Array((dim + 1) * (dim + 1));
  for (let i = 0; i <= dim; i++) m[i * (dim + 2)] = 1;
  return m;
}

function inputsOf<D extends Dim>(dim: D, shape: ShapeOf<D>, staticImage: Float32Array, moving: Float32Array,
  extra: Partial<MetricInputs<D>> = {}): MetricInputs<D> {
  return {
    dim,
    shape,
    static: staticImage,
    moving,
    gridToWorld: null,
    spacing: new Float64Array(dim).fill(1),
    direction: identity(dim),
    level: 0,
    levelsBelow: 2,
    levelsAbove: 0,
    context: createContext(),
    ...extra,
  };
}

/** Smooth analytic 2D image: two Gaussian blobs, evaluated at a continuous (row, col). */
function blobs2d(r: number, c: number): number {
  return Math.exp(-((r - 20) ** 2 + (c - 18) ** 2) / (2 * 36)) + 0.6 * Math.exp(-((r - 13) ** 2 + (c - 27) ** 2) / (2 * 16));
}

/** Smooth analytic 3D image. */
function blobs3d(s: number, r: number, c: number): number {
  return Math.exp(-((s - 8) ** 2 + (r - 10) ** 2 + (c - 9) ** 2) / (2 * 12)) + 0.5 * Math.exp(-((s - 6) ** 2 + (r - 7) ** 2 + (c - 13) ** 2) / (2 * 6));
}

/**
 * Random smooth displacement field: per component a random constant plus one sinusoid of at
 * most a quarter period across the grid (so mostly a random translation with a smooth bend).
 */
function smoothField(shape: readonly number[], r: () => number): (idx: number[]) => number[] {
  const d = shape.length;
  const terms = Array.from({ length: d }, () => ({
    c: 2 * r() - 1,
    a: 2 * r() - 1,
    w: shape.map((n) => ((2 * r() - 1) * 0.5 * Math.PI) / n),
    phi: 2 * Math.PI * r(),
  }));
  return (idx) => terms.map((t) => t.c + t.a * Math.sin(t.w.reduce((x, w, a) => x + w * idx[a], t.phi)));
}

const voxelsOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function unravel(p: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let a = shape.length - 1; a >= 0; a--) {
    idx[a] = p % shape[a];
    p = Math.floor(p / shape[a]);
  }
  return idx;
}

describe('SSDMetric on identical images', () => {
  for (const stepType of ['demons', 'gaussNewton'] as const) {
    for (const dim of [2, 3] as const) {
      it(`${dim}D ${stepType}: energy 0 and a zero step, both directions`, () => {
        const shape = (dim === 2 ? [24, 21] : [10, 12, 9]) as ShapeOf<typeof dim>;
        const n = voxelsOf(shape);
        const img = new Float32Array(n);
        for (let p = 0; p < n; p++) {
          const i = unravel(p, shape);
          img[p] = dim === 2 ? blobs2d(i[0], i[1]) : blobs3d(i[0], i[1], i[2]);
        }
        const metric = ssdMetric(dim, { stepType, innerIter: 3 });
        const step = metric.prepare(inputsOf(dim, shape, img, Float32Array.from(img)));
        const out = new Float32Array(n * dim).fill(1);
        expect(step.forward(out)).toBe(0);
        expect(out.every((v) => v === 0)).toBe(true);
        out.fill(1);
        expect(step.backward(out)).toBe(0);
        expect(out.every((v) => v === 0)).toBe(true);
        step.dispose();
        step.dispose(); // safe twice
      });
    }
  }
});

describe('SSDMetric steps are descent directions (finite differences)', () => {
  // E(ε) = Σ (fixed(x) − warped(x + ε·v(x)))² with the warped image evaluated analytically.
  // The forward step should move the moving image towards the static one, the backward
  // step the static image towards the moving one: for a random smooth v the sign of
  // <step, v> must be the sign of −dE/dε.
  const cases: { dim: Dim; opts: SSDMetricOptions }[] = [
    { dim: 2, opts: {} },
    { dim: 2, opts: { stepType: 'gaussNewton', smooth: 1, innerIter: 5 } },
    { dim: 3, opts: { smooth: 1 } },
    { dim: 3, opts: { stepType: 'gaussNewton', smooth: 1, innerIter: 5 } },
  ];
  for (const { dim, opts } of cases) {
    it(`${dim}D ${opts.stepType ?? 'demons'}`, () => {
      const shape = (dim === 2 ? [40, 44] : [16, 20, 22]) as readonly number[];
      const shift = dim === 2 ? [0.8, -0.6] : [0.6, -0.5, 0.4];
      const f = (x: number[]) => (dim === 2 ? blobs2d(x[0], x[1]) : blobs3d(x[0], x[1], x[2]));
      const staticFn = (x: number[]) => f(x);
      const movingFn = (x: number[]) => f(x.map((v, a) => v - shift[a]));
      const n = voxelsOf(shape);
      const S = new Float32Array(n);
      const M = new Float32Array(n);
      const idx: number[][] = [];
      for (let p = 0; p < n; p++) {
        idx.push(unravel(p, shape));
        S[p] = staticFn(idx[p]);
        M[p] = movingFn(idx[p]);
      }
      const metric = new SSDMetric(dim, opts);
      const step = metric.prepare(inputsOf(dim, shape as ShapeOf<typeof dim>, S, M));
      const fwd = new Float32Array(n * dim);
      const bwd = new Float32Array(n * dim);
      step.forward(fwd);
      step.backward(bwd);
      // Exact energy gradients (per voxel, w.r.t. the displacement of the warped image):
      // dE/dv(x) = −2·(fixed − warped)(x)·∇warped(x), ∇ by central differences of the analytic image.
      const grad = (fn: (x: number[]) => number, i: number[]) =>
        i.map((_, a) => {
          const hp = i.slice();
          const hm = i.slice();
          hp[a] += 1e-5;
          hm[a] -= 1e-5;
          return (fn(hp) - fn(hm)) / 2e-5;
        });
      const GF = idx.map((i) => grad(movingFn, i).map((g) => -2 * (staticFn(i) - movingFn(i)) * g));
      const GB = idx.map((i) => grad(staticFn, i).map((g) => -2 * (movingFn(i) - staticFn(i)) * g));
      const r = mulberry32(1234 + dim);
      let checked = 0;
      for (let trial = 0; trial < 16; trial++) {
        const vf = smoothField(shape, r);
        const v = idx.map((i) => vf(i));
        const energy = (fixed: (x: number[]) => number, warped: (x: number[]) => number, eps: number) => {
          let e = 0;
          for (let p = 0; p < n; p++) {
            const x = idx[p].map((c, a) => c + eps * v[p][a]);
            const diff = fixed(idx[p]) - warped(x);
            e += diff * diff;
          }
          return e;
        };
        const h = 1e-4;
        const dF = (energy(staticFn, movingFn, h) - energy(staticFn, movingFn, -h)) / (2 * h);
        const dB = (energy(movingFn, staticFn, h) - energy(movingFn, staticFn, -h)) / (2 * h);
        let uf = 0;
        let ub = 0;
        let vv = 0;
        let gf = 0;
        let gb = 0;
        for (let p = 0; p < n; p++) {
          for (let a = 0; a < dim; a++) {
            uf += fwd[p * dim + a] * v[p][a];
            ub += bwd[p * dim + a] * v[p][a];
            vv += v[p][a] ** 2;
            gf += GF[p][a] ** 2;
            gb += GB[p][a] ** 2;
          }
        }
        // The steps are regularised approximations of −∇E, so only directions v with a
        // clear component along ∇E (|cos| > 0.2) are required to agree in sign.
        if (Math.abs(dF) > 0.2 * Math.sqrt(gf * vv)) {
          expect(Math.sign(uf), `forward trial ${trial}: <u,v>=${uf}, dE=${dF}`).toBe(-Math.sign(dF));
          checked++;
        }
        if (Math.abs(dB) > 0.2 * Math.sqrt(gb * vv)) {
          expect(Math.sign(ub), `backward trial ${trial}: <u,v>=${ub}, dE=${dB}`).toBe(-Math.sign(dB));
          checked++;
        }
      }
      expect(checked).toBeGreaterThanOrEqual(6);
      // and the step itself is a descent direction for its own energy
      const along = (u: Float32Array, fixed: (x: number[]) => number, warped: (x: number[]) => number) => {
        const e = (eps: number) => {
          let s = 0;
          for (let p = 0; p < n; p++) {
            const x = idx[p].map((c, a) => c + eps * u[p * dim + a]);
            const diff = fixed(idx[p]) - warped(x);
            s += diff * diff;
          }
          return s;
        };
        return (e(1e-4) - e(-1e-4)) / 2e-4;
      };
      expect(along(fwd, staticFn, movingFn)).toBeLessThan(0);
      expect(along(bwd, movingFn, staticFn)).toBeLessThan(0);
    });
  }
});

describe('SSDMetric energies', () => {
  it('demons energy is Σ(static − moving)² and is the same for both directions', () => {
    const shape = [9, 8] as const;
    const r = mulberry32(7);
    const S = Float32Array.from({ length: 72 }, () => r());
    const M = Float32Array.from({ length: 72 }, () => r());
    let e = 0;
    for (let i = 0; i < 72; i++) {
      const d = Math.fround(S[i] - M[i]);
      e += d * d;
    }
    const step = ssdMetric(2, { smooth: 0 }).prepare(inputsOf(2, shape, S, M));
    const out = new Float32Array(144);
    expect(step.forward(out)).toBe(e);
    expect(step.backward(out)).toBe(e);
  });

  it('Gauss-Newton energy is Σ f32(δ²)', () => {
    const shape = [4, 5, 6] as const;
    const r = mulberry32(8);
    const S = Float32Array.from({ length: 120 }, () => r());
    const M = Float32Array.from({ length: 120 }, () => r());
    let e = 0;
    for (let i = 0; i < 120; i++) {
      const d = Math.fround(S[i] - M[i]);
      e += Math.fround(d * d);
    }
    const step = ssdMetric(3, { stepType: 'gaussNewton', innerIter: 2 }).prepare(inputsOf(3, shape, S, M));
    expect(step.forward(new Float32Array(360))).toBe(e);
  });
});

describe('SSDMetric errors', () => {
  it('rejects dimensions other than 2 and 3', () => {
    expect(() => new SSDMetric(4 as unknown as 2)).toThrow(DimensionError);
    expect(() => ssdMetric(1 as unknown as 3)).toThrow(DimensionError);
  });

  it('rejects unknown step types, listing the valid ones', () => {
    const bad = () => ssdMetric(2, { stepType: 'newton' as unknown as 'demons' });
    expect(bad).toThrow(InvalidArgumentError);
    expect(bad).toThrow(/"demons" and "gaussNewton"/);
    expect(() => ssdMetric(2, { stepType: 'gauss_newton' as unknown as 'demons' })).toThrow(/spelled "gaussNewton"/);
  });

  it('rejects negative or non-finite smooth', () => {
    expect(() => ssdMetric(2, { smooth: -1 })).toThrow(InvalidArgumentError);
    expect(() => ssdMetric(2, { smooth: NaN })).toThrow(NonFiniteError);
    expect(() => ssdMetric(3, { smooth: Infinity })).toThrow(NonFiniteError);
    expect(() => ssdMetric(2, { smooth: '4' as unknown as number })).toThrow(InvalidArgumentError);
  });

  it('rejects non-integer or negative innerIter', () => {
    expect(() => ssdMetric(2, { innerIter: 2.5 })).toThrow(InvalidArgumentError);
    expect(() => ssdMetric(2, { innerIter: -1 })).toThrow(InvalidArgumentError);
    expect(() => ssdMetric(2, { innerIter: 0 })).not.toThrow();
  });

  it('exposes the DIPY defaults', () => {
    const m = ssdMetric(2);
    expect([m.smooth, m.innerIter, m.stepType, m.name, m.mask0]).toEqual([4, 10, 'demons', 'SSD', false]);
  });

  it('checks inputs in prepare and outputs in forward/backward', () => {
    const m = ssdMetric(2);
    const S = new Float32Array(12);
    expect(() => m.prepare(inputsOf(2, [3, 4], S, new Float32Array(11)))).toThrow(ShapeMismatchError);
    expect(() => m.prepare(inputsOf(3 as 2, [3, 4], S, S))).toThrow(DimensionError);
    expect(() => m.prepare(inputsOf(2, [1, 12], S, S))).toThrow(ImageTooSmallError);
    expect(() => m.prepare(inputsOf(2, [3, 4], S, S, { spacing: new Float64Array([1, -1]) }))).toThrow(InvalidArgumentError);
    const step = m.prepare(inputsOf(2, [3, 4], S, S));
    expect(() => step.forward(new Float32Array(12))).toThrow(ShapeMismatchError);
    step.dispose();
    expect(() => step.backward(new Float32Array(24))).toThrow(/dispose/);
  });

  it('checkLevelShapes rejects levels with an axis shorter than 2', () => {
    const m = ssdMetric(3);
    expect(() => m.checkLevelShapes([[8, 8, 8], [4, 4, 4], [2, 2, 2]])).not.toThrow();
    expect(() => m.checkLevelShapes([[8, 8, 2], [4, 4, 1]])).toThrow(ImageTooSmallError);
  });
});

describe('SSDMetric buffer reuse', () => {
  const image = (shape: readonly [number, number], dr: number, dc: number) => {
    const out = new Float32Array(shape[0] * shape[1]);
    for (let i = 0; i < shape[0]; i++) for (let j = 0; j < shape[1]; j++) out[i * shape[1] + j] = blobs2d(i + dr, j + dc);
    return out;
  };
  for (const stepType of ['demons', 'gaussNewton'] as const) {
    it(`${stepType}: every iteration gives the numbers of a fresh metric (grid changes, step orders, overlapping steps, releaseBuffers)`, () => {
      const metric = ssdMetric(2, { stepType });
      const fresh = (shape: readonly [number, number], s: Float32Array, m: Float32Array) => {
        const step = ssdMetric(2, { stepType }).prepare(inputsOf(2, shape, s, m));
        const fw = new Float32Array(s.length * 2);
        const bw = new Float32Array(s.length * 2);
        return { fw, bw, ef: step.forward(fw), eb: step.backward(bw) };
      };
      const runs: [readonly [number, number], number, boolean][] = [
        [[32, 30], 0.5, true], [[32, 30], 1.5, false], [[28, 35], 0.7, true], [[28, 35], -1.2, false], [[32, 30], 0.9, true],
      ];
      runs.forEach(([shape, shift, forwardFirst], k) => {
        if (k === 4) metric.releaseBuffers();
        const s = image(shape, 0, 0);
        const m = image(shape, shift, -shift / 2);
        const want = fresh(shape, s, m);
        const step = metric.prepare(inputsOf(2, shape, s, m));
        // an overlapping step on other images must not disturb this one
        const other = metric.prepare(inputsOf(2, shape, m, s));
        const fw = new Float32Array(s.length * 2);
        const bw = new Float32Array(s.length * 2);
        let ef: number, eb: number;
        if (forwardFirst) { ef = step.forward(fw); other.forward(new Float32Array(s.length * 2)); eb = step.backward(bw); } else {
          eb = step.backward(bw); other.backward(new Float32Array(s.length * 2)); ef = step.forward(fw);
        }
        other.dispose();
        step.dispose();
        expect(ef).toBe(want.ef);
        expect(eb).toBe(want.eb);
        expect(fw).toEqual(want.fw);
        expect(bw).toEqual(want.bw);
      });
    });
  }
});
