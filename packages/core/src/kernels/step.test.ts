import { describe, expect, it } from 'vitest';
import { tsKernels } from '@diffeo/core';

/** Direct oracle: boundary test per voxel index, norms with Math.hypot-free sums, max of the square roots. */
function naive(step: Float32Array, shape: number[], spacing: number[]): { out: Float32Array; norm: number } {
  const d = shape.length;
  const n = step.length / d;
  const out = Float32Array.from(step);
  const onBoundary = (p: number) => {
    let rest = p;
    for (let k = d - 1; k >= 0; k--) {
      const i = rest % shape[k];
      rest = Math.floor(rest / shape[k]);
      if (i === 0 || i === shape[k] - 1) return true;
    }
    return false;
  };
  for (let p = 0; p < n; p++) if (onBoundary(p)) for (let k = 0; k < d; k++) out[p * d + k] = 0;
  let norm = 0;
  for (let p = 0; p < n; p++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += (out[p * d + k] / spacing[k]) ** 2;
    norm = Math.max(norm, Math.sqrt(s));
  }
  if (norm > 0) for (let i = 0; i < out.length; i++) out[i] = Math.fround(out[i] / Math.fround(norm));
  return { out, norm };
}

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
    const want = naive(step, shape, spacing);
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
