/**
 * Analytic and structural tests of DiffeomorphicMap (ports of DIPY's
 * test_diffeomorphic_map_2d, test_diffeomorphic_map_simplification_2d/3d and
 * test_coordinate_mapping, with our own seeded data). Oracles are exact voxel
 * assignments, closed-form fields and a naive double-precision interpolator.
 */
import { affineApply, mulberry32, naiveLinearDouble } from '@diffeo/core/oracles';
import { describe, expect, it } from 'vitest';
import ndarray from 'ndarray';
import {
  DiffeoError, DiffeomorphicMap, DimensionError, DisposedError, DtypeError, InvalidAffineError, InvalidArgumentError, NonFiniteError,
  ShapeMismatchError, createCircle, createHarmonicFields2d, createHarmonicFields3d, createSphere, invertVectorFieldFixedPoint,
  mulAffine, type Affine,
} from '@diffeo/core';

/** `T⁻¹·diag(s)·T` with `T` a translation by `−t·n` (DIPY's test affine). */
function gtAffine(dim: 2 | 3, n: number[], s = 1.1, t = 0.25): Float64Array {
  const m = dim + 1;
  const a = new Float64Array(m * m);
  for (let k = 0; k < dim; k++) {
    a[k * m + k] = s;
    // T⁻¹·S·T·x = s·x − s·t·n + t·n
    a[k * m + dim] = -s * t * n[k] + t * n[k];
  }
  a[m * m - 1] = 1;
  return a;
}

function rotation2(theta: number, s: number, c0: number, c1: number, t0 = 0, t1 = 0): Float64Array {
  const cs = Math.cos(theta) * s, sn = Math.sin(theta) * s;
  return new Float64Array([cs, -sn, c0 - cs * c0 + sn * c1 + t0, sn, cs, c1 - sn * c0 - cs * c1 + t1, 0, 0, 1]);
}

/** A smooth random displacement field (sum of a few seeded sinusoids), float32, `amp` world units. */
function smoothField(shape: number[], seed: number, amp: number): Float32Array {
  const d = shape.length;
  const r = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n * d);
  const terms = Array.from({ length: 3 * d }, () => ({ k: r() * 0.5, ph: r() * 6, ax: Math.floor(r() * d), c: Math.floor(r() * d), a: (r() * 2 - 1) * amp / 2 }));
  const idx = new Array<number>(d).fill(0);
  for (let p = 0; p < n; p++) {
    let rem = p;
    for (let k = d - 1; k >= 0; k--) { idx[k] = rem % shape[k]; rem = Math.floor(rem / shape[k]); }
    for (const t of terms) out[p * d + t.c] += t.a * Math.sin(t.k * idx[t.ax] + t.ph);
  }
  return out;
}

