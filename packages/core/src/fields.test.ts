/**
 * Analytic and oracle tests of the public vector-field functions. Oracles are
 * written here independently (double-precision naive interpolation, closed-form
 * fields); nothing is compared with numbers produced by the code under test.
 */
import { mulberry32, naiveLinearDouble, naiveNearest, randomFloat32 } from '@diffeo/core/oracles';
import { describe, expect, it } from 'vitest';
import ndarray from 'ndarray';
import {
  DimensionError, DtypeError, ImageTooSmallError, InvalidAffineError, InvalidArgumentError, NonFiniteError, ShapeMismatchError,
  composeVectorFields, createCircle, createHarmonicFields2d, createHarmonicFields3d, createSphere, downsampleDisplacementField,
  downsampleScalarField, gradient, invertVectorFieldFixedPoint, numpyGradient, reorientVectorField, resampleDisplacementField,
  simplifyWarpFunction, transformAffine, warpImage,
} from '@diffeo/core';

function rotationAbout(theta: number, c0: number, c1: number, s = 1): Float64Array {
  const cs = Math.cos(theta) * s, sn = Math.sin(theta) * s;
  // x' = R·(x − c) + c
  return new Float64Array([cs, -sn, c0 - cs * c0 + sn * c1, sn, cs, c1 - sn * c0 - cs * c1, 0, 0, 1]);
}

function smoothImage2d(nr: number, nc: number): Float32Array {
  const img = new Float32Array(nr * nc);
  for (let i = 0; i < nr; i++) for (let j = 0; j < nc; j++) {
    img[i * nc + j] = Math.exp(-((i - nr / 2) ** 2 + (j - nc / 2.2) ** 2) / (2 * (nr / 6) ** 2)) + 0.3 * Math.sin(i / 5) * Math.cos(j / 7);
  }
  return img;
}

