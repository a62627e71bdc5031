import { describe, expect, it } from 'vitest';
import { EmptyImageError, type Volume } from '@diffeo/core';
import { MutualInformationMetric } from './mutual-information.js';
import { sampleDomainRegular } from './sampling.js';
import { getTransform, type TransformName } from './transforms.js';
import { fixtureArray, fixtureCase, flat } from './fixtures.test-util.js';

function rel(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
}

function inputs(name: string): { st: Volume; mv: Volume } {
  const p = fixtureCase(name).params;
  const is3d = p.dim === 3;
  const s = fixtureArray('data', is3d ? 'blobs_static' : 'b0_static'), m = fixtureArray('data', is3d ? 'blobs_moving' : 'b0_moving');
  const f = (a: typeof s) => Float64Array.from(a.data, (v) => (is3d ? v : v / 4095.0));
  return {
    st: { data: f(s), shape: s.shape as unknown as Volume['shape'], gridToWorld: flat(p.static_grid2world) },
    mv: { data: f(m), shape: m.shape as unknown as Volume['shape'], gridToWorld: flat(p.moving_grid2world) },
  };
}

const NAMES: Record<string, TransformName> = { rigid: 'rigid', affine: 'affine', rigidscaling: 'rigidScaling' };

describe('MutualInformationMetric vs DIPY 1.6', () => {
  for (const name of ['mi_dense_rigid_2d', 'mi_dense_affine_2d', 'mi_dense_rigidscaling_2d_masks', 'mi_sparse_rigid_2d', 'mi_dense_rigid_3d', 'mi_dense_affine_3d']) {
    it(name, () => {
      const c = fixtureCase(name), p = c.params;
      const { st, mv } = inputs(name);
      const t = getTransform(NAMES[p.transform as string], p.dim as 2 | 3);
      const metric = new MutualInformationMetric({ nbins: 32, samplingProportion: p.sampling_proportion as number | null });
      const masks = p.masks ? { staticMask: Int32Array.from(st.data, (v) => (v > 0.05 ? 1 : 0)), movingMask: Int32Array.from(mv.data, (v) => (v > 0.05 ? 1 : 0)) } : {};
      metric.setup({ transform: t, static: st, moving: mv, startingAffine: flat(p.starting_affine), ...masks });
      const { value, gradient } = metric.distanceAndGradient(p.theta as number[]);
      expect(rel(value, c.values.distance as number)).toBeLessThan(1e-6);
      const ref = c.values.gradient as number[];
      const gmax = Math.max(...ref.map(Math.abs));
      for (let k = 0; k < ref.length; k++) expect(Math.abs(gradient[k] - ref[k]) / gmax).toBeLessThan(1e-6);
      const joint = fixtureArray(name, 'joint').data;
      let jd = 0;
      for (let i = 0; i < joint.length; i++) jd = Math.max(jd, Math.abs(metric.histogram.joint[i] - joint[i]));
      expect(jd).toBeLessThan(1e-12);
      expect(metric.distance(p.theta as number[])).toBe(value);
    });
  }

  it('gradient agrees with finite differences of the distance (dense, 2D rigid)', () => {
    const { st, mv } = inputs('mi_dense_rigid_2d');
    const p = fixtureCase('mi_dense_rigid_2d').params;
    const metric = new MutualInformationMetric();
    metric.setup({ transform: getTransform('rigid', 2), static: st, moving: mv, startingAffine: flat(p.starting_affine) });
    const th = [0.05, 1.5, -2.0];
    const g = metric.gradient(th);
    const h = [1e-4, 1e-2, 1e-2];
    const fd: number[] = [];
    for (let k = 0; k < 3; k++) {
      const a = th.slice(), b = th.slice();
      a[k] += h[k]; b[k] -= h[k];
      fd.push((metric.distance(a) - metric.distance(b)) / (2 * h[k]));
    }
    // DIPY's analytic gradient ignores the moving-mask/boundary changes and samples the moving
    // gradient by half-voxel central differences, so it matches finite differences in direction.
    const dot = fd.reduce((s, v, k) => s + v * g[k], 0);
    const cos = dot / Math.hypot(...fd) / Math.hypot(...g);
    expect(cos).toBeGreaterThan(0.9);
  });

  it('sampleDomainRegular draws the points DIPY draws (NumPy legacy MT19937, seed 1234)', () => {
    const p = fixtureCase('sample_domain_regular').params;
    const ref2 = fixtureArray('sample_domain_regular', 'samples_2d').data;
    const got2 = sampleDomainRegular(3, [7, 9], flat(p.grid2world));
    expect(got2.length).toBe(ref2.length);
    for (let i = 0; i < ref2.length; i++) expect(Math.abs(got2[i] - ref2[i])).toBeLessThan(1e-12);
    const ref3 = fixtureArray('sample_domain_regular', 'samples_3d').data;
    const g3 = flat(fixtureCase('mi_dense_rigid_3d').params.static_grid2world);
    const got3 = sampleDomainRegular(4, [5, 6, 7], g3);
    expect(got3.length).toBe(ref3.length);
    for (let i = 0; i < ref3.length; i++) expect(Math.abs(got3[i] - ref3[i])).toBeLessThan(1e-12);
  });

  it('rejects a constant image and bad options', () => {
    const z: Volume = { data: new Float64Array(64).fill(3), shape: [8, 8], gridToWorld: null };
    const o: Volume = { data: Float64Array.from({ length: 64 }, (_, i) => i), shape: [8, 8], gridToWorld: null };
    const m = new MutualInformationMetric();
    expect(() => m.setup({ transform: getTransform('rigid', 2), static: z, moving: o })).toThrow(EmptyImageError);
    expect(() => m.setup({ transform: getTransform('rigid', 2), static: o, moving: z })).toThrow(EmptyImageError);
    expect(() => new MutualInformationMetric({ samplingProportion: 0 })).toThrow(/samplingProportion/);
    expect(() => new MutualInformationMetric({ nbins: 2 })).toThrow(/nbins/);
  });

  it('an invalid current affine gives +Infinity and a zero gradient', () => {
    const o: Volume = { data: Float64Array.from({ length: 64 }, (_, i) => (i * 7) % 11), shape: [8, 8], gridToWorld: null };
    const m = new MutualInformationMetric();
    m.setup({ transform: getTransform('affine', 2), static: o, moving: o });
    expect(m.distance([0, 0, 0, 0, 0, 0])).toBe(Infinity);
    expect(Array.from(m.gradient([0, 0, 0, 0, 0, 0]))).toEqual([0, 0, 0, 0, 0, 0]);
  });
});
