/** describeValue / nonFiniteText (issue 11 item 9): values shown faithfully, with their type. */
import { describe, expect, it } from 'vitest';
import { FLOAT32_MAX, describeValue, nonFiniteText } from '@diffeo/core';

describe('describeValue', () => {
  it('prints numbers exactly and names the type of what is not a number', () => {
    expect(describeValue(1e300)).toBe('1e+300');
    expect(describeValue(0.1)).toBe('0.1');
    expect(describeValue(-0)).toBe('-0');
    expect(describeValue(NaN)).toBe('NaN');
    expect(describeValue('10')).toBe('the string "10"');
    expect(describeValue(true)).toBe('the boolean true');
    expect(describeValue(null)).toBe('null');
    expect(describeValue([1, 2])).toBe('an array of 2');
    expect(describeValue({})).toBe('an object');
  });
});

describe('nonFiniteText', () => {
  it('names a finite value beyond float32 as what it is, not as Infinity', () => {
    // The float32 maximum, (2 - 2^-23) * 2^127, worked out independently.
    expect(FLOAT32_MAX).toBe((2 - 2 ** -23) * 2 ** 127);
    expect(Math.fround(FLOAT32_MAX)).toBe(FLOAT32_MAX);
    const t = nonFiniteText(1e300, Math.fround(1e300));
    expect(t).toContain('1e+300');
    expect(t).toContain('beyond the float32 range');
    expect(t).not.toContain('Infinity');
    expect(nonFiniteText(NaN, NaN)).toMatch(/^NaN; replace NaN/);
  });
});
