/**
 * Unknown option keys are refused with the nearest name (issue 11 item 12) in every affine
 * options object, and an AffineMap refuses a last row other than [0, …, 0, 1] (item 10).
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@diffeo/core';
import { AffineMap, AffineRegistration, MutualInformationMetric, affineRegistration } from '@diffeo/affine';

const vol = { data: new Float64Array(27).map((_, i) => i % 5), shape: [3, 3, 3] as [number, number, number], gridToWorld: null };

describe('affine options reject unknown keys with a suggestion', () => {
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['AffineRegistration', () => new AffineRegistration({ levelIter: [10] } as never), /levelIter.*levelIters/],
    ['MutualInformationMetric', () => new MutualInformationMetric({ nbin: 32 } as never), /nbin.*nbins/],
    ['AffineMap grids', () => new AffineMap(null, { domainshape: [3, 3, 3] } as never), /domainshape.*domainShape/],
    ['AffineMap.transform', () => new AffineMap(null).transform(vol, { interp: 'linear' } as never), /interp.*interpolation/],
    ['affineRegistration', () => affineRegistration({ static: vol, moving: vol, pipline: ['affine'] } as never), /pipline.*pipeline/],
    ['optimize', () => new AffineRegistration({ levelIters: [1], sigmas: [0], factors: [1] }).optimize({ static: vol, moving: vol, transform: 'translation', stage: 'x' } as never), /stage.*stageName/],
  ];
  for (const [name, f, re] of cases) {
    it(name, () => {
      expect(f).toThrow(InvalidArgumentError);
      expect(f).toThrow(re);
    });
  }
});

describe('AffineMap and the last row', () => {
  it('refuses [0, 0, 0.5, 1] with a typed error', () => {
    const bad = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0.5, 1];
    expect(() => new AffineMap(bad)).toThrow(/last row/);
    expect(() => new AffineMap(bad)).toThrow(expect.objectContaining({ name: 'AffineInvalidValuesError' }) as never);
  });
});
