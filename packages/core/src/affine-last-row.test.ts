/**
 * An affine whose last row is not [0, …, 0, 1] is refused where grid-to-world matrices
 * enter (issue 11 item 10): toAffine, and through it DiffeomorphicMap's options.
 */
import { describe, expect, it } from 'vitest';
import { DiffeomorphicMap, InvalidAffineError, invertAffine, toAffine } from '@diffeo/core';

const bad2 = new Float64Array([2, 0, 1, 0, 2, 1, 0.5, 0, 1]); // a projective last row
const good2 = new Float64Array([2, 0, 1, 0, 2, 1, 0, 0, 1]);

describe('last row of an affine', () => {
  it('toAffine refuses [0.5, 0, 1] with a typed error showing the row, accepts [0, 0, 1] and float64 inverses', () => {
    expect(() => toAffine(bad2, 2, 'gridToWorld')).toThrow(InvalidAffineError);
    expect(() => toAffine(bad2, 2, 'gridToWorld')).toThrow('gridToWorld has last row [0.5, 0, 1]; a homogeneous affine\'s last row must be [0, 0, 1]');
    expect(() => toAffine([[1, 0, 0], [0, 1, 0], [0, 0, 2]], 2)).toThrow(/last row \[0, 0, 2\]/);
    expect(toAffine(good2, 2)).toEqual(good2);
    const oblique = new Float64Array([0.9, -0.3, 0.1, 4, 0.31, 0.95, 0.2, -3, -0.1, 0.18, 1.1, 7, 0, 0, 0, 1]);
    expect(() => toAffine(invertAffine(oblique), 3, 'an inverse', true)).not.toThrow();
  });

  it('DiffeomorphicMap refuses it in each grid-to-world option', () => {
    for (const key of ['dispGridToWorld', 'domainGridToWorld', 'codomainGridToWorld', 'prealign'] as const) {
      expect(() => new DiffeomorphicMap({ dim: 2, dispShape: [4, 4], domainShape: [4, 4], codomainShape: [4, 4], [key]: bad2 }), key).toThrow(InvalidAffineError);
    }
  });
});
