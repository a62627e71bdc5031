/**
 * Tests of CCMetric: its outcome on identical images, a finite-difference check
 * of the step direction against the energy on analytic images, and the typed
 * errors for bad options and inputs. Bit-exactness against DIPY is checked by the
 * reference runner (tools/reference, case unit_cc_kernels: metric_forward2d,
 * metric_backward2d).
 */
import { describe, expect, it } from 'vitest';
import {
  createContext,
  metricGradient,
  profileKernels,
  DiffeoError,
  DimensionError,
  ImageTooSmallError,
  InvalidArgumentError,
  NonFiniteError,
  ShapeMismatchError,
  type Dim,
  type MetricInputs,
  type ShapeOf,
} from '@diffeo/core';
import { CCMetric, ccMetric } from '@diffeo/metrics-cc';
import { CC_SLAB_MIN_VOXELS_2D } from './cc-metric.js';

const context = createContext();

function identity(d: number): Float64Array {
  const m = new Float64Array((d + 1) * (d + 1));
  for (let i = 0; i <= d; i++) m[i * (d + 2)] = 1;
  return m;
}

function inputs<D extends Dim>(dim: D, shape: ShapeOf<D>, staticImage: Float32Array, movingImage: Float32Array,
  extra: Partial<MetricInputs<D>> = {}): MetricInputs<D> {
  return {
    dim,
    shape,
    static: staticImage,
    moving: movingImage,
    gridToWorld: null,
    spacing: new Float64Array(dim).fill(1),
    direction: identity(dim),
    level: 0,
    levelsBelow: 1,
    levelsAbove: 0,
    context,
    ...extra,
  };
}

/** Samples `f(i, j)` on a grid into float32. */
function sample2d(shape: readonly [number, number], f: (i: number, j: number) => number): Float32Array {
  const out = new Float32Array(shape[0] * shape[1]);
  for (let i = 0; i < shape[0]; i++) for (let j = 0; j < shape[1]; j++) out[i * shape[1] + j] = f(i, j);
  return out;
}

/** Static: a blob plus a texture; moving: the blob displaced, a different contrast and texture phase. */
const staticFn = (i: number, j: number): number =>
  Math.exp(-((i - 22) ** 2 + (j - 20) ** 2) / 60) + 0.3 * Math.sin(0.35 * i) * Math.cos(0.3 * j);
const movingFn = (i: number, j: number): number =>
  2 * Math.exp(-((i - 25) ** 2 + (j - 18) ** 2) / 70) + 0.5 * Math.sin(0.35 * i + 0.4) * Math.cos(0.3 * j - 0.3) + 0.1;

/** A random smooth displacement field: a few low-frequency sinusoids per component (voxels). */
function smoothField(shape: readonly [number, number], seed: number): Float32Array {
  let s = seed >>> 0;
  const rand = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 - 0.5;
  };
  const terms = Array.from({ length: 2 }, () => Array.from({ length: 3 }, () => ({
    a: rand() * 2, fi: rand() * 0.3, fj: rand() * 0.3, ph: rand() * 6,
  })));
  const out = new Float32Array(shape[0] * shape[1] * 2);
  for (let i = 0; i < shape[0]; i++) {
    for (let j = 0; j < shape[1]; j++) {
      for (let k = 0; k < 2; k++) {
        let v = 0;
        for (const t of terms[k]) v += t.a * Math.sin(t.fi * i + t.fj * j + t.ph);
        out[(i * shape[1] + j) * 2 + k] = v;
      }
    }
  }
  return out;
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

