/**
 * Multigrid V-cycle solver of the SSD (and EM) Gauss-Newton system
 * (Bruhn & Weickert 2005; DIPY's `v_cycle_2d/3d`, docs/algorithm.md §5.1).
 *
 * Maths. The linear system, per voxel `x` of a regular grid, is
 * `(g gᵀ + s²λ·nn·I)·u[x] − s²λ·Σ_nbr u[nbr] = b[x]` with `b = δ·g` (or the
 * restricted residual of the finer level, the "target"), `s² = σ²[x]` (1 without a
 * σ² field), `nn` the number of in-grid neighbours. One V-cycle at depth `n`:
 * `k` Gauss-Seidel sweeps; if `n > 0`, restrict the residual, `δ`, `σ²` and `g`
 * by factor-2 block averaging, solve for the correction on the coarse grid from
 * zero with `λ/4` (one V-cycle of depth `n − 1`), prolong it by linear
 * interpolation (sampling the coarse field at half the fine index, zero padded)
 * and add it in float32; then `k` more sweeps.
 *
 * Frames and units: a single voxel grid per level; `u`, `g` and the target are in
 * whatever units the caller uses (SyN: world units). C-ordered arrays, vector
 * components interleaved, component `k` along array axis `k`.
 *
 * The returned energy is DIPY's `Σ f32(δ²)` (float32 squares summed in double, in
 * raster order), the plain SSD data term of the finest level.
 */
import {
  InvalidArgumentError,
  ShapeMismatchError,
  defaultContext,
  type KernelContext,
  type Kernels,
  type Shape2D,
  type Shape3D,
} from '@diffeo/core';

const HALF_2D: readonly number[] = [0.5, 0.5];
const HALF_3D: readonly number[] = [0.5, 0.5, 0.5];

/** `Σ f32(δ·δ)` in double, raster order (DIPY's `compute_energy_ssd_2d/3d`). */
export function ssdEnergy(delta: Float32Array): number {
  let e = 0;
  for (let i = 0; i < delta.length; i++) {
    const d = delta[i];
    e += Math.fround(d * d);
  }
  return e;
}

function checkCycleArgs(dim: 2 | 3, n: number, k: number, delta: Float32Array, sigmaSq: Float32Array | null,
  gradient: Float32Array, target: Float32Array | null, lambda: number, u: Float32Array,
  shape: readonly number[]): void {
  const fn = `vCycle${dim}d`;
  if (!Number.isInteger(n) || n < 0) {
    throw new InvalidArgumentError(`${fn}: the depth n must be a non-negative integer; got ${n}.`);
  }
  if (!Number.isInteger(k) || k < 0) {
    throw new InvalidArgumentError(`${fn}: the number of sweeps k must be a non-negative integer; got ${k}.`);
  }
  if (typeof lambda !== 'number' || Number.isNaN(lambda)) {
    throw new InvalidArgumentError(`${fn}: lambda must be a number; got ${String(lambda)}.`);
  }
  if (!shape || shape.length !== dim || Array.from(shape).some((s) => !Number.isInteger(s) || s < 1)) {
    throw new ShapeMismatchError(
      `${fn}: shape must hold ${dim} positive integer axis lengths; got ${shape ? `[${Array.from(shape).join(', ')}]` : String(shape)}.`,
    );
  }
  let voxels = 1;
  for (const s of shape) voxels *= s;
  const check = (name: string, arr: Float32Array | null, comps: number): void => {
    if (arr === null) return;
    if (!(arr instanceof Float32Array)) {
      throw new ShapeMismatchError(`${fn}: ${name} must be a Float32Array.`);
    }
    if (arr.length !== voxels * comps) {
      throw new ShapeMismatchError(
        `${fn}: ${name} has ${arr.length} values but shape [${shape.join(', ')}] needs ${voxels * comps}` +
          (comps > 1 ? ` (${comps} interleaved components per voxel).` : '.'),
      );
    }
  };
  check('delta', delta, 1);
  check('sigmaSq', sigmaSq, 1);
  check('gradient', gradient, dim);
  check('target', target, dim);
  check('u', u, dim);
}

