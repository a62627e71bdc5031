/**
 * The stress tier of {@link describeBackend}: larger and harder inputs than
 * {@link kernelCases}, for every backend (the TypeScript wrapper, WebAssembly,
 * third-party ones). They target what fast kernels get wrong:
 * - odd row lengths and axes of length 1 or 2 (SIMD pair/quad loops and their
 *   scalar tails; volumes with fewer slices than threads);
 * - displacements and affines that push samples across every border;
 * - NaN, ±Infinity and −0 entries in images, fields and σ² (poisoned inputs);
 * - in-place aliasing (`out === d1`, `out === input`);
 * - extreme spacings (1e±200) and zero fields for the inversion's norm shortcuts;
 * - sequences of calls: the CC factors streamed slab by slab with halos, and one
 *   backend reused across calls of very different sizes (stale arena memory).
 *
 * Every case builds its arguments from the seeded generator it is given, so two
 * builds with the same seed are identical and independent (aliasing reproduced).
 * Conventions as in `@diffeo/core`: C-order grids (voxels), interleaved fields,
 * `(d+1)×(d+1)` row-major affines, spacing in mm.
 */
import { tsKernels, type Affine, type KernelName, type Kernels, type Shape2D, type Shape3D } from '@diffeo/core';
import { count, randomAffine, randomFloat32, smoothField, smoothImage, type Random } from './random.js';
import type { KernelCase } from './kernel-cases.js';

/** Stress cases per kernel (every kernel of the contract has some, except the EM ones, covered by {@link kernelCases}). */
export type StressCases = { readonly [K in KernelName]?: readonly KernelCase<K>[] };

/**
 * A sequence of kernel calls (for state carried between calls). `run` is called
 * once with the backend's kernels and once with `tsKernels`, each time with a
 * generator of the same seed; the returned values must agree.
 */
export interface StressScenario {
  /** Short description shown in the test title. */
  readonly label: string;
  /**
   * Runs the sequence on `kernels`; `alloc(n)` gives a `Float32Array` of length
   * `n` (in the backend's memory when the suite runs zero-copy). Returns
   * everything to compare (arrays copied out of any reused buffer).
   */
  run(kernels: Kernels, r: Random, alloc: (n: number) => Float32Array): unknown;
}

/** Sprinkles `n` NaN / ±Infinity / −0 values into `a` (in place) at random positions. */
function poison(r: Random, a: Float32Array, n: number): Float32Array {
  const bad = [NaN, Infinity, -Infinity, -0];
  for (let k = 0; k < n; k++) a[r.int(0, a.length)] = bad[k % bad.length];
  return a;
}

const shapes3: Shape3D[] = [[9, 11, 13], [16, 12, 21], [7, 20, 4], [3, 5, 2], [2, 9, 7], [1, 7, 6]];
const shapes2: Shape2D[] = [[33, 47], [40, 21], [5, 3]];

/** kind 0: null; 1: `scale·I`; otherwise a random affine (rotation ≤ 0.4 rad, shear 0.1, shift 3). */
function affine(r: Random, dim: 2 | 3, kind: number, scale = 1): Affine {
  if (kind === 0) return null;
  if (kind === 1) {
    const m = new Float64Array((dim + 1) * (dim + 1));
    for (let k = 0; k < dim; k++) m[k * (dim + 2)] = scale;
    m[m.length - 1] = 1;
    return m;
  }
  return randomAffine(r, dim, scale, 0.4, 0.1, 3);
}