describe('DiffeomorphicMap: exact voxel assignments (DIPY test_diffeomorphic_map_2d)', () => {
  const domain = [10, 10], codomain = [10, 10];
  const gt = gtAffine(2, domain);
  const r = mulberry32(2022966);
  const n = 100;
  const assign = new Int32Array(n * 2);
  const disp = new Float32Array(n * 2);
  for (let i = 0; i < 10; i++) for (let j = 0; j < 10; j++) {
    const p = i * 10 + j;
    const a = [Math.floor(r() * 10), Math.floor(r() * 10)];
    assign[2 * p] = a[0]; assign[2 * p + 1] = a[1];
    const to = affineApply(gt, a, 1), from = affineApply(gt, [i, j], 1);
    disp[2 * p] = to[0] - from[0]; disp[2 * p + 1] = to[1] - from[1];
  }
  const moving = new Float32Array(n);
  for (let i = 1; i < 9; i++) for (let j = 1; j < 9; j++) moving[i * 10 + j] = Math.floor(r() * 10);
  const expected = Array.from({ length: n }, (_, p) => moving[assign[2 * p] * 10 + assign[2 * p + 1]]);
  const types = [
    (a: Float32Array) => a, (a: Float32Array) => Float64Array.from(a), (a: Float32Array) => Int32Array.from(a), (a: Float32Array) => Int16Array.from(a),
  ];

  it('transform (forward field) and inverse().transformInverse reproduce the assignment', () => {
    const map = new DiffeomorphicMap({ dim: 2, dispShape: domain, dispGridToWorld: gt, domainShape: domain, domainGridToWorld: gt, codomainShape: codomain, codomainGridToWorld: gt });
    map.forward = disp;
    for (const cast of types) {
      const img = ndarray(cast(moving), [10, 10]);
      const lin = map.transform(img);
      expect(lin.data).toBeInstanceOf(Float32Array);
      for (let p = 0; p < n; p++) expect(Math.abs(lin.data[p] - expected[p])).toBeLessThan(1.5e-5);
      const near = map.transform(img, { interpolation: 'nearest' });
      expect(Array.from(near.data)).toEqual(expected);
      expect(near.data.constructor).toBe(img.data instanceof Float64Array ? Float32Array : img.data.constructor);
      const inv = map.inverse();
      const lin2 = inv.transformInverse(img);
      for (let p = 0; p < n; p++) expect(Math.abs(lin2.data[p] - expected[p])).toBeLessThan(1.5e-5);
      expect(Array.from(inv.transformInverse(img, { interpolation: 'nearest' }).data)).toEqual(expected);
    }
  });

  it('a map with only the backward field warps through transformInverse', () => {
    const map = new DiffeomorphicMap({ dim: 2, dispShape: codomain, dispGridToWorld: gt, domainShape: codomain, domainGridToWorld: gt, codomainShape: domain, codomainGridToWorld: gt });
    map.setBackwardField(ndarray(disp, [10, 10, 2]));
    for (const cast of types) {
      const img = { data: cast(moving), shape: [10, 10], gridToWorld: null };
      const lin = map.transformInverse(img);
      for (let p = 0; p < n; p++) expect(Math.abs(lin.data[p] - expected[p])).toBeLessThan(1.5e-5);
      expect(Array.from(map.transformInverse(img, { interpolation: 'nearest' }).data)).toEqual(expected);
    }
    expect(() => map.transform(ndarray(moving, [10, 10]))).toThrow(DiffeoError);
    try { map.transform(ndarray(moving, [10, 10])); } catch (e) { expect((e as DiffeoError).code).toBe('NOT_READY'); }
  });

  it('needs sampling information and valid inputs', () => {
    const mk = () => {
      const m = new DiffeomorphicMap({ dim: 2, dispShape: domain, dispGridToWorld: gt, domainShape: domain, domainGridToWorld: gt, codomainShape: codomain, codomainGridToWorld: gt });
      m.forward = disp;
      m.backward = disp;
      return m;
    };
    const img = ndarray(moving, [10, 10]);
    const a = mk();
    a.domainShape = null;
    expect(() => a.transform(img)).toThrow(InvalidArgumentError);
    expect(a.transform(img, { outShape: [4, 4] }).shape).toEqual([4, 4]);
    const b = mk();
    b.codomainShape = null;
    expect(() => b.transformInverse(img)).toThrow(InvalidArgumentError);
    expect(() => new DiffeomorphicMap({ dim: 2, dispShape: undefined as never })).toThrow(InvalidArgumentError);
    expect(() => new DiffeomorphicMap({ dim: 4 as never, dispShape: [3, 3] })).toThrow(DimensionError);
    expect(() => new DiffeomorphicMap({ dim: 2, dispShape: [3, 3, 3] })).toThrow(DimensionError);
    expect(() => new DiffeomorphicMap({ dim: 2, dispShape: [3, 3], prealign: [[1, 0, 0], [2, 0, 0], [0, 0, 1]] })).toThrow(InvalidAffineError);
    expect(() => new DiffeomorphicMap({ dim: 2, dispShape: [3, 3], domainGridToWorld: [1, 0, 0, 0, NaN, 0, 0, 0, 1] })).toThrow(InvalidAffineError);
    const c = mk();
    expect(() => c.transform(ndarray(new Float32Array(27), [3, 3, 3]))).toThrow(DimensionError);
    expect(() => c.transform(img, { interpolation: 'spline' as never })).toThrow(InvalidArgumentError);
    expect(() => c.transform(img, { imageWorldToGrid: 'eye' as never })).toThrow(InvalidArgumentError);
    expect(() => c.transform(img, { outGridToWorld: [1, 0, 0, 0, 1, Infinity, 0, 0, 1] })).toThrow(InvalidAffineError);
    expect(() => { c.forward = new Float32Array(10); }).toThrow(ShapeMismatchError);
    expect(() => c.setForwardField(ndarray(new Float32Array(300), [10, 10, 3]))).toThrow(ShapeMismatchError);
    expect(() => c.setForwardField(ndarray(new Float32Array(2 * 99), [9, 11, 2]))).toThrow(ShapeMismatchError);
    expect(() => c.setForwardField(ndarray(new Int32Array(200), [10, 10, 2]) as never)).toThrow(DtypeError);
    const nan = disp.slice();
    nan[31] = NaN;
    expect(() => c.setBackwardField(ndarray(nan, [10, 10, 2]))).toThrow(NonFiniteError);
    expect(() => c.transformPoints([[1, 2, 3]])).toThrow(ShapeMismatchError);
  });
});