describe('CCMetric outcomes', () => {
  it('identical images give a zero step in both directions', () => {
    const shape = [40, 36] as const;
    const img = sample2d(shape, staticFn);
    const step = ccMetric(2).prepare(inputs(2, shape, img, Float32Array.from(img)));
    const fw = new Float32Array(40 * 36 * 2).fill(NaN);
    const bw = new Float32Array(40 * 36 * 2).fill(NaN);
    const e1 = step.forward(fw);
    const e2 = step.backward(bw);
    expect(Math.max(...fw.map(Math.abs))).toBeLessThan(1e-12);
    expect(Math.max(...bw.map(Math.abs))).toBeLessThan(1e-12);
    // Every window correlates perfectly: F2²/(F3·F4) is exactly 1, and DIPY counts
    // only correlations below 1 in the energy, so the energy is exactly 0.
    expect(e1).toBe(0);
    expect(e2).toBe(0);
    // A slightly different moving image correlates almost perfectly: energy ≈ −(interior voxels).
    const other = sample2d(shape, (i, j) => 2 * staticFn(i, j) + 0.01 * Math.sin(i * j));
    const e3 = ccMetric(2).prepare(inputs(2, shape, img, other)).forward(new Float32Array(40 * 36 * 2));
    expect(e3).toBeLessThan(-0.9 * (40 - 8) * (36 - 8));
    expect(e3).toBeGreaterThanOrEqual(-(40 - 8) * (36 - 8));
  });

  it('identical 3D volumes give a zero step', () => {
    const shape = [12, 13, 14] as const;
    const n = 12 * 13 * 14;
    const img = new Float32Array(n);
    for (let p = 0; p < n; p++) img[p] = Math.sin(p * 0.37) + Math.cos(p * 0.011);
    const step = ccMetric(3, { radius: 2, sigmaDiff: 1 }).prepare(inputs(3, shape, img, Float32Array.from(img)));
    const fw = new Float32Array(n * 3);
    step.forward(fw);
    expect(Math.max(...fw.map(Math.abs))).toBeLessThan(1e-12);
  });

  it('the forward and backward steps agree in sign with finite differences of the energy', () => {
    const shape = [48, 44] as const;
    const n = shape[0] * shape[1];
    const metric = ccMetric(2, { radius: 4, sigmaDiff: 2 });
    const S = sample2d(shape, staticFn);
    const M = sample2d(shape, movingFn);
    const energyOf = (s: Float32Array, m: Float32Array): number => {
      const st = metric.prepare(inputs(2, shape, s, m));
      const e = st.forward(new Float32Array(2 * n));
      st.dispose();
      return e;
    };
    const st = metric.prepare(inputs(2, shape, S, M));
    const u = new Float32Array(2 * n);
    const v = new Float32Array(2 * n);
    st.forward(u);
    st.backward(v);
    const eps = 0.02;
    // E after displacing the static (forward) or moving (backward) image by ±eps·w, sampled analytically.
    const shifted = (fn: (i: number, j: number) => number, w: Float32Array, t: number): Float32Array =>
      sample2d(shape, (i, j) => {
        const p = (i * shape[1] + j) * 2;
        return fn(i + t * w[p], j + t * w[p + 1]);
      });
    const derivative = (which: 'static' | 'moving', w: Float32Array): number => {
      if (which === 'static') return (energyOf(shifted(staticFn, w, eps), M) - energyOf(shifted(staticFn, w, -eps), M)) / (2 * eps);
      return (energyOf(S, shifted(movingFn, w, eps)) - energyOf(S, shifted(movingFn, w, -eps))) / (2 * eps);
    };
    // Along the step itself the energy increases (SyN moves against it), against it decreases.
    expect(derivative('static', u)).toBeGreaterThan(0);
    expect(derivative('moving', v)).toBeGreaterThan(0);
    const neg = (a: Float32Array): Float32Array => a.map((x) => -x);
    expect(derivative('static', neg(u))).toBeLessThan(0);
    // Random smooth directions: the sign of ⟨step, w⟩ predicts the sign of dE.
    let checked = 0;
    for (let seed = 1; seed <= 8; seed++) {
      const w = smoothField(shape, seed);
      const nw = Math.sqrt(dot(w, w));
      for (const [which, step] of [['static', u], ['moving', v]] as const) {
        const proj = dot(step, w) / (Math.sqrt(dot(step, step)) * nw);
        if (Math.abs(proj) < 0.05) continue; // nearly orthogonal: no sign to predict
        expect(Math.sign(derivative(which, w))).toBe(Math.sign(proj));
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(6);
  });

  it('forward and backward return the same energy, the band of width radius before smoothing is zero', () => {
    const shape = [30, 33] as const;
    const S = sample2d(shape, staticFn);
    const M = sample2d(shape, movingFn);
    const step = ccMetric(2, { radius: 3, sigmaDiff: 0 }).prepare(inputs(2, shape, S, M));
    const fw = new Float32Array(30 * 33 * 2);
    const bw = new Float32Array(30 * 33 * 2);
    expect(step.forward(fw)).toBe(step.backward(bw));
    for (let i = 0; i < 30; i++) {
      for (let j = 0; j < 33; j++) {
        if (i >= 3 && i < 27 && j >= 3 && j < 30) continue;
        const p = (i * 33 + j) * 2;
        expect([fw[p], fw[p + 1], bw[p], bw[p + 1]]).toEqual([0, 0, 0, 0]);
      }
    }
  });

  it('uses the spacing and the direction: gradients are in world units, rotated', () => {
    const shape = [30, 30] as const;
    const S = sample2d(shape, staticFn);
    const M = sample2d(shape, movingFn);
    const metric = ccMetric(2, { radius: 3, sigmaDiff: 0 });
    const plain = new Float32Array(30 * 30 * 2);
    metric.prepare(inputs(2, shape, S, M)).forward(plain);
    // Spacing 2 halves the gradient; a 90° rotation maps (g0, g1) to (−g1, g0).
    const scaled = new Float32Array(30 * 30 * 2);
    metric.prepare(inputs(2, shape, S, M, { spacing: new Float64Array([2, 2]) })).forward(scaled);
    const rotated = new Float32Array(30 * 30 * 2);
    metric.prepare(inputs(2, shape, S, M, { direction: new Float64Array([0, -1, 0, 1, 0, 0, 0, 0, 1]) })).forward(rotated);
    for (let p = 0; p < 30 * 30; p++) {
      expect(scaled[2 * p]).toBeCloseTo(plain[2 * p] / 2, 6);
      expect(rotated[2 * p]).toBeCloseTo(-plain[2 * p + 1], 6);
      expect(rotated[2 * p + 1]).toBeCloseTo(plain[2 * p], 6);
    }
  });
});

describe('CCMetric errors', () => {
  it('rejects bad dimensions and options', () => {
    expect(() => ccMetric(4 as unknown as 2)).toThrow(DimensionError);
    expect(() => new CCMetric(1 as unknown as 2)).toThrow(DimensionError);
    expect(() => ccMetric(2, { radius: -1 })).toThrow(InvalidArgumentError);
    expect(() => ccMetric(2, { radius: 1.5 })).toThrow(InvalidArgumentError);
    expect(() => ccMetric(2, { sigmaDiff: -0.5 })).toThrow(InvalidArgumentError);
    expect(() => ccMetric(2, { sigmaDiff: Number.NaN })).toThrow(NonFiniteError);
    expect(() => ccMetric(3, { sigmaDiff: Number.POSITIVE_INFINITY })).toThrow(NonFiniteError);
    const m = ccMetric(3);
    expect(m.radius).toBe(4);
    expect(m.sigmaDiff).toBe(2);
    expect(m.name).toBe('CC');
  });

  it('rejects an image smaller than 2·radius+1 and accepts exactly 2·radius+1', () => {
    const metric = ccMetric(2, { radius: 4 });
    const small = new Float32Array(8 * 20).fill(1);
    let err: unknown;
    try {
      metric.prepare(inputs(2, [8, 20] as const, small, small, { level: 2 }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ImageTooSmallError);
    const msg = (err as Error).message;
    expect(msg).toContain('level 2');
    expect(msg).toContain('[8, 20]');
    expect(msg).toContain('radius = 4');
    expect(msg).toMatch(/fewer pyramid levels/);
    expect(msg).toMatch(/smaller radius/);
    const ok = new Float32Array(81).map((_, i) => Math.sin(i));
    expect(() => metric.prepare(inputs(2, [9, 9] as const, ok, ok))).not.toThrow();
  });

  it('checkLevelShapes names the first level that is too small', () => {
    const metric = ccMetric(3, { radius: 2 });
    expect(() => metric.checkLevelShapes([[40, 40, 20], [20, 20, 10], [10, 10, 5]])).not.toThrow();
    expect(() => metric.checkLevelShapes([[40, 40, 16], [20, 20, 8], [10, 10, 4]])).toThrow(/level 2 has shape \[10, 10, 4\]/);
    expect(() => metric.checkLevelShapes([[40, 40, 16], [20, 20, 8], [10, 10, 4]])).toThrow(ImageTooSmallError);
  });

  it('rejects non-finite intensities, wrong sizes and mismatched dimensions', () => {
    const metric = ccMetric(2, { radius: 1 });
    const good = new Float32Array(25).fill(0.5);
    const bad = Float32Array.from(good);
    bad[7] = Number.NaN;
    expect(() => metric.prepare(inputs(2, [5, 5] as const, good, bad))).toThrow(NonFiniteError);
    expect(() => metric.prepare(inputs(2, [5, 5] as const, good, bad))).toThrow(/moving/);
    expect(() => metric.prepare(inputs(2, [5, 5] as const, new Float32Array(24), good))).toThrow(ShapeMismatchError);
    expect(() => metric.prepare({ ...inputs(2, [5, 5] as const, good, good), dim: 3 } as unknown as MetricInputs<2>)).toThrow(DimensionError);
    expect(() => metric.prepare(inputs(2, [5, 5] as const, good, good, { spacing: new Float64Array([1, 0]) }))).toThrow(InvalidArgumentError);
    const step = metric.prepare(inputs(2, [5, 5] as const, good, good));
    expect(() => step.forward(new Float32Array(49))).toThrow(ShapeMismatchError);
    step.dispose();
    step.dispose();
    expect(() => step.backward(new Float32Array(50))).toThrow(DiffeoError);
  });
});

describe('CCMetric buffer reuse', () => {
  const shapeA = [30, 28] as const;
  const shapeB = [26, 33] as const;
  const pair = (shape: readonly [number, number], phase: number) => [
    sample2d(shape, (i, j) => staticFn(i + phase, j)),
    sample2d(shape, (i, j) => movingFn(i, j + phase)),
  ] as const;
  /** Steps and energies of one iteration, on a brand-new metric (no reused buffers). */
  const fresh = (shape: readonly [number, number], s: Float32Array, m: Float32Array) => {
    const step = ccMetric(2, { radius: 3, sigmaDiff: 1.5 }).prepare(inputs(2, shape, s, m));
    const fw = new Float32Array(s.length * 2);
    const bw = new Float32Array(s.length * 2);
    return { fw, bw, ef: step.forward(fw), eb: step.backward(bw) };
  };

  it('gives every iteration the numbers of a fresh metric (same grid, another grid, either step order, after releaseBuffers)', () => {
    const metric = ccMetric(2, { radius: 3, sigmaDiff: 1.5 });
    const runs: [readonly [number, number], number, boolean][] = [
      [shapeA, 0, true], [shapeA, 1.7, false], [shapeB, 0.4, true], [shapeB, 2.9, false], [shapeA, 0.2, true],
    ];
    runs.forEach(([shape, phase, forwardFirst], k) => {
      if (k === 4) metric.releaseBuffers();
      const [s, m] = pair(shape, phase);
      const want = fresh(shape, s, m);
      const step = metric.prepare(inputs(2, shape, s, m));
      const fw = new Float32Array(s.length * 2).fill(NaN);
      const bw = new Float32Array(s.length * 2).fill(NaN);
      let ef: number, eb: number;
      if (forwardFirst) { ef = step.forward(fw); eb = step.backward(bw); } else { eb = step.backward(bw); ef = step.forward(fw); }
      // a second forward after the backward recomputes the static gradient
      const fw2 = new Float32Array(s.length * 2);
      step.forward(fw2);
      step.dispose();
      expect(ef).toBe(want.ef);
      expect(eb).toBe(want.eb);
      expect(fw).toEqual(want.fw);
      expect(bw).toEqual(want.bw);
      expect(fw2).toEqual(want.fw);
    });
  });

  it('keeps overlapping steps (not yet disposed) independent', () => {
    const metric = ccMetric(2, { radius: 3, sigmaDiff: 1.5 });
    const [s1, m1] = pair(shapeA, 0.3);
    const [s2, m2] = pair(shapeA, 1.1);
    const a = metric.prepare(inputs(2, shapeA, s1, m1));
    const b = metric.prepare(inputs(2, shapeA, s2, m2));
    const fa = new Float32Array(s1.length * 2);
    const fb = new Float32Array(s2.length * 2);
    b.forward(fb);
    a.forward(fa);
    expect(fa).toEqual(fresh(shapeA, s1, m1).fw);
    expect(fb).toEqual(fresh(shapeA, s2, m2).fw);
    a.dispose();
    b.dispose();
    expect(() => a.forward(fa)).toThrow(DiffeoError);
    a.dispose(); // twice is safe
  });
});

describe('CCMetric steps computed slab by slab', () => {
  /** The whole-grid computation, assembled from the kernels: factors, gradient, step, smoothing. */
  function wholeGrid(dim: 2 | 3, shape: number[], s: Float32Array, m: Float32Array, radius: number, sigma: number,
    spacing: Float64Array, direction: Float64Array, forward: boolean) {
    const n = s.length;
    const factors = new Float32Array(n * 5);
    const grad = new Float32Array(n * dim);
    const out = new Float32Array(n * dim);
    let energy: number;
    if (dim === 2) {
      context.kernel('ccFactors2d')(factors, s, m, shape as [number, number], radius);
      metricGradient(grad, forward ? s : m, shape as [number, number], 2, spacing, direction, context);
      energy = context.kernel(forward ? 'ccForwardStep2d' : 'ccBackwardStep2d')(out, grad, factors, shape as [number, number], radius);
    } else {
      context.kernel('ccFactors3d')(factors, s, m, shape as [number, number, number], radius);
      metricGradient(grad, forward ? s : m, shape as [number, number, number], 3, spacing, direction, context);
      energy = context.kernel(forward ? 'ccForwardStep3d' : 'ccBackwardStep3d')(out, grad, factors, shape as [number, number, number], radius);
    }
    context.kernel('gaussianFilter')(out, out, shape as [number, number], dim, new Array<number>(dim).fill(sigma));
    return { out, energy };
  }

  it('gives the whole-grid numbers bit for bit (2D and 3D, radii 0 to 4, slabs that do not divide the grid)', () => {
    // (the 3D cases are slabbed, so their factors are streamed slab by slab; 2D grids are
    // slabbed from CC_SLAB_MIN_VOXELS_2D voxels, hence the long thin ones)
    const cases: [2 | 3, number[], number][] = [
      [2, [2611, 101], 0], [2, [2800, 97], 1], [2, [2703, 100], 4], [3, [37, 11, 12], 2], [3, [29, 9, 10], 1], [3, [50, 13, 13], 4],
      [3, [41, 9, 9], 0],
    ];
    for (const [dim, shape] of cases) if (dim === 2) expect(shape[0] * shape[1]).toBeGreaterThanOrEqual(CC_SLAB_MIN_VOXELS_2D);
    for (const [dim, shape, radius] of cases) {
      const n = shape.reduce((a, b) => a * b, 1);
      const s = new Float32Array(n), m = new Float32Array(n);
      for (let p = 0; p < n; p++) {
        s[p] = Math.sin(p * 0.37) + 0.5 * Math.cos(p * 0.011) + 0.1 * Math.sin(p * 1.7);
        m[p] = 0.8 * Math.sin(p * 0.37 + 0.2) + 0.6 * Math.cos(p * 0.013) + 0.05 * Math.cos(p * 2.3);
      }
      const spacing = Float64Array.from(dim === 2 ? [1.5, 0.8] : [2, 1.25, 0.9]);
      const direction = identity(dim);
      if (dim === 3) { direction[0] = 0; direction[1] = 1; direction[4] = 1; direction[5] = 0; } // swap two axes
      const metric = ccMetric(dim, { radius, sigmaDiff: 1.3 });
      // both orders: the energy is computed by whichever direction comes first
      for (const order of [[true, false], [false, true]]) {
        const step = metric.prepare(inputs(dim, shape as never, s, m, { spacing, direction }));
        for (const forward of order) {
          const want = wholeGrid(dim, shape, s, m, radius, 1.3, spacing, direction, forward);
          const got = new Float32Array(n * dim).fill(NaN);
          const e = forward ? step.forward(got) : step.backward(got);
          expect(e).toBe(want.energy);
          // bit for bit (a loop: toEqual on arrays of 10⁵ values takes seconds)
          const a = new Uint32Array(got.buffer), b = new Uint32Array(want.out.buffer);
          let differ = 0;
          for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) differ++;
          expect(a.length).toBe(b.length);
          expect(differ, `${dim}D ${shape.join('×')} radius ${radius}: values that differ`).toBe(0);
        }
        step.dispose();
      }
    }
  });

  it('computes a 2D grid below CC_SLAB_MIN_VOXELS_2D in one piece and a larger one by slabs (kernel calls counted)', () => {
    const calls = (shape: [number, number]) => {
      const n = shape[0] * shape[1];
      const s = new Float32Array(n).map((_, p) => Math.sin(p * 0.37));
      const m = new Float32Array(n).map((_, p) => Math.cos(p * 0.21));
      const prof = profileKernels(context);
      const step = ccMetric(2).prepare(inputs(2, shape, s, m, { context: prof.context }));
      step.forward(new Float32Array(n * 2));
      step.backward(new Float32Array(n * 2));
      step.dispose();
      return Object.fromEntries(prof.report().kernels.map((k) => [k.name, k.calls]));
    };
    // 128×128 (DIPY's b0 example): one gradient and one step call per direction
    expect(calls([128, 128])).toMatchObject({ ccFactors2d: 1, physicalGradient: 2, ccForwardStep2d: 1, ccBackwardStep2d: 1 });
    // 512×512 = CC_SLAB_MIN_VOXELS_2D: 8 slabs of 64 rows per direction, and one energy call
    expect(512 * 512).toBe(CC_SLAB_MIN_VOXELS_2D);
    expect(calls([512, 512])).toMatchObject({ ccFactors2d: 1, physicalGradient: 16, ccForwardStep2d: 9, ccBackwardStep2d: 8 });
  });
});

describe('CCMetric with buffers from a backend', () => {
  it('gives the same steps with a backend whose arrays are views at any alignment, and gives every buffer back', () => {
    // views at an offset of 4 bytes: the streamed factors' float64 state cannot be placed there
    const pool = new ArrayBuffer(16 << 20);
    let next = 4;
    const live = new Set<Float32Array>();
    const backend = {
      name: 'odd-views', priority: 1, kernels: {},
      allocFloat32(n: number) {
        const a = new Float32Array(pool, next, n);
        next += n * 4 + 4; // keep every view 4 bytes off an 8-byte boundary
        next += (8 - (next % 8)) % 8 + 4;
        live.add(a);
        return a;
      },
      freeFloat32(a: Float32Array) { return live.delete(a); },
    };
    const ctx = createContext(backend);
    const shape: [number, number, number] = [40, 9, 10];
    const n = 40 * 9 * 10;
    const s = new Float32Array(n), m = new Float32Array(n);
    for (let p = 0; p < n; p++) {
      s[p] = Math.sin(p * 0.37) + 0.5 * Math.cos(p * 0.011);
      m[p] = 0.8 * Math.sin(p * 0.37 + 0.2) + 0.6 * Math.cos(p * 0.013);
    }
    const plain = ccMetric(3, { radius: 2, sigmaDiff: 1 });
    const pooled = ccMetric(3, { radius: 2, sigmaDiff: 1 });
    const a = plain.prepare(inputs(3, shape, s, m));
    const b = pooled.prepare(inputs(3, shape, s, m, { context: ctx }));
    for (const forward of [true, false]) {
      const want = new Float32Array(n * 3), got = new Float32Array(n * 3);
      const ew = forward ? a.forward(want) : a.backward(want);
      const eg = forward ? b.forward(got) : b.backward(got);
      expect(eg).toBe(ew);
      expect(new Uint32Array(got.buffer)).toEqual(new Uint32Array(want.buffer));
    }
    a.dispose();
    b.dispose();
    pooled.releaseBuffers();
    expect(live.size).toBe(0);
  });
});

describe('CCMetric with a mask (SyN masks)', () => {
  it('an all-ones mask gives the unmasked energy and step bit for bit; a mask and its complement add up to the whole energy', () => {
    for (const dim of [2, 3] as const) {
      const shape = (dim === 2 ? [30, 28] : [14, 13, 12]) as ShapeOf<typeof dim>;
      const n = (shape as readonly number[]).reduce((a, b) => a * b, 1);
      const S = Float32Array.from({ length: n }, (_, i) => Math.sin(0.37 * i) + 0.5 * Math.cos(0.11 * i));
      const M = Float32Array.from({ length: n }, (_, i) => Math.sin(0.37 * i + 0.4) + 0.3 * Math.cos(0.13 * i));
      const metric = ccMetric(dim, { radius: 2 });
      expect(metric.supportsMask).toBe(true);
      const run = (mask?: Uint8Array) => {
        const out = new Float32Array(n * dim);
        const step = metric.prepare(inputs(dim, shape, S, M, mask === undefined ? {} : { mask }));
        const e = step.forward(out);
        step.dispose();
        return { e, out };
      };
      const plain = run();
      const ones = run(new Uint8Array(n).fill(1));
      expect(ones.e).toBe(plain.e);
      expect(ones.out).toEqual(plain.out);
      const half = Uint8Array.from({ length: n }, (_, i) => (i % 7 < 3 ? 1 : 0));
      const rest = Uint8Array.from(half, (v) => 1 - v);
      const a = run(half).e, b = run(rest).e;
      expect(a).toBeLessThan(0);
      expect(b).toBeLessThan(0);
      expect(Math.abs(a + b - plain.e)).toBeLessThan(1e-9 * Math.abs(plain.e));
    }
  });
});