function composeCases(): { c3: KernelCase<'compose3d'>[]; c2: KernelCase<'compose2d'>[] } {
  const c3: KernelCase<'compose3d'>[] = [], c2: KernelCase<'compose2d'>[] = [];
  for (const s1 of shapes3) {
    for (const s2 of [s1, [s1[0] + 3, s1[1] + 1, s1[2] + 2] as Shape3D]) {
      for (let kind = 0; kind < 6; kind++) {
        c3.push({
          // kinds 2 and 3: statistics not wanted (NaN returned); 4, 5: poisoned fields; odd kinds: in place
          label: `${s1} ∘ ${s2}, kind ${kind}${kind % 2 ? ', in place' : ''}`,
          make: (r) => {
            const n1 = count(s1) * 3;
            const d1 = kind === 5 ? poison(r, randomFloat32(r, n1, -4, 4), 5) : smoothField(r, s1, 1 + kind);
            const d2 = kind === 4 ? poison(r, smoothField(r, s2, 2), 5) : smoothField(r, s2, 2);
            const A = affine(r, 3, kind % 3), B = affine(r, 3, (kind + 1) % 3, 0.8);
            return [kind % 2 ? d1 : new Float32Array(n1), d1, s1, d2, s2, A, B, r.uniform(-1.5, 1.5), kind !== 2 && kind !== 3];
          },
        });
      }
    }
  }
  // A null and B the identity or diagonal (with −0 off the diagonal), as SyN composes its
  // updates: the kernels may skip B's zero products; poisoned fields check that NaN/∞
  // still send the voxel outside.
  for (const s1 of [[9, 11, 13], [7, 20, 5]] as Shape3D[]) {
    for (let kind = 0; kind < 4; kind++) {
      c3.push({
        label: `${s1}, A null, B ${kind < 2 ? 'identity' : 'diagonal'}${kind % 2 ? ', poisoned fields' : ''}`,
        make: (r) => {
          const n1 = count(s1) * 3;
          const d1 = kind % 2 ? poison(r, randomFloat32(r, n1, -4, 4), 9) : smoothField(r, s1, 3);
          const d2 = kind % 2 ? poison(r, smoothField(r, s1, 2), 9) : smoothField(r, s1, 2);
          const B = kind < 2 ? new Float64Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1])
            : new Float64Array([0.5, -0, 0, 2, 0, 1.5, -0, -1, -0, 0, 0.75, 3, 0, 0, 0, 1]);
          return [kind === 1 ? d1 : new Float32Array(n1), d1, s1, d2, s1, null, B, r.uniform(-1.5, 1.5), kind !== 2];
        },
      });
    }
  }
  for (const s1 of shapes2) {
    for (let kind = 0; kind < 6; kind++) {
      c2.push({
        label: `${s1}, kind ${kind}${kind % 2 ? ', in place' : ''}`,
        make: (r) => {
          const n1 = count(s1) * 2;
          const d1 = kind === 5 ? poison(r, randomFloat32(r, n1, -4, 4), 5) : smoothField(r, s1, 1 + kind);
          const d2 = smoothField(r, s1, 2);
          return [kind % 2 ? d1 : new Float32Array(n1), d1, s1, d2, s1, affine(r, 2, kind % 3), affine(r, 2, (kind + 1) % 3, 0.8), 0.25, kind !== 2 && kind !== 3];
        },
      });
    }
  }
  return { c3, c2 };
}

