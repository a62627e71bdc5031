/**
 * A metric brought by the caller is checked when the registration is built (issue 11
 * item 3): a missing or mistyped member is a typed error naming it, not a TypeError
 * in the middle of a run.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@diffeo/core';
import { ssdMetric } from '@diffeo/metrics-ssd';
import { SymmetricDiffeomorphicRegistration } from '@diffeo/syn';

const inner = ssdMetric(2);
const good = { dim: 2 as const, name: 'mine', mask0: false, prepare: inner.prepare.bind(inner), releaseBuffers: () => undefined };

function messageOf(metric: unknown): string {
  try {
    new SymmetricDiffeomorphicRegistration(metric as never);
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidArgumentError);
    return (e as Error).message;
  }
  throw new Error('the constructor accepted the metric');
}

describe('SymmetricDiffeomorphicRegistration checks its metric in the constructor', () => {
  it('accepts a complete metric', () => {
    expect(new SymmetricDiffeomorphicRegistration(good).metric).toBe(good);
  });

  it('names the missing or mistyped member', () => {
    const { prepare: _p, ...noPrepare } = good;
    expect(messageOf(noPrepare)).toMatch(/"mine" has no prepare\(inputs\) method/);
    const { name: _n, ...noName } = good;
    expect(messageOf(noName)).toMatch(/has no name/);
    const { mask0: _m, ...noMask0 } = good;
    expect(messageOf(noMask0)).toMatch(/"mine" has no mask0/);
    expect(messageOf({ ...good, releaseBuffers: 1 })).toMatch(/releaseBuffers must be a method/);
    expect(messageOf({ ...good, checkLevelShapes: 'no' })).toMatch(/checkLevelShapes must be a method/);
    expect(messageOf(null)).toMatch(/needs a similarity metric.*got null/);
  });
});

describe('messages show values faithfully (issue 11 item 9)', () => {
  it('levelIters ["10"] is reported as the string it is', () => {
    expect(() => new SymmetricDiffeomorphicRegistration(ssdMetric(2), { levelIters: ['10'] as never })).toThrow('levelIters[0] must be a non-negative integer; got the string "10".');
  });

  it('a finite 1e300 voxel is reported as 1e+300 beyond the float32 range, not as Infinity', async () => {
    const data = Float64Array.from({ length: 256 }, (_, i) => (i % 7) + 1);
    data[37] = 1e300;
    const syn = new SymmetricDiffeomorphicRegistration(ssdMetric(2), { levelIters: [2] });
    const err = await syn.optimize({ static: { data, shape: [16, 16] }, moving: { data: data.map((v) => (v > 10 ? 1 : v)), shape: [16, 16] } }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).toBe('NonFiniteError');
    expect((err as Error).message).toContain('flat index 37: 1e+300, beyond the float32 range');
    expect((err as Error).message).not.toContain('Infinity');
  });
});

describe('optimize refuses a grid-to-world or prealign whose last row is not [0, 0, 1] (issue 11 item 10)', () => {
  it('staticGridToWorld and prealign', async () => {
    const data = Float32Array.from({ length: 256 }, (_, i) => (i % 7) + 1);
    const img = { data, shape: [16, 16] };
    const bad = new Float64Array([1, 0, 0, 0, 1, 0, 0, 0.25, 1]);
    const syn = new SymmetricDiffeomorphicRegistration(ssdMetric(2), { levelIters: [1] });
    await expect(syn.optimize({ static: img, moving: img, staticGridToWorld: bad })).rejects.toThrow(/last row \[0, 0.25, 1\]/);
    await expect(syn.optimize({ static: img, moving: img, prealign: bad })).rejects.toThrow(/last row \[0, 0.25, 1\]/);
  });
});