/**
 * The coarse-level arrays of V-cycles, kept from one cycle to the next (six per coarse
 * level, from the context's `allocFloat32`, so a backend's kernels use them in place):
 * a metric that solves on the same grid every iteration passes the same scratch to each
 * cycle and allocates nothing after the first one. An array is replaced when the length
 * it needs changes. Holds about `dim + (3·dim + 2)/2^dim` float32 values per voxel of
 * the finest grid (3D: 4.4) while it lives; {@link VCycleScratch.free} gives them back.
 */
export class VCycleScratch {
  private readonly arrays: (Float32Array | null)[] = [];
  private context: KernelContext | null = null;

  /** Array `slot` of `len` values for `context` (not zeroed when reused). @internal */
  take(context: KernelContext, slot: number, len: number): Float32Array {
    if (this.context !== context) {
      this.free();
      this.context = context;
    }
    const have = this.arrays[slot];
    if (have != null && have.length === len) return have;
    if (have != null) context.freeFloat32(have);
    const a = context.allocFloat32(len);
    this.arrays[slot] = a;
    return a;
  }

  /** Gives every array back to its context. */
  free(): void {
    const ctx = this.context;
    if (ctx !== null) for (const a of this.arrays) if (a != null) ctx.freeFloat32(a);
    this.arrays.length = 0;
    this.context = null;
  }
}

/** Arrays per coarse level in a {@link VCycleScratch}. */
const SLOTS_PER_LEVEL = 6;

function cycle(dim: 2 | 3, n: number, k: number, delta: Float32Array, sigmaSq: Float32Array | null,
  gradient: Float32Array, target: Float32Array | null, lambda: number, u: Float32Array,
  shape: Shape2D | Shape3D, context: KernelContext, scratch: VCycleScratch | null = null, depth = 0): number {
  const sweep = dim === 2 ? context.kernel('gaussSeidelSweep2d') : context.kernel('gaussSeidelSweep3d');
  const sweepK = (): void => {
    for (let i = 0; i < k; i++) {
      if (dim === 2) (sweep as Kernels['gaussSeidelSweep2d'])(u, delta, sigmaSq, gradient, target, lambda, shape as Shape2D);
      else (sweep as Kernels['gaussSeidelSweep3d'])(u, delta, sigmaSq, gradient, target, lambda, shape as Shape3D);
    }
  };
  sweepK();
  if (n === 0) return context.kernel('sumSquaresFloat32')(delta);
  let voxels = 1;
  for (let a = 0; a < dim; a++) voxels *= shape[a];
  const sub = shape.map((m) => (m + 1) >> 1) as unknown as Shape2D | Shape3D;
  const subVoxels = sub.reduce((p, m) => p * m, 1);
  // The coarse-level arrays live in the backend's memory (its kernels then use them in
  // place): from `scratch` when given (kept for the next cycle), else allocated here and
  // given back when this level ends. Every one is written in full before it is read,
  // but the coarse solution, which starts from zero.
  const taken: Float32Array[] = [];
  let slot = depth * SLOTS_PER_LEVEL;
  const take = (len: number): Float32Array => {
    if (scratch !== null) return scratch.take(context, slot++, len);
    const a = context.allocFloat32(len);
    taken.push(a);
    return a;
  };
  try {
    const res = take(voxels * dim);
    const subRes = take(subVoxels * dim);
    const subSigma = sigmaSq === null ? null : take(subVoxels);
    const subDelta = take(subVoxels);
    const subGrad = take(subVoxels * dim);
    const subU = take(subVoxels * dim);
    if (scratch !== null) subU.fill(0);
    if (dim === 2) {
      const s2 = shape as Shape2D, c2 = sub as Shape2D;
      context.kernel('residual2d')(res, delta, sigmaSq, gradient, target, lambda, u, s2);
      const down = context.kernel('downsample2d');
      down(subRes, res, s2, 2);
      if (subSigma !== null && sigmaSq !== null) down(subSigma, sigmaSq, s2, 1);
      down(subDelta, delta, s2, 1);
      down(subGrad, gradient, s2, 2);
      cycle(2, n - 1, k, subDelta, subSigma, subGrad, subRes, lambda * 0.25, subU, c2, context, scratch, depth + 1);
      // Prolongation; `res` is free again and serves as the buffer.
      context.kernel('resampleField2d')(res, s2, subU, c2, HALF_2D);
    } else {
      const s3 = shape as Shape3D, c3 = sub as Shape3D;
      context.kernel('residual3d')(res, delta, sigmaSq, gradient, target, lambda, u, s3);
      const down = context.kernel('downsample3d');
      down(subRes, res, s3, 3);
      if (subSigma !== null && sigmaSq !== null) down(subSigma, sigmaSq, s3, 1);
      down(subDelta, delta, s3, 1);
      down(subGrad, gradient, s3, 3);
      cycle(3, n - 1, k, subDelta, subSigma, subGrad, subRes, lambda * 0.25, subU, c3, context, scratch, depth + 1);
      context.kernel('resampleField3d')(res, s3, subU, c3, HALF_3D);
    }
    // u += correction, float32 (one rounding per value)
    context.kernel('addFloat32')(u, u, res);
  } finally {
    for (const a of taken) context.freeFloat32(a);
  }
  sweepK();
  return context.kernel('sumSquaresFloat32')(delta);
}

