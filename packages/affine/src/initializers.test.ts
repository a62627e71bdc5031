import { describe, expect, it } from 'vitest';
import { EmptyImageError, type Volume } from '@diffeo/core';
import { transformCentersOfMass, transformGeometricCenters, transformOrigins, pairwiseSum, fusedMultiplyAdd } from './initializers.js';
import { AffineMap } from './affine-map.js';
import { AffineInvalidValuesError, AffineInversionError } from './errors.js';
import { fixtureArray, fixtureCase, flat } from './fixtures.test-util.js';

function vol(name: string, key: string, g2w: Float64Array | null): Volume {
  const a = fixtureArray(name, key);
  return { data: a.data, shape: a.shape as unknown as Volume['shape'], gridToWorld: g2w };
}

const PAIRS = {
  init_b0_2d: ['b0_static', 'b0_moving'],
  init_blobs_3d: ['blobs_static', 'blobs_moving'],
} as const;

describe('starting affines vs DIPY 1.6 (bit-exact)', () => {
  for (const [name, [sk, mk]] of Object.entries(PAIRS)) {
    it(name, () => {
      const p = fixtureCase(name).params;
      const sg = flat(p.static_grid2world), mg = flat(p.moving_grid2world);
      const st = vol('data', sk, sg), mv = vol('data', mk, mg);
      expect(Array.from(transformCentersOfMass(st, mv).affine!)).toEqual(Array.from(fixtureArray(name, 'com').data));
      expect(Array.from(transformGeometricCenters(st, mv).affine!)).toEqual(Array.from(fixtureArray(name, 'centers').data));
      expect(Array.from(transformOrigins(st, mv).affine!)).toEqual(Array.from(fixtureArray(name, 'origins').data));
      const st0 = vol('data', sk, null), mv0 = vol('data', mk, null);
      expect(Array.from(transformCentersOfMass(st0, mv0).affine!)).toEqual(Array.from(fixtureArray(name, 'com_identity').data));
    });
  }

  it('pairwiseSum equals a naive sum on integers and handles every block size', () => {
    for (const n of [0, 1, 7, 8, 9, 127, 128, 129, 1000]) {
      const a = Float64Array.from({ length: n }, (_, i) => (i * 7) % 13);
      expect(pairwiseSum(a, 0, n, false)).toBe(a.reduce((s, v) => s + v, 0));
    }
  });

  it('fusedMultiplyAdd rounds once', () => {
    const e = 2 ** -52;
    expect(fusedMultiplyAdd(1 + e, 1 - e, -1)).toBe(-(2 ** -104));
    expect((1 + e) * (1 - e) - 1).toBe(0);
    expect(fusedMultiplyAdd(0.1, 10, -1)).toBe(5.551115123125783e-17);
    expect(fusedMultiplyAdd(-3, 7, 2.5)).toBe(-18.5);
    expect(fusedMultiplyAdd(1e300, 1e-300, -1)).toBe(7.756385209041318e-17); // exact value from Python fractions
  });

  it('an all-zero image has no centre of mass', () => {
    const z: Volume = { data: new Float32Array(16), shape: [4, 4], gridToWorld: null };
    const o: Volume = { data: new Float32Array(16).fill(1), shape: [4, 4], gridToWorld: null };
    expect(() => transformCentersOfMass(z, o)).toThrow(EmptyImageError);
  });
});

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('AffineMap vs DIPY 1.6', () => {
  for (const [name, sk, mk] of [['affine_map_2d', 'b0_static', 'b0_moving'], ['affine_map_3d', 'blobs_static', 'blobs_moving']] as const) {
    it(`${name}: transform / transformInverse, linear and nearest`, () => {
      const p = fixtureCase(name).params;
      const sg = flat(p.domain_grid2world), mg = flat(p.codomain_grid2world);
      const st = vol('data', sk, sg), mv = vol('data', mk, mg);
      const amap = new AffineMap(flat(p.affine), { domainShape: st.shape, domainGridToWorld: sg, codomainShape: mv.shape, codomainGridToWorld: mg });
      const lin = amap.transform(mv);
      expect(lin.shape).toEqual(st.shape);
      expect(lin.data).toBeInstanceOf(Float64Array);
      const scale = name === 'affine_map_2d' ? 4095 : 1;
      expect(maxAbsDiff(lin.data, fixtureArray(name, 'transform_linear').data)).toBeLessThanOrEqual(1e-12 * scale);
      expect(maxAbsDiff(amap.transformInverse(st).data, fixtureArray(name, 'inverse_linear').data)).toBeLessThanOrEqual(1e-12 * scale);
      const asInt = (v: Volume): Volume => (v.data instanceof Float32Array ? v : { ...v, data: Int32Array.from(v.data) });
      const nn = amap.transform(asInt(mv), { interpolation: 'nearest' });
      const nnRef = fixtureArray(name, 'transform_nearest').data;
      expect(Array.from(nn.data)).toEqual(Array.from(nnRef));
      const nni = amap.transformInverse(asInt(st), { interpolation: 'nearest' });
      expect(Array.from(nni.data)).toEqual(Array.from(fixtureArray(name, 'inverse_nearest').data));
    });
  }

  it('rejects invalid affines like DIPY', () => {
    expect(() => new AffineMap([1, 0, 0, 0, 1, 0, 0, 0, 2])).toThrow(AffineInvalidValuesError);
    expect(() => new AffineMap([1, 0, 0, 0, 1, 0, 0.5, 0, 1])).toThrow(AffineInvalidValuesError);
    expect(() => new AffineMap([1, 0, 0, 0, Number.NaN, 0, 0, 0, 1])).toThrow(AffineInvalidValuesError);
    expect(() => new AffineMap([1, 2, 0, 2, 4, 0, 0, 0, 1])).toThrow(AffineInversionError);
    expect(() => new AffineMap([1, 0, 0, 1])).toThrow(AffineInversionError);
  });
});
