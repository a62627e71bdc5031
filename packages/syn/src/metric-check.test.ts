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