describe('DiffeomorphicMap: round trip and point mapping', () => {
  // Displacement grid R, domain D, codomain C, prealign P, all different.
  const R = new Float64Array([2, 0, -5, 0, 2, -5, 0, 0, 1]);
  const D = rotation2(0.05, 1, 40, 40, 2, -1);
  const C = rotation2(-0.1, 1.1, 40, 40, -3, 2);
  const P = rotation2(0.08, 1, 40, 40, 1.5, -2);
  const harm = createHarmonicFields2d(48, 48, 0.1, 4).field;
  const forward = Float32Array.from(harm.data, (v) => 2 * v); // voxels of R → world units (R scales by 2)
  const Rinv = new Float64Array([0.5, 0, 2.5, 0, 0.5, 2.5, 0, 0, 1]);
  const backward = invertVectorFieldFixedPoint(ndarray(forward, [48, 48, 2]), { worldToGrid: Rinv, spacing: [2, 2], maxIter: 100, tolerance: 1e-6 }).field;
  const make = () => {
    const m = new DiffeomorphicMap({ dim: 2, dispShape: [48, 48], dispGridToWorld: R, domainShape: [90, 90], domainGridToWorld: D, codomainShape: [80, 80], codomainGridToWorld: C, prealign: P });
    m.forward = forward;
    m.setBackwardField(backward);
    return m;
  };
  const nr = 80, nc = 80;
  const img = new Float32Array(nr * nc);
  for (let i = 0; i < nr; i++) for (let j = 0; j < nc; j++) img[i * nc + j] = Math.exp(-((i - 42) ** 2 + (j - 38) ** 2) / (2 * 12 ** 2)) + 0.2 * Math.cos(i / 9) * Math.sin(j / 11);

  it('transformInverse(transform(img)) ≈ img in the interior', () => {
    const map = make();
    const there = map.transform(ndarray(img, [nr, nc]));
    expect(there.shape).toEqual([90, 90]);
    const back = map.transformInverse(there);
    expect(back.shape).toEqual([80, 80]);
    let worst = 0;
    for (let i = 0; i < nr; i++) for (let j = 0; j < nc; j++) {
      if (Math.hypot(i - 40, j - 40) > 25) continue;
      worst = Math.max(worst, Math.abs(back.get(i, j) - img[i * nc + j]));
    }
    expect(worst).toBeLessThan(0.01);
    // the same through the inverse map
    const inv = map.inverse();
    expect(Array.from(inv.transformInverse(ndarray(img, [nr, nc])).data)).toEqual(Array.from(there.data));
    expect(Array.from(inv.transform(there).data)).toEqual(Array.from(back.data));
  });

  it('transformPoints agrees with image warping (DIPY test_coordinate_mapping), both directions', () => {
    const map = make();
    const warped = map.transform(ndarray(img, [nr, nc]));
    const r = mulberry32(1741332);
    const pts: number[][] = [];
    for (let k = 0; k < 100; k++) pts.push([1 + Math.floor(r() * 88), 1 + Math.floor(r() * 88)]);
    const wp = map.transformPoints(pts, { coordToWorld: D, worldToCoord: map.codomainWorldToGrid });
    expect(wp.shape).toEqual([100, 2]);
    for (let k = 0; k < 100; k++) {
      const actual = naiveLinearDouble(img, [nr, nc], [wp.get(k, 0), wp.get(k, 1)]);
      expect(actual).toBeCloseTo(warped.get(pts[k][0], pts[k][1]), 5);
    }
    // world-to-world when no coordinate affines are given
    const world = map.transformPoints(pts.map((p) => affineApply(D, p, 1)));
    for (let k = 0; k < 100; k++) {
      const g = affineApply(map.codomainWorldToGrid, [world.get(k, 0), world.get(k, 1)], 1);
      expect(g[0]).toBeCloseTo(wp.get(k, 0), 9);
      expect(g[1]).toBeCloseTo(wp.get(k, 1), 9);
    }
    // backward direction: codomain voxels → domain grid
    const domainImg = map.transform(ndarray(img, [nr, nc]));
    const back = map.transformInverse(domainImg);
    const bpts: number[][] = [];
    for (let k = 0; k < 100; k++) bpts.push([1 + Math.floor(r() * 78), 1 + Math.floor(r() * 78)]);
    const bp = map.transformPointsInverse(bpts, { coordToWorld: C, worldToCoord: map.domainWorldToGrid });
    for (let k = 0; k < 100; k++) {
      expect(naiveLinearDouble(domainImg.data, [90, 90], [bp.get(k, 0), bp.get(k, 1)])).toBeCloseTo(back.get(bpts[k][0], bpts[k][1]), 5);
    }
    // isInverse swaps the two
    const inv = map.inverse();
    expect(Array.from(inv.transformPointsInverse(pts, { coordToWorld: D }).data)).toEqual(Array.from(map.transformPoints(pts, { coordToWorld: D }).data));
  });

  it('transformPoints agrees with image warping in 3D', () => {
    const shape = [10, 10, 10], cod = [15, 15, 15];
    const gt = gtAffine(3, shape);
    const field = smoothField(shape, 7, 1.5);
    const map = new DiffeomorphicMap({ dim: 3, dispShape: shape, dispGridToWorld: gt, domainShape: shape, domainGridToWorld: gt, codomainShape: cod, codomainGridToWorld: gt });
    map.forward = field;
    const r = mulberry32(99);
    const moving = Float64Array.from({ length: 15 ** 3 }, () => Math.floor(r() * 10));
    const warped = map.transform(ndarray(moving, cod));
    const pts: number[][] = [];
    for (let k = 0; k < 100; k++) pts.push([1 + Math.floor(r() * 8), 1 + Math.floor(r() * 8), 1 + Math.floor(r() * 8)]);
    const wp = map.transformPoints(ndarray(Float64Array.from(pts.flat()), [100, 3]), { coordToWorld: gt, worldToCoord: map.domainWorldToGrid });
    for (let k = 0; k < 100; k++) {
      expect(naiveLinearDouble(moving, cod, [wp.get(k, 0), wp.get(k, 1), wp.get(k, 2)])).toBeCloseTo(warped.get(pts[k][0], pts[k][1], pts[k][2]), 5);
    }
  });
});

