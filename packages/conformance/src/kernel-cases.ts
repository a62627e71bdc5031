/**
 * Deterministic inputs for every kernel of `@diffeo/core`'s `Kernels` contract,
 * used by {@link describeBackend} to compare a backend with the pure-TypeScript
 * kernels. Each case builds the full argument list from a seeded generator, so
 * building it twice with the same seed gives two identical, independent sets of
 * arrays (aliasing between arguments, for in-place cases, is reproduced too).
 *
 * Coverage per kernel: 2D and 3D variants, random affines (rotation, scale,
 * shear, translation — so samples fall inside, on the border and outside the
 * grids), `null` affines, differing grid shapes, odd sizes, half-integer ties for
 * nearest neighbour, in-place aliasing where the contract allows it
 * (`compose` with `out === d1`, `gaussianFilter` with `out === input`,
 * Gauss-Seidel's in-place `u`), and infinite σ² entries for the SSD solver.
 */
import { parzenBinning, tsKernels, type KernelName, type Kernels, type Shape2D, type Shape3D } from '@diffeo/core';
import { count, diagonalAffine, randomAffine, randomFloat32, smoothField, smoothImage, type Random } from './random.js';

/** One deterministic invocation of kernel `K`. */
export interface KernelCase<K extends KernelName> {
  /** Short description shown in the test title. */
  readonly label: string;
  /** Builds the arguments from a seeded generator (pure: same seed, same arguments). */
  make(r: Random): Parameters<Kernels[K]>;
  /** Indices of workspace arguments whose final contents the contract leaves unspecified (not compared). */
  readonly scratch?: readonly number[];
}

/** Cases for every kernel: the mapped type makes a missing kernel a compile error. */
export type KernelCases = { readonly [K in KernelName]: readonly KernelCase<K>[] };

const S2A: Shape2D = [13, 17];
const S2B: Shape2D = [11, 9];
const S2C: Shape2D = [15, 14];
const S3A: Shape3D = [6, 7, 8];
const S3B: Shape3D = [5, 6, 4];
const S3C: Shape3D = [7, 5, 6];
const S3CC: Shape3D = [9, 10, 11];

/** Affine mapping a grid of `from` roughly onto a grid of `to` (plus a random rigid-ish perturbation). */
function gridAffine(r: Random, from: readonly number[], to: readonly number[], jitter = 1.5): Float64Array {
  const d = from.length as 2 | 3;
  const base = randomAffine(r, d, 1, 0.25, 0.05, jitter);
  const n = d + 1;
  for (let i = 0; i < d; i++) {
    const f = (to[i] - 1) / Math.max(1, from[i] - 1);
    for (let j = 0; j < d; j++) base[i * n + j] *= f;
  }
  return base;
}

/** Copies of an image with random integer values of the given type. */
function intImage<T extends Int16Array | Int32Array | Uint8Array>(Ctor: new (n: number) => T, r: Random, n: number, max: number): T {
  const a = new Ctor(n);
  for (let i = 0; i < n; i++) a[i] = r.int(0, max);
  return a;
}

/** `field` with every `step`-th value set to −0 (where the identity-A warp path must match interpolation). */
function withNegativeZeros(field: Float32Array, step: number): Float32Array {
  for (let i = 0; i < field.length; i += step) field[i] = -0;
  return field;
}

/** `field` with +∞, NaN and −∞ at the given value indices (taken modulo the length). */
function withNonFinite(field: Float32Array, at: readonly number[]): Float32Array {
  const bad = [Infinity, NaN, -Infinity];
  at.forEach((i, k) => { field[i % field.length] = bad[k % bad.length]; });
  return field;
}

/** A float64 copy of a float32 image (the affine stage works on float64). */
function f64(a: Float32Array): Float64Array {
  return Float64Array.from(a);
}

/** Float64 image with a few NaN voxels. */
function withNaN(r: Random, a: Float64Array, fraction: number): Float64Array {
  for (let i = 0; i < a.length; i++) if (r.next() < fraction) a[i] = Number.NaN;
  return a;
}

/** Int32 mask with about `fraction` zeros. */
function randomMask(r: Random, n: number, fraction: number): Int32Array {
  const m = new Int32Array(n);
  for (let i = 0; i < n; i++) m[i] = r.next() < fraction ? 0 : 1;
  return m;
}

/** Bin parameters `[smin, sdelta, mmin, mdelta]` of values in [lo, hi] for `nbins` bins (padding 2). */
function binParams(lo: number, hi: number, nbins: number): [number, number] {
  const delta = (hi - lo) / (nbins - 4);
  return [lo / delta - 2, delta];
}

/** A random Jacobian `(d+1)·d·n` coefficient block (affine in the point). */
function randomJacobian(r: Random, d: number, n: number): Float64Array {
  return f64(randomFloat32(r, (d + 1) * d * n, -1, 1));
}

/** Random points (`m·d`, mm) in a box slightly larger than a grid of `shape` with unit voxels. */
function randomPoints(r: Random, shape: readonly number[], m: number): Float64Array {
  const d = shape.length, p = new Float64Array(m * d);
  for (let i = 0; i < m; i++) for (let k = 0; k < d; k++) p[i * d + k] = -2 + r.next() * (shape[k] + 3);
  return p;
}

function withZeros(r: Random, a: Float32Array, fraction: number, ncomp: number): Float32Array {
  const n = a.length / ncomp;
  for (let p = 0; p < n; p++) if (r.next() < fraction) for (let k = 0; k < ncomp; k++) a[p * ncomp + k] = 0;
  return a;
}

function sigmaField(r: Random, n: number): Float32Array {
  const s = randomFloat32(r, n, 0.2, 3);
  for (let i = 0; i < n; i++) {
    const u = r.next();
    if (u < 0.08) s[i] = Infinity;
    else if (u < 0.1) s[i] = -Infinity;
  }
  return s;
}

/** An image with ~10% exact zeros and some negative values (EM class 0) among positive ones. */
function emImage(r: Random, n: number): Float32Array {
  const a = randomFloat32(r, n, -0.4, 2.5);
  for (let i = 0; i < n; i++) if (r.next() < 0.1) a[i] = 0;
  return a;
}

/** EM σ² field: positive values with ~10% `+∞` (classes of < 2 voxels) and ~10% exact zeros. */
function emSigmaField(r: Random, n: number): Float32Array {
  const s = randomFloat32(r, n, 0.01, 0.6);
  for (let i = 0; i < n; i++) {
    const u = r.next();
    if (u < 0.1) s[i] = Infinity;
    else if (u < 0.2) s[i] = 0;
  }
  return s;
}

/** A 0/1 int32 mask, about 80% ones. */
function emMask(r: Random, n: number): Int32Array {
  const m = new Int32Array(n);
  for (let i = 0; i < n; i++) m[i] = r.next() < 0.8 ? 1 : 0;
  return m;
}

/** The case table. */
/** The Parzen binning `[offset, delta]` of an image's range for `nbins` bins (both MI kernels). */
function miBins(a: Float32Array, nbins: number): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const v of a) { if (v < lo) lo = v; if (v > hi) hi = v; }
  return parzenBinning(lo, hi, nbins);
}

/** A log-ratio table like the MI metric's: logs of a joint pdf of `rows`/`cols`, 0 in empty cells. */
function miLogRatio(rows: Float32Array, cols: Float32Array, nbins: number): Float64Array {
  const [ro, rd] = miBins(rows, nbins), [co, cd] = miBins(cols, nbins);
  const P = new Float64Array(nbins * nbins), Pr = new Float64Array(nbins), Pc = new Float64Array(nbins);
  tsKernels.miJointPdf(P, Pr, Pc, rows, cols, nbins, ro, rd, co, cd);
  return P.map((p, k) => (p > 1e-12 && Pc[k % nbins] > 1e-12 ? Math.log(p / Pc[k % nbins]) : 0));
}

