/**
 * `describeMetric`: the conformance kit every similarity metric — diffeo's own or
 * a third party's — must pass before it is handed to SyN.
 *
 * What is checked (one vitest `it` per property, per dimension):
 * - the contract fields: `dim`, `name`, `mask0` (and `checkLevelShapes`, if any,
 *   accepts the test grid);
 * - `prepare()` on a smooth synthetic pair returns a step whose `forward` and
 *   `backward` overwrite all `prod(shape)·d` values of `out` with finite numbers
 *   and return a finite energy;
 * - identical images give a (near) zero step;
 * - the energy follows the "lower is better" convention: a better-aligned pair
 *   has a lower energy than a worse-aligned one;
 * - the step is a descent direction: warping the moving image by `id + ε·û`
 *   (û = forward step normalised as SyN does) lowers the energy, as does warping
 *   the static image by `id + ε·v̂` (backward step); and so does SyN's own use
 *   of the steps, to first order (static by `id − ε·û`, moving by `id − ε·v̂`);
 * - `dispose()` twice is safe; `forward`/`backward` do not depend on call order
 *   nor on the prior contents of `out`; two runs are bit-identical; the input
 *   images are not modified;
 * - NaN intensities make the metric throw a typed `DiffeoError` (from
 *   `@diffeo/core`) instead of returning NaN steps or energies.
 *
 * Test data (deterministic, closed form, no random numbers). Grid coordinates
 * `p` are voxel indices in array-axis order. The static image is
 * `f(p) = 0.4 + Σ_b a_b·exp(−|p − c_b|²/(2 s_b²)) + 0.15·sin(…)·cos(…)` (three
 * Gaussian blobs, one dark, over a smooth texture, so that local statistics such
 * as CC's are defined everywhere). The moving image is `f(p + w(p))` with a smooth
 * displacement `w` of at most `amplitude` voxels per component (0.6 by default),
 * evaluated analytically (not by warping). Inputs use unit spacing, identity
 * grid-to-world and direction matrices, so world units are voxels; `level 0`,
 * `levelsBelow 1`, `levelsAbove 0`.
 *
 * Steps are normalised like SyN (docs/algorithm.md §4.5): the outermost voxel layer is
 * zeroed, then the field is divided by its largest norm in voxels, and scaled by
 * `stepLength` voxels before warping with the `warp2d`/`warp3d` kernels of the
 * kernel context (linear interpolation, zero padding).
 */
import { describe, expect, it } from 'vitest';
import {
  DiffeoError,
  InvalidArgumentError,
  defaultContext,
  toShape,
  type Dim,
  type KernelContext,
  type MetricInputs,
  type MetricStep,
  type Shape2D,
  type Shape3D,
  type ShapeOf,
  type SimilarityMetric,
} from '@diffeo/core';

/**
 * Builds a fresh metric for dimension `dim`. `describeMetric` calls it once per
 * check (so state cannot leak between checks), only with the dimensions listed
 * in {@link DescribeMetricOptions.dims}; it must return a metric whose `dim`
 * equals the argument. A 2D-only metric can ignore the argument:
 * `() => myMetric2d()` with `dims: [2]`.
 */
export type MetricFactory = (dim: Dim) => SimilarityMetric;

/** The names of the checks of {@link describeMetric}, usable in {@link DescribeMetricOptions.expectFail}. */
export type MetricCheck =
  | 'contract'
  | 'finite-steps'
  | 'identical-images'
  | 'energy-sign'
  | 'descent-forward'
  | 'descent-backward'
  | 'descent-syn'
  | 'dispose'
  | 'call-order'
  | 'determinism'
  | 'inputs-unchanged'
  | 'nan-static'
  | 'nan-moving';

/** All {@link MetricCheck} names, in the order the checks run. */
export const METRIC_CHECKS: readonly MetricCheck[] = [
  'contract', 'finite-steps', 'identical-images', 'energy-sign', 'descent-forward', 'descent-backward',
  'descent-syn', 'dispose', 'call-order', 'determinism', 'inputs-unchanged', 'nan-static', 'nan-moving',
];