describe('warpImage', () => {
  it('returns the input exactly for an identity (zero) field, 2D and 3D, linear and nearest', () => {
    const img2 = randomFloat32(mulberry32(1), 13 * 17);
    const zero2 = new Float32Array(13 * 17 * 2);
    expect(Array.from(warpImage(ndarray(img2, [13, 17]), ndarray(zero2, [13, 17, 2])).data)).toEqual(Array.from(img2));
    expect(Array.from(warpImage(ndarray(img2, [13, 17]), ndarray(zero2, [13, 17, 2]), { interpolation: 'nearest' }).data)).toEqual(Array.from(img2));
    const img3 = randomFloat32(mulberry32(2), 5 * 6 * 7);
    const zero3 = new Float32Array(5 * 6 * 7 * 3);
    expect(Array.from(warpImage(ndarray(img3, [5, 6, 7]), ndarray(zero3, [5, 6, 7, 3])).data)).toEqual(Array.from(img3));
    expect(Array.from(warpImage({ data: img3, shape: [5, 6, 7] }, { data: zero3, shape: [5, 6, 7] }, { interpolation: 'nearest' }).data))
      .toEqual(Array.from(img3));
  });

  it('keeps integer types with nearest and converts float64 to float32', () => {
    const lab = new Int16Array(6 * 5).map((_, i) => (i * 7) % 11);
    const zero = ndarray(new Float32Array(6 * 5 * 2), [6, 5, 2]);
    const w = warpImage(ndarray(lab, [6, 5]), zero, { interpolation: 'nearest' });
    expect(w.data).toBeInstanceOf(Int16Array);
    expect(Array.from(w.data)).toEqual(Array.from(lab));
    const u8 = warpImage({ data: new Uint8Array(30).fill(3), shape: [6, 5] }, zero, { interpolation: 'nearest' });
    expect(u8.data).toBeInstanceOf(Uint8Array);
    const f64 = warpImage({ data: new Float64Array(30).fill(0.1), shape: [6, 5] }, zero, { interpolation: 'nearest' });
    expect(f64.data).toBeInstanceOf(Float32Array);
    expect(f64.data[0]).toBe(Math.fround(0.1));
    const lin = warpImage({ data: lab, shape: [6, 5] }, zero);
    expect(lin.data).toBeInstanceOf(Float32Array);
    expect(Array.from(lin.data)).toEqual(Array.from(lab));
  });

  it('matches a naive evaluation for a rotation affine (affine only and through a zero field)', () => {
    const nr = 40, nc = 33;
    const img = smoothImage2d(nr, nc);
    const M = rotationAbout(Math.PI / 7, nr / 2, nc / 2, 1.1);
    const outShape = [37, 41];
    const lin = transformAffine(ndarray(img, [nr, nc]), outShape, M);
    const near = transformAffine(ndarray(img, [nr, nc]), outShape, M, { interpolation: 'nearest' });
    const viaField = warpImage(ndarray(img, [nr, nc]), ndarray(new Float32Array(10 * 10 * 2), [10, 10, 2]), {
      affineIdxIn: new Float64Array([0.1, 0, 0, 0, 0.1, 0, 0, 0, 1]), affineIdxOut: M, outShape,
    });
    let nearMismatch = 0;
    for (let i = 0; i < outShape[0]; i++) {
      for (let j = 0; j < outShape[1]; j++) {
        const x = M[0] * i + M[1] * j + M[2], y = M[3] * i + M[4] * j + M[5];
        const expected = naiveLinearDouble(img, [nr, nc], [x, y]);
        expect(Math.abs(lin.get(i, j) - expected)).toBeLessThan(1e-6 * (1 + Math.abs(expected)));
        expect(viaField.get(i, j)).toBe(lin.get(i, j));
        if (near.get(i, j) !== naiveNearest(img, [nr, nc], [x, y])) nearMismatch++;
      }
    }
    expect(nearMismatch).toBe(0);
  });

  it('warps with a field and affines like a naive evaluation (2D and 3D)', () => {
    const nr = 20, nc = 24;
    const img = smoothImage2d(nr, nc);
    const fshape = [9, 11];
    const field = randomFloat32(mulberry32(3), 9 * 11 * 2, -2, 2);
    const A = new Float64Array([0.45, 0.02, 0.1, -0.01, 0.47, -0.2, 0, 0, 1]);
    const B = rotationAbout(-0.3, 10, 12, 0.95);
    const C = new Float64Array([1.2, 0.1, 5, -0.1, 0.9, -7, 0, 0, 1]); // translation must be ignored
    const outShape = [18, 22];
    const w = warpImage(ndarray(img, [nr, nc]), ndarray(field, [...fshape, 2]), { affineIdxIn: A, affineIdxOut: B, affineDisp: C, outShape });
    const f0 = new Float32Array(99), f1 = new Float32Array(99);
    for (let p = 0; p < 99; p++) { f0[p] = field[2 * p]; f1[p] = field[2 * p + 1]; }
    for (let i = 0; i < outShape[0]; i++) for (let j = 0; j < outShape[1]; j++) {
      const a0 = A[0] * i + A[1] * j + A[2], a1 = A[3] * i + A[4] * j + A[5];
      const v0 = naiveLinearDouble(f0, [9, 11], [a0, a1]), v1 = naiveLinearDouble(f1, [9, 11], [a0, a1]);
      const x = C[0] * v0 + C[1] * v1 + B[0] * i + B[1] * j + B[2];
      const y = C[3] * v0 + C[4] * v1 + B[3] * i + B[4] * j + B[5];
      expect(w.get(i, j)).toBeCloseTo(naiveLinearDouble(img, [nr, nc], [x, y]), 5);
    }

    const vol = randomFloat32(mulberry32(4), 6 * 7 * 8);
    const f3 = randomFloat32(mulberry32(5), 6 * 7 * 8 * 3, -1.5, 1.5);
    const w3 = warpImage(ndarray(vol, [6, 7, 8]), ndarray(f3, [6, 7, 8, 3]));
    for (let k = 0; k < 6; k++) for (let i = 0; i < 7; i++) for (let j = 0; j < 8; j++) {
      const p = ((k * 7 + i) * 8 + j) * 3;
      const e = naiveLinearDouble(vol, [6, 7, 8], [k + f3[p], i + f3[p + 1], j + f3[p + 2]]);
      expect(w3.get(k, i, j)).toBeCloseTo(e, 5);
    }
  });

  it('reads strided ndarray inputs like their contiguous copies', () => {
    const img = randomFloat32(mulberry32(6), 12 * 10);
    const field = randomFloat32(mulberry32(7), 10 * 12 * 2, -1.2, 1.2);
    const t = ndarray(img, [12, 10]).transpose(1, 0); // shape [10, 12]
    const contiguous = new Float32Array(120);
    for (let i = 0; i < 10; i++) for (let j = 0; j < 12; j++) contiguous[i * 12 + j] = t.get(i, j);
    const a = warpImage(t, ndarray(field, [10, 12, 2]));
    const b = warpImage(ndarray(contiguous, [10, 12]), ndarray(field, [10, 12, 2]));
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
  });

  it('rejects bad inputs with typed errors', () => {
    const img = ndarray(new Float32Array(16), [4, 4]);
    expect(() => warpImage(img, ndarray(new Float32Array(4 * 4 * 4 * 3), [4, 4, 4, 3]))).toThrow(DimensionError);
    expect(() => warpImage(img, ndarray(new Float32Array(4 * 4 * 3), [4, 4, 3]))).toThrow(ShapeMismatchError);
    const nan = new Float32Array(32);
    nan[5] = NaN;
    expect(() => warpImage(img, ndarray(nan, [4, 4, 2]))).toThrow(NonFiniteError);
    expect(() => warpImage(img, ndarray(new Int32Array(32), [4, 4, 2]) as never)).toThrow(DtypeError);
    expect(() => warpImage(img, null, { affineIdxOut: [1, 0, 0, 0, NaN, 0, 0, 0, 1] })).toThrow(InvalidAffineError);
    expect(() => warpImage(img, null, { affineIdxOut: [1, 0, 0, 1] })).toThrow(InvalidAffineError);
    expect(() => warpImage(img, null, { interpolation: 'cubic' as never })).toThrow(InvalidArgumentError);
    expect(() => transformAffine(img, [4, 4, 4], null)).toThrow(DimensionError);
  });
});

