/**
 * The sum-of-squared-differences similarity metric (DIPY's `SSDMetric`,
 * docs/algorithm.md §5.1) for symmetric diffeomorphic registration.
 *
 * Maths. With `S`, `M` the static and moving images warped onto the reference
 * grid, the energy is `E = Σ_x (S(x) − M(x))²`. Each iteration the metric returns
 * two displacement steps on the reference grid:
 * - forward (moves the moving image towards the static one): `δ = S − M`,
 *   `g = ∇S`;
 * - backward (moves the static image towards the moving one): `δ = M − S`,
 *   `g = ∇M`.
 * Step types:
 * - `'demons'` (Vercauteren et al. 2009): `u = δ·g / (δ²/σx² + |g|²)` with
 *   `σx² = Σ spacing²/d`, then each component smoothed with a Gaussian of
 *   `smooth` voxels; energy `Σ δ²` (double squares);
 * - `'gaussNewton'` (Bruhn & Weickert 2005): `u` solves
 *   `(g gᵀ + λ·Δ_h) u = δ·g` with `λ = smooth`, by one multigrid V-cycle of depth
 *   `levelsBelow` with `innerIter` Gauss-Seidel sweeps per level, no smoothing;
 *   energy `Σ f32(δ²)`.
 *
 * Frames and units. Gradients are `numpy.gradient` (voxel units, float32
 * arithmetic) divided by the grid spacing and rotated by the static image's
 * direction, so gradients, and hence steps, are in world units of the
 * reference grid, component `k` along array axis `k`. Smoothing sigmas are in
 * voxels of the current grid. The moving image's own direction is never used
 * (both images are already on the reference grid), as in DIPY.
 */
import {
  allocWorkspaceArrays,
  WorkspaceCache,
  assertMetricInputs,
  assertStepOutput,
  stepDisposedError,
  metricGradient,
  DimensionError,
  assertGradientShape,
  InvalidArgumentError,
  NonFiniteError,
  type Dim,
  type KernelContext,
  type MetricInputs,
  type MetricStep,
  type Shape2D,
  type Shape3D,
  type ShapeOf,
  type SimilarityMetric,
  checkOptionKeys,
} from '@diffeo/core';
import { VCycleScratch, vCycleUnchecked } from './v-cycle.js';

/** The two step types of {@link SSDMetric}. */
export type SSDStepType = 'demons' | 'gaussNewton';

/** The valid {@link SSDStepType} values. */
export const SSD_STEP_TYPES: readonly SSDStepType[] = ['demons', 'gaussNewton'];

/** Options of {@link SSDMetric}; defaults are DIPY's. */
export interface SSDMetricOptions {
  /**
   * Smoothness (default 4). Demons: the Gaussian sigma, in voxels of the current grid,
   * applied to each step component. Gauss-Newton: the regularisation weight `λ`.
   */
  smooth?: number;
  /** Gauss-Seidel sweeps before and after the coarse correction at every V-cycle level (Gauss-Newton only; default 10). */
  innerIter?: number;
  /** `'demons'` (default) or `'gaussNewton'`. */
  stepType?: SSDStepType;
}

/** The options of an {@link SSDMetric} after defaults are applied. */
export interface ResolvedSSDMetricOptions {
  readonly smooth: number;
  readonly innerIter: number;
  readonly stepType: SSDStepType;
}

function resolveOptions(options: SSDMetricOptions | undefined): ResolvedSSDMetricOptions {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new InvalidArgumentError('SSDMetric options must be an object such as { smooth: 4, innerIter: 10, stepType: "demons" }.');
  }
  checkOptionKeys(options, ['smooth', 'innerIter', 'stepType'], 'ssdMetric options');
  const smooth = options?.smooth ?? 4;
  const innerIter = options?.innerIter ?? 10;
  const stepType = options?.stepType ?? 'demons';
  if (typeof smooth !== 'number') {
    throw new InvalidArgumentError(`SSDMetric: smooth must be a number (default 4); got ${typeof smooth}.`);
  }
  if (!Number.isFinite(smooth)) {
    throw new NonFiniteError(`SSDMetric: smooth must be finite; got ${smooth}. Use a value such as 4.`);
  }
  if (smooth < 0) {
    throw new InvalidArgumentError(`SSDMetric: smooth must be non-negative; got ${smooth}. Use 0 for no smoothing/regularisation.`);
  }
  if (typeof innerIter !== 'number' || !Number.isInteger(innerIter) || innerIter < 0) {
    throw new InvalidArgumentError(
      `SSDMetric: innerIter must be a non-negative integer (default 10); got ${String(innerIter)}.`,
    );
  }
  if (!(SSD_STEP_TYPES as readonly unknown[]).includes(stepType)) {
    const hint = (stepType as unknown) === 'gauss_newton' ? ' (DIPY\'s "gauss_newton" is spelled "gaussNewton" here)' : '';
    throw new InvalidArgumentError(
      `SSDMetric: unknown stepType ${JSON.stringify(stepType)}${hint}; valid step types are ${SSD_STEP_TYPES.map((s) => `"${s}"`).join(' and ')}.`,
    );
  }
  return { smooth, innerIter, stepType };
}