function invertCases(): { i3: KernelCase<'invert3d'>[]; i2: KernelCase<'invert2d'>[] } {
  const i3: KernelCase<'invert3d'>[] = [], i2: KernelCase<'invert2d'>[] = [];
  const scratch = [7];
  // Cold and warm starts, anisotropic spacing, iteration limits.
  for (const s of shapes3) {
    for (let kind = 0; kind < 4; kind++) {
      i3.push({
        label: `${s}, ${['cold start', 'warm start', '3 iterations, tol 0', 'large field'][kind]}`,
        scratch,
        make: (r) => {
          const n = count(s) * 3;
          const d = smoothField(r, s, kind === 3 ? 6 : 1.5);
          const inv = kind === 1 ? smoothField(r, s, 0.5) : new Float32Array(n);
          const sp = [r.uniform(0.7, 2), r.uniform(0.7, 2), r.uniform(0.7, 2)];
          const W = kind === 0 ? null : new Float64Array([1 / sp[0], 0, 0, 1, 0, 1 / sp[1], 0, 2, 0, 0, 1 / sp[2], 3, 0, 0, 0, 1]);
          return [inv, d, s, W, sp, kind === 2 ? 3 : 20, kind === 2 ? 0 : 1e-3, new Float32Array(n)];
        },
      });
    }
  }
  for (const s of shapes2) {
    for (let kind = 0; kind < 3; kind++) {
      i2.push({
        label: `${s}, ${['cold start', 'warm start', 'anisotropic W'][kind]}`,
        scratch,
        make: (r) => {
          const n = count(s) * 2;
          const sp = [r.uniform(0.7, 2), r.uniform(0.7, 2)];
          const W = kind === 0 ? null : new Float64Array([1 / sp[0], 0, 0, 0, 1 / sp[1], 0, 0, 0, 1]);
          return [kind === 1 ? smoothField(r, s, 0.5) : new Float32Array(n), smoothField(r, s, 2), s, W, sp, 15, 1e-4, new Float32Array(n)];
        },
      });
    }
  }
  // Unit, power-of-two and other spacings, 1e±200 (residual norms computed through 1/s and the
  // bound that skips them when m ≤ maxlen is proven), points far off the grid, NaN/∞, zero fields.
  const spacings3 = [[1, 1, 1], [0.5, 2, 4], [3, 3, 3], [1.3, 0.7, 2.2], [1e-200, 1, 1], [1e200, 1e200, 1e200]];
  const spacings2 = [[1, 1], [0.25, 8], [3, 3], [1.3, 0.7], [1e-200, 1], [1e200, 1e200]];
  const what = (kind: number, sp: readonly number[]): string => (kind === 6 ? 'far off the grid' : kind === 7 ? 'NaN/∞ in the field' : kind === 8 ? 'zero field' : `spacing ${sp}`);
  for (const s of [[9, 11, 13], [7, 20, 5], [2, 9, 7]] as Shape3D[]) {
    for (let kind = 0; kind < 9; kind++) {
      const sp = spacings3[kind % spacings3.length];
      i3.push({
        label: `${s}, ${what(kind, sp)}`,
        scratch,
        make: (r) => {
          const n = count(s) * 3;
          const d = kind === 8 ? new Float32Array(n) : smoothField(r, s, kind === 6 ? 12 : 1.5);
          if (kind === 7) poison(r, d, 4);
          const W = kind % 2 === 1 && kind < 4 ? new Float64Array([1 / sp[0], 0, 0, 0.5, 0, 1 / sp[1], 0, -1, 0, 0, 1 / sp[2], 2, 0, 0, 0, 1]) : null;
          return [kind === 3 ? smoothField(r, s, 0.5) : new Float32Array(n), d, s, W, sp, 12, 1e-4, new Float32Array(n)];
        },
      });
    }
  }
  // W with the identity or a diagonal linear part (−0 off the diagonal), warm and cold, with
  // NaN/∞/−0 in the field and the start: the kernels may skip W's zero products.
  for (const s of [[9, 11, 13], [7, 20, 5]] as Shape3D[]) {
    for (let kind = 0; kind < 4; kind++) {
      i3.push({
        label: `${s}, W ${kind < 2 ? 'identity' : 'diagonal'}${kind % 2 ? ', poisoned field and start' : ''}`,
        scratch,
        make: (r) => {
          const n = count(s) * 3;
          const d = smoothField(r, s, 2);
          const inv = kind % 2 ? poison(r, smoothField(r, s, 0.5), 6) : new Float32Array(n);
          if (kind % 2) poison(r, d, 6);
          const W = kind < 2 ? new Float64Array([1, 0, 0, 5, 0, 1, 0, -3, 0, 0, 1, 0, 0, 0, 0, 1])
            : new Float64Array([0.5, -0, 0, 1, 0, 2, -0, 0, -0, 0, 1.25, -2, 0, 0, 0, 1]);
          return [inv, d, s, W, [1, 0.5, 0.8], 12, 1e-4, new Float32Array(n)];
        },
      });
    }
  }
  for (const s of [[33, 47], [40, 21], [5, 3], [3, 130]] as Shape2D[]) {
    for (let kind = 0; kind < 9; kind++) {
      const sp = spacings2[kind % spacings2.length];
      i2.push({
        label: `${s}, ${what(kind, sp)}`,
        scratch,
        make: (r) => {
          const n = count(s) * 2;
          const d = kind === 8 ? new Float32Array(n) : smoothField(r, s, kind === 6 ? 25 : 2);
          if (kind === 7) poison(r, d, 4);
          const W = kind % 2 === 1 && kind < 4 ? new Float64Array([1 / sp[0], 0, 0.5, 0, 1 / sp[1], -1, 0, 0, 1]) : null;
          return [kind === 3 ? smoothField(r, s, 0.5) : new Float32Array(n), d, s, W, sp, 15, 1e-5, new Float32Array(n)];
        },
      });
    }
  }
  return { i3, i2 };
}

