import { naiveConditionStep } from '@diffeo/core/oracles';
import { describe, expect, it } from 'vitest';
import { tsKernels } from '@diffeo/core';

function field(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    a[i] = (x / 2147483648 - 0.5) * 8;
  }
  return a;
}

describe('conditionStep', () => {
  it.each([
    { shape: [7, 9], spacing: [1, 1] },
    { shape: [8, 5], spacing: [2.5, 0.5] },
    { shape: [2, 3], spacing: [1, 1] },
    { shape: [5, 6, 7], spacing: [1, 1, 1] },
    { shape: [4, 3, 6], spacing: [3, 1.5, 0.7] },
  ])('zeroes the boundary layer and divides by the largest voxel norm ($shape)', ({ shape, spacing }) => {
    const d = shape.length;
    const n = shape.reduce((a, b) => a * b, 1);
    const step = field(n * d, n);
    const want = naiveConditionStep(step, shape, spacing);
    const got = Float32Array.from(step);
    const norm = tsKernels.conditionStep(got, shape as [number, number], spacing);
    expect(norm).toBe(want.norm);
    expect(Array.from(got)).toEqual(Array.from(want.out));
  });
  it('leaves a step that is zero inside the boundary at zero', () => {
    const shape: [number, number] = [4, 4];
    const step = new Float32Array(32);
    for (let c = 0; c < 4; c++) step[c * 2] = 9; // only the first row: zeroed, so the norm is 0
    expect(tsKernels.conditionStep(step, shape, [1, 1])).toBe(0);
    expect(step.every((v) => v === 0)).toBe(true);
  });
});