/** Options of {@link describeMetric}. */
export interface DescribeMetricOptions {
  /** Dimensions to test (default `[2, 3]`); the factory is called with each. */
  readonly dims?: readonly Dim[];
  /** Grid of the 2D test images, `[rows, cols]` voxels (default `[32, 32]`; each axis ≥ 8). */
  readonly shape2d?: Shape2D;
  /** Grid of the 3D test images, `[slices, rows, cols]` voxels (default `[20, 20, 20]`; each axis ≥ 8). */
  readonly shape3d?: Shape3D;
  /**
   * Identical images: the largest step component may be at most `tolerance` times
   * the largest component of the step of the shifted pair (default `1e-6`; SSD and
   * CC give exactly 0).
   */
  readonly tolerance?: number;
  /** `ε` of the descent checks, in voxels, applied to the max-norm-normalised step (default 0.25, SyN's `stepLength`). */
  readonly stepLength?: number;
  /** Largest component of the synthetic displacement between static and moving, in voxels (default 0.6). */
  readonly amplitude?: number;
  /** Kernel context passed in `MetricInputs.context` and used for the warps (default `defaultContext`). */
  readonly context?: KernelContext;
  /**
   * Checks known to fail for this metric: they run as `it.fails`, so the suite
   * stays green while the gap is recorded, and turns red as soon as the metric is
   * fixed (then remove the entry). Nothing is skipped silently.
   */
  readonly expectFail?: readonly MetricCheck[];
}

/** A synthetic static/moving pair on a grid (see the module documentation for the formulas). */
export interface MetricTestPair<D extends Dim = Dim> {
  readonly dim: D;
  readonly shape: ShapeOf<D>;
  /** `f(p)`, `prod(shape)` float32 values, C order. */
  readonly static: Float32Array;
  /** `f(p + w(p))`, `prod(shape)` float32 values, C order. */
  readonly moving: Float32Array;
}

// Blob centres (fractions of each axis), widths (fractions of the shortest axis) and amplitudes.
const BLOBS: ReadonlyArray<{ c: readonly [number, number, number]; s: number; a: number }> = [
  { c: [0.38, 0.42, 0.45], s: 0.16, a: 1.0 },
  { c: [0.64, 0.6, 0.58], s: 0.11, a: 0.7 },
  { c: [0.5, 0.3, 0.72], s: 0.09, a: -0.35 },
];

/** The static intensity at grid point `q` (double). */
function intensity(q: Float64Array, shape: readonly number[], minAxis: number): number {
  const d = shape.length;
  let v = 0.4;
  for (const b of BLOBS) {
    const s = b.s * minAxis;
    let r2 = 0;
    for (let k = 0; k < d; k++) {
      const t = q[k] - b.c[3 - d + k] * (shape[k] - 1);
      r2 += t * t;
    }
    v += b.a * Math.exp(-r2 / (2 * s * s));
  }
  const first = q[0] / shape[0];
  const last = q[d - 1] / shape[d - 1];
  let texture = Math.sin(2 * Math.PI * 1.3 * first + 0.3) * Math.cos(2 * Math.PI * 0.9 * last + 0.7);
  if (d === 3) texture *= Math.cos(2 * Math.PI * 0.7 * (q[1] / shape[1]) + 0.2);
  return v + 0.15 * texture;
}

/** Component `k` of the smooth displacement at grid point `p` (voxels, |w_k| ≤ amplitude). */
function displacement(p: Float64Array, k: number, shape: readonly number[], amplitude: number): number {
  const d = shape.length;
  const j = (k + 1) % d;
  const a = Math.sin(2 * Math.PI * (p[j] / shape[j]) + 0.5 + k);
  const b = Math.cos(Math.PI * (p[k] / shape[k]) - 0.4 * k);
  return amplitude * (0.6 * a + 0.4 * b);
}

function checkShape(shape: readonly number[], dim: Dim, label: string): void {
  if (!Array.isArray(shape) || shape.length !== dim || shape.some((n) => !Number.isInteger(n) || n < 8)) {
    throw new InvalidArgumentError(
      `describeMetric: ${label} must be ${dim} integers ≥ 8 (voxels); got ${JSON.stringify(shape)}. ` +
      `Use at least 2·radius+1 voxels per axis for windowed metrics such as CC.`,
    );
  }
}