function gradientAndStepCases(): { g: KernelCase<'physicalGradient'>[]; c: KernelCase<'conditionStep'>[] } {
  const g: KernelCase<'physicalGradient'>[] = [], c: KernelCase<'conditionStep'>[] = [];
  const shapes: (Shape2D | Shape3D)[] = [[9, 11, 13], [1, 7, 6], [2, 3, 9], [33, 47], [2, 9], [40, 1]];
  for (const s of shapes) {
    const dim = s.length as 2 | 3;
    const n = count(s);
    for (let kind = 0; kind < 4; kind++) {
      const sp = kind === 0 ? Array<number>(dim).fill(1) : kind === 1 ? [0.5, 2, 4].slice(0, dim) : [1.5, 0.75, 1.2].slice(0, dim);
      g.push({
        label: `${s}, spacing ${sp}, ${kind === 0 ? 'identity direction' : 'oblique direction'}${kind === 3 ? ', NaN/∞ image' : ''}`,
        make: (r) => {
          const img = kind === 3 ? poison(r, randomFloat32(r, n, -2, 2), 3) : smoothImage(r, s);
          const dir = kind === 0 ? (dim === 2 ? [1, 0, 0, 0, 1, 0, 0, 0, 1] : [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1])
            : Array.from(randomAffine(r, dim, 1, 0.5, 0.1, 3));
          return [new Float32Array(n * dim), img, s, sp, dir];
        },
      });
      c.push({
        label: `${s}, spacing ${sp}${kind === 2 ? ', zero step' : kind === 3 ? ', NaN/∞ step' : ''}`,
        make: (r) => {
          const f = kind === 2 ? new Float32Array(n * dim) : randomFloat32(r, n * dim, -3, 3);
          if (kind === 3) poison(r, f, 4);
          return [f, s, sp];
        },
      });
    }
  }
  return { g, c };
}

function warpCases(): { w3: KernelCase<'warp3d'>[]; w2: KernelCase<'warp2d'>[] } {
  const w3: KernelCase<'warp3d'>[] = [], w2: KernelCase<'warp2d'>[] = [];
  for (const s of shapes3) {
    const sImg: Shape3D = [s[0] + 2, s[1] + 4, s[2] + 1];
    const sFld: Shape3D = [s[0] + 1, s[1], s[2] + 3];
    for (let kind = 0; kind < 8; kind++) {
      // kinds 0, 5: field read at the output index; 6: no field; 7: NaN/∞ image
      w3.push({
        label: `${s}, kind ${kind}`,
        make: (r) => {
          const img = smoothImage(r, sImg);
          if (kind === 7) poison(r, img, 4);
          const noA = kind === 0 || kind === 5;
          const fs = noA ? s : sFld;
          const field = kind === 6 ? null : smoothField(r, fs, 2 + kind);
          const A = noA ? null : affine(r, 3, 2);
          return [new Float32Array(count(s)), s, img, sImg, field, fs, A, affine(r, 3, kind % 3, 1.1), affine(r, 3, (kind + 2) % 3, 0.9)];
        },
      });
    }
  }
  for (const s of shapes2) {
    const sImg: Shape2D = [s[0] + 3, s[1] + 2];
    for (let kind = 0; kind < 6; kind++) {
      w2.push({
        label: `${s}, kind ${kind}`,
        make: (r) => {
          const field = kind === 4 ? null : smoothField(r, s, 3);
          return [new Float32Array(count(s)), s, smoothImage(r, sImg), sImg, field, s, kind === 0 ? null : affine(r, 2, 2),
            affine(r, 2, kind % 3, 1.1), affine(r, 2, (kind + 1) % 3)];
        },
      });
    }
  }
  return { w3, w2 };
}