describe('DiffeomorphicMap: structure', () => {
  it('allocate gives zero fields; an identity map returns the image exactly', () => {
    const map = new DiffeomorphicMap({ dim: 3, dispShape: [4, 5, 6] });
    expect(map.forward).toBeNull();
    map.allocate();
    expect(map.forward!.length).toBe(4 * 5 * 6 * 3);
    expect(map.forward!.every((v) => v === 0)).toBe(true);
    const img = Float32Array.from({ length: 120 }, (_, i) => Math.sin(i));
    expect(Array.from(map.transform(ndarray(img, [4, 5, 6])).data)).toEqual(Array.from(img));
    expect(Array.from(map.transformInverse({ data: img, shape: [4, 5, 6] }).data)).toEqual(Array.from(img));
    // overrides: 'identity' and a smaller output grid crop the image
    const crop = map.transform(ndarray(img, [4, 5, 6]), { outShape: [2, 3, 4], imageWorldToGrid: 'identity', outGridToWorld: null });
    expect(crop.get(1, 2, 3)).toBe(img[(1 * 5 + 2) * 6 + 3]);
    // codomain defaults to the domain shape but not to the domain affine
    const m2 = new DiffeomorphicMap({ dim: 2, dispShape: [3, 3], domainShape: [5, 6], domainGridToWorld: [[2, 0, 0], [0, 2, 0], [0, 0, 1]] });
    expect(m2.codomainShape).toEqual([5, 6]);
    expect(m2.codomainGridToWorld).toBeNull();
  });

  it('inverse() and shallowCopy() share the arrays; the getters follow isInverse', () => {
    const map = new DiffeomorphicMap({ dim: 2, dispShape: [6, 7] });
    map.allocate();
    map.forward![0] = 1;
    map.backward![0] = 2;
    const inv = map.inverse();
    expect(inv).not.toBe(map);
    expect(inv.forward).toBe(map.forward);
    expect(inv.backward).toBe(map.backward);
    expect(map.isInverse).toBe(false);
    expect(inv.isInverse).toBe(true);
    expect(inv.inverse().isInverse).toBe(false);
    expect(map.getForwardField().data).toBe(map.forward);
    expect(map.getBackwardField().data).toBe(map.backward);
    expect(inv.getForwardField().data).toBe(map.backward);
    expect(inv.getBackwardField().data).toBe(map.forward);
    expect(map.getForwardField().shape).toEqual([6, 7, 2]);
    const copy = inv.shallowCopy();
    expect(copy.isInverse).toBe(true);
    expect(copy.forward).toBe(map.forward);
    map.forward![1] = 5;
    expect(inv.getBackwardField().get(0, 0, 1)).toBe(5);
  });

  it('computeInversionError is zero for zero fields and small for a computed inverse', () => {
    const map = new DiffeomorphicMap({ dim: 2, dispShape: [16, 16] });
    map.allocate();
    const zero = map.computeInversionError();
    expect(zero.stats).toEqual([0, 0, 0]);
    expect(zero.field.shape).toEqual([16, 16, 2]);
    const { field } = createHarmonicFields2d(32, 32, 0.2, 4);
    const m = new DiffeomorphicMap({ dim: 2, dispShape: [32, 32] });
    m.setForwardField(field);
    m.setBackwardField(invertVectorFieldFixedPoint(field, { maxIter: 40, tolerance: 1e-7 }).field);
    expect(m.computeInversionError().stats[1]).toBeLessThan(1.5e-4);
  });

  it('warpEndomorphism composes constant translations', () => {
    const shape = [12, 12];
    const fill = (v: [number, number]) => { const a = new Float32Array(288); for (let p = 0; p < 144; p++) { a[2 * p] = v[0]; a[2 * p + 1] = v[1]; } return a; };
    const map = new DiffeomorphicMap({ dim: 2, dispShape: shape });
    map.forward = fill([1, -0.5]);
    map.backward = fill([-1, 0.5]);
    const phi = new DiffeomorphicMap({ dim: 2, dispShape: shape });
    phi.forward = fill([0.25, 2]);
    phi.backward = fill([-0.25, -2]);
    const c = map.warpEndomorphism(phi);
    expect(c.forward).not.toBe(map.forward);
    const f = c.getForwardField(), b = c.getBackwardField();
    for (let i = 0; i < 12; i++) for (let j = 0; j < 12; j++) {
      // forward: d1 + d2(x + d1) where x + d1 is strictly inside
      const inF = i + 1 >= 0 && i + 1 < 11 && j - 0.5 >= 0 && j - 0.5 < 11;
      expect([f.get(i, j, 0), f.get(i, j, 1)]).toEqual(inF ? [1.25, 1.5] : [0, 0]);
      const inB = i - 0.25 >= 0 && i - 0.25 < 11 && j - 2 >= 0 && j - 2 < 11;
      expect([b.get(i, j, 0), b.get(i, j, 1)]).toEqual(inB ? [-1.25, -1.5] : [0, 0]);
    }
  });

  it('expandFields resamples the fields and rescales the grid affine', () => {
    const G = rotation2(0.2, 1.5, 10, 10, 3, -4);
    const { field } = createHarmonicFields2d(32, 32, 0.2, 4);
    const f32 = Float32Array.from(field.data);
    const map = new DiffeomorphicMap({ dim: 2, dispShape: [32, 32], dispGridToWorld: G, domainShape: [40, 40] });
    map.forward = f32;
    map.backward = f32.slice();
    const before = map.transform(ndarray(createCircle(40, 40, 12).data, [40, 40]));
    const shared = map.shallowCopy();
    map.expandFields([0.5, 0.5], [63, 63]);
    expect(map.dispShape).toEqual([63, 63]);
    expect(map.forward!.length).toBe(63 * 63 * 2);
    expect(shared.forward).toBe(f32);
    const expectedG = mulAffine(G, new Float64Array([0.5, 0, 0, 0, 0.5, 0, 0, 0, 1]))!;
    expect(Array.from(map.dispGridToWorld!)).toEqual(Array.from(expectedG));
    const I = mulAffine(map.dispGridToWorld, map.dispWorldToGrid)!;
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) expect(I[r * 3 + c]).toBeCloseTo(r === c ? 1 : 0, 12);
    for (let i = 0; i < 32; i++) for (let j = 0; j < 32; j++) for (let k = 0; k < 2; k++) {
      expect(map.forward![((2 * i) * 63 + 2 * j) * 2 + k] + 0).toBe(f32[(i * 32 + j) * 2 + k] + 0);
    }
    // the same transformation, sampled more finely
    const after = map.transform(ndarray(createCircle(40, 40, 12).data, [40, 40]));
    let worst = 0;
    for (let p = 0; p < before.data.length; p++) worst = Math.max(worst, Math.abs(before.data[p] - after.data[p]));
    expect(worst).toBeLessThan(0.25);
    expect(() => map.expandFields([0.5], [10, 10])).toThrow(ShapeMismatchError);
  });
});

