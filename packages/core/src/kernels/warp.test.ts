import { affineApply, mulberry32, naiveLinear, naiveNearest, naiveWarpPosition, randomFloat32 } from '@diffeo/core/oracles';
import { describe, expect, it } from 'vitest';
import { tsKernels } from '@diffeo/core';

const f32 = Math.fround;
const { warp2d, warp3d, warpNearest2d, warpNearest3d } = tsKernels;

function rotation2d(theta: number, scale: number, t0: number, t1: number): Float64Array {
  const c = Math.cos(theta) * scale, s = Math.sin(theta) * scale;
  return new Float64Array([c, -s, t0, s, c, t1, 0, 0, 1]);
}

function rotation3d(theta: number, scale: number, t: number[]): Float64Array {
  // rotation about axis 0 combined with a small rotation about axis 2
  const c = Math.cos(theta), s = Math.sin(theta), c2 = Math.cos(theta / 3), s2 = Math.sin(theta / 3);
  const R1 = [1, 0, 0, 0, c, -s, 0, s, c];
  const R2 = [c2, -s2, 0, s2, c2, 0, 0, 0, 1];
  const m = new Float64Array(16);
  for (let r = 0; r < 3; r++) {
    for (let q = 0; q < 3; q++) {
      let acc = 0;
      for (let k = 0; k < 3; k++) acc += R1[r * 3 + k] * R2[k * 3 + q];
      m[r * 4 + q] = acc * scale;
    }
    m[r * 4 + 3] = t[r];
  }
  m[15] = 1;
  return m;
}

describe('warp2d / warp3d (docs/algorithm.md §2.3)', () => {
  it('a zero field with no affines returns the image exactly (2D and 3D)', () => {
    const r = mulberry32(10);
    const img = randomFloat32(r, 9 * 11);
    const out = new Float32Array(img.length);
    warp2d(out, [9, 11], img, [9, 11], new Float32Array(9 * 11 * 2), [9, 11], null, null, null);
    expect(out).toEqual(img);
    warp2d(out.fill(7), [9, 11], img, [9, 11], null, [9, 11], null, null, null);
    expect(out).toEqual(img);
    const vol = randomFloat32(r, 5 * 6 * 7);
    const out3 = new Float32Array(vol.length);
    warp3d(out3, [5, 6, 7], vol, [5, 6, 7], new Float32Array(vol.length * 3), [5, 6, 7], null, null, null);
    expect(out3).toEqual(vol);
    warp3d(out3.fill(7), [5, 6, 7], vol, [5, 6, 7], null, [5, 6, 7], null, null, null);
    expect(out3).toEqual(vol);
  });

  it('an integer translation field shifts exactly, with zeros where the target leaves the grid', () => {
    const r = mulberry32(11);
    const nr = 8, nc = 10;
    const img = randomFloat32(r, nr * nc);
    const field = new Float32Array(nr * nc * 2);
    for (let p = 0; p < nr * nc; p++) { field[2 * p] = 1; field[2 * p + 1] = -2; }
    const out = new Float32Array(nr * nc);
    const identity = new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    for (const A of [null, identity]) {
      warp2d(out, [nr, nc], img, [nr, nc], field, [nr, nc], A, null, null);
      for (let i = 0; i < nr; i++) for (let j = 0; j < nc; j++) {
        const ti = i + 1, tj = j - 2;
        const want = ti < nr && tj >= 0 ? img[ti * nc + tj] : 0;
        expect(out[i * nc + j]).toBe(want);
      }
    }
    const ns = 4;
    const vol = randomFloat32(r, ns * nr * nc);
    const f3 = new Float32Array(ns * nr * nc * 3);
    for (let p = 0; p < ns * nr * nc; p++) { f3[3 * p] = -1; f3[3 * p + 1] = 2; f3[3 * p + 2] = 1; }
    const out3 = new Float32Array(ns * nr * nc);
    warp3d(out3, [ns, nr, nc], vol, [ns, nr, nc], f3, [ns, nr, nc], null, null, null);
    for (let k = 0; k < ns; k++) for (let i = 0; i < nr; i++) for (let j = 0; j < nc; j++) {
      const tk = k - 1, ti = i + 2, tj = j + 1;
      const want = tk >= 0 && ti < nr && tj < nc ? vol[(tk * nr + ti) * nc + tj] : 0;
      expect(out3[(k * nr + i) * nc + j]).toBe(want);
    }
  });

  it('zero-pads at the border: a half-voxel shift past the last column gives half the value', () => {
    const img = new Float32Array([1, 2, 3, 4, 5, 6]); // 2×3
    const field = new Float32Array(12);
    for (let p = 0; p < 6; p++) field[2 * p + 1] = 0.5;
    const out = new Float32Array(6);
    warp2d(out, [2, 3], img, [2, 3], field, [2, 3], null, null, null);
    expect(Array.from(out)).toEqual([1.5, 2.5, 1.5, 4.5, 5.5, 3]);
  });

  it('affine-only rotation matches a naive evaluation, and equals the generic warp with a zero field', () => {
    const r = mulberry32(12);
    const ishape = [23, 19];
    const img = randomFloat32(r, 23 * 19);
    const oshape: [number, number] = [21, 26];
    const M = rotation2d(0.4, 1.1, 3.25, -4.5);
    const out = new Float32Array(21 * 26);
    warp2d(out, oshape, img, [23, 19], null, oshape, null, M, null);
    for (let i = 0; i < 21; i++) for (let j = 0; j < 26; j++) {
      expect(out[i * 26 + j]).toBe(naiveLinear(img, ishape, affineApply(M, [i, j], 1))[0]);
    }
    // with a zero field through A, B, C the sample positions are the same
    const fshape: [number, number] = [12, 14];
    const zero = new Float32Array(12 * 14 * 2);
    const out2 = new Float32Array(out.length);
    warp2d(out2, oshape, img, [23, 19], zero, fshape, rotation2d(-0.3, 0.6, 1, 2), M, rotation2d(1.1, 1.7, 0, 0));
    expect(out2).toEqual(out);

    const vol = randomFloat32(r, 9 * 10 * 11);
    const M3 = rotation3d(0.35, 0.9, [1.5, -2.25, 0.75]);
    const o3: [number, number, number] = [8, 12, 10];
    const out3 = new Float32Array(8 * 12 * 10);
    warp3d(out3, o3, vol, [9, 10, 11], null, o3, null, M3, null);
    for (let k = 0; k < 8; k++) for (let i = 0; i < 12; i++) for (let j = 0; j < 10; j++) {
      expect(out3[(k * 12 + i) * 10 + j]).toBe(naiveLinear(vol, [9, 10, 11], affineApply(M3, [k, i, j], 1))[0]);
    }
    const zero3 = new Float32Array(5 * 6 * 7 * 3);
    const out4 = new Float32Array(out3.length);
    warp3d(out4, o3, vol, [9, 10, 11], zero3, [5, 6, 7], rotation3d(-0.2, 0.5, [1, 1, 1]), M3, rotation3d(0.7, 1.3, [0, 0, 0]));
    expect(out4).toEqual(out3);
  });

  it('a smooth field with three different affines matches a naive evaluation (2D and 3D)', () => {
    const r = mulberry32(13);
    const img = randomFloat32(r, 30 * 28);
    const fshape = [17, 19];
    const field = randomFloat32(r, 17 * 19 * 2, -3, 3);
    const A = rotation2d(0.2, 0.55, -0.5, 1.25);
    const B = rotation2d(-0.25, 1.2, 2, -1);
    const C = rotation2d(0.6, 0.8, 100, 100); // translation of C must be ignored
    const oshape: [number, number] = [31, 29];
    const out = new Float32Array(31 * 29);
    warp2d(out, oshape, img, [30, 28], field, [17, 19], A, B, C);
    const nn = new Float32Array(out.length);
    warpNearest2d(nn, oshape, img, [30, 28], field, [17, 19], A, B, C);
    for (let i = 0; i < 31; i++) for (let j = 0; j < 29; j++) {
      const x = naiveWarpPosition([i, j], field, fshape, A, B, C);
      expect(out[i * 29 + j]).toBe(naiveLinear(img, [30, 28], x)[0]);
      expect(nn[i * 29 + j]).toBe(naiveNearest(img, [30, 28], x));
    }
    const vol = randomFloat32(r, 12 * 13 * 11);
    const f3shape = [7, 8, 9];
    const f3 = randomFloat32(r, 7 * 8 * 9 * 3, -2, 2);
    const A3 = rotation3d(0.3, 0.6, [0.5, -0.25, 1]);
    const B3 = rotation3d(-0.2, 1.1, [1, 2, -1]);
    const C3 = rotation3d(0.5, 0.9, [50, 50, 50]);
    const o3: [number, number, number] = [10, 12, 13];
    const out3 = new Float32Array(10 * 12 * 13);
    warp3d(out3, o3, vol, [12, 13, 11], f3, [7, 8, 9], A3, B3, C3);
    const nn3 = new Float32Array(out3.length);
    warpNearest3d(nn3, o3, vol, [12, 13, 11], f3, [7, 8, 9], A3, B3, C3);
    for (let k = 0; k < 10; k++) for (let i = 0; i < 12; i++) for (let j = 0; j < 13; j++) {
      const x = naiveWarpPosition([k, i, j], f3, f3shape, A3, B3, C3);
      expect(out3[(k * 12 + i) * 13 + j]).toBe(naiveLinear(vol, [12, 13, 11], x)[0]);
      expect(nn3[(k * 12 + i) * 13 + j]).toBe(naiveNearest(vol, [12, 13, 11], x));
    }
  });
});

