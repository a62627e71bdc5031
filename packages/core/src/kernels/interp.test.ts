import { mulberry32, naiveLinear, randomFloat32 } from '@diffeo/core/oracles';
import { describe, expect, it } from 'vitest';
import {
  bilinear, bilinearInside, bilinearVector, nearestIndex2d, nearestIndex3d, trilinear, trilinearInside, trilinearVector,
} from './interp.js';

const f32 = Math.fround;

describe('bilinear / trilinear (docs/algorithm.md §1.5)', () => {
  it('returns the voxel value exactly at grid points', () => {
    const r = mulberry32(1);
    const img = randomFloat32(r, 5 * 7);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 7; j++) expect(bilinear(img, 5, 7, i, j)).toBe(img[i * 7 + j]);
    const vol = randomFloat32(r, 3 * 4 * 5);
    for (let k = 0; k < 3; k++) for (let i = 0; i < 4; i++) for (let j = 0; j < 5; j++) {
      expect(trilinear(vol, 3, 4, 5, k, i, j)).toBe(vol[(k * 4 + i) * 5 + j]);
    }
  });

  it('zero-pads: half a voxel past the last sample gives half the value, one voxel gives 0', () => {
    const img = new Float32Array([1, 2, 3, 4]); // 2×2
    expect(bilinear(img, 2, 2, 1.5, 1)).toBe(2);
    expect(bilinear(img, 2, 2, 2, 1)).toBe(0);
    expect(bilinear(img, 2, 2, -0.5, 0)).toBe(0.5);
    expect(bilinear(img, 2, 2, -1, 0)).toBe(0);
    expect(bilinear(img, 2, 2, Number.NaN, 0)).toBe(0);
  });

  it('inside means all corners in the grid: the last row/column is not inside', () => {
    expect(bilinearInside(4, 5, 0, 0)).toBe(true);
    expect(bilinearInside(4, 5, 2.999, 3.999)).toBe(true);
    expect(bilinearInside(4, 5, 3, 1)).toBe(false);
    expect(bilinearInside(4, 5, 1, 4)).toBe(false);
    expect(bilinearInside(4, 5, -1e-12, 1)).toBe(false);
    expect(trilinearInside(3, 4, 5, 1.5, 2.5, 3.5)).toBe(true);
    expect(trilinearInside(3, 4, 5, 2, 0, 0)).toBe(false);
    const f = new Float32Array(4 * 5 * 2).fill(1);
    const out = new Float32Array(2);
    expect(bilinearVector(f, 4, 5, 3, 1, out, 0)).toBe(0);
    expect(Array.from(out)).toEqual([1, 1]); // correct value although not inside
    expect(bilinearVector(f, 4, 5, 2.5, 1, out, 0)).toBe(1);
  });

  it('matches a naive per-corner float32 oracle at random positions (2D/3D, scalar/vector)', () => {
    const r = mulberry32(2);
    const shape2 = [6, 9];
    const img = randomFloat32(r, 54);
    const fld2 = randomFloat32(r, 54 * 2);
    const out = new Float32Array(3);
    for (let t = 0; t < 4000; t++) {
      const x = [r() * 9 - 2, r() * 12 - 2];
      expect(bilinear(img, 6, 9, x[0], x[1])).toBe(naiveLinear(img, shape2, x)[0]);
      const ins = bilinearVector(fld2, 6, 9, x[0], x[1], out, 0);
      const [v0, in0] = naiveLinear(fld2, shape2, x, 0, 2);
      expect(out[0]).toBe(v0);
      expect(out[1]).toBe(naiveLinear(fld2, shape2, x, 1, 2)[0]);
      expect(ins === 1).toBe(in0);
      expect(bilinearInside(6, 9, x[0], x[1])).toBe(in0);
    }
    const shape3 = [4, 5, 6];
    const vol = randomFloat32(r, 120);
    const fld3 = randomFloat32(r, 120 * 3);
    for (let t = 0; t < 4000; t++) {
      const x = [r() * 7 - 2, r() * 8 - 2, r() * 9 - 2];
      expect(trilinear(vol, 4, 5, 6, x[0], x[1], x[2])).toBe(naiveLinear(vol, shape3, x)[0]);
      const ins = trilinearVector(fld3, 4, 5, 6, x[0], x[1], x[2], out, 0);
      for (let c = 0; c < 3; c++) expect(out[c]).toBe(naiveLinear(fld3, shape3, x, c, 3)[0]);
      const in0 = naiveLinear(fld3, shape3, x, 0, 3)[1];
      expect(ins === 1).toBe(in0);
      expect(trilinearInside(4, 5, 6, x[0], x[1], x[2])).toBe(in0);
    }
  });

  it('rounds to float32 after every corner (not once at the end)', () => {
    const r = mulberry32(3);
    const img = randomFloat32(r, 4);
    let differing = 0;
    for (let t = 0; t < 2000; t++) {
      const x0 = r(), x1 = r();
      const a = 1 - x0, b = 1 - x1;
      const once = f32(a * b * img[0] + a * x1 * img[1] + x0 * x1 * img[3] + x0 * b * img[2]);
      const v = bilinear(img, 2, 2, x0, x1);
      expect(v).toBe(naiveLinear(img, [2, 2], [x0, x1])[0]);
      if (v !== once) differing++;
    }
    expect(differing).toBeGreaterThan(0);
  });
});

describe('nearest neighbour (docs/algorithm.md §1.5)', () => {
  it('rounds ties down and rounds up only above one half', () => {
    expect(nearestIndex2d(4, 4, 1.5, 0)).toBe(1 * 4 + 0);
    expect(nearestIndex2d(4, 4, 0.5, 0.5)).toBe(0);
    expect(nearestIndex2d(4, 4, 1.5000001, 2.4999)).toBe(2 * 4 + 2);
    expect(nearestIndex3d(3, 4, 4, 0.5, 1.5, 2.5)).toBe((0 * 4 + 1) * 4 + 2);
    expect(nearestIndex3d(3, 4, 4, 0.75, 1.25, 2.5)).toBe((1 * 4 + 1) * 4 + 2);
  });

  it('is inside on the closed interval [0, n−1]', () => {
    expect(nearestIndex2d(4, 5, 3, 4)).toBe(3 * 5 + 4);
    expect(nearestIndex2d(4, 5, 3.0000001, 4)).toBe(-1);
    expect(nearestIndex2d(4, 5, -1e-9, 0)).toBe(-1);
    expect(nearestIndex2d(4, 5, Number.NaN, 0)).toBe(-1);
    expect(nearestIndex3d(2, 2, 2, 1, 1, 1)).toBe(7);
    expect(nearestIndex3d(2, 2, 2, 1, 1, 1.2)).toBe(-1);
  });
});
