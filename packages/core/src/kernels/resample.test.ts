import { mulberry32, naiveDownsample, randomFloat32 } from '@diffeo/core/oracles';
import { describe, expect, it } from 'vitest';
import { tsKernels } from '@diffeo/core';

const f32 = Math.fround;
const { resampleField2d, resampleField3d, downsample2d, downsample3d } = tsKernels;

describe('resampleField2d / resampleField3d (docs/algorithm.md §2.4)', () => {
  it('expanding by factor 1/2 and taking every second sample returns the original (2D)', () => {
    const r = mulberry32(20);
    const nr = 13, nc = 16;
    const field = randomFloat32(r, nr * nc * 2, -5, 5);
    const or = 2 * nr, oc = 2 * nc;
    const out = new Float32Array(or * oc * 2);
    resampleField2d(out, [or, oc], field, [nr, nc], [0.5, 0.5]);
    for (let i = 0; i < nr; i++) for (let j = 0; j < nc; j++) for (let c = 0; c < 2; c++) {
      expect(out[((2 * i) * oc + 2 * j) * 2 + c]).toBe(field[(i * nc + j) * 2 + c]);
    }
    // midpoints are averages; the last (even-expanded) row only gets half the coarse value
    for (let j = 0; j < nc; j++) {
      expect(out[((or - 1) * oc + 2 * j) * 2]).toBe(f32(0.5 * field[((nr - 1) * nc + j) * 2]));
    }
    expect(out[(1 * oc + 0) * 2 + 1]).toBe(f32(f32(0.5 * field[1]) + 0.5 * field[nc * 2 + 1]));
  });

  it('expanding by factor 1/2 and taking every second sample returns the original (3D)', () => {
    const r = mulberry32(21);
    const ns = 5, nr = 6, nc = 7;
    const field = randomFloat32(r, ns * nr * nc * 3, -5, 5);
    const os = 2 * ns, or = 2 * nr, oc = 2 * nc;
    const out = new Float32Array(os * or * oc * 3);
    resampleField3d(out, [os, or, oc], field, [ns, nr, nc], [0.5, 0.5, 0.5]);
    for (let k = 0; k < ns; k++) for (let i = 0; i < nr; i++) for (let j = 0; j < nc; j++) for (let c = 0; c < 3; c++) {
      expect(out[(((2 * k) * or + 2 * i) * oc + 2 * j) * 3 + c]).toBe(field[((k * nr + i) * nc + j) * 3 + c]);
    }
  });

  it('anisotropic factors sample at i·f (values not rescaled)', () => {
    // A field linear in the grid coordinates is reproduced exactly where all corners are inside.
    const nr = 9, nc = 8;
    const field = new Float32Array(nr * nc * 2);
    for (let i = 0; i < nr; i++) for (let j = 0; j < nc; j++) {
      field[(i * nc + j) * 2] = 4 * i;
      field[(i * nc + j) * 2 + 1] = 2 * j;
    }
    const f = [0.5, 0.25];
    const or = 17, oc = 29;
    const out = new Float32Array(or * oc * 2);
    resampleField2d(out, [or, oc], field, [nr, nc], f);
    for (let i = 0; i < or; i++) for (let j = 0; j < oc; j++) {
      expect(out[(i * oc + j) * 2]).toBe(4 * (i * 0.5));
      expect(out[(i * oc + j) * 2 + 1]).toBe(2 * (j * 0.25));
    }
  });
});

describe('downsample2d / downsample3d (docs/algorithm.md §2.5)', () => {
  it('block means on odd and even shapes equal a naive loop (scalar and vector, 2D)', () => {
    const r = mulberry32(22);
    for (const shape of [[31, 32], [32, 31], [31, 31], [1, 5], [2, 2], [7, 1]] as [number, number][]) {
      for (const ncomp of [1, 2, 3]) {
        const input = randomFloat32(r, shape[0] * shape[1] * ncomp, -10, 10);
        const oshape = shape.map((n) => (n + 1) >> 1);
        const out = new Float32Array(oshape[0] * oshape[1] * ncomp).fill(99);
        downsample2d(out, input, shape, ncomp);
        expect(out).toEqual(naiveDownsample(input, shape, ncomp));
      }
    }
  });

  it('block means on odd and even shapes equal a naive loop (scalar and vector, 3D)', () => {
    const r = mulberry32(23);
    for (const shape of [[9, 12, 15], [10, 11, 12], [1, 3, 2], [5, 5, 5]] as [number, number, number][]) {
      for (const ncomp of [1, 3, 4]) {
        const input = randomFloat32(r, shape[0] * shape[1] * shape[2] * ncomp, -10, 10);
        const oshape = shape.map((n) => (n + 1) >> 1);
        const out = new Float32Array(oshape[0] * oshape[1] * oshape[2] * ncomp).fill(99);
        downsample3d(out, input, shape, ncomp);
        expect(out).toEqual(naiveDownsample(input, shape, ncomp));
      }
    }
  });

  it('a constant image stays constant; a 3×3 image averages 4, 2, 2, 1 samples', () => {
    const out = new Float32Array(4);
    downsample2d(out, new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), [3, 3], 1);
    expect(Array.from(out)).toEqual([3, 4.5, 7.5, 9]);
    const c = new Float32Array(27).fill(0.3);
    const o3 = new Float32Array(8);
    downsample3d(o3, c, [3, 3, 3], 1);
    expect(o3[7]).toBe(f32(0.3));
    expect(o3[6]).toBe(f32(f32(f32(0.3) + f32(0.3)) / 2));
  });
});