type CcCases = {
  f3: KernelCase<'ccFactors3d'>[]; fw3: KernelCase<'ccForwardStep3d'>[]; bw3: KernelCase<'ccBackwardStep3d'>[];
  f2: KernelCase<'ccFactors2d'>[]; fw2: KernelCase<'ccForwardStep2d'>[]; bw2: KernelCase<'ccBackwardStep2d'>[];
};

function ccCases(): CcCases {
  const out: CcCases = { f3: [], fw3: [], bw3: [], f2: [], fw2: [], bw2: [] };
  for (const s of [[9, 11, 13], [16, 12, 21], [12, 13, 9], [5, 13, 11]] as Shape3D[]) {
    for (const radius of [1, 2, 4]) {
      if (Math.min(...s) < 2 * radius + 1) continue;
      const n = count(s);
      const label = `${s}, radius ${radius}`;
      out.f3.push({ label, make: (r) => [new Float32Array(n * 5), smoothImage(r, s), smoothImage(r, s), s, radius] });
      // The steps read factors made by the TypeScript kernel (the same for every backend).
      const steps = (r: Random, fill: number): [Float32Array, Float32Array, Float32Array, Shape3D, number] => {
        const factors = new Float32Array(n * 5);
        tsKernels.ccFactors3d(factors, smoothImage(r, s), smoothImage(r, s), s, radius);
        return [new Float32Array(n * 3).fill(fill), smoothField(r, s, 1), factors, s, radius];
      };
      out.fw3.push({ label, make: (r) => steps(r, 0) });
      out.bw3.push({ label: `${label}, output prefilled`, make: (r) => steps(r, 7) });
    }
  }
  for (const s of [[33, 47], [21, 9]] as Shape2D[]) {
    for (const radius of [1, 3, 4]) {
      if (Math.min(...s) < 2 * radius + 1) continue;
      const n = count(s);
      const label = `${s}, radius ${radius}`;
      out.f2.push({ label, make: (r) => [new Float32Array(n * 5), smoothImage(r, s), smoothImage(r, s), s, radius] });
      const steps = (r: Random): [Float32Array, Float32Array, Float32Array, Shape2D, number] => {
        const factors = new Float32Array(n * 5);
        tsKernels.ccFactors2d(factors, smoothImage(r, s), smoothImage(r, s), s, radius);
        return [new Float32Array(n * 2), smoothField(r, s, 1), factors, s, radius];
      };
      out.fw2.push({ label, make: steps });
      out.bw2.push({ label, make: steps });
    }
  }
  return out;
}

function gaussianCases(): KernelCase<'gaussianFilter'>[] {
  const cases: [Shape2D | Shape3D, number, number[]][] = [
    [[9, 11, 13], 3, [2, 2, 2]],
    [[9, 11, 13], 1, [0.5, 1.3, 3.7]],
    [[4, 6, 5], 1, [3, 0, 2.2]],
    [[16, 12, 21], 3, [1, 1e-16, 0.8]],
    [[33, 47], 1, [2, 2]],
    [[33, 47], 2, [0.2, 5]],
    [[5, 3], 2, [9, 9]],
    [[7, 8], 1, [0, 0]],
  ];
  const out: KernelCase<'gaussianFilter'>[] = [];
  for (const [s, ncomp, sigma] of cases) {
    for (const inPlace of [false, true]) {
      out.push({
        label: `${s} × ${ncomp}, σ ${sigma}${inPlace ? ', in place' : ''}`,
        make: (r) => {
          const n = count(s) * ncomp;
          const input = randomFloat32(r, n, -3, 3);
          return [inPlace ? input : new Float32Array(n), input, s, ncomp, sigma];
        },
      });
    }
  }
  return out;
}