describe('composeVectorFields', () => {
  it('adds constant translations where the sample is strictly inside, zero elsewhere', () => {
    const nr = 12, nc = 10;
    const d1 = new Float32Array(nr * nc * 2), d2 = new Float32Array(nr * nc * 2);
    for (let p = 0; p < nr * nc; p++) { d1[2 * p] = 1.5; d1[2 * p + 1] = -0.75; d2[2 * p] = -0.25; d2[2 * p + 1] = 2; }
    const t = 0.5;
    const { field, stats } = composeVectorFields(ndarray(d1, [nr, nc, 2]), ndarray(d2, [nr, nc, 2]), { timeScaling: t });
    let maxq = 0, sumq = 0, cnt = 0;
    for (let i = 0; i < nr; i++) for (let j = 0; j < nc; j++) {
      const x = i + 1.5, y = j - 0.75;
      const inside = x >= 0 && y >= 0 && x < nr - 1 && y < nc - 1;
      const e0 = inside ? 1.5 + t * -0.25 : 0, e1 = inside ? -0.75 + t * 2 : 0;
      expect(field.get(i, j, 0)).toBe(e0);
      expect(field.get(i, j, 1)).toBe(e1);
      if (inside) { const q = e0 * e0 + e1 * e1; maxq = Math.max(maxq, q); sumq += q; cnt++; }
    }
    expect(stats[0]).toBeCloseTo(Math.sqrt(maxq), 12);
    expect(stats[1]).toBeCloseTo(Math.sqrt(sumq / cnt), 12);
    expect(stats[2]).toBeCloseTo(0, 6);
  });

  it('runs in place on d1 with the same result, and refuses to write into d2', () => {
    const d1 = randomFloat32(mulberry32(8), 15 * 14 * 2, -2, 2), d2 = randomFloat32(mulberry32(9), 15 * 14 * 2, -2, 2);
    const B = new Float64Array([0.9, 0.1, 0, -0.1, 1.1, 0, 0, 0, 1]);
    const ref = composeVectorFields(ndarray(d1, [15, 14, 2]), ndarray(d2, [15, 14, 2]), { premultDisp: B, timeScaling: 1.3 });
    const inPlace = ndarray(d1.slice(), [15, 14, 2]);
    const res = composeVectorFields(inPlace, ndarray(d2, [15, 14, 2]), { premultDisp: B, timeScaling: 1.3, out: inPlace });
    expect(res.field).toBe(inPlace);
    expect(Array.from(inPlace.data)).toEqual(Array.from(ref.field.data));
    expect(res.stats).toEqual(ref.stats);
    const d2v = ndarray(d2.slice(), [15, 14, 2]);
    expect(() => composeVectorFields(ndarray(d1, [15, 14, 2]), d2v, { out: d2v })).toThrow(InvalidArgumentError);
    expect(() => composeVectorFields(ndarray(d1, [15, 14, 2]), ndarray(new Float32Array(5 * 5 * 5 * 3), [5, 5, 5, 3]))).toThrow(DimensionError);
    expect(() => composeVectorFields(ndarray(d1, [15, 14, 2]), ndarray(d2, [15, 14, 2]), { timeScaling: NaN })).toThrow(InvalidArgumentError);
  });
});

