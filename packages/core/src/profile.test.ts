import { describe, expect, it } from 'vitest';
import ndarray from 'ndarray';
import {
  ContextFrozenError, DiffeomorphicMap, InvalidArgumentError, createContext, createHarmonicFields2d, defaultContext,
  invertVectorFieldFixedPoint, profileKernels, tsKernels, warpImage, type Backend, type Kernels,
} from '@diffeo/core';

/** A backend whose warp2d is the TypeScript one under another identity, with an arena of its own. */
function fakeBackend(): Backend & { live: Set<Float32Array> } {
  const memory = new ArrayBuffer(1 << 16);
  let top = 0;
  const live = new Set<Float32Array>();
  const warp2d: Kernels['warp2d'] = (...args) => tsKernels.warp2d(...args);
  return {
    name: 'fake', priority: 1, kernels: { warp2d }, live,
    allocFloat32(n) { const a = new Float32Array(memory, top, n); top += n * 4; live.add(a); return a; },
    freeFloat32(a) { return live.delete(a); },
  };
}

describe('profileKernels', () => {
  it('counts calls and adds the clock difference of each call to its kernel, and reset sets them back to zero', () => {
    let t = 0;
    // a fake clock that advances 2 ms per read: each call takes 2 ms between its two reads
    const prof = profileKernels(defaultContext, { now: () => (t += 2) });
    const img = new Float32Array(4), out = new Float32Array(4);
    const k = prof.context.kernelsFor(2);
    k.warp(out, [2, 2], img, [2, 2], null, [2, 2], null, null, null);
    k.warp(out, [2, 2], img, [2, 2], null, [2, 2], null, null, null);
    prof.context.kernel('numpyGradient')(new Float32Array(8), img, [2, 2]);
    const r = prof.report();
    expect(r.kernels).toEqual([
      { name: 'warp2d', backend: 'ts', calls: 2, seconds: 0.004 },
      { name: 'numpyGradient', backend: 'ts', calls: 1, seconds: 0.002 },
    ]);
    expect(r.calls).toBe(3);
    expect(r.seconds).toBeCloseTo(0.006, 12);
    prof.reset();
    expect(prof.report()).toEqual({ kernels: [], calls: 0, seconds: 0 });
  });

  it('counts a call that throws too, and lets the error through', () => {
    const boom = new Error('kernel failed');
    const ctx = createContext({ name: 'failing', priority: 1, kernels: { conditionStep: () => { throw boom; } } });
    const prof = profileKernels(ctx);
    expect(() => prof.context.kernel('conditionStep')(new Float32Array(2), [1, 1], [1, 1])).toThrow(boom);
    expect(prof.report().kernels).toMatchObject([{ name: 'conditionStep', backend: 'failing', calls: 1 }]);
  });

  it('gives the same bits as the unprofiled context (warp, inversion, DiffeomorphicMap) and names the serving backend', () => {
    const ctx = createContext(fakeBackend());
    const prof = profileKernels(ctx);
    const { field } = createHarmonicFields2d(24, 20, 0.2, 4);
    const f32 = ndarray(Float32Array.from(field.data), field.shape);
    const img = ndarray(Float32Array.from({ length: 24 * 20 }, (_, i) => Math.sin(i / 7)), [24, 20]);
    const plainWarp = warpImage(img, f32, { context: ctx });
    const profWarp = warpImage(img, f32, { context: prof.context });
    expect(Array.from(profWarp.data)).toEqual(Array.from(plainWarp.data));
    const plainInv = invertVectorFieldFixedPoint(f32, { context: ctx, maxIter: 10 });
    const profInv = invertVectorFieldFixedPoint(f32, { context: prof.context, maxIter: 10 });
    expect(Array.from(profInv.field.data)).toEqual(Array.from(plainInv.field.data));
    const map = new DiffeomorphicMap({ dim: 2, dispShape: [24, 20], context: prof.context });
    map.forward = Float32Array.from(f32.data);
    expect(Array.from(map.transform(img).data)).toEqual(Array.from(plainWarp.data));
    const names = new Map(prof.report().kernels.map((e) => [e.name, e]));
    expect(names.get('warp2d')).toMatchObject({ backend: 'fake' });
    expect(names.get('warp2d')!.calls).toBeGreaterThanOrEqual(2);
    expect(names.get('invert2d')).toMatchObject({ backend: 'ts', calls: 1 });
  });

  it('delegates memory, holds and registrations to the given context, and follows its changes', () => {
    const backend = fakeBackend();
    const ctx = createContext(backend);
    const prof = profileKernels(ctx);
    const a = prof.context.allocFloat32(8);
    expect(backend.live.has(a)).toBe(true);
    expect(prof.context.freeFloat32(a)).toBe(true);
    expect(backend.live.size).toBe(0);
    expect(prof.context.backendNames).toEqual(['fake']);
    expect(prof.context.backendOf('warp2d')).toBe('fake');
    const release = prof.context.hold('test run');
    expect(ctx.frozen).toBe(true);
    expect(prof.context.frozen).toBe(true);
    expect(() => ctx.use({ name: 'late', priority: 5, kernels: {} })).toThrow(ContextFrozenError);
    release();
    expect(ctx.frozen).toBe(false);
    // a backend removed through the profiled context: its kernels are no longer served
    expect(prof.context.remove('fake')).toBe(true);
    expect(ctx.backendNames).toEqual([]);
    prof.context.kernelsFor(2).warp(new Float32Array(4), [2, 2], new Float32Array(4), [2, 2], null, [2, 2], null, null, null);
    expect(prof.report().kernels).toMatchObject([{ name: 'warp2d', backend: 'ts', calls: 1 }]);
    // the given context itself stays unprofiled
    expect(ctx.kernel('warp2d')).toBe(tsKernels.warp2d);
  });

  it('rejects what is not a context, unknown option keys and a non-function clock', () => {
    expect(() => profileKernels({} as never)).toThrow(InvalidArgumentError);
    expect(() => profileKernels(defaultContext, { clock: () => 0 } as never)).toThrow(/unknown option "clock"/);
    expect(() => profileKernels(defaultContext, { now: 5 } as never)).toThrow(/now must be a function/);
  });
});