describe('warpNearest2d / warpNearest3d', () => {
  it('rounds exact half-voxel displacements down and keeps the image type', () => {
    const img = new Int16Array([10, 20, 30, 40, 50, 60]); // 2×3
    const field = new Float32Array(12);
    for (let p = 0; p < 6; p++) { field[2 * p] = 0.5; field[2 * p + 1] = 0.5; }
    const out = new Int16Array(6);
    warpNearest2d(out, [2, 3], img, [2, 3], field, [2, 3], null, null, null);
    // (0,0)+0.5 → (0,0); (0,2)+0.5 → col 2.5 > n−1 → 0; row 1.5 > n−1 → 0
    expect(Array.from(out)).toEqual([10, 20, 0, 0, 0, 0]);
    field.fill(0);
    for (let p = 0; p < 6; p++) field[2 * p + 1] = f32(0.5000001);
    warpNearest2d(out, [2, 3], img, [2, 3], field, [2, 3], null, null, null);
    expect(Array.from(out)).toEqual([20, 30, 0, 50, 60, 0]);
  });

  it('uses the closed interval: the last voxel is reachable, beyond it is 0 (3D, int32)', () => {
    const vol = new Int32Array([1, 2, 3, 4, 5, 6, 7, 8]); // 2×2×2
    const out = new Int32Array(8);
    const shift = new Float64Array([1, 0, 0, 0.25, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    warpNearest3d(out, [2, 2, 2], vol, [2, 2, 2], null, [2, 2, 2], null, shift, null);
    // slice 0 + 0.25 → slice 0; slice 1 + 0.25 = 1.25 > 1 → 0
    expect(Array.from(out)).toEqual([1, 2, 3, 4, 0, 0, 0, 0]);
  });
});