/**
 * Builds the deterministic synthetic pair used by {@link describeMetric}: a smooth
 * static image and the same image displaced by a smooth field of at most
 * `amplitude` voxels per component (`amplitude = 0` gives identical images).
 *
 * @param dim - 2 or 3.
 * @param shape - grid shape (voxels), `dim` integers ≥ 8.
 * @param amplitude - largest displacement component in voxels (default 0.6).
 */
export function metricTestPair<D extends Dim>(dim: D, shape: ShapeOf<D>, amplitude = 0.6): MetricTestPair<D> {
  checkShape(shape as readonly number[], dim, 'shape');
  if (!Number.isFinite(amplitude)) {
    throw new InvalidArgumentError(`metricTestPair: amplitude must be a finite number of voxels; got ${amplitude}.`);
  }
  const s = shape as readonly number[];
  const n = s.reduce((a, b) => a * b, 1);
  const minAxis = Math.min(...s);
  const st = new Float32Array(n);
  const mv = new Float32Array(n);
  const p = new Float64Array(dim);
  const q = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    let rem = i;
    for (let k = dim - 1; k >= 0; k--) {
      p[k] = rem % s[k];
      rem = Math.floor(rem / s[k]);
    }
    for (let k = 0; k < dim; k++) q[k] = p[k] + (amplitude === 0 ? 0 : displacement(p, k, s, amplitude));
    st[i] = intensity(p, s, minAxis);
    mv[i] = amplitude === 0 ? st[i] : intensity(q, s, minAxis);
  }
  return { dim, shape, static: st, moving: mv };
}

function identity(dim: Dim): Float64Array {
  const m = new Float64Array((dim + 1) * (dim + 1));
  for (let k = 0; k <= dim; k++) m[k * (dim + 2)] = 1;
  return m;
}

/**
 * Builds the {@link MetricInputs} `describeMetric` passes to `prepare()`: unit
 * spacing, identity grid-to-world and direction, `level 0`, `levelsBelow 1`,
 * `levelsAbove 0`, no image dynamics. The arrays are used as given (not copied).
 *
 * @param staticImage - `prod(shape)` float32 values on the grid.
 * @param movingImage - `prod(shape)` float32 values on the grid.
 * @param context - kernel context (default `defaultContext`).
 */
export function metricTestInputs<D extends Dim>(dim: D, shape: ShapeOf<D>, staticImage: Float32Array,
  movingImage: Float32Array, context: KernelContext = defaultContext): MetricInputs<D> {
  return {
    dim,
    shape,
    static: staticImage,
    moving: movingImage,
    gridToWorld: identity(dim),
    spacing: new Float64Array(dim).fill(1),
    direction: identity(dim),
    level: 0,
    levelsBelow: 1,
    levelsAbove: 0,
    context,
  };
}

/** Zeroes the outermost voxel layer and divides by the largest norm (voxels; unit spacing), then scales by `eps`: SyN's treatment of a step. */
function normalisedStep(step: Float32Array, shape: readonly number[], eps: number): Float32Array {
  const d = shape.length;
  const n = step.length / d;
  const out = Float32Array.from(step);
  let nrm = 0;
  for (let i = 0; i < n; i++) {
    let rem = i;
    let border = false;
    for (let k = d - 1; k >= 0; k--) {
      const c = rem % shape[k];
      rem = Math.floor(rem / shape[k]);
      if (c === 0 || c === shape[k] - 1) border = true;
    }
    if (border) {
      for (let k = 0; k < d; k++) out[i * d + k] = 0;
      continue;
    }
    let q = 0;
    for (let k = 0; k < d; k++) q += out[i * d + k] * out[i * d + k];
    if (q > nrm) nrm = q;
  }
  nrm = Math.sqrt(nrm);
  const f = nrm > 0 ? eps / nrm : 0;
  for (let i = 0; i < out.length; i++) out[i] *= f;
  return out;
}

