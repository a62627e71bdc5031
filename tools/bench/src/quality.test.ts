import { describe, expect, it } from 'vitest';
import { binaryDice, maskedNcc, meanLabelDice, relativeMeanAbsDiff } from './quality.js';

describe('quality scores (hand-computed values)', () => {
  it('binary Dice', () => {
    // a = {0,1,2}, b = {1,2,3}: 2·2/(3+3)
    expect(binaryDice([1, 1, 1, 0, 0], [0, 1, 1, 1, 0])).toBeCloseTo(2 / 3, 15);
    expect(binaryDice([0, 0], [0, 0])).toBe(1);
  });
  it('mean label Dice over present labels, or over a given list', () => {
    const a = [0, 1, 1, 2, 2, 2];
    const b = [0, 1, 2, 2, 2, 0];
    // label 1: 2·1/(2+1) = 2/3; label 2: 2·2/(3+3) = 2/3
    expect(meanLabelDice(a, b)).toBeCloseTo(2 / 3, 15);
    // label 5 is absent from both: left out; label 3 absent too
    expect(meanLabelDice(a, b, [1, 5])).toBeCloseTo(2 / 3, 15);
    // a label in one image only scores 0
    expect(meanLabelDice([1, 1], [3, 3], [1, 3])).toBe(0);
  });
  it('NCC, masked and not', () => {
    expect(maskedNcc([1, 2, 3], [2, 4, 6], null)).toBeCloseTo(1, 15);
    expect(maskedNcc([1, 2, 3, 9], [3, 2, 1, 0], [1, 1, 1, 0])).toBeCloseTo(-1, 15);
  });
  it('relative mean absolute difference', () => {
    expect(relativeMeanAbsDiff([1, 2], [1, 4], [0, 4])).toBe(0.25);
  });
});