/**
 * One multigrid V-cycle on a 2D grid (DIPY's `v_cycle_2d`), updating `u` in place.
 * @param n - depth: number of coarser levels below this one (0 = sweeps only).
 * @param k - Gauss-Seidel sweeps before and after the coarse correction.
 * @param delta - `rows·cols` float32 intensity difference `δ`.
 * @param sigmaSq - `rows·cols` float32 intensity variance, or `null` for 1 everywhere (SSD).
 * @param gradient - `rows·cols·2` float32 image gradient.
 * @param target - `rows·cols·2` float32 right-hand side, or `null` for `δ·g`.
 * @param lambda - regularisation weight `λ` (SSD: the metric's `smooth`).
 * @param u - `rows·cols·2` float32 displacement, start value on entry, solution on exit.
 * @param shape - `[rows, cols]` (voxels).
 * @param context - kernel context to run the kernels with (default: TypeScript kernels).
 * @param scratch - optional {@link VCycleScratch} holding the coarse-level arrays between
 *   cycles (default: allocated and given back within the call). The result is the same.
 * @returns the energy `Σ f32(δ²)`.
 */
export function vCycle2d(n: number, k: number, delta: Float32Array, sigmaSq: Float32Array | null,
  gradient: Float32Array, target: Float32Array | null, lambda: number, u: Float32Array, shape: Shape2D,
  context: KernelContext = defaultContext, scratch?: VCycleScratch): number {
  checkCycleArgs(2, n, k, delta, sigmaSq, gradient, target, lambda, u, shape);
  checkScratch('vCycle2d', scratch);
  return cycle(2, n, k, delta, sigmaSq, gradient, target, lambda, u, shape, context, scratch ?? null);
}

/**
 * One multigrid V-cycle on a 3D grid (DIPY's `v_cycle_3d`); as {@link vCycle2d} with
 * 3 interleaved components and `shape = [slices, rows, cols]`.
 */
export function vCycle3d(n: number, k: number, delta: Float32Array, sigmaSq: Float32Array | null,
  gradient: Float32Array, target: Float32Array | null, lambda: number, u: Float32Array, shape: Shape3D,
  context: KernelContext = defaultContext, scratch?: VCycleScratch): number {
  checkCycleArgs(3, n, k, delta, sigmaSq, gradient, target, lambda, u, shape);
  checkScratch('vCycle3d', scratch);
  return cycle(3, n, k, delta, sigmaSq, gradient, target, lambda, u, shape, context, scratch ?? null);
}

function checkScratch(fn: string, scratch: VCycleScratch | undefined): void {
  if (scratch !== undefined && !(scratch instanceof VCycleScratch)) {
    throw new InvalidArgumentError(`${fn}: scratch must be a VCycleScratch (new VCycleScratch()) or undefined.`);
  }
}

/** Unvalidated V-cycle for callers that checked their inputs already (the SSD metric). @internal */
export function vCycleUnchecked(dim: 2 | 3, n: number, k: number, delta: Float32Array, sigmaSq: Float32Array | null,
  gradient: Float32Array, target: Float32Array | null, lambda: number, u: Float32Array,
  shape: Shape2D | Shape3D, context: KernelContext, scratch: VCycleScratch | null = null): number {
  return cycle(dim, n, k, delta, sigmaSq, gradient, target, lambda, u, shape, context, scratch);
}
