import { mulberry32, naiveAxisGradient, naiveGradientAdd, naiveSampler, randomFloat32 } from '@diffeo/core/oracles';
import { describe, expect, it } from 'vitest';
import { tsKernels } from '@diffeo/core';

const f32 = Math.fround;
const { numpyGradient, numpyGradientAdd, addFloat32, gradientSampler2d, gradientSampler3d } = tsKernels;

describe('numpyGradientAdd', () => {
  it('adds numpy.gradient to the values in out, as a naive oracle (2D and 3D, length-1 axes)', () => {
    const r = mulberry32(31);
    const shapes = [[2, 2], [3, 1], [1, 4], [17, 23], [2, 2, 2], [3, 2, 1], [5, 6, 7]];
    for (const shape of shapes) {
      const n = shape.reduce((a, b) => a * b, 1), d = shape.length;
      const img = randomFloat32(r, n, -100, 100);
      const base = randomFloat32(r, n * d, -50, 50);
      base[0] = -0; // −0 + 0 is +0
      const out = Float32Array.from(base);
      numpyGradientAdd(out, img, shape as [number, number] | [number, number, number]);
      const want = naiveGradientAdd(base, img, shape);
      for (let i = 0; i < out.length; i++) expect(Object.is(out[i], want[i]), `${shape} [${i}]: ${out[i]} vs ${want[i]}`).toBe(true);
    }
  });

  it('rounds each derivative to float32 before adding (a subnormal half-difference)', () => {
    const tiny = 2 ** -149; // the smallest float32 subnormal
    // along the row of [0, tiny, tiny]: the middle derivative is f32(tiny / 2) = 0 (ties to even), not tiny / 2
    const img = new Float32Array([0, tiny, tiny, 0, tiny, tiny]);
    const base = new Float32Array(12).fill(tiny);
    const out = Float32Array.from(base);
    numpyGradientAdd(out, img, [2, 3]);
    expect(out[3]).toBe(tiny); // voxel (0, 1), along the row: tiny + f32(tiny / 2) = tiny + 0
    expect(out).toEqual(naiveGradientAdd(base, img, [2, 3]));
  });

  it('gives the bits of numpyGradient followed by addFloat32', () => {
    const r = mulberry32(32);
    const shape: [number, number, number] = [4, 5, 6];
    const img = randomFloat32(r, 120, -3, 3);
    const base = randomFloat32(r, 360, -3, 3);
    const g = new Float32Array(360);
    numpyGradient(g, img, shape);
    const want = new Float32Array(360);
    addFloat32(want, base, g);
    const out = Float32Array.from(base);
    numpyGradientAdd(out, img, shape);
    expect(out).toEqual(want);
  });
});

describe('numpyGradient (docs/algorithm.md §2.7)', () => {
  it('differentiates a linear ramp exactly, including the one-sided edges', () => {
    const nr = 6, nc = 7;
    const img = new Float32Array(nr * nc);
    for (let i = 0; i < nr; i++) for (let j = 0; j < nc; j++) img[i * nc + j] = 3 * i - 0.5 * j + 2;
    const out = new Float32Array(nr * nc * 2);
    numpyGradient(out, img, [nr, nc]);
    for (let v = 0; v < nr * nc; v++) {
      expect(out[2 * v]).toBe(3);
      expect(out[2 * v + 1]).toBe(-0.5);
    }
    const ns = 4;
    const vol = new Float32Array(ns * nr * nc);
    for (let k = 0; k < ns; k++) for (let i = 0; i < nr; i++) for (let j = 0; j < nc; j++) {
      vol[(k * nr + i) * nc + j] = -2 * k + 0.25 * i + 1.5 * j;
    }
    const out3 = new Float32Array(ns * nr * nc * 3);
    numpyGradient(out3, vol, [ns, nr, nc]);
    for (let v = 0; v < ns * nr * nc; v++) {
      expect([out3[3 * v], out3[3 * v + 1], out3[3 * v + 2]]).toEqual([-2, 0.25, 1.5]);
    }
  });

  it('uses one-sided differences at the edges of a quadratic', () => {
    const img = new Float32Array([0, 1, 4, 9, 16]); // 1×5 would be invalid; use 2×5 with equal rows
    const two = new Float32Array(10);
    two.set(img, 0);
    two.set(img, 5);
    const out = new Float32Array(20);
    numpyGradient(out, two, [2, 5]);
    expect([0, 1, 2, 3, 4].map((j) => out[2 * j + 1])).toEqual([1, 2, 4, 6, 7]);
    expect([0, 1, 2, 3, 4].map((j) => out[2 * j])).toEqual([0, 0, 0, 0, 0]);
  });

  it('matches a naive per-axis float32 oracle on random data (2D and 3D, small shapes)', () => {
    const r = mulberry32(30);
    for (const shape of [[2, 2], [2, 3], [3, 2], [17, 23]] as [number, number][]) {
      const img = randomFloat32(r, shape[0] * shape[1], -100, 100);
      const out = new Float32Array(img.length * 2);
      numpyGradient(out, img, shape);
      for (let axis = 0; axis < 2; axis++) {
        const want = naiveAxisGradient(img, shape, axis);
        for (let v = 0; v < img.length; v++) expect(out[2 * v + axis]).toBe(want[v]);
      }
    }
    for (const shape of [[2, 2, 2], [3, 2, 4], [5, 6, 7]] as [number, number, number][]) {
      const img = randomFloat32(r, shape[0] * shape[1] * shape[2], -100, 100);
      const out = new Float32Array(img.length * 3);
      numpyGradient(out, img, shape);
      for (let axis = 0; axis < 3; axis++) {
        const want = naiveAxisGradient(img, shape, axis);
        for (let v = 0; v < img.length; v++) expect(out[3 * v + axis]).toBe(want[v]);
      }
    }
  });
});