describe('invertVectorFieldFixedPoint', () => {
  it('inverts the harmonic field: invert ∘ compose ≈ identity and ≈ the analytic inverse (2D)', () => {
    const n = 64;
    const { field } = createHarmonicFields2d(n, n, 0.2, 8);
    const { field: inv, result } = invertVectorFieldFixedPoint(field, { maxIter: 40, tolerance: 1e-7 });
    expect(result.iterations).toBeGreaterThan(0);
    expect(result.iterations).toBeLessThanOrEqual(40);
    // DIPY's inversion error: compose(inverse, field) = inv(x) + d(x + inv(x)) ≈ 0 (decimal 4)
    const residual = composeVectorFields(inv, field);
    expect(residual.stats[1]).toBeLessThan(1.5e-4);
    expect(residual.stats[2]).toBeLessThan(1.5e-4);
    // agreement with the closed-form inverse inside the disc (a smoother field, so that
    // bilinear sampling resolves its lobes; outside the inscribed disc the field leaves the grid)
    const smooth = createHarmonicFields2d(n, n, 0.1, 4);
    const inv2 = invertVectorFieldFixedPoint(smooth.field, { maxIter: 40, tolerance: 1e-7 }).field;
    let worst = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      if (Math.hypot(i - 32, j - 32) > 26) continue;
      for (let k = 0; k < 2; k++) worst = Math.max(worst, Math.abs(inv2.get(i, j, k) - smooth.inverse.get(i, j, k)));
    }
    expect(worst).toBeLessThan(0.05);
  });

  it('inverts a 3D harmonic field with a warm start and anisotropic spacing', () => {
    const { field, inverse } = createHarmonicFields3d(16, 20, 20, 0.1, 4);
    const cold = invertVectorFieldFixedPoint(field, { maxIter: 30, tolerance: 1e-5, spacing: [1, 1, 1] });
    const warm = invertVectorFieldFixedPoint(field, { maxIter: 30, tolerance: 1e-5, start: cold.field });
    expect(warm.result.iterations).toBeLessThanOrEqual(cold.result.iterations);
    let worst = 0;
    for (let k = 3; k < 13; k++) for (let i = 3; i < 17; i++) for (let j = 3; j < 17; j++) for (let c = 0; c < 3; c++) {
      worst = Math.max(worst, Math.abs(warm.field.get(k, i, j, c) - inverse.get(k, i, j, c)));
    }
    // 3D stops once the largest residual is ≤ 0.1 voxel
    expect(worst).toBeLessThan(0.2);
    expect(composeVectorFields(warm.field, field).stats[1]).toBeLessThan(0.05);
  });

  it('validates its options', () => {
    const { field } = createHarmonicFields2d(8, 8, 0.2, 4);
    expect(() => invertVectorFieldFixedPoint(field, { spacing: [1, 1, 1] })).toThrow(ShapeMismatchError);
    expect(() => invertVectorFieldFixedPoint(field, { spacing: [1, 0] })).toThrow(InvalidArgumentError);
    expect(() => invertVectorFieldFixedPoint(field, { maxIter: 1.5 })).toThrow(InvalidArgumentError);
    expect(() => invertVectorFieldFixedPoint(field, { worldToGrid: [[1, 0, 0], [0, Infinity, 0], [0, 0, 1]] })).toThrow(InvalidAffineError);
    expect(() => invertVectorFieldFixedPoint(field, { start: createHarmonicFields2d(9, 8, 0.2, 4).field })).toThrow(ShapeMismatchError);
  });
});

