/**
 * The affine stage on the WebAssembly kernels: whole DIPY fixture pipelines give the same bits
 * as on the TypeScript kernels (the kernels themselves are checked one by one by
 * `@diffeo/conformance`'s describeBackend in `@diffeo/wasm-kernels`), and the remaining typed
 * errors of the stage (non-finite parameters from the optimiser, invalid affines, unknown options).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ContextFrozenError, InvalidArgumentError, createContext, type Volume } from '@diffeo/core';
import { wasmBackend } from '@diffeo/wasm-kernels';
import { AffineRegistration, affineRegistration } from './affine-registration.js';
import { AffineInvalidValuesError, NonFiniteParametersError } from './errors.js';
import { MutualInformationMetric } from './mutual-information.js';
import { fixturePair as pair, sameBits } from './fixtures.test-util.js';

describe('affine registration on the WebAssembly kernels', async () => {
  const backend = await wasmBackend();
  const ctx = createContext(backend);
  afterAll(() => backend.dispose?.());

  it('the context serves the affine kernels from wasm', () => {
    for (const k of ['resampleAffineLinear2d', 'resampleAffineLinear3d', 'affineGradient2d', 'affineGradient3d', 'affineGradientSparse',
      'parzenJointPdf', 'parzenJointGradient'] as const) expect(ctx.backendOf(k)).toBe('wasm');
  });

  it('2D T1 pipeline with masks (short levels): every stage the same bits as on the TypeScript kernels', () => {
    const { st, mv } = pair('pipeline_t1_2d');
    const staticMask = Uint8Array.from(st.data, (v) => (v > 0.05 ? 1 : 0));
    const movingMask = Uint8Array.from(mv.data, (v) => (v > 50 ? 1 : 0));
    const opts = { static: st, moving: mv, levelIters: [30, 15, 8], staticMask, movingMask };
    const ts = affineRegistration(opts), wasm = affineRegistration({ ...opts, context: ctx });
    ts.stages.forEach((s, i) => expect(sameBits(wasm.stages[i].affine, s.affine), s.stage).toBe(true));
  });

  it('3D b0 pipeline (short levels): every stage the same bits as on the TypeScript kernels', () => {
    const { st, mv } = pair('pipeline_b0_3d');
    // fewer iterations than the fixture (the DIPY comparison is in affine-registration.test.ts): bits, not accuracy
    const opts = { static: st, moving: mv, levelIters: [12, 6, 3] };
    const ts = affineRegistration(opts), wasm = affineRegistration({ ...opts, context: ctx });
    ts.stages.forEach((s, i) => expect(sameBits(wasm.stages[i].affine, s.affine), s.stage).toBe(true));
  });

  it('sparse sampling: the same metric value and gradient bits', () => {
    const { st, mv } = pair('pipeline_t1_2d');
    const run = (m: MutualInformationMetric) => {
      const reg = new AffineRegistration({ metric: m, levelIters: [5], factors: [1], sigmas: [0] });
      return reg.optimize({ static: st, moving: mv, transform: 'rigid' });
    };
    const a = run(new MutualInformationMetric({ samplingProportion: 0.3 }));
    const b = run(new MutualInformationMetric({ samplingProportion: 0.3, context: ctx }));
    expect(sameBits(b.params, a.params)).toBe(true);
    expect(Object.is(b.value, a.value)).toBe(true);
  });
});

describe('typed errors of the affine stage', () => {
  const { st, mv } = pair('pipeline_t1_2d');

  it('non-finite parameters out of the optimiser (DIPY AffineInvalidValuesError) → NonFiniteParametersError', () => {
    const reg = new AffineRegistration({ levelIters: [3], factors: [1], sigmas: [0] });
    expect(() => reg.optimize({ static: st, moving: mv, transform: 'translation', params0: [Number.NaN, 0] })).toThrow(NonFiniteParametersError);
  });

  it('a non-finite starting affine → AffineInvalidValuesError', () => {
    expect(() => affineRegistration({ static: st, moving: mv, startingAffine: [1, 0, Number.NaN, 0, 1, 0, 0, 0, 1] }))
      .toThrow(AffineInvalidValuesError);
  });

  it('an all-zero image → EmptyImageError for MI (and a constant one, see affine-registration.test.ts)', () => {
    const zero: Volume = { data: new Float32Array(st.data.length), shape: st.shape, gridToWorld: st.gridToWorld };
    expect(() => affineRegistration({ static: st, moving: zero, pipeline: ['translation'] })).toThrow(/constant/);
  });

  it('unknown option keys → InvalidArgumentError naming the key', () => {
    expect(() => affineRegistration({ static: st, moving: mv, levelIter: [1] } as never)).toThrow(InvalidArgumentError);
    expect(() => new AffineRegistration({ gtoll: 1 } as never)).toThrow(/gtoll/);
    expect(() => new MutualInformationMetric({ bins: 8 } as never)).toThrow(/bins/);
  });
});

describe('kernel context held during a run', () => {
  it('a backend cannot be registered on the context while optimize runs, and can after', () => {
    const { st, mv } = pair('pipeline_t1_2d');
    const ctx = createContext();
    const spy = { name: 'spy', priority: 1, kernels: {} };
    let tried = false;
    const reg = new AffineRegistration({ levelIters: [2], factors: [1], sigmas: [0], context: ctx });
    reg.optimize({
      static: st, moving: mv, transform: 'translation',
      onProgress: (e) => {
        if (e.type !== 'levelStart' || tried) return;
        tried = true;
        expect(() => ctx.use(spy)).toThrow(ContextFrozenError);
      },
    });
    expect(tried).toBe(true);
    expect(() => ctx.use(spy)).not.toThrow();
  });
});