function resampleCases(): { r3: KernelCase<'resampleField3d'>[]; r2: KernelCase<'resampleField2d'>[]; d3: KernelCase<'downsample3d'>[]; d2: KernelCase<'downsample2d'>[] } {
  const cases3: [Shape3D, Shape3D, number[]][] = [
    [[5, 6, 7], [10, 12, 14], [0.5, 0.5, 0.5]],
    [[9, 11, 13], [9, 11, 13], [1, 1, 1]],
    [[8, 9, 10], [5, 7, 4], [1.7, 1.3, 2.4]],
    [[6, 6, 6], [11, 13, 15], [0.51, 0.47, 0.43]],
  ];
  const cases2: [Shape2D, Shape2D, number[]][] = [[[16, 17], [32, 34], [0.5, 0.5]], [[9, 8], [5, 13], [1.9, 0.6]]];
  const r3 = cases3.map(([si, so, f]): KernelCase<'resampleField3d'> => ({
    label: `${si} → ${so}, factors ${f}`,
    make: (r) => [new Float32Array(count(so) * 3), so, smoothField(r, si, 3), si, f],
  }));
  const r2 = cases2.map(([si, so, f]): KernelCase<'resampleField2d'> => ({
    label: `${si} → ${so}, factors ${f}`,
    make: (r) => [new Float32Array(count(so) * 2), so, smoothField(r, si, 3), si, f],
  }));
  const half = (s: readonly number[]): number => s.reduce((a, b) => a * ((b + 1) >> 1), 1);
  const d3: KernelCase<'downsample3d'>[] = [];
  for (const s of [[9, 11, 13], [8, 6, 4], [1, 3, 2]] as Shape3D[]) {
    for (const ncomp of [1, 3, 4]) {
      d3.push({
        label: `${s} × ${ncomp}, output prefilled`,
        make: (r) => [new Float32Array(half(s) * ncomp).fill(5), randomFloat32(r, count(s) * ncomp, -3, 3), s, ncomp],
      });
    }
  }
  const d2: KernelCase<'downsample2d'>[] = [];
  for (const s of [[33, 47], [8, 5]] as Shape2D[]) {
    for (const ncomp of [1, 2]) {
      d2.push({ label: `${s} × ${ncomp}`, make: (r) => [new Float32Array(half(s) * ncomp), randomFloat32(r, count(s) * ncomp, -3, 3), s, ncomp] });
    }
  }
  return { r3, r2, d3, d2 };
}

type SsdCases = {
  s3: KernelCase<'ssdDemonsStep3d'>[]; g3: KernelCase<'gaussSeidelSweep3d'>[]; q3: KernelCase<'residual3d'>[];
  s2: KernelCase<'ssdDemonsStep2d'>[]; g2: KernelCase<'gaussSeidelSweep2d'>[]; q2: KernelCase<'residual2d'>[];
};

