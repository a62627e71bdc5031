/**
 * Bit-exactness of every WebAssembly kernel against the TypeScript kernels on
 * larger, harder inputs than the conformance kit's: odd row lengths (the SIMD
 * pair/quad loops and their scalar tails), displacements and affines that push
 * samples across every border, NaN and ±Infinity entries, in-place aliasing, and
 * one backend reused across calls of very different sizes (stale arena memory).
 * The oracle is `tsKernels` of `@diffeo/core`; values must agree bit for bit
 * (every NaN matches every NaN; the sign of zero must match too).
 *
 * The whole suite runs on several backends: the default one; 2 and 3 threads with
 * every call split between the threads (volumes with fewer slices than threads
 * included), once with the calling thread computing only the first chunk (so the
 * sums of the workers' chunks are added afterwards); and with every array argument
 * living in the backend's memory (`allocFloat32`, used in place instead of
 * copied), on 3 threads and on 1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultContext, tsKernels, type Affine, type Kernels, type Shape2D, type Shape3D } from '@diffeo/core';
import { mulberry32, randomAffine, randomFloat32, smoothField, smoothImage, type Random } from '@diffeo/conformance';
import { wasmBackend, type WasmBackend } from '@diffeo/wasm-kernels';

const backend = await wasmBackend();
const backends: [string, WasmBackend, boolean][] = [
  ['default backend', backend, false],
  ['2 threads, every call split', await wasmBackend({ threads: 2, minParallelWork: 0 }), false],
  ['3 threads, every call split, arguments in wasm memory (zero-copy)', await wasmBackend({ threads: 3, minParallelWork: 0 }), true],
  ['3 threads, every call split, the caller computes only the first chunk', await wasmBackend({ threads: 3, minParallelWork: 0, callerChunks: 1 }), false],
  ['1 thread, arguments in wasm memory (zero-copy)', await wasmBackend({ threads: 1 }), true],
];
afterAll(async () => {
  await Promise.all(backends.map(([, b]) => b.dispose()));
});

/** The backend under test (set by each suite). */
let current: WasmBackend = backend;
let wasm = backend.kernels as Kernels;
/** Whether array arguments are moved into the backend's memory before a wasm call. */
let zeroCopy = false;
/** Arrays allocated by {@link prep} during the current check. */
const allocated: Float32Array[] = [];

/**
 * In zero-copy mode, replaces every `Float32Array` argument by a copy allocated with
 * `allocFloat32` (the same copy for the same array, so aliasing is kept).
 */
function prep<T extends unknown[]>(args: T): T {
  if (!zeroCopy) return args;
  const alloc = current.allocFloat32;
  if (!alloc) throw new Error('the backend has no allocFloat32');
  const map = new Map<Float32Array, Float32Array>();
  return args.map((a) => {
    if (!(a instanceof Float32Array)) return a;
    let c = map.get(a);
    if (!c) {
      c = alloc(a.length);
      c.set(a);
      map.set(a, c);
      allocated.push(c);
    }
    return c;
  }) as T;
}

/** Frees the arrays of {@link prep}. */
function release(): void {
  for (const a of allocated) expect(current.freeFloat32?.(a)).toBe(true);
  allocated.length = 0;
}

function bitsEqual(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  expect(a.length, `${what}: length`).toBe(b.length);
  let bad = -1, count = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i], y = b[i];
    if (Number.isNaN(x) && Number.isNaN(y)) continue;
    if (!Object.is(x, y)) {
      if (bad < 0) bad = i;
      count++;
    }
  }
  if (bad >= 0) expect.fail(`${what}: ${count} values differ; first at [${bad}]: wasm ${a[bad]}, ts ${b[bad]}`);
}

