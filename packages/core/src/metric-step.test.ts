import { describe, expect, it } from 'vitest';
import { DiffeoError, NonFiniteError, ShapeMismatchError, WorkspaceCache, allocWorkspaceArrays, assertMetricInputs, assertStepOutput, createContext, stepDisposedError, type MetricInputs } from '@diffeo/core';

describe('metric step checks', () => {
  it('a disposed step reports NOT_READY naming the metric and the call', () => {
    const e = stepDisposedError('MyMetric', 'backward');
    expect(e).toBeInstanceOf(DiffeoError);
    expect(e.code).toBe('NOT_READY');
    expect(e.message).toMatch(/MyMetric: backward\(\) called after dispose\(\)/);
  });
  it('accepts exactly prod(shape)·d float32 values and rejects anything else', () => {
    expect(() => assertStepOutput('M', 'forward', new Float32Array(12), 6, 2)).not.toThrow();
    expect(() => assertStepOutput('M', 'forward', new Float32Array(11), 6, 2)).toThrow(ShapeMismatchError);
    expect(() => assertStepOutput('M', 'forward', new Float64Array(12), 6, 2)).toThrow(/12 values \(6 voxels × 2 components\)/);
  });
});

describe('assertMetricInputs', () => {
  const inputs = (moving: Float32Array, checkedFinite?: boolean): MetricInputs<2> => ({
    dim: 2, shape: [2, 3], static: new Float32Array(6).fill(1), moving, gridToWorld: null,
    spacing: new Float64Array([1, 1]), direction: new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]),
    level: 0, levelsBelow: 1, levelsAbove: 0, context: createContext(),
    ...(checkedFinite === undefined ? {} : { checkedFinite }),
  });
  it('scans both images for non-finite values unless the caller vouches for them (checkedFinite)', () => {
    const bad = Float32Array.from([0, 1, 2, Number.NaN, 4, 5]);
    expect(assertMetricInputs('M', inputs(new Float32Array(6)), 2)).toBe(6);
    expect(() => assertMetricInputs('M', inputs(bad), 2)).toThrow(NonFiniteError);
    expect(() => assertMetricInputs('M', inputs(bad), 2)).toThrow(/warped moving image holds a non-finite value \(NaN\) at flat index 3/);
    expect(() => assertMetricInputs('M', inputs(bad, false), 2)).toThrow(NonFiniteError);
    // the documented contract: with checkedFinite the scan is skipped (SyN's warps of checked images)
    expect(assertMetricInputs('M', inputs(bad, true), 2)).toBe(6);
    // every other check still runs
    expect(() => assertMetricInputs('M', inputs(new Float32Array(5), true), 2)).toThrow(ShapeMismatchError);
  });
});

describe('WorkspaceCache', () => {
  type W = { id: number; size: number };
  const setup = () => {
    const released: number[] = [];
    let next = 0;
    const cache = new WorkspaceCache<W>((w) => released.push(w.id));
    const borrow = (size: number) => cache.borrow((w) => w.size === size, () => ({ id: next++, size }));
    return { cache, released, borrow };
  };
  it('reuses the workspace of the last step on the same grid', () => {
    const { cache, released, borrow } = setup();
    const a = borrow(10);
    cache.giveBack(a);
    expect(borrow(10)).toBe(a);
    expect(released).toEqual([]);
  });
  it('gives an overlapping step a private workspace and releases it on give-back', () => {
    const { cache, released, borrow } = setup();
    const a = borrow(10);
    const b = borrow(10);
    expect(b).not.toBe(a);
    cache.giveBack(b);
    expect(released).toEqual([b.id]);
    cache.giveBack(a);
    expect(borrow(10)).toBe(a);
  });
  it('releases an unfit cached workspace before creating the new one, and everything on clear', () => {
    const { cache, released, borrow } = setup();
    const a = borrow(10);
    cache.giveBack(a);
    const b = borrow(20);
    expect(released).toEqual([a.id]);
    cache.clear();
    expect(released).toEqual([a.id]); // b is still lent: released when given back
    cache.giveBack(b);
    expect(released).toEqual([a.id, b.id]);
  });
});

describe('allocWorkspaceArrays', () => {
  it('allocates through the context and frees every array back to the backend', () => {
    const freed: number[] = [];
    const backend = {
      name: 'pool', priority: 1, kernels: {},
      allocFloat32: (n: number) => new Float32Array(n),
      freeFloat32: (a: Float32Array) => { freed.push(a.length); return true; },
    };
    const ws = allocWorkspaceArrays(createContext(backend), { a: 3, b: 0, c: 5 });
    expect([ws.a.length, ws.b.length, ws.c.length]).toEqual([3, 0, 5]);
    ws.free();
    expect(freed.sort()).toEqual([0, 3, 5]);
  });
});