describe('resampling and downsampling', () => {
  it('expanding by 2 and taking every second sample returns the original (2D and 3D)', () => {
    const { field } = createHarmonicFields2d(32, 32, 0.2, 4);
    const f32 = Float32Array.from(field.data);
    const up = resampleDisplacementField(ndarray(f32, [32, 32, 2]), [0.5, 0.5], [64, 64]);
    for (let i = 0; i < 32; i++) for (let j = 0; j < 32; j++) for (let k = 0; k < 2; k++) {
      expect(up.get(2 * i, 2 * j, k) + 0).toBe(f32[(i * 32 + j) * 2 + k] + 0);
    }
    const h3 = createHarmonicFields3d(8, 10, 12, 0.2, 4).field;
    const up3 = resampleDisplacementField(h3, [0.5, 0.5, 0.5], [16, 20, 24]);
    for (let s = 0; s < 8; s++) for (let i = 0; i < 10; i++) for (let j = 0; j < 12; j++) for (let k = 0; k < 3; k++) {
      expect(up3.get(2 * s, 2 * i, 2 * j, k) + 0).toBe(Math.fround(h3.get(s, i, j, k)) + 0);
    }
  });

  it('downsamples by block means with partial blocks at odd sizes', () => {
    for (const shape of [[7, 8], [8, 7], [5, 6, 7]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const img = randomFloat32(mulberry32(10 + n), n);
      const down = downsampleScalarField(ndarray(img, shape));
      const dshape = shape.map((s) => Math.ceil(s / 2));
      expect(down.shape).toEqual(dshape);
      const field = randomFloat32(mulberry32(20 + n), n * shape.length);
      const fdown = downsampleDisplacementField(ndarray(field, [...shape, shape.length]));
      expect(fdown.shape).toEqual([...dshape, shape.length]);
      const sums = new Float64Array(down.data.length * (1 + shape.length)), cnt = new Float64Array(down.data.length);
      const d = shape.length;
      for (let p = 0; p < n; p++) {
        const idx = d === 2 ? [Math.floor(p / shape[1]), p % shape[1]] : [Math.floor(p / (shape[1] * shape[2])), Math.floor(p / shape[2]) % shape[1], p % shape[2]];
        const q = d === 2 ? (idx[0] >> 1) * dshape[1] + (idx[1] >> 1) : ((idx[0] >> 1) * dshape[1] + (idx[1] >> 1)) * dshape[2] + (idx[2] >> 1);
        sums[q * (1 + d)] += img[p];
        for (let k = 0; k < d; k++) sums[q * (1 + d) + 1 + k] += field[p * d + k];
        cnt[q]++;
      }
      for (let q = 0; q < down.data.length; q++) {
        expect(down.data[q]).toBeCloseTo(sums[q * (1 + d)] / cnt[q], 5);
        for (let k = 0; k < d; k++) expect(fdown.data[q * d + k]).toBeCloseTo(sums[q * (1 + d) + 1 + k] / cnt[q], 5);
      }
    }
  });
});

describe('gradients', () => {
  it('numpyGradient uses central differences inside and one-sided at the ends (float32)', () => {
    const nr = 6, nc = 7;
    const img = randomFloat32(mulberry32(30), nr * nc, -3, 3);
    const g = numpyGradient(ndarray(img, [nr, nc]));
    const f = Math.fround;
    const at = (i: number, j: number) => img[i * nc + j];
    for (let i = 0; i < nr; i++) for (let j = 0; j < nc; j++) {
      const g0 = i === 0 ? f(at(1, j) - at(0, j)) : i === nr - 1 ? f(at(i, j) - at(i - 1, j)) : f(f(at(i + 1, j) - at(i - 1, j)) / 2);
      const g1 = j === 0 ? f(at(i, 1) - at(i, 0)) : j === nc - 1 ? f(at(i, j) - at(i, j - 1)) : f(f(at(i, j + 1) - at(i, j - 1)) / 2);
      expect(g.get(i, j, 0)).toBe(g0);
      expect(g.get(i, j, 1)).toBe(g1);
    }
    expect(() => numpyGradient(ndarray(new Float32Array(5), [1, 5]))).toThrow(ImageTooSmallError);
  });

  it('gradient recovers the slope of a linear ramp in world units (2D and 3D)', () => {
    const nr = 12, nc = 14;
    const ramp = new Float32Array(nr * nc);
    for (let i = 0; i < nr; i++) for (let j = 0; j < nc; j++) ramp[i * nc + j] = 0.5 * i - 0.25 * j;
    // voxel size 2 along rows: world = 2·i, so d/dworld0 = 0.25
    const g2w = [[2, 0, 0], [0, 1, 0], [0, 0, 1]];
    const w2g = [[0.5, 0, 0], [0, 1, 0], [0, 0, 1]];
    const { gradient: g, inside } = gradient(ndarray(ramp, [nr, nc]), { imageWorldToGrid: w2g, outGridToWorld: g2w });
    for (let i = 1; i < nr - 1; i++) for (let j = 1; j < nc - 1; j++) {
      expect(inside.get(i, j)).toBe(1);
      expect(g.get(i, j, 0)).toBeCloseTo(0.25, 5);
      expect(g.get(i, j, 1)).toBeCloseTo(-0.25, 5);
    }
    expect(inside.get(0, 5)).toBe(0);
    const vol = new Float32Array(6 * 7 * 8);
    for (let k = 0; k < 6; k++) for (let i = 0; i < 7; i++) for (let j = 0; j < 8; j++) vol[(k * 7 + i) * 8 + j] = k - 2 * i + 0.5 * j;
    const r3 = gradient(ndarray(vol, [6, 7, 8]));
    expect(r3.gradient.get(3, 3, 3, 0)).toBeCloseTo(1, 5);
    expect(r3.gradient.get(3, 3, 3, 1)).toBeCloseTo(-2, 5);
    expect(r3.gradient.get(3, 3, 3, 2)).toBeCloseTo(0.5, 5);
  });
});

describe('reorientVectorField', () => {
  it('two 45° rotations equal one 90° rotation; translation ignored; in place', () => {
    const v = randomFloat32(mulberry32(40), 9 * 8 * 2, -3, 3);
    const orig = v.slice();
    const c = Math.SQRT1_2;
    const r45 = [[c, -c, 7], [c, c, -3], [0, 0, 1]];
    const nd = ndarray(v, [9, 8, 2]);
    const out = reorientVectorField(nd, r45);
    expect(out).toBe(nd);
    reorientVectorField(nd, r45);
    for (let p = 0; p < 72; p++) {
      expect(v[2 * p]).toBeCloseTo(-orig[2 * p + 1], 5);
      expect(v[2 * p + 1]).toBeCloseTo(orig[2 * p], 5);
    }
    // strided (planar) storage is updated through the view
    const planes = new Float64Array(2 * 3 * 4).map((_, i) => i);
    const view = ndarray(planes, [2, 3, 4]).transpose(1, 2, 0);
    const before = [view.get(1, 2, 0), view.get(1, 2, 1)];
    reorientVectorField(view, [[0, -1, 0], [1, 0, 0], [0, 0, 1]]);
    expect([view.get(1, 2, 0), view.get(1, 2, 1)]).toEqual([-before[1], before[0]]);
    // 3D and null no-op
    const v3 = randomFloat32(mulberry32(41), 4 * 4 * 4 * 3);
    const copy = v3.slice();
    reorientVectorField(ndarray(v3, [4, 4, 4, 3]), null);
    expect(Array.from(v3)).toEqual(Array.from(copy));
    reorientVectorField(ndarray(v3, [4, 4, 4, 3]), [[2, 0, 0, 5], [0, 3, 0, 5], [0, 0, 4, 5], [0, 0, 0, 1]]);
    expect(v3[0]).toBe(Math.fround(2 * copy[0]));
    expect(v3[1]).toBe(Math.fround(3 * copy[1]));
    expect(v3[2]).toBe(Math.fround(4 * copy[2]));
  });
});

describe('simplifyWarpFunction', () => {
  it('with identity affines returns the field; translation-only V adds the shift', () => {
    const f = randomFloat32(mulberry32(50), 7 * 9 * 2, -2, 2);
    const same = simplifyWarpFunction(ndarray(f, [7, 9, 2]), null, null, null, [7, 9]);
    expect(Array.from(same.data)).toEqual(Array.from(f));
    const shifted = simplifyWarpFunction(ndarray(f, [7, 9, 2]), null, [[1, 0, 2], [0, 1, -1], [0, 0, 1]], null, [7, 9]);
    for (let p = 0; p < 63; p++) {
      expect(shifted.data[2 * p]).toBe(Math.fround(f[2 * p] + 2));
      expect(shifted.data[2 * p + 1]).toBe(Math.fround(f[2 * p + 1] - 1));
    }
  });
});

describe('synthetic data', () => {
  it('harmonic fields follow the closed form and are mutually inverse', () => {
    for (const [b, m] of [[0.1, 2], [0.3, 4], [0.7, 7]]) {
      const { field, inverse } = createHarmonicFields2d(64, 67, b, m);
      for (const [i, j] of [[0, 0], [10, 50], [32, 33], [63, 66], [40, 5]]) {
        const ii = i - 32, jj = j - 33;
        const th = Math.atan2(ii, jj);
        const s = 1 / (1 + b * Math.cos(m * th)) - 1;
        expect(field.get(i, j, 0)).toBeCloseTo(ii * s, 12);
        expect(field.get(i, j, 1)).toBeCloseTo(jj * s, 12);
        expect(inverse.get(i, j, 0)).toBeCloseTo(b * Math.cos(m * th) * ii, 12);
        // x + d(x) then y + inv(y) returns x (θ is preserved by the radial map)
        const y0 = ii + field.get(i, j, 0), y1 = jj + field.get(i, j, 1);
        const t2 = Math.atan2(y0, y1);
        if (ii !== 0 || jj !== 0) {
          expect(y0 + b * Math.cos(m * t2) * y0).toBeCloseTo(ii, 9);
          expect(y1 + b * Math.cos(m * t2) * y1).toBeCloseTo(jj, 9);
        }
      }
    }
    const h3 = createHarmonicFields3d(5, 6, 7, 0.3, 4);
    const th = Math.atan2(4 - 3, 1 - 3);
    expect(h3.field.get(0, 4, 1, 0)).toBeCloseTo((0 - 2) * (1 / (1 + 0.3 * Math.cos(4 * th)) - 1), 12);
  });

  it('circles and spheres count the lattice points within the radius', () => {
    for (const r of [0, 7, 17, 32]) {
      const c = createCircle(64, 61, r);
      let count = 0, expected = 0;
      for (let i = 0; i < 64; i++) for (let j = 0; j < 61; j++) {
        count += c.get(i, j);
        if ((i - 32) ** 2 + (j - 30) ** 2 <= r * r) expected++;
      }
      expect(count).toBe(expected);
    }
    const s = createSphere(20, 21, 22, 6);
    let count = 0, expected = 0;
    for (let k = 0; k < 20; k++) for (let i = 0; i < 21; i++) for (let j = 0; j < 22; j++) {
      count += s.get(k, i, j);
      if ((k - 10) ** 2 + (i - 10) ** 2 + (j - 11) ** 2 <= 36) expected++;
    }
    expect(count).toBe(expected);
    expect(() => createCircle(0, 5, 2)).toThrow(InvalidArgumentError);
  });
});