function resultEqual(a: unknown, b: unknown, what: string): void {
  if (typeof a === 'number' && typeof b === 'number') return bitsEqual([a], [b], what);
  if (Array.isArray(a) && Array.isArray(b)) return bitsEqual(a, b, what);
  const ao = a as Record<string, number>, bo = b as Record<string, number>;
  expect(Object.keys(ao).sort()).toEqual(Object.keys(bo).sort());
  for (const k of Object.keys(bo)) bitsEqual([ao[k]], [bo[k]], `${what}.${k}`);
}

/** Sprinkles a few NaN / ±Infinity values into an array (in place). */
function poison(r: Random, a: Float32Array, n: number): Float32Array {
  const bad = [NaN, Infinity, -Infinity, -0];
  for (let k = 0; k < n; k++) a[r.int(0, a.length)] = bad[k % bad.length];
  return a;
}

/** Runs a kernel on two identical argument lists (wasm and TS) and compares every array argument and the result. */
function check<K extends keyof Kernels>(name: K, make: () => Parameters<Kernels[K]>): void {
  const mine = prep(make());
  const ref = make();
  const r1 = (wasm[name] as (...a: unknown[]) => unknown)(...mine);
  const r2 = (tsKernels[name] as (...a: unknown[]) => unknown)(...ref);
  for (let i = 0; i < ref.length; i++) {
    const x = mine[i] as unknown, y = ref[i] as unknown;
    if (x instanceof Float32Array && y instanceof Float32Array) bitsEqual(x, y, `${name} args[${i}]`);
  }
  if (r2 !== undefined) resultEqual(r1, r2, `${name} result`);
  release();
}

const shapes3: Shape3D[] = [[9, 11, 13], [16, 12, 21], [7, 20, 4], [3, 5, 2], [2, 9, 7], [1, 7, 6]];
const shapes2: Shape2D[] = [[33, 47], [40, 21], [5, 3]];

function affine3(r: Random, kind: number, scale = 1): Affine {
  if (kind === 0) return null;
  if (kind === 1) return new Float64Array([scale, 0, 0, 0, 0, scale, 0, 0, 0, 0, scale, 0, 0, 0, 0, 1]);
  return randomAffine(r, 3, scale, 0.4, 0.1, 3);
}
function affine2(r: Random, kind: number, scale = 1): Affine {
  if (kind === 0) return null;
  if (kind === 1) return new Float64Array([scale, 0, 0, 0, scale, 0, 0, 0, 1]);
  return randomAffine(r, 2, scale, 0.4, 0.1, 3);
}

