import { describe, expect, it } from 'vitest';
import { relativeMeanAbsDiff } from './quality.js';

describe('bench agreement measure (hand-computed values)', () => {
  it('relative mean absolute difference', () => {
    expect(relativeMeanAbsDiff([1, 2], [1, 4], [0, 4])).toBe(0.25);
  });
});