/** σ² null / ±∞ / 0 / tiny, target or δ·g, λ = 0, zero gradients (singular systems) and zero deltas. */
function ssdCases(): SsdCases {
  const out: SsdCases = { s3: [], g3: [], q3: [], s2: [], g2: [], q2: [] };
  for (const s of [[9, 11, 13], [5, 4, 7], [33, 47], [6, 5]] as (Shape2D | Shape3D)[]) {
    const dim = s.length as 2 | 3;
    const n = count(s);
    for (let kind = 0; kind < 5; kind++) {
      const inputs = (r: Random) => {
        const delta = randomFloat32(r, n, -2, 2);
        const gradient = randomFloat32(r, n * dim, -1, 1);
        for (let k = 0; k < n; k += 7) { for (let c = 0; c < dim; c++) gradient[k * dim + c] = 0; delta[(k * 3) % n] = 0; }
        let sigmaSq: Float32Array | null = null;
        if (kind >= 1) {
          sigmaSq = randomFloat32(r, n, 0.5, 2);
          sigmaSq[1] = Infinity; sigmaSq[n - 2] = -Infinity; sigmaSq[3 % n] = 0; sigmaSq[5 % n] = 1e-12;
        }
        const target = kind === 2 || kind === 4 ? randomFloat32(r, n * dim, -1, 1) : null;
        const u = randomFloat32(r, n * dim, -0.5, 0.5);
        const lambda = kind === 3 ? 0 : r.uniform(0.05, 2);
        return { delta, gradient, sigmaSq, target, u, lambda };
      };
      const label = `${s}, ${kind === 0 ? 'σ² null' : 'σ² with ±∞, 0, 1e-12'}${kind === 2 || kind === 4 ? ', target' : ''}${kind === 3 ? ', λ = 0' : ''}`;
      if (dim === 3) {
        const s3 = s as Shape3D;
        out.s3.push({ label, make: (r) => { const x = inputs(r); return [new Float32Array(n * 3), x.delta, x.gradient, s3, 0.7]; } });
        out.g3.push({ label, make: (r) => { const x = inputs(r); return [x.u, x.delta, x.sigmaSq, x.gradient, x.target, x.lambda, s3]; } });
        out.q3.push({ label, make: (r) => { const x = inputs(r); return [new Float32Array(n * 3), x.delta, x.sigmaSq, x.gradient, x.target, x.lambda, x.u, s3]; } });
      } else {
        const s2 = s as Shape2D;
        out.s2.push({ label, make: (r) => { const x = inputs(r); return [new Float32Array(n * 2), x.delta, x.gradient, s2, 1.3]; } });
        out.g2.push({ label, make: (r) => { const x = inputs(r); return [x.u, x.delta, x.sigmaSq, x.gradient, x.target, x.lambda, s2]; } });
        out.q2.push({ label, make: (r) => { const x = inputs(r); return [new Float32Array(n * 2), x.delta, x.sigmaSq, x.gradient, x.target, x.lambda, x.u, s2]; } });
      }
    }
  }
  return out;
}

function numpyGradientCases(): KernelCase<'numpyGradient'>[] {
  return ([[9, 11, 13], [2, 5, 1], [1, 4, 3], [33, 47], [2, 2], [6, 1]] as (Shape2D | Shape3D)[]).map((s) => ({
    label: `${s}${count(s) > 20 ? ', NaN/∞ entries' : ''}`,
    make: (r: Random) => {
      const n = count(s);
      return [new Float32Array(n * s.length), poison(r, randomFloat32(r, n, -2, 2), n > 20 ? 3 : 0), s] as Parameters<Kernels['numpyGradient']>;
    },
  }));
}

/** `numpyGradientAdd` on odd shapes and length-1 axes, with NaN/±∞/−0 in both the image and the values added to. */
function numpyGradientAddCases(): KernelCase<'numpyGradientAdd'>[] {
  return ([[9, 11, 13], [2, 5, 1], [1, 4, 3], [33, 47], [2, 2], [6, 1]] as (Shape2D | Shape3D)[]).map((s) => ({
    label: `${s}${count(s) > 20 ? ', NaN/∞ entries' : ''}`,
    make: (r: Random) => {
      const n = count(s), bad = n > 20 ? 3 : 0;
      const base = poison(r, randomFloat32(r, n * s.length, -2, 2), bad);
      base[s.length - 1] = -0; // voxel 0's along-row component (a zero derivative when the rows are 1 long)
      return [base, poison(r, randomFloat32(r, n, -2, 2), bad), s] as Parameters<Kernels['numpyGradientAdd']>;
    },
  }));
}

const compose = composeCases(), invert = invertCases(), grad = gradientAndStepCases(), warp = warpCases();
const cc = ccCases(), resample = resampleCases(), ssd = ssdCases();