describe('gradientSampler2d / gradientSampler3d (fixtures/reference/README.md, note 6)', () => {
  it('recovers the slope of a ramp in world units, with inside = 0 next to the border', () => {
    const nr = 8, nc = 9;
    const img = new Float32Array(nr * nc);
    for (let i = 0; i < nr; i++) for (let j = 0; j < nc; j++) img[i * nc + j] = 2 * i + 0.5 * j;
    const out = new Float32Array(nr * nc * 2);
    const inside = new Int32Array(nr * nc);
    gradientSampler2d(out, inside, [nr, nc], img, [nr, nc], null, [1, 1], null);
    for (let i = 0; i < nr; i++) for (let j = 0; j < nc; j++) {
      const v = i * nc + j;
      // the ±0.5 stencil is inside for 0.5 ≤ i ≤ n − 1.5, i.e. not on the first/last row/column
      const ok = i > 0 && i < nr - 1 && j > 0 && j < nc - 1;
      expect(inside[v]).toBe(ok ? 1 : 0);
      // along rows: samples (i ± 0.5, j) need j < nc − 1 (the last column is never "inside")
      expect(out[2 * v]).toBe(i > 0 && i < nr - 1 && j < nc - 1 ? 2 : 0);
      // along columns: on the first/last row the failed row sample leaves the row coordinate
      // shifted by ±0.5 (DIPY quirk), so the column samples fail too
      expect(out[2 * v + 1]).toBe(ok ? 0.5 : 0);
    }
    // spacing 2 along rows (world = grid scaled): slope per world unit halves
    const g2w = new Float64Array([2, 0, 0, 0, 1, 0, 0, 0, 1]);
    const w2g = new Float64Array([0.5, 0, 0, 0, 1, 0, 0, 0, 1]);
    gradientSampler2d(out, inside, [nr, nc], img, [nr, nc], w2g, [2, 1], g2w);
    expect(out[2 * (3 * nc + 4)]).toBe(1);
    expect(out[2 * (3 * nc + 4) + 1]).toBe(0.5);
  });

  it('matches a naive evaluation with oblique affines, including the non-reset coordinate quirk (2D)', () => {
    const r = mulberry32(31);
    const ishape = [20, 17];
    const img = randomFloat32(r, 20 * 17);
    const th = 0.3;
    const G = new Float64Array([1.2 * Math.cos(th), -0.9 * Math.sin(th), 2, 1.2 * Math.sin(th), 0.9 * Math.cos(th), -3, 0, 0, 1]);
    const det = G[0] * G[4] - G[1] * G[3];
    const W = new Float64Array([G[4] / det, -G[1] / det, 0, -G[3] / det, G[0] / det, 0, 0, 0, 1]);
    W[2] = -(W[0] * G[2] + W[1] * G[5]);
    W[5] = -(W[3] * G[2] + W[4] * G[5]);
    const S = new Float64Array([1.05, -0.2, 1.5, 0.15, 0.95, -2, 0, 0, 1]);
    const spacing = [1.2, 0.9];
    const oshape: [number, number] = [22, 21];
    const out = new Float32Array(22 * 21 * 2);
    const inside = new Int32Array(22 * 21);
    gradientSampler2d(out, inside, oshape, img, [20, 17], W, spacing, S);
    let quirkVoxels = 0;
    for (let i = 0; i < 22; i++) for (let j = 0; j < 21; j++) {
      const [g, ins] = naiveSampler(img, ishape, W, spacing, S, [i, j]);
      const v = i * 21 + j;
      expect([out[2 * v], out[2 * v + 1]]).toEqual(g);
      expect(inside[v]).toBe(ins);
      const [gReset] = naiveSampler(img, ishape, W, spacing, S, [i, j], true);
      if (gReset[1] !== g[1]) quirkVoxels++;
    }
    expect(quirkVoxels).toBeGreaterThan(0); // the quirk is exercised: a reset would give other values
  });

  it('matches a naive evaluation with oblique affines (3D)', () => {
    const r = mulberry32(32);
    const ishape = [9, 10, 8];
    const img = randomFloat32(r, 9 * 10 * 8);
    const S = new Float64Array([0.98, -0.24, 0.04, 0, 0.2, 1.17, -0.2, 1, 0, 0.12, 1.99, 2, 0, 0, 0, 1]);
    const W = new Float64Array([1.02, 0.2, -0.01, 0.3, -0.17, 0.83, 0.08, -1.1, 0.01, -0.05, 0.5, -0.9, 0, 0, 0, 1]);
    const spacing = [1, 1.2, 2];
    const oshape: [number, number, number] = [8, 9, 7];
    const out = new Float32Array(8 * 9 * 7 * 3);
    const inside = new Int32Array(8 * 9 * 7);
    gradientSampler3d(out, inside, oshape, img, [9, 10, 8], W, spacing, S);
    for (let k = 0; k < 8; k++) for (let i = 0; i < 9; i++) for (let j = 0; j < 7; j++) {
      const [g, ins] = naiveSampler(img, ishape, W, spacing, S, [k, i, j]);
      const v = (k * 9 + i) * 7 + j;
      expect([out[3 * v], out[3 * v + 1], out[3 * v + 2]]).toEqual(g);
      expect(inside[v]).toBe(ins);
    }
  });
});