/**
 * The large buffers of one iteration: `δ` (1 per voxel) and one gradient (d per
 * voxel; the static gradient for the forward step, then the moving one), and for
 * Gauss-Newton steps the V-cycle's coarse-level arrays (allocated by the first cycle).
 * An {@link SSDMetric} keeps the last one for the next iteration on the same grid.
 */
interface SSDWorkspace {
  readonly voxels: number;
  readonly dim: number;
  readonly delta: Float32Array;
  readonly grad: Float32Array;
  readonly vCycle: VCycleScratch;
  /** The context whose `allocFloat32` gave the buffers (they go back to it). */
  readonly context: KernelContext;
  /** Gives the buffers back to the context. */
  free(): void;
}

/** Masking (SyN's masks): δ = 0 where `mask` is 0, so neither the energy nor the step sees data there. */
function zeroOutsideMask(delta: Float32Array, mask: Uint8Array | null): void {
  if (mask === null) return;
  for (let i = 0; i < delta.length; i++) if (mask[i] === 0) delta[i] = 0;
}

/** Per-iteration state of {@link SSDMetric}: `δ`, the gradient of the current direction (computed on first use). */
class SSDStep<D extends Dim> implements MetricStep<D> {
  readonly dim: D;
  private readonly opts: ResolvedSSDMetricOptions;
  private readonly shape: Shape2D | Shape3D;
  private staticImage: Float32Array | null;
  private movingImage: Float32Array | null;
  private readonly spacing: Float64Array;
  private readonly direction: Float64Array;
  private readonly levelsBelow: number;
  /** The midpoint mask (1 inside) when SyN was given masks; δ is zeroed outside it. */
  private readonly mask: Uint8Array | null;
  private readonly context: KernelContext;
  private readonly voxels: number;
  private ws: SSDWorkspace | null;
  /** Which image `ws.grad` currently holds the gradient of. */
  private gradOf: 'static' | 'moving' | null = null;
  private readonly giveBack: (ws: SSDWorkspace) => void;

  constructor(dim: D, opts: ResolvedSSDMetricOptions, inputs: MetricInputs<D>, voxels: number, ws: SSDWorkspace,
    giveBack: (ws: SSDWorkspace) => void) {
    this.dim = dim;
    this.opts = opts;
    this.shape = inputs.shape as Shape2D | Shape3D;
    this.staticImage = inputs.static;
    this.movingImage = inputs.moving;
    this.spacing = inputs.spacing;
    this.direction = inputs.direction;
    this.mask = inputs.mask ?? null;
    this.levelsBelow = inputs.levelsBelow;
    this.context = inputs.context;
    this.voxels = voxels;
    this.ws = ws;
    this.giveBack = giveBack;
  }

  forward(out: Float32Array): number {
    return this.step(out, true);
  }

  backward(out: Float32Array): number {
    return this.step(out, false);
  }

  dispose(): void {
    const ws = this.ws;
    this.staticImage = null;
    this.movingImage = null;
    this.ws = null;
    this.gradOf = null;
    if (ws !== null) this.giveBack(ws);
  }

  private step(out: Float32Array, forward: boolean): number {
    const which = forward ? 'forward' : 'backward';
    const ws = this.ws;
    if (ws === null || this.staticImage === null || this.movingImage === null) throw stepDisposedError('SSDMetric', which);
    const dim = this.dim;
    assertStepOutput('SSDMetric', which, out, this.voxels, dim);
    const S = this.staticImage;
    const M = this.movingImage;
    const delta = ws.delta;
    // δ in float32 arithmetic (a single rounding of the exact difference), by the context's
    // kernel: no JavaScript loop over the voxels, which runs slowly until it is optimised.
    const ctx = this.context;
    if (forward) ctx.kernel('subtractFloat32')(delta, S, M);
    else ctx.kernel('subtractFloat32')(delta, M, S);
    zeroOutsideMask(delta, this.mask);
    const grad = ws.grad;
    const want = forward ? 'static' : 'moving';
    if (this.gradOf !== want) {
      metricGradient(grad, forward ? S : M, this.shape, dim, this.spacing, this.direction, this.context);
      this.gradOf = want;
    }
    if (this.opts.stepType === 'demons') {
      let sq = 0;
      for (let k = 0; k < dim; k++) sq += this.spacing[k] * this.spacing[k];
      const sigmaSqX = sq / dim;
      const energy = ctx.kernelsFor<Dim>(dim).ssdDemonsStep(out, delta, grad, this.shape, sigmaSqX);
      const sigma = dim === 2 ? [this.opts.smooth, this.opts.smooth] : [this.opts.smooth, this.opts.smooth, this.opts.smooth];
      ctx.kernel('gaussianFilter')(out, out, this.shape, dim, sigma);
      return energy;
    }
    out.fill(0);
    return vCycleUnchecked(dim, this.levelsBelow, this.opts.innerIter, delta, null, grad, null, this.opts.smooth, out,
      this.shape, ctx, ws.vCycle);
  }
}