/** The stress cases, per kernel. */
export const stressCases: StressCases = {
  compose3d: compose.c3, compose2d: compose.c2,
  invert3d: invert.i3, invert2d: invert.i2,
  physicalGradient: grad.g, conditionStep: grad.c,
  warp3d: warp.w3, warp2d: warp.w2,
  ccFactors3d: cc.f3, ccForwardStep3d: cc.fw3, ccBackwardStep3d: cc.bw3,
  ccFactors2d: cc.f2, ccForwardStep2d: cc.fw2, ccBackwardStep2d: cc.bw2,
  gaussianFilter: gaussianCases(),
  numpyGradient: numpyGradientCases(),
  numpyGradientAdd: numpyGradientAddCases(),
  resampleField3d: resample.r3, resampleField2d: resample.r2, downsample3d: resample.d3, downsample2d: resample.d2,
  ssdDemonsStep3d: ssd.s3, gaussSeidelSweep3d: ssd.g3, residual3d: ssd.q3,
  ssdDemonsStep2d: ssd.s2, gaussSeidelSweep2d: ssd.g2, residual2d: ssd.q2,
};

/** The CC factors streamed slab by slab with halos (as the CC metric streams them), on several slab sizes. */
function ccStreamScenario(s: Shape3D, radius: number, poisoned: boolean): StressScenario {
  return {
    label: `ccFactors3dStream / ccEnergy3d: ${s}, radius ${radius}${poisoned ? ', NaN/∞ entries' : ''}, slabs 3+1, 5+2 and whole`,
    run(k, r, alloc) {
      const st = smoothImage(r, s), mv = smoothImage(r, s);
      if (poisoned) poison(r, st, 2);
      const ns = s[0], plane = s[1] * s[2], fPlane = plane * 5;
      const stA = alloc(st.length), mvA = alloc(mv.length);
      stA.set(st); mvA.set(mv);
      const runs: { slabs: Float32Array[]; states: Float64Array[]; energy: number }[] = [];
      for (const [slab, halo] of [[3, 1], [5, 2], [ns, 0]]) {
        const buf = alloc((slab + 2 * halo) * fPlane);
        const state = new Float64Array(2 * plane * 5);
        const slabs: Float32Array[] = [], states: Float64Array[] = [];
        let energy = 0.5, next = 0, held = 0, first = 0;
        for (let s0 = 0; s0 < ns; s0 += slab) {
          const s1 = Math.min(ns, s0 + slab), a = Math.max(0, s0 - halo), b = Math.min(ns, s1 + halo);
          if (held > a) buf.copyWithin(0, (a - first) * fPlane, (held - first) * fPlane);
          first = a;
          const sTo = Math.min(ns + radius, b + radius);
          k.ccFactors3dStream(buf, first, stA, mvA, s, radius, state, next, sTo);
          next = sTo;
          held = b;
          const factors = buf.subarray(0, (b - a) * fPlane);
          energy = k.ccEnergy3d(factors, a, s, radius, s0, s1, energy);
          slabs.push(Float32Array.from(factors));
          states.push(Float64Array.from(state));
        }
        runs.push({ slabs, states, energy });
      }
      return runs;
    },
  };
}

/** The sequence scenarios. */
export const stressScenarios: readonly StressScenario[] = [
  ...([[13, 11, 9], [20, 7, 12], [9, 9, 9]] as Shape3D[]).flatMap((s, si) =>
    [1, 2, 4].filter((radius) => Math.min(...s) >= 2 * radius + 1).map((radius) => ccStreamScenario(s, radius, si % 2 === 0))),
  {
    label: 'one backend stays exact across calls of very different sizes (arena reuse): ccFactors3d and invert3d, big, small, big, small',
    run(k, r, alloc) {
      const out: unknown[] = [];
      for (const s of [[24, 28, 30], [5, 6, 7], [24, 28, 30], [5, 6, 7]] as Shape3D[]) {
        const n = count(s);
        const a = alloc(n), b = alloc(n);
        a.set(smoothImage(r, s)); b.set(smoothImage(r, s));
        const factors = alloc(n * 5);
        k.ccFactors3d(factors, a, b, s, 2);
        const f = alloc(n * 3);
        f.set(smoothField(r, s, 2));
        const inv = alloc(n * 3);
        const result = k.invert3d(inv, f, s, null, [1, 1, 1], 10, 1e-3, alloc(n * 3));
        out.push(Float32Array.from(factors), Float32Array.from(inv), result);
      }
      return out;
    },
  },
];