/** `image(p + field(p))` on the same grid (linear, zero padded), with the context's warp kernel. */
function warpBy(ctx: KernelContext, image: Float32Array, field: Float32Array, shape: readonly number[]): Float32Array {
  const out = new Float32Array(image.length);
  const s = toShape(shape, shape.length === 2 ? 2 : 3, 'shape');
  ctx.kernelsFor<Dim>(s.length).warp(out, s, image, s, field, s, null, null, null);
  return out;
}

function negated(field: Float32Array): Float32Array {
  const out = new Float32Array(field.length);
  for (let i = 0; i < field.length; i++) out[i] = -field[i];
  return out;
}

function maxAbs(a: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]);
    if (v > m) m = v;
  }
  return m;
}

/** Index of the first value that is not finite, or −1. */
function firstNonFinite(a: Float32Array): number {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return i;
  return -1;
}

/** Index of the first bitwise difference, or −1. */
function firstBitDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

/** True for a `DiffeoError`, also one from a second copy of `@diffeo/core` (duplicate install). */
function isDiffeoError(e: unknown): boolean {
  if (e instanceof DiffeoError) return true;
  if (!(e instanceof Error) || typeof (e as { code?: unknown }).code !== 'string') return false;
  for (let p: unknown = Object.getPrototypeOf(e); p !== null && p !== undefined; p = Object.getPrototypeOf(p)) {
    if ((p as { constructor?: { name?: string } }).constructor?.name === 'DiffeoError') return true;
  }
  return false;
}

function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

interface Computed {
  forward: Float32Array;
  backward: Float32Array;
  forwardEnergy: number;
  backwardEnergy: number;
}

/** prepare → forward → backward → dispose, with `out` buffers pre-filled with `fill`. */
function runStep(metric: SimilarityMetric, inputs: MetricInputs, size: number, fill = Number.NaN, backwardFirst = false): Computed {
  const step: MetricStep = metric.prepare(inputs);
  const forward = new Float32Array(size).fill(fill);
  const backward = new Float32Array(size).fill(fill);
  let forwardEnergy: number;
  let backwardEnergy: number;
  try {
    if (backwardFirst) {
      backwardEnergy = step.backward(backward);
      forwardEnergy = step.forward(forward);
    } else {
      forwardEnergy = step.forward(forward);
      backwardEnergy = step.backward(backward);
    }
  } finally {
    step.dispose();
  }
  return { forward, backward, forwardEnergy, backwardEnergy };
}

/**
 * Registers a vitest suite that checks a {@link SimilarityMetric} implementation
 * against the plug-in contract of `@diffeo/core` (see the module documentation
 * for the list of checks and the synthetic data). Call it at the top level of a
 * test file (or inside a `describe`); it creates one `describe` named
 * `` `${name} (metric conformance)` `` with a nested `describe` per dimension.
 *
 * The factory is called afresh for every check. Steps are expected in world
 * units on the reference grid (here world = voxels), component `k` along array
 * axis `k`; energies follow "lower is better"; the forward step moves the moving
 * image towards the static one, the backward step the static image towards the
 * moving one.
 *
 * @param name - label of the suite, for example `"SSD demons"`.
 * @param factory - `(dim) => metric`; see {@link MetricFactory}.
 * @param options - dimensions, grid shapes, tolerances and known failures; see
 *   {@link DescribeMetricOptions}.
 * @throws {InvalidArgumentError} at collection time for invalid options.
 *
 * @example
 * ```ts
 * // my-metric.test.ts, in your own vitest suite
 * import { describeMetric } from '@diffeo/conformance';
 * import { myMetric } from './my-metric.js';
 *
 * describeMetric('my metric', (dim) => myMetric(dim), { dims: [2, 3], shape2d: [32, 32], shape3d: [20, 20, 20] });
 * ```
 */