/**
 * Sum-of-squared-differences metric for {@link SimilarityMetric}-driven
 * registration (DIPY's `SSDMetric(dim, smooth=4, inner_iter=10, step_type='demons')`).
 * Suitable for images of the same modality and intensity range. See the module
 * documentation for the maths, frames and units.
 */
export class SSDMetric<D extends Dim = Dim> implements SimilarityMetric<D> {
  /** Spatial dimension, 2 or 3. */
  readonly dim: D;
  /** `"SSD"`. */
  readonly name = 'SSD';
  /** Always `false`: SSD does not mask the pyramid. */
  readonly mask0 = false;
  /** True: with a midpoint mask (SyN's `staticMask`/`movingMask`), δ is zeroed outside it, so the energy `Σ δ²` and the step see only voxels inside. */
  readonly supportsMask = true;
  /** Demons: Gaussian sigma of the step smoothing (voxels); Gauss-Newton: regularisation weight `λ`. */
  readonly smooth: number;
  /** Gauss-Seidel sweeps per V-cycle level (Gauss-Newton only). */
  readonly innerIter: number;
  /** `'demons'` or `'gaussNewton'`. */
  readonly stepType: SSDStepType;
  /** The buffers of the last iteration, kept for the next one on the same grid. */
  private readonly workspaces = new WorkspaceCache<SSDWorkspace>((ws) => ws.free());

  /**
   * @param dim - 2 or 3 (else {@link DimensionError}).
   * @param options - see {@link SSDMetricOptions}; invalid values throw
   *   {@link InvalidArgumentError} / {@link NonFiniteError}.
   */
  constructor(dim: D, options?: SSDMetricOptions) {
    if (dim !== 2 && dim !== 3) {
      throw new DimensionError(`SSDMetric is defined for 2D and 3D images only; got dim = ${String(dim)}. Pass 2 or 3.`);
    }
    const o = resolveOptions(options);
    this.dim = dim;
    this.smooth = o.smooth;
    this.innerIter = o.innerIter;
    this.stepType = o.stepType;
  }

  /** Throws core's `ImageTooSmallError` if an axis of a level is shorter than 2 voxels (image gradients need 2 samples). */
  checkLevelShapes(shapes: ReadonlyArray<ShapeOf<D>>): void {
    shapes.forEach((shape, level) => assertGradientShape('SSDMetric', shape as readonly number[], level));
  }

  /** Validates the inputs and returns the step object of this iteration (gradients are computed lazily). */
  prepare(inputs: MetricInputs<D>): MetricStep<D> {
    const dim = this.dim;
    const voxels = assertMetricInputs('SSDMetric', inputs, dim, (shape) => assertGradientShape('SSDMetric', shape));
    if (this.stepType === 'gaussNewton' && (!Number.isInteger(inputs.levelsBelow) || inputs.levelsBelow < 0)) {
      throw new InvalidArgumentError(`SSDMetric.prepare: levelsBelow (the V-cycle depth) must be a non-negative integer; got ${String(inputs.levelsBelow)}.`);
    }
    return new SSDStep(dim, { smooth: this.smooth, innerIter: this.innerIter, stepType: this.stepType }, inputs, voxels,
      this.borrow(voxels, inputs.context), (ws) => this.workspaces.giveBack(ws));
  }

  /**
   * Frees the buffers this metric keeps between iterations (about `(1 + d)·4` bytes
   * per voxel of the last grid; from the context's `allocFloat32`, so they go back to
   * a backend that owns them). SyN calls it when a registration ends; the next
   * `prepare` simply allocates them again. Steps not yet disposed keep theirs.
   */
  releaseBuffers(): void {
    this.workspaces.clear();
  }

  /** The cached workspace if it fits this grid and context (and no live step uses it); otherwise a new one. */
  private borrow(voxels: number, context: KernelContext): SSDWorkspace {
    const dim = this.dim;
    return this.workspaces.borrow(
      (ws) => ws.voxels === voxels && ws.dim === dim && ws.context === context,
      () => {
        const arrays = allocWorkspaceArrays(context, { delta: voxels, grad: voxels * dim });
        const vCycle = new VCycleScratch();
        const freeArrays = arrays.free;
        return Object.assign(arrays, {
          voxels, dim, context, vCycle,
          free(): void {
            freeArrays();
            vCycle.free();
          },
        });
      },
    );
  }
}

/**
 * Creates an {@link SSDMetric}: `ssdMetric(2)` is DIPY's `SSDMetric(2)` (demons,
 * smooth 4); `ssdMetric(3, { stepType: 'gaussNewton', innerIter: 5 })` the
 * Gauss-Newton variant.
 */
export function ssdMetric<D extends Dim>(dim: D, options?: SSDMetricOptions): SSDMetric<D> {
  return new SSDMetric(dim, options);
}
