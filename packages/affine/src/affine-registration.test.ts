import { describe, expect, it } from 'vitest';
import { AbortError, EmptyImageError, InvalidArgumentError, ShapeMismatchError, type Volume } from '@diffeo/core';
import { affineRegistration, type PipelineStage, type AffineProgressEvent } from './affine-registration.js';
import { AffineInversionError } from './errors.js';
import { IsotropicScaleSpace } from './scale-space.js';
import { fixtureArray, fixtureCase, flat } from './fixtures.test-util.js';

function t1(): { st: Volume; mv: Volume } {
  const p = fixtureCase('pipeline_t1_2d').params;
  const s = fixtureArray('pipeline_t1_2d', 'static'), m = fixtureArray('pipeline_t1_2d', 'moving');
  return {
    st: { data: s.data, shape: s.shape as unknown as Volume['shape'], gridToWorld: flat(p.static_grid2world) },
    mv: { data: m.data, shape: m.shape as unknown as Volume['shape'], gridToWorld: flat(p.moving_grid2world) },
  };
}

/** Mean distance (mm) between A·x and B·x over the static foreground's world points x. */
function meanDisplacement(A: ArrayLike<number>, B: ArrayLike<number>, st: Volume): number {
  const g = st.gridToWorld!;
  const [nr, nc] = st.shape;
  let s = 0, n = 0;
  for (let i = 0; i < nr; i++) {
    for (let j = 0; j < nc; j++) {
      if (st.data[i * nc + j] <= 0.1) continue; // foreground of the T1 slice
      const x = g[0] * i + g[1] * j + g[2], y = g[3] * i + g[4] * j + g[5];
      const dx = (A[0] - B[0]) * x + (A[1] - B[1]) * y + (A[2] - B[2]);
      const dy = (A[3] - B[3]) * x + (A[4] - B[4]) * y + (A[5] - B[5]);
      s += Math.hypot(dx, dy);
      n++;
    }
  }
  return s / n;
}

describe('IsotropicScaleSpace vs DIPY 1.6', () => {
  it('levels of a 2D b0 slice', () => {
    const c = fixtureCase('scalespace_iso_2d'), p = c.params;
    const s = fixtureArray('data', 'b0_static');
    const img = Float64Array.from(s.data, (v) => v / 4095.0);
    const ss = new IsotropicScaleSpace(img, s.shape, [4, 2, 1], [3, 1, 0], flat(p.grid2world), p.spacing as number[]);
    for (let L = 0; L < 3; L++) {
      const ref = fixtureArray('scalespace_iso_2d', `image_${L}`).data;
      let md = 0;
      for (let i = 0; i < ref.length; i++) md = Math.max(md, Math.abs(ss.levels[L].image[i] - ref[i]));
      expect(md).toBeLessThanOrEqual(1.2e-7);
      expect(ss.levels[L].domainShape).toEqual(c.values[`domain_shape_${L}`]);
      expect(Array.from(ss.levels[L].gridToWorld)).toEqual(Array.from(flat(c.values[`affine_${L}`])));
    }
  });
});

describe('affineRegistration vs DIPY 1.6 on a 128×128 T1 slice pair', () => {
  it('centerOfMass, translation, rigid, affine: each stage within 0.1 mm of DIPY over the foreground', () => {
    const c = fixtureCase('pipeline_t1_2d');
    const { st, mv } = t1();
    const events: AffineProgressEvent[] = [];
    const r = affineRegistration({
      static: st, moving: mv, pipeline: ['centerOfMass', 'translation', 'rigid', 'affine'],
      levelIters: c.params.level_iters as number[], onProgress: (e) => events.push(e),
    });
    const keys = ['affine_com', 'affine_translation', 'affine_rigid', 'affine_affine'];
    r.stages.forEach((s, i) => {
      const ref = flat(c.values[keys[i]]);
      const d = meanDisplacement(s.affine, ref, st);
      console.log(`${s.stage}: ${d.toFixed(4)} mm from DIPY`);
      expect(d, `${s.stage}: ${d} mm`).toBeLessThanOrEqual(0.1);
    });
    expect(Array.from(r.stages[0].affine)).toEqual(Array.from(flat(c.values.affine_com)));
    expect(events.filter((e) => e.type === 'stageStart').length).toBe(4);
    expect(events.filter((e) => e.type === 'levelEnd').length).toBe(9);
    expect(r.map.transform(mv).shape).toEqual(st.shape);
  });

  it('typed errors', () => {
    const { st, mv } = t1();
    expect(() => affineRegistration({ static: st, moving: mv, pipeline: ['rigid', 'shear' as PipelineStage] })).toThrow(InvalidArgumentError);
    expect(() => affineRegistration({ static: st, moving: mv, startingAffine: [1, 2, 0, 2, 4, 0, 0, 0, 1] })).toThrow(AffineInversionError);
    const flatImg: Volume = { data: new Float32Array(st.data.length).fill(7), shape: st.shape, gridToWorld: null };
    expect(() => affineRegistration({ static: flatImg, moving: mv, pipeline: ['translation'] })).toThrow(EmptyImageError);
    expect(() => affineRegistration({ static: st, moving: mv, staticMask: new Uint8Array(10) })).toThrow(ShapeMismatchError);
    expect(() => affineRegistration({ static: st, moving: mv, movingMask: new Uint8Array(mv.data.length) })).toThrow(EmptyImageError);
    const ac = new AbortController();
    ac.abort();
    expect(() => affineRegistration({ static: st, moving: mv, signal: ac.signal })).toThrow(AbortError);
  });
});
