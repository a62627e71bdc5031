/**
 * ScaleSpace's option checks (issue 11 items 9 and 12): unknown keys are refused with the
 * nearest name, and a pyramid too deep for its image names the real maximum number of
 * levels. The maxima are worked out by hand from DIPY's rounding of the coarse grids
 * (round-half-up of n·2^-i): for a 40×40 image, level 6 is 1×1 and level 7 0×0 (so at
 * most 7 levels exist), and level 5 is 1×1 (40/32 = 1.25), so a registration, whose
 * gradients need 2 voxels per axis, can use at most 5 (levels 0..4, level 4 is 3×3).
 */
import { describe, expect, it } from 'vitest';
import { ImageTooSmallError, InvalidArgumentError } from '@diffeo/core';
import { ScaleSpace } from '@diffeo/pyramid';

const image = Float32Array.from({ length: 1600 }, (_, i) => (i * 37) % 101);

describe('ScaleSpace option checks', () => {
  it('refuses an unknown option key, suggesting the nearest name', () => {
    expect(() => new ScaleSpace({ image, shape: [40, 40], numLevels: 2, sigmaFactr: 0.2 } as never)).toThrow(InvalidArgumentError);
    expect(() => new ScaleSpace({ image, shape: [40, 40], numLevels: 2, sigmaFactr: 0.2 } as never)).toThrow(/sigmaFactr.*sigmaFactor/);
    expect(() => new ScaleSpace(null as never)).toThrow(InvalidArgumentError);
  });

  it('a pyramid too deep for the image names the real maxima (7 levels; 5 for a registration)', () => {
    let err: unknown;
    try {
      new ScaleSpace({ image, shape: [40, 40], numLevels: 9 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ImageTooSmallError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/pyramid level 7 /);
    expect(msg).toContain('at most 7 pyramid levels (numLevels ≤ 7), and at most 5 for a registration');
    // and the stated maxima hold: 7 levels build; with 5 every level keeps ≥ 2 voxels, with 6 not.
    const ss = new ScaleSpace({ image, shape: [40, 40], numLevels: 7 });
    expect(ss.getDomainShape(4)).toEqual([3, 3]);
    expect(ss.getDomainShape(5)).toEqual([1, 1]);
  });
});