describe('DiffeomorphicMap.getSimplifiedTransform (DIPY test_diffeomorphic_map_simplification)', () => {
  it('2D: the simplified map warps identically in both directions and has no affines', () => {
    const dom = [64, 64], cod = [80, 80];
    const gt = gtAffine(2, dom);
    const circle = createCircle(80, 80, 16);
    const { field, inverse } = createHarmonicFields2d(64, 64, 0.3, 6);
    const map = new DiffeomorphicMap({ dim: 2, dispShape: dom, dispGridToWorld: [[1, 0, 0], [0, 1, 0], [0, 0, 1]], domainShape: dom, domainGridToWorld: gt, codomainShape: cod, codomainGridToWorld: mulAffine(gt, gt), prealign: gt });
    map.setForwardField(field);
    map.setBackwardField(inverse);
    const simplified = map.getSimplifiedTransform();
    for (const g of ['dispGridToWorld', 'domainGridToWorld', 'codomainGridToWorld', 'prealign', 'dispWorldToGrid', 'domainWorldToGrid', 'codomainWorldToGrid'] as const) {
      expect(simplified[g]).toBeNull();
    }
    expect(simplified.fieldShape('forward')).toEqual(dom);
    expect(simplified.fieldShape('backward')).toEqual(cod);
    const expected = map.transform(circle);
    const warped = simplified.transform(circle);
    for (let p = 0; p < expected.data.length; p++) expect(Math.abs(warped.data[p] - expected.data[p])).toBeLessThan(1.5e-6);
    const domImg = createCircle(64, 64, 20);
    const e2 = map.transformInverse(domImg);
    const w2 = simplified.transformInverse(domImg);
    for (let p = 0; p < e2.data.length; p++) expect(Math.abs(w2.data[p] - e2.data[p])).toBeLessThan(1.5e-6);
  });

  it('3D: forward and (master) backward simplifications agree with the full map', () => {
    const dom = [24, 24, 24], cod = [30, 30, 30];
    const gt = gtAffine(3, dom);
    const sphere = createSphere(30, 30, 30, 6);
    const { field, inverse } = createHarmonicFields3d(24, 24, 24, 0.3, 6);
    const map = new DiffeomorphicMap({ dim: 3, dispShape: dom, domainShape: dom, domainGridToWorld: gt, codomainShape: cod, codomainGridToWorld: mulAffine(gt, gt), prealign: gt });
    map.setForwardField(field);
    map.setBackwardField(inverse);
    const simplified = map.getSimplifiedTransform();
    const e = map.transform(sphere), w = simplified.transform(sphere);
    for (let p = 0; p < e.data.length; p++) expect(Math.abs(w.data[p] - e.data[p])).toBeLessThan(1.5e-5);
    const domImg = createSphere(24, 24, 24, 8);
    const e2 = map.transformInverse(domImg), w2 = simplified.transformInverse(domImg);
    for (let p = 0; p < e2.data.length; p++) expect(Math.abs(w2.data[p] - e2.data[p])).toBeLessThan(1.5e-5);
  });
});