export function describeMetric(name: string, factory: MetricFactory, options: DescribeMetricOptions = {}): void {
  if (typeof factory !== 'function') {
    throw new InvalidArgumentError('describeMetric: factory must be a function (dim) => SimilarityMetric.');
  }
  const dims = options.dims ?? [2, 3];
  if (!Array.isArray(dims) || dims.length === 0 || dims.some((d) => d !== 2 && d !== 3)) {
    throw new InvalidArgumentError(`describeMetric: dims must be a non-empty list of 2 and/or 3; got ${JSON.stringify(dims)}.`);
  }
  const shape2d: Shape2D = options.shape2d ?? [32, 32];
  const shape3d: Shape3D = options.shape3d ?? [20, 20, 20];
  if (dims.includes(2)) checkShape(shape2d, 2, 'shape2d');
  if (dims.includes(3)) checkShape(shape3d, 3, 'shape3d');
  const tolerance = options.tolerance ?? 1e-6;
  const stepLength = options.stepLength ?? 0.25;
  const amplitude = options.amplitude ?? 0.6;
  for (const [label, v] of [['tolerance', tolerance], ['stepLength', stepLength], ['amplitude', amplitude]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw new InvalidArgumentError(`describeMetric: ${label} must be a positive finite number; got ${String(v)}.`);
    }
  }
  const ctx = options.context ?? defaultContext;
  const expectFail = new Set<MetricCheck>(options.expectFail ?? []);
  for (const c of expectFail) {
    if (!METRIC_CHECKS.includes(c)) {
      throw new InvalidArgumentError(`describeMetric: unknown check ${JSON.stringify(c)} in expectFail; valid names are ${METRIC_CHECKS.join(', ')}.`);
    }
  }
  const check = (id: MetricCheck, title: string, fn: () => void): void => {
    if (expectFail.has(id)) it.fails(`[${id}] ${title} (known failure)`, fn);
    else it(`[${id}] ${title}`, fn);
  };

  describe(`${name} (metric conformance)`, () => {
    for (const dim of dims) {
      describe(`${dim}D`, () => {
        const shape = (dim === 2 ? shape2d : shape3d) as ShapeOf<Dim>;
        const grid = shape as readonly number[];
        const size = grid.reduce((a, b) => a * b, 1) * dim;
        // Test data, built on first use (cheap, but kept out of collection time).
        let pairCache: MetricTestPair | null = null;
        const pair = (): MetricTestPair => (pairCache ??= metricTestPair(dim, shape, amplitude));
        const inputs = (s: Float32Array, m: Float32Array): MetricInputs => metricTestInputs(dim, shape, s, m, ctx);
        const fresh = (): SimilarityMetric => {
          const metric = factory(dim);
          if (!metric || typeof metric.prepare !== 'function') {
            throw new InvalidArgumentError(`describeMetric(${name}): the factory returned ${String(metric)} for dim ${dim}, not a SimilarityMetric.`);
          }
          return metric;
        };
        let shiftedCache: Computed | null = null;
        const shifted = (): Computed => {
          if (shiftedCache === null) {
            const p = pair();
            shiftedCache = runStep(fresh(), inputs(Float32Array.from(p.static), Float32Array.from(p.moving)), size);
          }
          return shiftedCache;
        };

        check('contract', 'reports dim, name and mask0 of the right types', () => {
          const metric = fresh();
          expect(metric.dim, 'metric.dim must equal the dimension passed to the factory').toBe(dim);
          expect(typeof metric.name, 'metric.name must be a string').toBe('string');
          expect(metric.name.length, 'metric.name must not be empty').toBeGreaterThan(0);
          expect(typeof metric.mask0, 'metric.mask0 must be a boolean').toBe('boolean');
          expect(typeof metric.prepare).toBe('function');
          if (metric.checkLevelShapes !== undefined) {
            expect(typeof metric.checkLevelShapes).toBe('function');
            expect(() => metric.checkLevelShapes?.([shape]), `checkLevelShapes must accept the test grid [${grid.join(', ')}]`).not.toThrow();
          }
          const step = metric.prepare(inputs(pair().static, pair().moving));
          try {
            expect(step.dim, 'step.dim must equal metric.dim').toBe(dim);
            expect(typeof step.forward).toBe('function');
            expect(typeof step.backward).toBe('function');
            expect(typeof step.dispose).toBe('function');
          } finally {
            step.dispose();
          }
        });

        check('finite-steps', `forward/backward overwrite all prod(shape)·${dim} values with finite numbers and return finite energies`, () => {
          const r = shifted();
          for (const [which, field, energy] of [['forward', r.forward, r.forwardEnergy], ['backward', r.backward, r.backwardEnergy]] as const) {
            expect(typeof energy, `${which}() must return a number`).toBe('number');
            expect(Number.isFinite(energy), `${which}() returned the energy ${energy}`).toBe(true);
            const bad = firstNonFinite(field);
            expect(bad, bad < 0 ? '' : `${which}() left value ${bad} (voxel ${Math.floor(bad / dim)}, component ${bad % dim}) = ${field[bad]}; ` +
              'out arrives filled with NaN here and every value must be written').toBe(-1);
            expect(maxAbs(field), `${which}() returned an all-zero step for a misaligned pair`).toBeGreaterThan(0);
          }
        });

        check('identical-images', `identical images give a step ≤ ${tolerance} × the step of the shifted pair`, () => {
          const r = shifted();
          const img = pair().static;
          const same = runStep(fresh(), inputs(Float32Array.from(img), Float32Array.from(img)), size);
          for (const [which, a, b] of [['forward', same.forward, r.forward], ['backward', same.backward, r.backward]] as const) {
            expect(firstNonFinite(a), `${which}() wrote non-finite values for identical images`).toBe(-1);
            expect(maxAbs(a), `${which}(): max |step| for identical images vs ${maxAbs(b)} for the shifted pair`)
              .toBeLessThanOrEqual(tolerance * maxAbs(b));
          }
        });

        check('energy-sign', 'energy is lower for a better-aligned pair (lower is better)', () => {
          const p = pair();
          const worse = metricTestPair(dim, shape, 2.5 * amplitude);
          const better = runStep(fresh(), inputs(Float32Array.from(p.static), Float32Array.from(p.moving)), size);
          const worst = runStep(fresh(), inputs(Float32Array.from(worse.static), Float32Array.from(worse.moving)), size);
          expect(better.forwardEnergy, `energy with a ${amplitude}-voxel displacement must be below the energy with ${2.5 * amplitude} voxels`)
            .toBeLessThan(worst.forwardEnergy);
          expect(better.backwardEnergy).toBeLessThan(worst.backwardEnergy);
        });

        check('descent-forward', `warping the moving image by id + ${stepLength}·(normalised forward step) lowers the energy`, () => {
          const r = shifted();
          const p = pair();
          const u = normalisedStep(r.forward, grid, stepLength);
          const moved = warpBy(ctx, p.moving, u, grid);
          const after = runStep(fresh(), inputs(Float32Array.from(p.static), moved), size);
          expect(after.forwardEnergy, `energy before ${r.forwardEnergy}, after ${after.forwardEnergy}`).toBeLessThan(r.forwardEnergy);
        });

        check('descent-backward', `warping the static image by id + ${stepLength}·(normalised backward step) lowers the energy`, () => {
          const r = shifted();
          const p = pair();
          const v = normalisedStep(r.backward, grid, stepLength);
          const moved = warpBy(ctx, p.static, v, grid);
          const after = runStep(fresh(), inputs(moved, Float32Array.from(p.moving)), size);
          expect(after.backwardEnergy, `energy before ${r.backwardEnergy}, after ${after.backwardEnergy}`).toBeLessThan(r.backwardEnergy);
        });

        check('descent-syn', 'SyN\'s update, to first order (static by id − ε·û, moving by id − ε·v̂), lowers the energy', () => {
          const r = shifted();
          const p = pair();
          const u = normalisedStep(r.forward, grid, stepLength);
          const v = normalisedStep(r.backward, grid, stepLength);
          const s1 = warpBy(ctx, p.static, negated(u), grid);
          const m1 = warpBy(ctx, p.moving, negated(v), grid);
          const after = runStep(fresh(), inputs(s1, m1), size);
          const before = r.forwardEnergy + r.backwardEnergy;
          const now = after.forwardEnergy + after.backwardEnergy;
          expect(now, `forward + backward energy before ${before}, after ${now}`).toBeLessThan(before);
        });

        check('dispose', 'dispose() twice is safe, with or without computing steps', () => {
          const p = pair();
          const metric = fresh();
          const a = metric.prepare(inputs(p.static, p.moving));
          expect(() => { a.dispose(); a.dispose(); }).not.toThrow();
          const b = metric.prepare(inputs(p.static, p.moving));
          b.forward(new Float32Array(size));
          b.backward(new Float32Array(size));
          expect(() => { b.dispose(); b.dispose(); }).not.toThrow();
          // The metric itself is reusable after its steps are disposed.
          const c = runStep(metric, inputs(p.static, p.moving), size);
          expect(firstBitDifference(c.forward, shifted().forward)).toBe(-1);
        });

        check('call-order', 'forward/backward do not depend on call order or on the prior contents of out', () => {
          const p = pair();
          const metric = fresh();
          const fb = runStep(metric, inputs(Float32Array.from(p.static), Float32Array.from(p.moving)), size, 0, false);
          const bf = runStep(metric, inputs(Float32Array.from(p.static), Float32Array.from(p.moving)), size, 3.5, true);
          const df = firstBitDifference(fb.forward, bf.forward);
          const db = firstBitDifference(fb.backward, bf.backward);
          expect(df, df < 0 ? '' : `forward value ${df}: ${fb.forward[df]} (forward first, out zeroed) vs ${bf.forward[df]} (backward first, out = 3.5)`).toBe(-1);
          expect(db, db < 0 ? '' : `backward value ${db}: ${fb.backward[db]} vs ${bf.backward[db]}`).toBe(-1);
          expect(Object.is(fb.forwardEnergy, bf.forwardEnergy), `forward energy ${fb.forwardEnergy} vs ${bf.forwardEnergy}`).toBe(true);
          expect(Object.is(fb.backwardEnergy, bf.backwardEnergy), `backward energy ${fb.backwardEnergy} vs ${bf.backwardEnergy}`).toBe(true);
        });

        check('determinism', 'two runs on fresh metrics give identical bits', () => {
          const p = pair();
          const a = runStep(fresh(), inputs(Float32Array.from(p.static), Float32Array.from(p.moving)), size);
          const b = runStep(fresh(), inputs(Float32Array.from(p.static), Float32Array.from(p.moving)), size);
          expect(firstBitDifference(a.forward, b.forward), 'forward steps differ').toBe(-1);
          expect(firstBitDifference(a.backward, b.backward), 'backward steps differ').toBe(-1);
          expect(Object.is(a.forwardEnergy, b.forwardEnergy), `forward energy ${a.forwardEnergy} vs ${b.forwardEnergy}`).toBe(true);
          expect(Object.is(a.backwardEnergy, b.backwardEnergy), `backward energy ${a.backwardEnergy} vs ${b.backwardEnergy}`).toBe(true);
        });

        check('inputs-unchanged', 'prepare/forward/backward/dispose do not modify the input images', () => {
          const p = pair();
          const s = Float32Array.from(p.static);
          const m = Float32Array.from(p.moving);
          runStep(fresh(), inputs(s, m), size);
          expect(firstBitDifference(s, p.static), 'the static image was modified').toBe(-1);
          expect(firstBitDifference(m, p.moving), 'the moving image was modified').toBe(-1);
        });

        for (const [id, which] of [['nan-static', 'static'], ['nan-moving', 'moving']] as const) {
          check(id, `NaN in the ${which} image → throws a DiffeoError (not NaN results)`, () => {
            const p = pair();
            const s = Float32Array.from(p.static);
            const m = Float32Array.from(p.moving);
            const bad = which === 'static' ? s : m;
            bad[Math.floor(bad.length / 2) + 1] = Number.NaN;
            let thrown: unknown = null;
            let result: Computed | null = null;
            try {
              result = runStep(fresh(), inputs(s, m), size);
            } catch (e) {
              thrown = e;
            }
            if (thrown === null) {
              const r = result as Computed;
              expect.fail(
                `the metric accepted a NaN in the ${which} image: energies ${r.forwardEnergy} / ${r.backwardEnergy}, ` +
                `${firstNonFinite(r.forward) >= 0 ? 'non-finite' : 'finite'} forward step; it must throw a DiffeoError ` +
                '(NonFiniteError from @diffeo/core) from prepare(), forward() or backward().',
              );
            }
            expect(isDiffeoError(thrown), `threw ${describeError(thrown)}, which is not a DiffeoError`).toBe(true);
          });
        }
      });
    }
  });
}
