import { describe, expect, it } from 'vitest';
import { mulberry32, smoothField, syntheticPair, warpByField } from './synthetic.js';

describe('synthetic inputs', () => {
  it('are deterministic in the seed', () => {
    const a = syntheticPair([24, 20, 16], 7);
    const b = syntheticPair([24, 20, 16], 7);
    const c = syntheticPair([24, 20, 16], 8);
    expect(Buffer.from(a.moving.buffer).equals(Buffer.from(b.moving.buffer))).toBe(true);
    expect(Buffer.from(a.static.buffer).equals(Buffer.from(c.static.buffer))).toBe(false);
  });
  it('mulberry32 is reproducible and uniform-looking in [0, 1)', () => {
    const r = mulberry32(0), r2 = mulberry32(0);
    let sum = 0;
    for (let i = 0; i < 10000; i++) {
      const x = r();
      expect(r2()).toBe(x);
      expect(x >= 0 && x < 1).toBe(true);
      sum += x;
    }
    expect(sum / 10000).toBeCloseTo(0.5, 1);
  });
  it('has every tissue label and a non-trivial warp', () => {
    const p = syntheticPair([48, 48, 40]);
    expect(new Set(p.staticLabels)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6]));
    let diff = 0;
    for (let i = 0; i < p.staticLabels.length; i++) if (p.staticLabels[i] !== p.movingLabels[i]) diff++;
    expect(diff / p.staticLabels.length).toBeGreaterThan(0.05);
  });
  it('the field is smooth enough to be invertible (Jacobian determinant > 0 by finite differences)', () => {
    const shape = [40, 36, 32];
    const d = smoothField(shape, 3, 0.025 * 36);
    const [n0, n1, n2] = shape;
    const at = (i: number, j: number, k: number, c: number) => d[((i * n1 + j) * n2 + k) * 3 + c];
    let minDet = Infinity;
    for (let i = 0; i < n0 - 1; i++) for (let j = 0; j < n1 - 1; j++) for (let k = 0; k < n2 - 1; k++) {
      const J = [0, 1, 2].map((c) => [
        (c === 0 ? 1 : 0) + at(i + 1, j, k, c) - at(i, j, k, c),
        (c === 1 ? 1 : 0) + at(i, j + 1, k, c) - at(i, j, k, c),
        (c === 2 ? 1 : 0) + at(i, j, k + 1, c) - at(i, j, k, c),
      ]);
      const det = J[0][0] * (J[1][1] * J[2][2] - J[1][2] * J[2][1]) - J[0][1] * (J[1][0] * J[2][2] - J[1][2] * J[2][0]) + J[0][2] * (J[1][0] * J[2][1] - J[1][1] * J[2][0]);
      minDet = Math.min(minDet, det);
    }
    expect(minDet).toBeGreaterThan(0.2);
  });
  it('warpByField samples linearly and by nearest neighbour (analytic shift)', () => {
    const shape = [1, 4];
    const img = Float32Array.from([0, 10, 20, 30]);
    const d = new Float32Array(8);
    for (let v = 0; v < 4; v++) d[2 * v + 1] = 0.25; // shift by +0.25 along axis 1
    expect(Array.from(warpByField(img, shape, d, 'linear'))).toEqual([2.5, 12.5, 22.5, 22.5]); // last: 0.75·30 + 0.25·0 (outside)
    expect(Array.from(warpByField(Uint8Array.from([1, 2, 3, 4]), shape, d, 'nearest'))).toEqual([1, 2, 3, 4]);
  });
});