describe('DiffeomorphicMap: disposal and raw assignment (issue 11 items 4 and 10)', () => {
  const image = { data: new Float32Array(16).map((_, i) => i), shape: [4, 4] };
  it('maps sharing disposed fields (inverse, shallowCopy) throw DisposedError instead of reading released memory', () => {
    const map = new DiffeomorphicMap({ dim: 2, dispShape: [4, 4], domainShape: [4, 4], codomainShape: [4, 4] });
    map.allocate();
    const inverse = map.inverse();
    const copy = map.shallowCopy();
    expect(Array.from(inverse.transform(image).data)).toEqual(Array.from(image.data)); // identity
    map.dispose();
    expect(map.forward).toBeNull();
    for (const m of [map, inverse, copy]) {
      expect(() => m.transform(image)).toThrow(DisposedError);
      expect(() => m.transformInverse(image)).toThrow(DisposedError);
      expect(() => m.getBackwardField()).toThrow(DisposedError);
    }
    expect(() => inverse.forward).toThrow(DisposedError);
    expect(() => copy.backward).toThrow(DisposedError);
    map.dispose(); // twice is harmless
    // New fields make a disposed map usable again; its old copies stay refused.
    map.allocate();
    expect(Array.from(map.transform(image).data)).toEqual(Array.from(image.data));
    expect(() => inverse.transform(image)).toThrow(DisposedError);
  });

  it('refuses a raw field with NaN or infinity through the forward/backward setters', () => {
    const map = new DiffeomorphicMap({ dim: 2, dispShape: [4, 4], domainShape: [4, 4], codomainShape: [4, 4] });
    const f = new Float32Array(32);
    f[7] = Number.NaN;
    expect(() => { map.forward = f; }).toThrow(NonFiniteError);
    f[7] = Number.POSITIVE_INFINITY;
    expect(() => { map.backward = f; }).toThrow(/index 7/);
  });
});