for (const [label, b, zc] of backends) {
describe(`wasm kernels are bit-identical to the TypeScript kernels (stress): ${label}`, () => {
  beforeAll(() => {
    current = b;
    wasm = b.kernels as Kernels;
    zeroCopy = zc;
  });

  it('compose3d / compose2d: borders, random affines, NaN/Inf, in place', () => {
    let seed = 1;
    for (const s1 of shapes3) {
      for (const s2 of [s1, [s1[0] + 3, s1[1] + 1, s1[2] + 2] as Shape3D]) {
        for (let kind = 0; kind < 6; kind++) {
          const mk = (): Parameters<Kernels['compose3d']> => {
            const r = mulberry32(seed);
            const n1 = s1[0] * s1[1] * s1[2] * 3, n2 = s2[0] * s2[1] * s2[2] * 3;
            const d1 = kind === 5 ? poison(r, randomFloat32(r, n1, -4, 4), 5) : smoothField(r, s1, 1 + kind);
            const d2 = kind === 4 ? poison(r, smoothField(r, s2, 2), 5) : smoothField(r, s2, 2);
            const A = affine3(r, kind % 3), B = affine3(r, (kind + 1) % 3, 0.8);
            const inPlace = kind % 2 === 1;
            // kinds 2 and 3: statistics not wanted (per-thread scratch rows, NaN returned)
            return [inPlace ? d1 : new Float32Array(n1), d1, s1, d2, s2, A, B, r.uniform(-1.5, 1.5), kind !== 2 && kind !== 3];
          };
          check('compose3d', mk);
          seed++;
        }
      }
    }
    for (const s1 of shapes2) {
      for (let kind = 0; kind < 6; kind++) {
        const mk = (): Parameters<Kernels['compose2d']> => {
          const r = mulberry32(seed);
          const n1 = s1[0] * s1[1] * 2;
          const d1 = kind === 5 ? poison(r, randomFloat32(r, n1, -4, 4), 5) : smoothField(r, s1, 1 + kind);
          const d2 = smoothField(r, s1, 2);
          return [kind % 2 ? d1 : new Float32Array(n1), d1, s1, d2, s1, affine2(r, kind % 3), affine2(r, (kind + 1) % 3, 0.8), 0.25, kind !== 2 && kind !== 3];
        };
        check('compose2d', mk);
        seed++;
      }
    }
  });

  it('invert3d / invert2d: cold and warm starts, anisotropic spacing, iteration limits', () => {
    let seed = 100;
    for (const s of shapes3) {
      for (let kind = 0; kind < 4; kind++) {
        const mk = (): Parameters<Kernels['invert3d']> => {
          const r = mulberry32(seed);
          const n = s[0] * s[1] * s[2] * 3;
          const d = smoothField(r, s, kind === 3 ? 6 : 1.5);
          const inv = kind === 1 ? smoothField(r, s, 0.5) : new Float32Array(n);
          const sp = [r.uniform(0.7, 2), r.uniform(0.7, 2), r.uniform(0.7, 2)];
          const W = kind === 0 ? null : new Float64Array([1 / sp[0], 0, 0, 1, 0, 1 / sp[1], 0, 2, 0, 0, 1 / sp[2], 3, 0, 0, 0, 1]);
          return [inv, d, s, W, sp, kind === 2 ? 3 : 20, kind === 2 ? 0 : 1e-3, new Float32Array(n)];
        };
        const mine = prep(mk()), ref = mk();
        const r1 = wasm.invert3d(...mine), r2 = tsKernels.invert3d(...ref);
        bitsEqual(mine[0], ref[0], 'invert3d inv');
        resultEqual(r1, r2, 'invert3d result');
        release();
        seed++;
      }
    }
    for (const s of shapes2) {
      for (let kind = 0; kind < 3; kind++) {
        const mk = (): Parameters<Kernels['invert2d']> => {
          const r = mulberry32(seed);
          const n = s[0] * s[1] * 2;
          const sp = [r.uniform(0.7, 2), r.uniform(0.7, 2)];
          const W = kind === 0 ? null : new Float64Array([1 / sp[0], 0, 0, 0, 1 / sp[1], 0, 0, 0, 1]);
          return [kind === 1 ? smoothField(r, s, 0.5) : new Float32Array(n), smoothField(r, s, 2), s, W, sp, 15, 1e-4, new Float32Array(n)];
        };
        const mine = prep(mk()), ref = mk();
        const r1 = wasm.invert2d(...mine), r2 = tsKernels.invert2d(...ref);
        bitsEqual(mine[0], ref[0], 'invert2d inv');
        resultEqual(r1, r2, 'invert2d result');
        release();
        seed++;
      }
    }
  });

  it('invert3d / invert2d: unit, power-of-two and other spacings, extreme spacings, NaN, zero fields, points leaving the grid', () => {
    // The kernels recompute residual norms (q/s: multiplied by 1/s when s is a power of two) and skip
    // them when a bound proves m ≤ maxlen; spacings of 1e±200 push maxlen² past the bound's range.
    const spacings3 = [[1, 1, 1], [0.5, 2, 4], [3, 3, 3], [1.3, 0.7, 2.2], [1e-200, 1, 1], [1e200, 1e200, 1e200]];
    const spacings2 = [[1, 1], [0.25, 8], [3, 3], [1.3, 0.7], [1e-200, 1], [1e200, 1e200]];
    let seed = 150;
    for (const s of [[9, 11, 13], [7, 20, 5], [2, 9, 7]] as Shape3D[]) {
      for (let kind = 0; kind < 9; kind++) {
        const mk = (): Parameters<Kernels['invert3d']> => {
          const r = mulberry32(seed);
          const n = s[0] * s[1] * s[2] * 3;
          const sp = spacings3[kind % spacings3.length];
          // kind 6: points far off the grid; 7: NaN/∞ in the field; 8: a zero field
          const d = kind === 8 ? new Float32Array(n) : smoothField(r, s, kind === 6 ? 12 : 1.5);
          if (kind === 7) poison(r, d, 4);
          const W = kind % 2 === 1 && kind < 4 ? new Float64Array([1 / sp[0], 0, 0, 0.5, 0, 1 / sp[1], 0, -1, 0, 0, 1 / sp[2], 2, 0, 0, 0, 1]) : null;
          return [kind === 3 ? smoothField(r, s, 0.5) : new Float32Array(n), d, s, W, sp, 12, 1e-4, new Float32Array(n)];
        };
        const mine = prep(mk()), ref = mk();
        const r1 = wasm.invert3d(...mine), r2 = tsKernels.invert3d(...ref);
        bitsEqual(mine[0], ref[0], `invert3d inv (${s}, kind ${kind})`);
        // The residual left in scratch: only when scratch lives in the memory (a copy is never made for it).
        if (zeroCopy) bitsEqual(mine[7], ref[7], `invert3d scratch (${s}, kind ${kind})`);
        resultEqual(r1, r2, `invert3d result (${s}, kind ${kind})`);
        release();
        seed++;
      }
    }
    for (const s of [[33, 47], [40, 21], [5, 3], [3, 130]] as Shape2D[]) {
      for (let kind = 0; kind < 9; kind++) {
        const mk = (): Parameters<Kernels['invert2d']> => {
          const r = mulberry32(seed);
          const n = s[0] * s[1] * 2;
          const sp = spacings2[kind % spacings2.length];
          const d = kind === 8 ? new Float32Array(n) : smoothField(r, s, kind === 6 ? 25 : 2);
          if (kind === 7) poison(r, d, 4);
          const W = kind % 2 === 1 && kind < 4 ? new Float64Array([1 / sp[0], 0, 0.5, 0, 1 / sp[1], -1, 0, 0, 1]) : null;
          return [kind === 3 ? smoothField(r, s, 0.5) : new Float32Array(n), d, s, W, sp, 15, 1e-5, new Float32Array(n)];
        };
        const mine = prep(mk()), ref = mk();
        const r1 = wasm.invert2d(...mine), r2 = tsKernels.invert2d(...ref);
        bitsEqual(mine[0], ref[0], `invert2d inv (${s}, kind ${kind})`);
        if (zeroCopy) bitsEqual(mine[7], ref[7], `invert2d scratch (${s}, kind ${kind})`);
        resultEqual(r1, r2, `invert2d result (${s}, kind ${kind})`);
        release();
        seed++;
      }
    }
  });

  it('physicalGradient / conditionStep: spacings, oblique directions, boundary layers, zero steps, NaN', () => {
    let seed = 250;
    const shapes: (Shape2D | Shape3D)[] = [[9, 11, 13], [1, 7, 6], [2, 3, 9], [33, 47], [2, 9], [40, 1]];
    for (const s of shapes) {
      const dim = s.length as 2 | 3;
      const n = s.reduce((a, b) => a * b, 1);
      for (let kind = 0; kind < 4; kind++) {
        const sp = kind === 0 ? Array(dim).fill(1) : kind === 1 ? [0.5, 2, 4].slice(0, dim) : [1.5, 0.75, 1.2].slice(0, dim);
        const mkG = (): Parameters<Kernels['physicalGradient']> => {
          const r = mulberry32(seed);
          const img = kind === 3 ? poison(r, randomFloat32(r, n, -2, 2), 3) : smoothImage(r, s);
          const dir = kind === 0 ? (dim === 2 ? [1, 0, 0, 0, 1, 0, 0, 0, 1] : [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1])
            : Array.from(randomAffine(r, dim, 1, 0.5, 0.1, 3));
          return [new Float32Array(n * dim), img, s, sp, dir];
        };
        check('physicalGradient', mkG);
        const mkC = (): Parameters<Kernels['conditionStep']> => {
          const r = mulberry32(seed);
          const f = kind === 2 ? new Float32Array(n * dim) : randomFloat32(r, n * dim, -3, 3);
          if (kind === 3) poison(r, f, 4);
          return [f, s, sp];
        };
        check('conditionStep', mkC);
        seed++;
      }
    }
  });

  it('warp3d / warp2d: field on its own grid, null field, affines leaving the grid, NaN', () => {
    let seed = 200;
    for (const s of shapes3) {
      const sImg: Shape3D = [s[0] + 2, s[1] + 4, s[2] + 1];
      const sFld: Shape3D = [s[0] + 1, s[1], s[2] + 3];
      for (let kind = 0; kind < 8; kind++) {
        const mk = (): Parameters<Kernels['warp3d']> => {
          const r = mulberry32(seed);
          const img = smoothImage(r, sImg);
          if (kind === 7) poison(r, img, 4);
          const noA = kind === 0 || kind === 5;
          const fs = noA ? s : sFld;
          const field = kind === 6 ? null : smoothField(r, fs, 2 + kind);
          const A = noA ? null : affine3(r, 2);
          return [new Float32Array(s[0] * s[1] * s[2]), s, img, sImg, field, fs, A, affine3(r, kind % 3, 1.1), affine3(r, (kind + 2) % 3, 0.9)];
        };
        check('warp3d', mk);
        seed++;
      }
    }
    for (const s of shapes2) {
      const sImg: Shape2D = [s[0] + 3, s[1] + 2];
      for (let kind = 0; kind < 6; kind++) {
        const mk = (): Parameters<Kernels['warp2d']> => {
          const r = mulberry32(seed);
          const field = kind === 4 ? null : smoothField(r, s, 3);
          return [new Float32Array(s[0] * s[1]), s, smoothImage(r, sImg), sImg, field, s, kind === 0 ? null : affine2(r, 2),
            affine2(r, kind % 3, 1.1), affine2(r, (kind + 1) % 3)];
        };
        check('warp2d', mk);
        seed++;
      }
    }
  });

  it('ccFactors3d / ccFactors2d and the CC steps, several radii', () => {
    let seed = 300;
    for (const s of [[9, 11, 13], [16, 12, 21], [12, 13, 9], [5, 13, 11]] as Shape3D[]) {
      for (const radius of [1, 2, 4]) {
        if (Math.min(...s) < 2 * radius + 1) continue;
        const mk = (): Parameters<Kernels['ccFactors3d']> => {
          const r = mulberry32(seed);
          return [new Float32Array(s[0] * s[1] * s[2] * 5), smoothImage(r, s), smoothImage(r, s), s, radius];
        };
        check('ccFactors3d', mk);
        const r = mulberry32(seed);
        const factors = new Float32Array(s[0] * s[1] * s[2] * 5);
        tsKernels.ccFactors3d(factors, smoothImage(r, s), smoothImage(r, s), s, radius);
        const grad = smoothField(r, s, 1);
        const n3 = s[0] * s[1] * s[2] * 3;
        check('ccForwardStep3d', () => [new Float32Array(n3), grad, factors, s, radius]);
        check('ccBackwardStep3d', () => [new Float32Array(n3).fill(7), grad, factors, s, radius]);
        seed++;
      }
    }
    for (const s of [[33, 47], [21, 9]] as Shape2D[]) {
      for (const radius of [1, 3, 4]) {
        if (Math.min(...s) < 2 * radius + 1) continue;
        const mk = (): Parameters<Kernels['ccFactors2d']> => {
          const r = mulberry32(seed);
          return [new Float32Array(s[0] * s[1] * 5), smoothImage(r, s), smoothImage(r, s), s, radius];
        };
        check('ccFactors2d', mk);
        const r = mulberry32(seed);
        const factors = new Float32Array(s[0] * s[1] * 5);
        tsKernels.ccFactors2d(factors, smoothImage(r, s), smoothImage(r, s), s, radius);
        const grad = smoothField(r, s, 1);
        check('ccForwardStep2d', () => [new Float32Array(s[0] * s[1] * 2), grad, factors, s, radius]);
        check('ccBackwardStep2d', () => [new Float32Array(s[0] * s[1] * 2), grad, factors, s, radius]);
        seed++;
      }
    }
  });

  it('ccFactors3dStream / ccEnergy3d: slab by slab with halos, as the CC metric streams them, on several slab sizes', () => {
    let seed = 350;
    for (const s of [[13, 11, 9], [20, 7, 12], [9, 9, 9]] as Shape3D[]) {
      for (const radius of [1, 2, 4]) {
        if (Math.min(...s) < 2 * radius + 1) continue;
        const r = mulberry32(seed);
        const st = smoothImage(r, s), mv = smoothImage(r, s);
        if (seed % 2 === 0) { poison(r, st, 2); }
        const plane = s[1] * s[2], fPlane = plane * 5;
        for (const [slab, halo] of [[3, 1], [5, 2], [s[0], 0]]) {
          // Each backend streams the slabs into its own buffers; the factors of every slab,
          // the running state after every call and the energy must match the TypeScript kernels.
          const run = (k: Kernels, alloc: (n: number) => Float32Array) => {
            const ns = s[0];
            const buf = alloc((slab + 2 * halo) * fPlane);
            const state = new Float64Array(2 * plane * 5);
            const stA = alloc(st.length), mvA = alloc(mv.length);
            stA.set(st); mvA.set(mv);
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
            return { slabs, states, energy };
          };
          const alloc = zeroCopy
            ? (n: number): Float32Array => { const a = current.allocFloat32!(n); allocated.push(a); return a; }
            : (n: number): Float32Array => new Float32Array(n);
          const got = run(wasm, alloc), ref = run(tsKernels, (n) => new Float32Array(n));
          const what = `${s}, r ${radius}, slab ${slab}+${halo}`;
          expect(got.slabs.length).toBe(ref.slabs.length);
          got.slabs.forEach((f, i) => bitsEqual(f, ref.slabs[i], `${what}: factors of slab ${i}`));
          got.states.forEach((f, i) => bitsEqual(f, ref.states[i], `${what}: state after slab ${i}`));
          bitsEqual([got.energy], [ref.energy], `${what}: energy`);
          release();
        }
        seed++;
      }
    }
  });

  it('gaussianFilter: 2D/3D, 1 and 3 components, skipped axes, kernels longer than the line, in place', () => {
    let seed = 400;
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
    for (const [s, ncomp, sigma] of cases) {
      for (const inPlace of [false, true]) {
        const mk = (): Parameters<Kernels['gaussianFilter']> => {
          const r = mulberry32(seed);
          const n = s.reduce((a, b) => a * b, 1) * ncomp;
          const input = randomFloat32(r, n, -3, 3);
          return [inPlace ? input : new Float32Array(n), input, s, ncomp, sigma];
        };
        check('gaussianFilter', mk);
        seed++;
      }
    }
  });

  it('numpyGradient: 2D and 3D, axes of length 1 and 2', () => {
    let seed = 500;
    for (const s of [[9, 11, 13], [2, 5, 1], [1, 4, 3], [33, 47], [2, 2], [6, 1]] as (Shape2D | Shape3D)[]) {
      const mk = (): Parameters<Kernels['numpyGradient']> => {
        const r = mulberry32(seed);
        const n = s.reduce((a, b) => a * b, 1);
        return [new Float32Array(n * s.length), poison(r, randomFloat32(r, n, -2, 2), n > 20 ? 3 : 0), s];
      };
      check('numpyGradient', mk);
      seed++;
    }
  });

  it('resampleField3d / resampleField2d: expansion, shrinking, samples past the last voxel', () => {
    let seed = 600;
    const cases3: [Shape3D, Shape3D, number[]][] = [
      [[5, 6, 7], [10, 12, 14], [0.5, 0.5, 0.5]],
      [[9, 11, 13], [9, 11, 13], [1, 1, 1]],
      [[8, 9, 10], [5, 7, 4], [1.7, 1.3, 2.4]],
      [[6, 6, 6], [11, 13, 15], [0.51, 0.47, 0.43]],
    ];
    for (const [si, so, f] of cases3) {
      const mk = (): Parameters<Kernels['resampleField3d']> => {
        const r = mulberry32(seed);
        return [new Float32Array(so[0] * so[1] * so[2] * 3), so, smoothField(r, si, 3), si, f];
      };
      check('resampleField3d', mk);
      seed++;
    }
    const cases2: [Shape2D, Shape2D, number[]][] = [[[16, 17], [32, 34], [0.5, 0.5]], [[9, 8], [5, 13], [1.9, 0.6]]];
    for (const [si, so, f] of cases2) {
      const mk = (): Parameters<Kernels['resampleField2d']> => {
        const r = mulberry32(seed);
        return [new Float32Array(so[0] * so[1] * 2), so, smoothField(r, si, 3), si, f];
      };
      check('resampleField2d', mk);
      seed++;
    }
  });

  it('downsample3d / downsample2d: odd and even sizes, 1 to 4 components', () => {
    let seed = 700;
    for (const s of [[9, 11, 13], [8, 6, 4], [1, 3, 2]] as Shape3D[]) {
      for (const ncomp of [1, 3, 4]) {
        const mk = (): Parameters<Kernels['downsample3d']> => {
          const r = mulberry32(seed);
          const m = ((s[0] + 1) >> 1) * ((s[1] + 1) >> 1) * ((s[2] + 1) >> 1) * ncomp;
          return [new Float32Array(m).fill(5), randomFloat32(r, s[0] * s[1] * s[2] * ncomp, -3, 3), s, ncomp];
        };
        check('downsample3d', mk);
        seed++;
      }
    }
    for (const s of [[33, 47], [8, 5]] as Shape2D[]) {
      for (const ncomp of [1, 2]) {
        const mk = (): Parameters<Kernels['downsample2d']> => {
          const r = mulberry32(seed);
          const m = ((s[0] + 1) >> 1) * ((s[1] + 1) >> 1) * ncomp;
          return [new Float32Array(m), randomFloat32(r, s[0] * s[1] * ncomp, -3, 3), s, ncomp];
        };
        check('downsample2d', mk);
        seed++;
      }
    }
  });

  it('SSD demons steps, Gauss-Seidel sweeps and residuals: σ² null / ±∞ / tiny, target or δ·g, singular systems', () => {
    let seed = 800;
    const shapes: (Shape2D | Shape3D)[] = [[9, 11, 13], [5, 4, 7], [33, 47], [6, 5]];
    for (const s of shapes) {
      const dim = s.length as 2 | 3;
      const n = s.reduce((a, b) => a * b, 1);
      for (let kind = 0; kind < 5; kind++) {
        const inputs = () => {
          const r = mulberry32(seed);
          const delta = randomFloat32(r, n, -2, 2);
          const gradient = randomFloat32(r, n * dim, -1, 1);
          // zero gradients (singular systems) and zero deltas
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
        if (dim === 3) {
          check('ssdDemonsStep3d', () => { const x = inputs(); return [new Float32Array(n * 3), x.delta, x.gradient, s as Shape3D, 0.7]; });
          check('gaussSeidelSweep3d', () => { const x = inputs(); return [x.u, x.delta, x.sigmaSq, x.gradient, x.target, x.lambda, s as Shape3D]; });
          check('residual3d', () => { const x = inputs(); return [new Float32Array(n * 3), x.delta, x.sigmaSq, x.gradient, x.target, x.lambda, x.u, s as Shape3D]; });
        } else {
          check('ssdDemonsStep2d', () => { const x = inputs(); return [new Float32Array(n * 2), x.delta, x.gradient, s as Shape2D, 1.3]; });
          check('gaussSeidelSweep2d', () => { const x = inputs(); return [x.u, x.delta, x.sigmaSq, x.gradient, x.target, x.lambda, s as Shape2D]; });
          check('residual2d', () => { const x = inputs(); return [new Float32Array(n * 2), x.delta, x.sigmaSq, x.gradient, x.target, x.lambda, x.u, s as Shape2D]; });
        }
        seed++;
      }
    }
  });

  it('one backend stays exact across calls of very different sizes (arena reuse)', () => {
    const big: Shape3D = [24, 28, 30], small: Shape3D = [5, 6, 7];
    for (const s of [big, small, big, small]) {
      const r = mulberry32(s[0]);
      const a = smoothImage(r, s), b = smoothImage(r, s);
      const o1 = new Float32Array(s[0] * s[1] * s[2] * 5), o2 = new Float32Array(o1.length);
      wasm.ccFactors3d(...prep([o1, a, b, s, 2] as Parameters<Kernels['ccFactors3d']>));
      if (zeroCopy) o1.set(allocated[0]);
      release();
      tsKernels.ccFactors3d(o2, a, b, s, 2);
      bitsEqual(o1, o2, `ccFactors3d ${s}`);
      const f = smoothField(r, s, 2);
      const i1 = new Float32Array(f.length), i2 = new Float32Array(f.length);
      resultEqual(wasm.invert3d(i1, f, s, null, [1, 1, 1], 10, 1e-3, new Float32Array(f.length)),
        tsKernels.invert3d(i2, f, s, null, [1, 1, 1], 10, 1e-3, new Float32Array(f.length)), 'invert3d');
      bitsEqual(i1, i2, `invert3d ${s}`);
    }
    expect(current.memory.buffer.byteLength).toBeGreaterThan(24 * 28 * 30 * 5 * 4);
  });
});
}

describe('wasmBackend()', () => {
  it('registers nothing on import and serves its kernels through a context', async () => {
    expect(defaultContext.backendNames).not.toContain('wasm');
    const b = await wasmBackend({ priority: 3 });
    expect(b.name).toBe('wasm');
    expect(b.priority).toBe(3);
    expect(backend.priority).toBe(10);
    await b.dispose();
  });

  it('loads from explicit bytes and from an explicit URL (string or URL)', async () => {
    const { readFile } = await import('node:fs/promises');
    const url = new URL('../dist/kernels.wasm', import.meta.url);
    const fromBytes = await wasmBackend({ wasmBytes: await readFile(url) });
    const fromUrl = await wasmBackend({ wasmUrl: url });
    const fromString = await wasmBackend({ wasmUrl: url.href });
    for (const b of [fromBytes, fromUrl, fromString]) {
      const out = new Float32Array(3 * 4 * 5 * 3);
      const d = smoothField(mulberry32(9), [3, 4, 5], 1);
      const ref = new Float32Array(out.length);
      resultEqual((b.kernels as Kernels).compose3d(out, d, [3, 4, 5], d, [3, 4, 5], null, null, 1),
        tsKernels.compose3d(ref, d, [3, 4, 5], d, [3, 4, 5], null, null, 1), 'compose3d');
      bitsEqual(out, ref, 'compose3d out');
    }
  });

  it('explains how to fix a missing .wasm file', async () => {
    await expect(wasmBackend({ wasmUrl: new URL('./no-such-file.wasm', import.meta.url) })).rejects.toThrow(/cannot read .*no-such-file\.wasm/);
  });
});