export const kernelCases: KernelCases = {
  warp2d: [
    {
      label: '2D, field on its own grid, random A, B, C, different out shape',
      make: (r) => [new Float32Array(count(S2C)), S2C, smoothImage(r, S2A), S2A, smoothField(r, S2B, 2), S2B,
        gridAffine(r, S2C, S2B), gridAffine(r, S2C, S2A), randomAffine(r, 2, 1.2)],
    },
    {
      label: '2D, null affines, field read at the output index',
      make: (r) => [new Float32Array(count(S2A)), S2A, smoothImage(r, S2A), S2A, smoothField(r, S2A, 3), S2A, null, null, null],
    },
    {
      label: '2D, A exactly the identity (SyN\'s warps), B, C scalings, field with −0 components',
      make: (r) => [new Float32Array(count(S2A)), S2A, smoothImage(r, S2C), S2C, withNegativeZeros(smoothField(r, S2A, 2.5), 7), S2A,
        diagonalAffine([1, 1]), diagonalAffine([0.9, 0.75], [0.3, -0.2]), diagonalAffine([0.5, 0.5])],
    },
    {
      label: '2D, A exactly the identity, non-finite field values inside (interpolated path)',
      // voxels (3, 5) x, (6, 8) y, (9, 2) x of the 13×17 field
      make: (r) => [new Float32Array(count(S2A)), S2A, smoothImage(r, S2A), S2A, withNonFinite(smoothField(r, S2A, 2), [112, 221, 310]), S2A,
        diagonalAffine([1, 1]), null, null],
    },
    {
      label: '2D, affine only (no field), samples leaving the grid',
      make: (r) => [new Float32Array(count(S2C)), S2C, randomFloat32(r, count(S2A)), S2A, null, S2C, null, randomAffine(r, 2, 1.3, 0.5, 0.1, 4), null],
    },
  ],
  warp3d: [
    {
      label: '3D, random A, B, C, different grids',
      make: (r) => [new Float32Array(count(S3C)), S3C, smoothImage(r, S3A), S3A, smoothField(r, S3B, 1.5), S3B,
        gridAffine(r, S3C, S3B), gridAffine(r, S3C, S3A), randomAffine(r, 3, 0.9)],
    },
    {
      label: '3D, null affines',
      make: (r) => [new Float32Array(count(S3A)), S3A, smoothImage(r, S3A), S3A, smoothField(r, S3A, 2), S3A, null, null, null],
    },
    {
      label: '3D, A exactly the identity (SyN\'s warps), B, C scalings, field with −0 components',
      make: (r) => [new Float32Array(count(S3A)), S3A, smoothImage(r, S3C), S3C, withNegativeZeros(smoothField(r, S3A, 1.5), 5), S3A,
        diagonalAffine([1, 1, 1]), diagonalAffine([0.8, 0.7, 0.75], [0.2, 0.1, -0.3]), diagonalAffine([1 / 3, 1 / 3, 1 / 3])],
    },
    {
      label: '3D, A exactly the identity, non-finite field values inside (interpolated path)',
      // voxels (2, 3, 4) x, (3, 2, 5) z, (4, 5, 1) y of the 6×7×8 field
      make: (r) => [new Float32Array(count(S3A)), S3A, smoothImage(r, S3A), S3A, withNonFinite(smoothField(r, S3A, 1.5), [420, 569, 796]), S3A,
        diagonalAffine([1, 1, 1]), null, null],
    },
    {
      label: '3D, affine only',
      make: (r) => [new Float32Array(count(S3B)), S3B, randomFloat32(r, count(S3A)), S3A, null, S3B, null, randomAffine(r, 3, 1.2, 0.4, 0.1, 3), null],
    },
  ],
  warpNearest2d: [
    {
      label: '2D float32, random A, B, C',
      make: (r) => [new Float32Array(count(S2C)), S2C, smoothImage(r, S2A), S2A, smoothField(r, S2B, 2), S2B,
        gridAffine(r, S2C, S2B), gridAffine(r, S2C, S2A), randomAffine(r, 2)],
    },
    {
      label: '2D int16, half-integer ties (affine only)',
      make: (r) => [new Int16Array(count(S2A)), S2A, intImage(Int16Array, r, count(S2A), 1000), S2A, null, S2A, null,
        diagonalAffine([1, 1], [0.5, -0.5]), null],
    },
    {
      label: '2D int32, null affines with a field',
      make: (r) => [new Int32Array(count(S2A)), S2A, intImage(Int32Array, r, count(S2A), 1 << 20), S2A, smoothField(r, S2A, 2.5), S2A, null, null, null],
    },
    {
      label: '2D uint8 labels, scaled affine',
      make: (r) => [new Uint8Array(count(S2C)), S2C, intImage(Uint8Array, r, count(S2A), 7), S2A, null, S2C, null, diagonalAffine([0.5, 1.5], [1, -2]), null],
    },
  ],
  warpNearest3d: [
    {
      label: '3D float32, random A, B, C',
      make: (r) => [new Float32Array(count(S3C)), S3C, smoothImage(r, S3A), S3A, smoothField(r, S3B, 1.5), S3B,
        gridAffine(r, S3C, S3B), gridAffine(r, S3C, S3A), randomAffine(r, 3)],
    },
    {
      label: '3D int16, half-integer ties',
      make: (r) => [new Int16Array(count(S3A)), S3A, intImage(Int16Array, r, count(S3A), 500), S3A, null, S3A, null,
        diagonalAffine([1, 1, 1], [0.5, -0.5, 0.5]), null],
    },
    {
      label: '3D int32, null affines with a field',
      make: (r) => [new Int32Array(count(S3A)), S3A, intImage(Int32Array, r, count(S3A), 1 << 20), S3A, smoothField(r, S3A, 2), S3A, null, null, null],
    },
    {
      label: '3D uint8 mask, field through random A, B, C (the EM metric\'s masks)',
      make: (r) => [new Uint8Array(count(S3C)), S3C, intImage(Uint8Array, r, count(S3A), 1), S3A, smoothField(r, S3B, 1.5), S3B,
        gridAffine(r, S3C, S3B), gridAffine(r, S3C, S3A), randomAffine(r, 3)],
    },
    {
      label: '3D float64 image (an element type served by the TypeScript fallback)',
      make: (r) => [new Float64Array(count(S3A)), S3A, f64(smoothImage(r, S3A)), S3A, smoothField(r, S3A, 2), S3A, null, null, null],
    },
  ],
  compose2d: [
    {
      label: '2D, different grids, random A and B, t = 0.7',
      make: (r) => [new Float32Array(count(S2A) * 2), smoothField(r, S2A, 3), S2A, smoothField(r, S2B, 2), S2B,
        gridAffine(r, S2A, S2B), randomAffine(r, 2, 0.8, 0.2, 0.05, 0), 0.7],
    },
    {
      label: '2D, in place (out === d1), A null, B scaling, t = 1',
      make: (r) => {
        const d1 = smoothField(r, S2C, 2.5);
        return [d1, d1, S2C, smoothField(r, S2C, 2), S2C, null, diagonalAffine([0.5, 0.8]), 1];
      },
    },
    {
      label: '2D, null affines, no inside voxel (NaN stats)',
      make: (r) => {
        const d1 = randomFloat32(r, count(S2B) * 2, 40, 50);
        return [new Float32Array(d1.length), d1, S2B, smoothField(r, S2B, 1), S2B, null, null, 2.5];
      },
    },
    {
      label: '2D, statistics not wanted (returns NaN)',
      make: (r) => [new Float32Array(count(S2A) * 2), smoothField(r, S2A, 2), S2A, smoothField(r, S2B, 1.5), S2B,
        gridAffine(r, S2A, S2B), randomAffine(r, 2, 0.9, 0.2, 0.05, 0), 0.7, false],
    },
  ],
  compose3d: [
    {
      label: '3D, different grids, random A and B, t = 1.3',
      make: (r) => [new Float32Array(count(S3A) * 3), smoothField(r, S3A, 2), S3A, smoothField(r, S3B, 1.5), S3B,
        gridAffine(r, S3A, S3B), randomAffine(r, 3, 0.9, 0.2, 0.05, 0), 1.3],
    },
    {
      label: '3D, in place (out === d1), null affines',
      make: (r) => {
        const d1 = smoothField(r, S3C, 1.5);
        return [d1, d1, S3C, smoothField(r, S3C, 1.5), S3C, null, null, 1];
      },
    },
    {
      label: '3D, in place, statistics not wanted (returns NaN)',
      make: (r) => {
        const d1 = smoothField(r, S3A, 2);
        return [d1, d1, S3A, smoothField(r, S3B, 1.5), S3B, gridAffine(r, S3A, S3B), null, 0.25, false];
      },
    },
  ],
  invert2d: [
    {
      label: '2D, cold start, anisotropic grid',
      make: (r) => {
        const d = smoothField(r, S2C, 1.5);
        return [new Float32Array(d.length), d, S2C, diagonalAffine([0.5, 0.8], [1, -2]), [2, 1.25], 15, 1e-4, new Float32Array(d.length)];
      },
      scratch: [7],
    },
    {
      label: '2D, warm start, identity W, stops on tolerance',
      make: (r) => {
        const d = smoothField(r, S2A, 1);
        return [randomFloat32(r, d.length, -0.3, 0.3), d, S2A, null, [1, 1], 50, 1e-2, new Float32Array(d.length)];
      },
      scratch: [7],
    },
  ],
  invert3d: [
    {
      label: '3D, cold start (0.1-voxel stop rule)',
      make: (r) => {
        const d = smoothField(r, S3A, 1.2);
        return [new Float32Array(d.length), d, S3A, diagonalAffine([1, 0.5, 2]), [1, 2, 0.5], 20, 1e-5, new Float32Array(d.length)];
      },
      scratch: [7],
    },
    {
      label: '3D, warm start, random W',
      make: (r) => {
        const d = smoothField(r, S3C, 0.8);
        return [randomFloat32(r, d.length, -0.2, 0.2), d, S3C, randomAffine(r, 3, 1, 0.2, 0.02, 0), [1, 1, 1], 8, 1e-6, new Float32Array(d.length)];
      },
      scratch: [7],
    },
  ],
  resampleField2d: [
    {
      label: '2D, factor 0.5 (expansion to an even size)',
      make: (r) => [new Float32Array(26 * 34 * 2), [26, 34], smoothField(r, S2A, 3), S2A, [0.5, 0.5]],
    },
    {
      label: '2D, anisotropic factors, odd output',
      make: (r) => [new Float32Array(count(S2C) * 2), S2C, smoothField(r, S2B, 2), S2B, [0.7, 1.3]],
    },
  ],
  resampleField3d: [
    {
      label: '3D, factor 0.5',
      make: (r) => [new Float32Array(12 * 14 * 16 * 3), [12, 14, 16], smoothField(r, S3A, 2), S3A, [0.5, 0.5, 0.5]],
    },
    {
      label: '3D, anisotropic factors',
      make: (r) => [new Float32Array(count(S3C) * 3), S3C, smoothField(r, S3B, 2), S3B, [0.6, 1.1, 0.9]],
    },
  ],
  downsample2d: [
    {
      label: '2D scalar, odd × odd',
      make: (r) => [new Float32Array(7 * 9), randomFloat32(r, count(S2A)), S2A, 1],
    },
    {
      label: '2D vector, even × odd',
      make: (r) => [new Float32Array(8 * 7 * 2), randomFloat32(r, 16 * 13 * 2), [16, 13], 2],
    },
  ],
  downsample3d: [
    {
      label: '3D scalar, even/odd/even',
      make: (r) => [new Float32Array(3 * 4 * 4), randomFloat32(r, count(S3A)), S3A, 1],
    },
    {
      label: '3D vector, odd sizes',
      make: (r) => [new Float32Array(4 * 3 * 3 * 3), randomFloat32(r, count(S3C) * 3), S3C, 3],
    },
  ],
  numpyGradient: [
    { label: '2D', make: (r) => [new Float32Array(count(S2A) * 2), randomFloat32(r, count(S2A), -3, 3), S2A] },
    { label: '2D, two rows', make: (r) => [new Float32Array(2 * 9 * 2), randomFloat32(r, 18), [2, 9] as Shape2D] },
    { label: '3D', make: (r) => [new Float32Array(count(S3A) * 3), smoothImage(r, S3A), S3A] },
  ],
  numpyGradientAdd: [
    { label: '2D, added to random values', make: (r) => [randomFloat32(r, count(S2A) * 2, -3, 3), randomFloat32(r, count(S2A), -3, 3), S2A] },
    { label: '2D, two rows', make: (r) => [randomFloat32(r, 2 * 9 * 2), randomFloat32(r, 18), [2, 9] as Shape2D] },
    { label: '3D, added to random values', make: (r) => [randomFloat32(r, count(S3A) * 3, -1, 1), smoothImage(r, S3A), S3A] },
  ],
  physicalGradient: [
    { label: '2D, anisotropic spacing, oblique direction', make: (r) => [new Float32Array(count(S2A) * 2), randomFloat32(r, count(S2A), -3, 3), S2A, [1.5, 0.75], randomAffine(r, 2, 1, 0.3, 0.05, 0)] },
    { label: '2D, unit spacing, identity direction', make: (r) => [new Float32Array(count(S2B) * 2), smoothImage(r, S2B), S2B, [1, 1], diagonalAffine([1, 1])] },
    { label: '3D, anisotropic spacing, oblique direction', make: (r) => [new Float32Array(count(S3A) * 3), smoothImage(r, S3A), S3A, [2, 1, 0.5], randomAffine(r, 3, 1, 0.3, 0.05, 0)] },
  ],
  conditionStep: [
    { label: '2D, anisotropic spacing', make: (r) => [smoothField(r, S2A, 3), S2A, [1.5, 0.75]] },
    { label: '2D, largest values on the boundary layer', make: (r) => {
      const f = smoothField(r, S2C, 1);
      for (let c = 0; c < S2C[1]; c++) { f[c * 2] = 50; f[c * 2 + 1] = -50; }
      return [f, S2C, [1, 1]];
    } },
    { label: '2D, zero step', make: () => [new Float32Array(count(S2B) * 2), S2B, [1, 1]] },
    { label: '3D, anisotropic spacing', make: (r) => [smoothField(r, S3A, 2), S3A, [2, 1, 0.5]] },
    { label: '3D, odd shape, unit spacing', make: (r) => [smoothField(r, S3C, 4), S3C, [1, 1, 1]] },
  ],
  jacobianDeterminant2d: [
    { label: '2D, random world-to-grid (rotation, shear)', make: (r) => [new Float32Array(count(S2A)), smoothField(r, S2A, 3), S2A, randomAffine(r, 2, 0.7)] },
    { label: '2D, null affine, rough field (folds)', make: (r) => [new Float32Array(count(S2B)), randomFloat32(r, count(S2B) * 2, -2, 2), S2B, null] },
    { label: '2D, a 2-row grid (one-sided differences only)', make: (r) => [new Float32Array(2 * 9), smoothField(r, [2, 9], 2), [2, 9], diagonalAffine([0.5, 2])] },
  ],
  jacobianDeterminant3d: [
    { label: '3D, random world-to-grid', make: (r) => [new Float32Array(count(S3A)), smoothField(r, S3A, 3), S3A, randomAffine(r, 3, 1.3)] },
    { label: '3D, null affine, rough field (folds)', make: (r) => [new Float32Array(count(S3C)), randomFloat32(r, count(S3C) * 3, -2, 2), S3C, null] },
    { label: '3D, a single slice', make: (r) => [new Float32Array(6 * 5), smoothField(r, [1, 6, 5], 2), [1, 6, 5], diagonalAffine([1, 0.5, 2])] },
  ],
  gradientSampler2d: [
    {
      label: '2D, random image and sampling affines',
      make: (r) => [new Float32Array(count(S2C) * 2), new Int32Array(count(S2C)), S2C, smoothImage(r, S2A), S2A,
        randomAffine(r, 2, 0.9, 0.2, 0.03, 1), [1.1, 0.9], randomAffine(r, 2, 1, 0.2, 0.03, 1)],
    },
    {
      label: '2D, identity affines',
      make: (r) => [new Float32Array(count(S2A) * 2), new Int32Array(count(S2A)), S2A, randomFloat32(r, count(S2A)), S2A, null, [1, 1], null],
    },
  ],
  gradientSampler3d: [
    {
      label: '3D, random affines',
      make: (r) => [new Float32Array(count(S3C) * 3), new Int32Array(count(S3C)), S3C, smoothImage(r, S3A), S3A,
        randomAffine(r, 3, 1, 0.2, 0.03, 1), [1, 1.2, 0.8], randomAffine(r, 3, 1, 0.2, 0.03, 1)],
    },
  ],
  gaussianFilter: [
    { label: '2D scalar, σ = (1.5, 0.7)', make: (r) => [new Float32Array(count(S2A)), randomFloat32(r, count(S2A)), S2A, 1, [1.5, 0.7]] },
    { label: '2D vector, σ = (0, 2): first axis skipped', make: (r) => [new Float32Array(count(S2C) * 2), randomFloat32(r, count(S2C) * 2), S2C, 2, [0, 2]] },
    { label: '2D, kernel longer than the axis (repeated reflection)', make: (r) => [new Float32Array(5 * 30), randomFloat32(r, 150), [5, 30] as Shape2D, 1, [4, 1]] },
    { label: '3D scalar, σ = (1, 2, 0.5)', make: (r) => [new Float32Array(count(S3A)), smoothImage(r, S3A), S3A, 1, [1, 2, 0.5]] },
    {
      label: '3D vector in place (out === input)',
      make: (r) => {
        const a = randomFloat32(r, count(S3C) * 3);
        return [a, a, S3C, 3, [0.8, 1.2, 1.6]];
      },
    },
  ],
  ccFactors2d: [0, 1, 3].map((radius) => ({
    label: `2D, radius ${radius}`,
    make: (r: Random): Parameters<Kernels['ccFactors2d']> => [new Float32Array(count(S2A) * 5), smoothImage(r, S2A), smoothImage(r, S2A), S2A, radius],
  })),
  ccFactors3d: [1, 2].map((radius) => ({
    label: `3D, radius ${radius}`,
    make: (r: Random): Parameters<Kernels['ccFactors3d']> => [new Float32Array(count(S3CC) * 5), smoothImage(r, S3CC), smoothImage(r, S3CC), S3CC, radius],
  })),
  ccFactors3dStream: [
    ...[1, 2].map((radius) => ({
      label: `3D, radius ${radius}, all iterations in one call`,
      make: (r: Random): Parameters<Kernels['ccFactors3dStream']> => [new Float32Array(count(S3CC) * 5), 0, smoothImage(r, S3CC), smoothImage(r, S3CC), S3CC, radius,
        new Float64Array(2 * S3CC[1] * S3CC[2] * 5), 0, S3CC[0] + radius],
    })),
    ...[1, 2].map((radius) => ({
      label: `3D, radius ${radius}, resumed mid-volume into a slab buffer`,
      make: (r: Random): Parameters<Kernels['ccFactors3dStream']> => {
        const st = smoothImage(r, S3CC);
        const mv = smoothImage(r, S3CC);
        const plane = S3CC[1] * S3CC[2];
        const state = new Float64Array(2 * plane * 5);
        // the first 5 iterations by the reference kernels, into a throw-away buffer
        tsKernels.ccFactors3dStream(new Float32Array(S3CC[0] * plane * 5), 0, st, mv, S3CC, radius, state, 0, 5);
        // iterations [5, 9) complete slices [5 − r, 9 − r)
        return [new Float32Array(4 * plane * 5), 5 - radius, st, mv, S3CC, radius, state, 5, 9];
      },
    })),
  ],
  ccEnergy3d: [1, 2].map((radius) => ({
    label: `3D, radius ${radius}, slices [3, 7) continuing a sum`,
    make: (r: Random): Parameters<Kernels['ccEnergy3d']> => {
      const plane = S3CC[1] * S3CC[2];
      const f = new Float32Array(count(S3CC) * 5);
      tsKernels.ccFactors3d(f, smoothImage(r, S3CC), smoothImage(r, S3CC), S3CC, radius);
      return [f.subarray(2 * plane * 5), 2, S3CC, radius, 3, 7, -1.25];
    },
  })),
  ccForwardStep2d: [1, 3].map((radius) => ({
    label: `2D, radius ${radius}`,
    make: (r: Random): Parameters<Kernels['ccForwardStep2d']> => {
      const f = new Float32Array(count(S2A) * 5);
      tsKernels.ccFactors2d(f, smoothImage(r, S2A), smoothImage(r, S2A), S2A, radius);
      return [new Float32Array(count(S2A) * 2), randomFloat32(r, count(S2A) * 2), f, S2A, radius];
    },
  })),
  ccBackwardStep2d: [1, 3].map((radius) => ({
    label: `2D, radius ${radius}`,
    make: (r: Random): Parameters<Kernels['ccBackwardStep2d']> => {
      const f = new Float32Array(count(S2A) * 5);
      tsKernels.ccFactors2d(f, smoothImage(r, S2A), smoothImage(r, S2A), S2A, radius);
      return [new Float32Array(count(S2A) * 2), randomFloat32(r, count(S2A) * 2), f, S2A, radius];
    },
  })),
  ccForwardStep3d: [1, 2].map((radius) => ({
    label: `3D, radius ${radius}`,
    make: (r: Random): Parameters<Kernels['ccForwardStep3d']> => {
      const f = new Float32Array(count(S3CC) * 5);
      tsKernels.ccFactors3d(f, smoothImage(r, S3CC), smoothImage(r, S3CC), S3CC, radius);
      return [new Float32Array(count(S3CC) * 3), randomFloat32(r, count(S3CC) * 3), f, S3CC, radius];
    },
  })),
  ccBackwardStep3d: [1, 2].map((radius) => ({
    label: `3D, radius ${radius}`,
    make: (r: Random): Parameters<Kernels['ccBackwardStep3d']> => {
      const f = new Float32Array(count(S3CC) * 5);
      tsKernels.ccFactors3d(f, smoothImage(r, S3CC), smoothImage(r, S3CC), S3CC, radius);
      return [new Float32Array(count(S3CC) * 3), randomFloat32(r, count(S3CC) * 3), f, S3CC, radius];
    },
  })),
  ssdDemonsStep2d: [
    {
      label: '2D, zero-gradient pixels',
      make: (r) => [new Float32Array(count(S2A) * 2), randomFloat32(r, count(S2A)), withZeros(r, randomFloat32(r, count(S2A) * 2), 0.2, 2), S2A, 1.5],
    },
  ],
  ssdDemonsStep3d: [
    {
      label: '3D, zero-gradient voxels',
      make: (r) => [new Float32Array(count(S3A) * 3), randomFloat32(r, count(S3A)), withZeros(r, randomFloat32(r, count(S3A) * 3), 0.2, 3), S3A, 0.01],
    },
  ],
  gaussSeidelSweep2d: [
    {
      label: '2D, σ² = 1, target δ·g, u in place',
      make: (r) => [randomFloat32(r, count(S2A) * 2), randomFloat32(r, count(S2A)), null, randomFloat32(r, count(S2A) * 2), null, 1.5, S2A],
    },
    {
      label: '2D, σ² field with ±∞, explicit target',
      make: (r) => [randomFloat32(r, count(S2C) * 2), randomFloat32(r, count(S2C)), sigmaField(r, count(S2C)), randomFloat32(r, count(S2C) * 2),
        randomFloat32(r, count(S2C) * 2), 0.7, S2C],
    },
  ],
  gaussSeidelSweep3d: [
    {
      label: '3D, σ² = 1, zero gradients (singular systems)',
      make: (r) => [randomFloat32(r, count(S3A) * 3), randomFloat32(r, count(S3A)), null, withZeros(r, randomFloat32(r, count(S3A) * 3), 0.3, 3), null, 1.5, S3A],
    },
    {
      label: '3D, σ² field with ±∞, explicit target',
      make: (r) => [randomFloat32(r, count(S3C) * 3), randomFloat32(r, count(S3C)), sigmaField(r, count(S3C)), randomFloat32(r, count(S3C) * 3),
        randomFloat32(r, count(S3C) * 3), 0.4, S3C],
    },
    {
      label: '3D, regular systems almost everywhere (the two-row interleave throughout), σ² field, δ·g target, one singular and one σ² = ∞ voxel',
      make: (r) => {
        const shape: Shape3D = [3, 8, 11];
        const n = count(shape);
        const g = randomFloat32(r, n * 3, -2, 2);
        const s2 = randomFloat32(r, n, 0.5, 3);
        // one singular system (zero gradient, tiny σ²) inside a row, one σ² = ∞ voxel
        g[3 * 40] = 0; g[3 * 40 + 1] = 0; g[3 * 40 + 2] = 0; s2[40] = 1e-8;
        s2[57] = Infinity;
        return [randomFloat32(r, n * 3), randomFloat32(r, n), s2, g, null, 0.3, shape];
      },
    },
    {
      label: '3D, singular systems scattered along the rows (each keeps the previous solution), odd rows',
      make: (r) => {
        const shape: Shape3D = [4, 7, 9];
        const n = count(shape);
        const g = randomFloat32(r, n * 3, -1, 1);
        const s2 = new Float32Array(n).fill(1);
        // σ² = 1e-8 with a zero gradient: σ²λ·nn < 1e-9, a singular system; also at the first voxel of some rows
        for (let p = 0; p < n; p++) {
          if (r.next() < 0.2 || p % 18 === 0 || p % 27 === 1) { g[3 * p] = 0; g[3 * p + 1] = 0; g[3 * p + 2] = 0; s2[p] = 1e-8; }
        }
        return [randomFloat32(r, n * 3), randomFloat32(r, n), s2, g, null, 0.01, shape];
      },
    },
  ],
  residual2d: [
    {
      label: '2D, σ² = 1',
      make: (r) => [new Float32Array(count(S2A) * 2), randomFloat32(r, count(S2A)), null, randomFloat32(r, count(S2A) * 2), null, 1.5,
        randomFloat32(r, count(S2A) * 2), S2A],
    },
    {
      label: '2D, σ² field with ±∞, explicit target',
      make: (r) => [new Float32Array(count(S2C) * 2), randomFloat32(r, count(S2C)), sigmaField(r, count(S2C)), randomFloat32(r, count(S2C) * 2),
        randomFloat32(r, count(S2C) * 2), 0.7, randomFloat32(r, count(S2C) * 2), S2C],
    },
  ],
  quantizePositive: [
    ...[256, 7, 3, 2].map((q) => ({
      label: `2D image with zeros and negatives, ${q} levels`,
      make: (r: Random): Parameters<Kernels['quantizePositive']> =>
        [new Int32Array(count(S2A)), new Float32Array(q), new Int32Array(q), emImage(r, count(S2A)), q],
    })),
    {
      label: '3D image, 256 levels',
      make: (r) => [new Int32Array(count(S3A)), new Float32Array(256), new Int32Array(256), emImage(r, count(S3A)), 256],
    },
    {
      label: 'a single positive value (one-class path), stale outputs',
      make: (r) => {
        const img = emImage(r, count(S2B));
        for (let i = 0; i < img.length; i++) if (img[i] > 0) img[i] = 0.7;
        return [new Int32Array(count(S2B)).fill(9), new Float32Array(16).fill(3), new Int32Array(16).fill(5), img, 16];
      },
    },
    {
      label: 'no positive value',
      make: () => [new Int32Array(count(S2B)), new Float32Array(8), new Int32Array(8), new Float32Array(count(S2B)), 8],
    },
  ],
  maskedClassStats: [
    ...([[256, S2A], [7, S2C], [64, S3A]] as const).map(([q, shape]) => ({
      label: `${shape.length}D, ${q} classes from quantizePositive, random mask`,
      make: (r: Random): Parameters<Kernels['maskedClassStats']> => {
        const n = count(shape);
        const labels = new Int32Array(n);
        tsKernels.quantizePositive(labels, new Float32Array(q), new Int32Array(q), emImage(r, n), q);
        return [new Float32Array(q).fill(7), new Float32Array(q).fill(7), new Int32Array(q).fill(7),
          emMask(r, n), randomFloat32(r, n, 0, 3), labels, q];
      },
    })),
    {
      label: '3D, 32 classes, uint8 mask',
      make: (r) => {
        const n = count(S3C);
        const labels = new Int32Array(n);
        tsKernels.quantizePositive(labels, new Float32Array(32), new Int32Array(32), emImage(r, n), 32);
        return [new Float32Array(32), new Float32Array(32), new Int32Array(32), Uint8Array.from(emMask(r, n)),
          randomFloat32(r, n, -1, 3), labels, 32];
      },
    },
  ],
  emClassFields: [
    ...([[256, S2A], [9, S3A]] as const).map(([q, shape]) => ({
      label: `${shape.length}D, ${q} classes, variances with +∞, stale outputs`,
      make: (r: Random): Parameters<Kernels['emClassFields']> => {
        const n = count(shape);
        const labels = new Int32Array(n);
        tsKernels.quantizePositive(labels, new Float32Array(q), new Int32Array(q), emImage(r, n), q);
        const cv = randomFloat32(r, q, 0, 2);
        for (let c = 0; c < q; c += 3) cv[c] = Infinity;
        return [new Float32Array(n).fill(7), new Float32Array(n).fill(7), labels, randomFloat32(r, q, -1, 5), cv];
      },
    })),
  ],
  addFloat32: [
    { label: '3D field, distinct output', make: (r) => [new Float32Array(count(S3A) * 3), randomFloat32(r, count(S3A) * 3, -1e3, 1e3), randomFloat32(r, count(S3A) * 3, -1e-3, 1e-3)] },
    { label: 'odd length, in place (out === a)', make: (r) => { const a = randomFloat32(r, 103); return [a, a, randomFloat32(r, 103, -7, 7)]; } },
  ],
  positiveMask: [
    { label: 'image with zeros, negatives, NaN and ±∞, stale output', make: (r) => {
      const img = emImage(r, count(S3A));
      img[0] = NaN; img[1] = Infinity; img[2] = -Infinity; img[3] = -0;
      return [new Uint8Array(count(S3A)).fill(9), img];
    } },
  ],
  sumSquaresFloat32: [
    { label: 'odd length, wide range', make: (r) => [randomFloat32(r, 1001, -300, 300)] },
    { label: 'empty', make: () => [new Float32Array(0)] },
  ],
  subtractFloat32: [
    { label: '2D image, distinct output', make: (r) => [new Float32Array(count(S2A)), randomFloat32(r, count(S2A), 0, 300), randomFloat32(r, count(S2A), 0, 3)] },
    { label: 'odd length, in place (out === b)', make: (r) => { const b = randomFloat32(r, 101); return [b, randomFloat32(r, 101, -7, 7), b]; } },
  ],
  miJointPdf: [
    ...([[32, S2A], [7, S3A], [5, S2B]] as const).map(([nbins, shape]) => ({
      label: `${shape.length}D, ${nbins} bins, stale outputs`,
      make: (r: Random): Parameters<Kernels['miJointPdf']> => {
        const n = count(shape);
        const rows = randomFloat32(r, n, -2, 5), cols = randomFloat32(r, n, 10, 300);
        const [ro, rd] = miBins(rows, nbins), [co, cd] = miBins(cols, nbins);
        return [new Float64Array(nbins * nbins).fill(7), new Float64Array(nbins).fill(7), new Float64Array(nbins).fill(7),
          rows, cols, nbins, ro, rd, co, cd];
      },
    })),
  ],
  parzenMiStep: [
    ...([[32, S2A], [9, S3A]] as const).map(([nbins, shape]) => ({
      label: `${shape.length}D, ${nbins} bins`,
      make: (r: Random): Parameters<Kernels['parzenMiStep']> => {
        const n = count(shape), d = shape.length;
        const rows = randomFloat32(r, n, 0, 1), cols = randomFloat32(r, n, -4, 4);
        const [ro, rd] = miBins(rows, nbins), [co, cd] = miBins(cols, nbins);
        return [new Float32Array(n * d).fill(NaN), rows, cols, randomFloat32(r, n * d), miLogRatio(rows, cols, nbins), nbins,
          ro, rd, co, cd, -1 / (n * cd)];
      },
    })),
  ],
  emDemonsStep2d: [
    {
      label: '2D, σ² with +∞ and 0, zero-gradient pixels',
      make: (r) => [new Float32Array(count(S2A) * 2), randomFloat32(r, count(S2A)), emSigmaField(r, count(S2A)),
        withZeros(r, randomFloat32(r, count(S2A) * 2), 0.2, 2), S2A, 1.37],
    },
    {
      label: '2D, in place (out === gradient)',
      make: (r) => {
        const g = withZeros(r, randomFloat32(r, count(S2A) * 2), 0.2, 2);
        return [g, randomFloat32(r, count(S2A)), emSigmaField(r, count(S2A)), g, S2A, 1.37];
      },
    },
  ],
  emDemonsStep3d: [
    {
      label: '3D, σ² with +∞ and 0, zero-gradient voxels',
      make: (r) => [new Float32Array(count(S3A) * 3), randomFloat32(r, count(S3A)), emSigmaField(r, count(S3A)),
        withZeros(r, randomFloat32(r, count(S3A) * 3), 0.2, 3), S3A, 0.8],
    },
    {
      label: '3D, in place (out === gradient)',
      make: (r) => {
        const g = withZeros(r, randomFloat32(r, count(S3A) * 3), 0.2, 3);
        return [g, randomFloat32(r, count(S3A)), emSigmaField(r, count(S3A)), g, S3A, 0.8];
      },
    },
  ],
  residual3d: [
    {
      label: '3D, σ² = 1',
      make: (r) => [new Float32Array(count(S3A) * 3), randomFloat32(r, count(S3A)), null, randomFloat32(r, count(S3A) * 3), null, 1.5,
        randomFloat32(r, count(S3A) * 3), S3A],
    },
    {
      label: '3D, σ² field with ±∞, explicit target',
      make: (r) => [new Float32Array(count(S3C) * 3), randomFloat32(r, count(S3C)), sigmaField(r, count(S3C)), randomFloat32(r, count(S3C) * 3),
        randomFloat32(r, count(S3C) * 3), 0.4, randomFloat32(r, count(S3C) * 3), S3C],
    },
  ],
  resampleAffineLinear2d: [
    { label: '2D, random affine onto another grid (inside, border, outside)', make: (r) => [new Float64Array(count(S2C)), S2C, f64(smoothImage(r, S2A)), S2A, gridAffine(r, S2C, S2A)] },
    { label: '2D, odd sizes, identity, NaN voxels', make: (r) => [new Float64Array(count(S2B)), S2B, withNaN(r, f64(randomFloat32(r, count(S2B))), 0.05), S2B, diagonalAffine([1, 1])] },
    { label: '2D, NaN and infinite affine entries', make: (r) => {
      const M = gridAffine(r, S2A, S2B); M[1] = Number.NaN; M[5] = Number.POSITIVE_INFINITY;
      return [new Float64Array(count(S2A)), S2A, f64(smoothImage(r, S2B)), S2B, M];
    } },
  ],
  resampleAffineLinear3d: [
    { label: '3D, random affine onto another grid', make: (r) => [new Float64Array(count(S3C)), S3C, f64(smoothImage(r, S3A)), S3A, gridAffine(r, S3C, S3A)] },
    { label: '3D, a single slice, NaN voxels, shifted by half a voxel', make: (r) => [new Float64Array(6 * 5), [1, 6, 5] as Shape3D, withNaN(r, f64(randomFloat32(r, 30)), 0.1), [1, 6, 5] as Shape3D, diagonalAffine([1, 1, 1], [0.5, -0.5, 0.5])] },
  ],
  affineGradient2d: [
    { label: '2D, oblique grids, anisotropic spacing', make: (r) => [new Float64Array(count(S2C) * 2), S2C, f64(smoothImage(r, S2A)), S2A, randomAffine(r, 2, 0.9, 0.2, 0.03, 1), [1.1, 0.9], randomAffine(r, 2, 1, 0.2, 0.03, 1)] },
    { label: '2D, identity grids (border components 0), NaN voxels', make: (r) => [new Float64Array(count(S2B) * 2), S2B, withNaN(r, f64(randomFloat32(r, count(S2B))), 0.05), S2B, diagonalAffine([1, 1]), [1, 1], diagonalAffine([1, 1])] },
  ],
  affineGradient3d: [
    { label: '3D, oblique grids, anisotropic spacing', make: (r) => [new Float64Array(count(S3C) * 3), S3C, f64(smoothImage(r, S3A)), S3A, randomAffine(r, 3, 1, 0.2, 0.03, 1), [1, 1.2, 0.8], randomAffine(r, 3, 1, 0.2, 0.03, 1)] },
    { label: '3D, odd shape, identity grids', make: (r) => [new Float64Array(count(S3B) * 3), S3B, f64(randomFloat32(r, count(S3B))), S3B, diagonalAffine([1, 1, 1]), [1, 1, 1], diagonalAffine([1, 1, 1])] },
  ],
  affineGradientSparse: [
    { label: '2D, points inside and outside', make: (r) => [new Float64Array(57 * 2), randomPoints(r, S2A, 57), f64(smoothImage(r, S2A)), S2A, randomAffine(r, 2, 1, 0.1, 0.02, 0.5), [0.8, 1.3]] },
    { label: '3D, points inside and outside, a NaN point', make: (r) => {
      const p = randomPoints(r, S3A, 41); p[7] = Number.NaN;
      return [new Float64Array(41 * 3), p, f64(smoothImage(r, S3A)), S3A, randomAffine(r, 3, 1, 0.1, 0.02, 0.5), [1, 0.9, 1.2]];
    } },
  ],
  parzenJointPdf: [
    { label: '32 bins, masks, by count', make: (r) => {
      const [smin, sd] = binParams(-1, 1, 32), [mmin, md] = binParams(-1, 1, 32);
      return [new Float64Array(32 * 32), new Float64Array(32), new Float64Array(32), f64(randomFloat32(r, 301)), f64(randomFloat32(r, 301)),
        randomMask(r, 301, 0.2), randomMask(r, 301, 0.1), 32, smin, sd, mmin, md, true];
    } },
    { label: '7 bins, no masks, by weight, values beyond the range and NaN', make: (r) => {
      const [smin, sd] = binParams(-0.5, 0.5, 7), [mmin, md] = binParams(-0.7, 0.3, 7);
      return [new Float64Array(49), new Float64Array(7), new Float64Array(7), withNaN(r, f64(randomFloat32(r, 99)), 0.05),
        withNaN(r, f64(randomFloat32(r, 99)), 0.05), null, null, 7, smin, sd, mmin, md, false];
    } },
    { label: 'zero moving bin width, empty mask', make: (r) => [new Float64Array(64), new Float64Array(8), new Float64Array(8), f64(randomFloat32(r, 20)),
      f64(randomFloat32(r, 20)), new Int32Array(20), null, 8, -2, 0.5, 0, 0, true] },
  ],
  affineMIDense2d: [
    { label: '2D, 6 parameters, static mask, by count, onto another grid', make: (r) => {
      const [smin, sd] = binParams(0, 1, 16), [mmin, md] = binParams(-0.1, 1.1, 16);
      return [new Float64Array(256).fill(7), new Float64Array(16).fill(7), new Float64Array(16).fill(7), new Float64Array(256 * 6).fill(7),
        f64(randomFloat32(r, count(S2C), 0, 1)), randomMask(r, count(S2C), 0.15), S2C, f64(smoothImage(r, S2A)), S2A, gridAffine(r, S2C, S2A),
        gridAffine(r, S2C, S2A, 1), randomAffine(r, 2, 1, 0.1, 0.02, 0.5), [1.1, 0.9], randomAffine(r, 2, 1, 0.3, 0.05, 2),
        randomJacobian(r, 2, 6), 16, smin, sd, mmin, md, true];
    } },
    { label: '2D, 3 parameters (odd), no mask, by weight', make: (r) => {
      const [smin, sd] = binParams(0, 1, 9), [mmin, md] = binParams(-0.1, 1.1, 9);
      return [new Float64Array(81), new Float64Array(9), new Float64Array(9), new Float64Array(81 * 3),
        f64(randomFloat32(r, count(S2B), 0, 1)), null, S2B, f64(smoothImage(r, S2C)), S2C, gridAffine(r, S2B, S2C),
        gridAffine(r, S2B, S2C, 1), diagonalAffine([1, 1]), [1, 1], randomAffine(r, 2, 1, 0.3, 0.05, 2),
        randomJacobian(r, 2, 3), 9, smin, sd, mmin, md, false];
    } },
    { label: '2D, 5 parameters, NaN, ±Infinity and huge moving values, a zero spacing', make: (r) => {
      const [smin, sd] = binParams(0, 1, 10), [mmin, md] = binParams(-0.1, 1.1, 10);
      const mov = f64(smoothImage(r, S2C));
      mov[20] = NaN; mov[41] = Infinity; mov[77] = -Infinity; mov[120] = 1e305; mov[150] = -3e307;
      return [new Float64Array(100), new Float64Array(10), new Float64Array(10), new Float64Array(500),
        f64(randomFloat32(r, count(S2A), 0, 1)), null, S2A, mov, S2C, gridAffine(r, S2A, S2C),
        gridAffine(r, S2A, S2C, 1), randomAffine(r, 2, 1, 0.1, 0.02, 0.5), [0, 1.2], randomAffine(r, 2, 1, 0.3, 0.05, 2),
        randomJacobian(r, 2, 5), 10, smin, sd, mmin, md, false];
    } },
    { label: '2D, 6 parameters, 70×65 (two chunks of voxels), static mask', make: (r) => {
      const [smin, sd] = binParams(0, 1, 16), [mmin, md] = binParams(-0.1, 1.1, 16);
      const S: Shape2D = [70, 65], Sm: Shape2D = [60, 72];
      return [new Float64Array(256), new Float64Array(16), new Float64Array(16), new Float64Array(256 * 6),
        f64(randomFloat32(r, count(S), 0, 1)), randomMask(r, count(S), 0.1), S, f64(smoothImage(r, Sm)), Sm, gridAffine(r, S, Sm),
        gridAffine(r, S, Sm, 1), randomAffine(r, 2, 1, 0.1, 0.02, 0.5), [1.1, 0.9], randomAffine(r, 2, 1, 0.3, 0.05, 2),
        randomJacobian(r, 2, 6), 16, smin, sd, mmin, md, true];
    } },
    { label: '2D, pdfs only', make: (r) => {
      const [smin, sd] = binParams(0, 1, 12), [mmin, md] = binParams(-0.1, 1.1, 12);
      return [new Float64Array(144), new Float64Array(12), new Float64Array(12), null,
        f64(randomFloat32(r, count(S2A), 0, 1)), null, S2A, f64(smoothImage(r, S2B)), S2B, gridAffine(r, S2A, S2B),
        diagonalAffine([1, 1]), diagonalAffine([1, 1]), [1, 1], diagonalAffine([1, 1]), new Float64Array(0), 12, smin, sd, mmin, md, true];
    } },
  ],
  affineMIDense3d: [
    { label: '3D, the 12-parameter affine Jacobian, no mask, by weight, onto another grid', make: (r) => {
      const [smin, sd] = binParams(0, 1, 12), [mmin, md] = binParams(-0.1, 1.1, 12);
      const J = new Float64Array(4 * 3 * 12);
      for (let a = 0; a < 3; a++) {
        J[a * 12 + 4 * a + 3] = 1;
        for (let j = 0; j < 3; j++) J[(j + 1) * 36 + a * 12 + 4 * a + j] = 1;
      }
      return [new Float64Array(144), new Float64Array(12), new Float64Array(12), new Float64Array(144 * 12).fill(7),
        f64(randomFloat32(r, count(S3C), 0, 1)), null, S3C, f64(smoothImage(r, S3A)), S3A, gridAffine(r, S3C, S3A),
        gridAffine(r, S3C, S3A, 1), randomAffine(r, 3, 1, 0.1, 0.02, 0.5), [1, 1.2, 0.8], randomAffine(r, 3, 1, 0.3, 0.05, 2),
        J, 12, smin, sd, mmin, md, false];
    } },
    { label: '3D, 7 parameters, static mask, by count', make: (r) => {
      const [smin, sd] = binParams(0, 1, 10), [mmin, md] = binParams(-0.1, 1.1, 10);
      return [new Float64Array(100), new Float64Array(10), new Float64Array(10), new Float64Array(700),
        f64(randomFloat32(r, count(S3A), 0, 1)), randomMask(r, count(S3A), 0.2), S3A, f64(smoothImage(r, S3B)), S3B, gridAffine(r, S3A, S3B),
        gridAffine(r, S3A, S3B, 1), diagonalAffine([1, 1, 1]), [1, 1, 1], randomAffine(r, 3, 1, 0.3, 0.05, 2),
        randomJacobian(r, 3, 7), 10, smin, sd, mmin, md, true];
    } },
    { label: '3D, the affine Jacobian, NaN, ±Infinity and huge moving values', make: (r) => {
      const [smin, sd] = binParams(0, 1, 12), [mmin, md] = binParams(-0.1, 1.1, 12);
      const J = new Float64Array(4 * 3 * 12);
      for (let a = 0; a < 3; a++) {
        J[a * 12 + 4 * a + 3] = 1;
        for (let j = 0; j < 3; j++) J[(j + 1) * 36 + a * 12 + 4 * a + j] = 1;
      }
      const mov = f64(smoothImage(r, S3A));
      mov[30] = NaN; mov[101] = Infinity; mov[177] = -Infinity; mov[250] = 1e306; mov[290] = -2e307;
      return [new Float64Array(144), new Float64Array(12), new Float64Array(12), new Float64Array(144 * 12),
        f64(randomFloat32(r, count(S3C), 0, 1)), null, S3C, mov, S3A, gridAffine(r, S3C, S3A),
        gridAffine(r, S3C, S3A, 1), randomAffine(r, 3, 1, 0.1, 0.02, 0.5), [1, 1.2, 0.8], randomAffine(r, 3, 1, 0.3, 0.05, 2),
        J, 12, smin, sd, mmin, md, true];
    } },
    { label: '3D, the affine Jacobian, 17×16×33 (three chunks of voxels), by weight', make: (r) => {
      const [smin, sd] = binParams(0, 1, 12), [mmin, md] = binParams(-0.1, 1.1, 12);
      const J = new Float64Array(4 * 3 * 12);
      for (let a = 0; a < 3; a++) {
        J[a * 12 + 4 * a + 3] = 1;
        for (let j = 0; j < 3; j++) J[(j + 1) * 36 + a * 12 + 4 * a + j] = 1;
      }
      const S: Shape3D = [17, 16, 33], Sm: Shape3D = [15, 18, 30];
      return [new Float64Array(144), new Float64Array(12), new Float64Array(12), new Float64Array(144 * 12),
        f64(randomFloat32(r, count(S), 0, 1)), null, S, f64(smoothImage(r, Sm)), Sm, gridAffine(r, S, Sm),
        gridAffine(r, S, Sm, 1), randomAffine(r, 3, 1, 0.1, 0.02, 0.5), [1, 1.2, 0.8], randomAffine(r, 3, 1, 0.3, 0.05, 2),
        J, 12, smin, sd, mmin, md, false];
    } },
    { label: '3D, pdfs only, 20×16×30 (three chunks of voxels)', make: (r) => {
      const [smin, sd] = binParams(0, 1, 8), [mmin, md] = binParams(-0.1, 1.1, 8);
      const S: Shape3D = [20, 16, 30];
      return [new Float64Array(64), new Float64Array(8), new Float64Array(8), null,
        f64(randomFloat32(r, count(S), 0, 1)), randomMask(r, count(S), 0.3), S, f64(smoothImage(r, S)), S, gridAffine(r, S, S),
        diagonalAffine([1, 1, 1]), diagonalAffine([1, 1, 1]), [1, 1, 1], diagonalAffine([1, 1, 1]), new Float64Array(0), 8, smin, sd, mmin, md, true];
    } },
    { label: '3D, pdfs only, a single slice', make: (r) => {
      const [smin, sd] = binParams(0, 1, 8), [mmin, md] = binParams(-0.1, 1.1, 8);
      return [new Float64Array(64), new Float64Array(8), new Float64Array(8), null,
        f64(randomFloat32(r, 30, 0, 1)), null, [1, 6, 5] as Shape3D, f64(randomFloat32(r, 30, 0, 1)), [1, 6, 5] as Shape3D,
        diagonalAffine([1, 1, 1], [0.5, -0.5, 0.5]), diagonalAffine([1, 1, 1]), diagonalAffine([1, 1, 1]), [1, 1, 1],
        diagonalAffine([1, 1, 1]), new Float64Array(0), 8, smin, sd, mmin, md, false];
    } },
  ],
  parzenJointGradient: [
    { label: '2D, 6 parameters, masks', make: (r) => {
      const [smin, sd] = binParams(-1, 1, 16), [mmin, md] = binParams(-1, 1, 16);
      return [new Float64Array(16 * 16 * 6), f64(randomFloat32(r, 211)), f64(randomFloat32(r, 211)), randomMask(r, 211, 0.2), randomMask(r, 211, 0.2),
        f64(randomFloat32(r, 422, -3, 3)), randomPoints(r, [10, 12], 211), randomJacobian(r, 2, 6), 2, 16, smin, sd, mmin, md];
    } },
    { label: '3D, 12 parameters, no masks, a NaN gradient', make: (r) => {
      const [smin, sd] = binParams(-1, 1, 9), [mmin, md] = binParams(-1, 1, 9);
      const g = f64(randomFloat32(r, 3 * 77, -3, 3)); g[10] = Number.NaN;
      return [new Float64Array(81 * 12), f64(randomFloat32(r, 77)), f64(randomFloat32(r, 77)), null, null,
        g, randomPoints(r, S3A, 77), randomJacobian(r, 3, 12), 3, 9, smin, sd, mmin, md];
    } },
    { label: '3D, the sparse Jacobian of an affine transform, a translation-only column set, NaN gradients', make: (r) => {
      const [smin, sd] = binParams(-1, 1, 12), [mmin, md] = binParams(-1, 1, 12);
      // J(x) of the 12-parameter affine: row a has x_0, x_1, x_2, 1 in columns 4a … 4a+3; column 1 zeroed out
      const J = new Float64Array(4 * 3 * 12);
      for (let a = 0; a < 3; a++) {
        J[a * 12 + 4 * a + 3] = 1;
        for (let j = 0; j < 3; j++) J[(j + 1) * 36 + a * 12 + 4 * a + j] = 1.25 - 0.5 * j;
      }
      J[1 * 36 + 0 * 12 + 1] = 0; J[2 * 36 + 0 * 12 + 1] = 0; J[3 * 36 + 0 * 12 + 1] = 0;
      const g = f64(randomFloat32(r, 3 * 64, -3, 3)); g[4] = Number.NaN; g[9 * 3 + 2] = Number.NaN;
      return [new Float64Array(144 * 12), f64(randomFloat32(r, 64)), f64(randomFloat32(r, 64)), randomMask(r, 64, 0.1), null,
        g, randomPoints(r, S3B, 64), J, 3, 12, smin, sd, mmin, md];
    } },
  ],
};
