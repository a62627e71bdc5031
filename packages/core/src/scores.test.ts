import { describe, expect, it } from 'vitest';
import { dice, InvalidArgumentError, meanLabelDice, ncc, ssd } from '@diffeo/core';

// Expected values worked out by hand from the definitions.
describe('quality scores (scores.ts)', () => {
  it('dice: 2|A∩B|/(|A|+|B|) of the masks above the threshold; 1 for two empty masks', () => {
    // A = {0, 1, 2}, B = {1, 2, 3}: 2·2/(3+3)
    expect(dice([1, 1, 1, 0], [0, 0.9, 0.6, 1])).toBeCloseTo(4 / 6, 15);
    expect(dice([0, 0], [0.5, 0.2])).toBe(1);
    expect(dice([2, 3], [1, 3], 2.5)).toBeCloseTo(2 / 2, 15);
  });

  it('meanLabelDice: per-label Dice averaged over the labels present', () => {
    const a = [1, 1, 2, 2, 0, 3];
    const b = [1, 2, 2, 2, 0, 0];
    // label 1: 2·1/(2+1); label 2: 2·2/(2+3); label 3: 0/(1+0)
    expect(meanLabelDice(a, b)).toBeCloseTo((2 / 3 + 4 / 5 + 0) / 3, 15);
    expect(meanLabelDice(a, b, [2, 7])).toBeCloseTo(4 / 5, 15);
    expect(meanLabelDice([0, 0], [0, 0])).toBeNaN();
    // a label in one image only scores 0
    expect(meanLabelDice([1, 1], [3, 3], [1, 3])).toBe(0);
  });

  it('ncc: 1 for an affine image of the other, −1 reversed, restricted to a mask', () => {
    const a = [1, 2, 3, 4];
    expect(ncc(a, [3, 5, 7, 9])).toBeCloseTo(1, 15);
    expect(ncc(a, [4, 3, 2, 1])).toBeCloseTo(-1, 15);
    // inside the mask {0, 1, 2}: a = 1,2,3; b = 1,3,2 → Σxy = 0.5·... = (−1)(−1) + 0·1 + 1·0 = 1, Σx² = 2, Σy² = 2
    expect(ncc(a, [1, 3, 2, 100], [1, 1, 1, 0])).toBeCloseTo(0.5, 15);
  });

  it('ssd: sum of squared differences', () => {
    expect(ssd([1, 2, 3], [1, 4, 0])).toBe(13);
  });

  it('rejects arrays of different lengths with a typed error', () => {
    expect(() => dice([1, 2], [1])).toThrow(InvalidArgumentError);
    expect(() => ncc([1, 2], [1, 2], [1])).toThrow(/same grid/);
  });
});
