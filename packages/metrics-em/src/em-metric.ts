/**
 * The expectation-maximisation similarity metric (DIPY 1.6's `EMMetric`;
 * Arce-Santana et al. 2014) for symmetric diffeomorphic registration of images
 * of different modalities.
 *
 * Maths. The unknown intensity map between the modalities is modelled as hidden
 * variables, one per intensity class. Each iteration, with `S`, `M` the static
 * and moving images on the reference grid:
 * 1. masks: `S₀ > 0` and `M₀ > 0` of the un-warped level images, warped onto the
 *    reference grid with nearest-neighbour sampling as the images were (or `S > 0`,
 *    `M > 0` when SyN gives no image dynamics); the sampling mask is their product;
 * 2. `S` is quantised into `q` classes (class 0: values ≤ 0; `q − 1` equal bins of
 *    the positive range); for each class `c`, `μ_S[c]`, `σ²_S[c]` are the mean and
 *    variance of `M` over the masked voxels of class `c` (`μ_S[0] = 0`; `σ² = +∞`
 *    for classes of fewer than 2 voxels). `E_S(x) = μ_S[class_S(x)]` is the expected
 *    moving intensity given the static one; likewise `E_M`, `σ²_M` from `M` and `S`;
 * 3. gradients `∇S`, `∇M` in world units; with `doubleGradient`, the voxel-unit
 *    `numpy.gradient` of `E_M` is added to `∇S` and that of `E_S` to `∇M` (as DIPY
 *    does: without spacing or rotation);
 * 4. steps:
 *    - `'demons'`: forward `u = σx²·δ·∇S/(σx²·|∇S|² + σ²_M)` with `δ = S − E_M`,
 *      backward the same with `δ = M − E_S`, `∇M`, `σ²_S`, where `σx² = Σ spacing²/d`;
 *      each component then smoothed by a Gaussian of `smooth` voxels; energy `Σ δ²`;
 *    - `'gaussNewton'`: forward `u` solves `(g gᵀ + σ²λ·Δ_h) u = δ·g` with
 *      `δ = E_S − M`, `g = ∇S`, `σ² = σ²_S`, `λ = smooth`, by one multigrid V-cycle of
 *      depth `levelsBelow` with `innerIter` Gauss-Seidel sweeps per level (Bruhn &
 *      Weickert 2005); backward with `δ = E_M − S`, `∇M`, `σ²_M`; energy `Σ f32(δ²)`.
 *
 * Note (DIPY's design, kept for bit-exactness): the Gauss-Newton `δ` is in the
 * other image's intensities but `g` is this image's gradient, so where the intensity
 * map between the modalities decreases the step points the wrong way; demons steps
 * compare intensities of one modality and do not have this problem.
 *
 * Frames and units. Gradients are `numpy.gradient` (float32) divided by the grid
 * spacing and rotated by the static image's direction: steps are in world units of
 * the reference grid, component `k` along array axis `k`. Smoothing sigmas are in
 * voxels of the current grid. Intensities need no common scale (each image is only
 * compared with class means of the other); values ≤ 0 are treated as background.
 */
import {
  WorkspaceCache,
  allocWorkspaceArrays,
  assertMetricInputs,
  assertStepOutput,
  metricGradient,
  stepDisposedError,
  DimensionError,
  assertGradientShape,
  InvalidArgumentError,
  NonFiniteError,
  ShapeMismatchError,
  type Dim,
  type ImageDynamics,
  type KernelContext,
  type MetricInputs,
  type MetricStep,
  type Shape2D,
  type Shape3D,
  type ShapeOf,
  type SimilarityMetric,
  checkOptionKeys,
} from '@diffeo/core';
import { VCycleScratch, vCycle2d, vCycle3d } from '@diffeo/metrics-ssd';

/** The two step types of {@link EMMetric}. */
export type EMStepType = 'demons' | 'gaussNewton';

/** The valid {@link EMStepType} values. */
export const EM_STEP_TYPES: readonly EMStepType[] = ['demons', 'gaussNewton'];

/** The largest accepted number of quantisation levels (the class tables are `qLevels` long). */
export const EM_MAX_Q_LEVELS = 65536;

/** Options of {@link EMMetric}; defaults are DIPY's. */
export interface EMMetricOptions {
  /**
   * Smoothness (default 1). Gauss-Newton: the regularisation weight `λ`. Demons: the
   * Gaussian sigma, in voxels of the current grid, applied to each step component.
   */
  smooth?: number;
  /** Gauss-Seidel sweeps before and after the coarse correction at every V-cycle level (Gauss-Newton only; default 5). */
  innerIter?: number;
  /** Number of quantisation levels, class 0 (values ≤ 0) included (default 256; integer in `[2, 65536]`). */
  qLevels?: number;
  /** Add the gradient of the other image's expected intensities to each image gradient (default true). */
  doubleGradient?: boolean;
  /** `'gaussNewton'` (default) or `'demons'`. */
  stepType?: EMStepType;
}

/** The options of an {@link EMMetric} after defaults are applied. */
export interface ResolvedEMMetricOptions {
  readonly smooth: number;
  readonly innerIter: number;
  readonly qLevels: number;
  readonly doubleGradient: boolean;
  readonly stepType: EMStepType;
}

const EXAMPLE = '{ smooth: 1, innerIter: 5, qLevels: 256, doubleGradient: true, stepType: "gaussNewton" }';

function resolveOptions(options: EMMetricOptions | undefined): ResolvedEMMetricOptions {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new InvalidArgumentError(`EMMetric options must be an object such as ${EXAMPLE}.`);
  }
  checkOptionKeys(options, ['smooth', 'innerIter', 'qLevels', 'doubleGradient', 'stepType'], 'EMMetric options');
  const smooth = options?.smooth ?? 1;
  const innerIter = options?.innerIter ?? 5;
  const qLevels = options?.qLevels ?? 256;
  const doubleGradient = options?.doubleGradient ?? true;
  const stepType = options?.stepType ?? 'gaussNewton';
  if (typeof smooth !== 'number') {
    throw new InvalidArgumentError(`EMMetric: smooth must be a number (default 1); got ${typeof smooth}.`);
  }
  if (!Number.isFinite(smooth)) {
    throw new NonFiniteError(`EMMetric: smooth must be finite; got ${smooth}. Use a value such as 1.`);
  }
  if (smooth < 0) {
    throw new InvalidArgumentError(`EMMetric: smooth must be non-negative; got ${smooth}. Use 0 for no smoothing/regularisation.`);
  }
  if (typeof innerIter !== 'number' || !Number.isInteger(innerIter) || innerIter < 0) {
    throw new InvalidArgumentError(`EMMetric: innerIter must be a non-negative integer (default 5); got ${String(innerIter)}.`);
  }
  if (typeof qLevels !== 'number' || !Number.isInteger(qLevels)) {
    throw new InvalidArgumentError(`EMMetric: qLevels must be an integer (default 256); got ${String(qLevels)}.`);
  }
  if (qLevels < 2) {
    throw new InvalidArgumentError(
      `EMMetric: qLevels must be at least 2 (class 0 holds the values <= 0, the positive values need at least one more); got ${qLevels}. Use 256, DIPY's default.`,
    );
  }
  if (qLevels > EM_MAX_Q_LEVELS) {
    throw new InvalidArgumentError(`EMMetric: qLevels = ${qLevels} is absurdly large (at most ${EM_MAX_Q_LEVELS}); use 256, DIPY's default.`);
  }
  if (typeof doubleGradient !== 'boolean') {
    throw new InvalidArgumentError(`EMMetric: doubleGradient must be true or false (default true); got ${String(doubleGradient)}.`);
  }
  if (!(EM_STEP_TYPES as readonly unknown[]).includes(stepType)) {
    const hint = (stepType as unknown) === 'gauss_newton' ? ' (DIPY\'s "gauss_newton" is spelled "gaussNewton" here)' : '';
    throw new InvalidArgumentError(
      `EMMetric: unknown stepType ${JSON.stringify(stepType)}${hint}; valid step types are ${EM_STEP_TYPES.map((s) => `"${s}"`).join(' and ')}.`,
    );
  }
  return { smooth, innerIter, qLevels, doubleGradient, stepType };
}

/**
 * The buffers of one iteration, all from the context's `allocFloat32` (so a backend's
 * kernels use them in place: with the wasm backend nothing is copied into or out of
 * its memory in an iteration); the int32 and byte arrays are views of float32 blocks.
 * An {@link EMMetric} keeps the last one for the next iteration on the same grid.
 *
 * Only one step's fields are held at a time: the iteration keeps the four class tables
 * (`q` values each) and each step rebuilds what it needs from them (the quantisation
 * is deterministic, so the classes are the same): the class labels go to an int32
 * view of `sigmaSq`, which the class-field kernel then overwrites in place with the
 * variances; `expected` receives `E[· | class]` and then, in place, the step's `δ`.
 * The gradient of the step's image (plus the double gradient's term, added in place)
 * goes, for a demons step, straight into the step's own output (the demons kernel
 * turns each voxel's gradient into its step in place), and for a Gauss-Newton step
 * into `grad`, which the V-cycle reads while it writes the output. 2 float32 values
 * per voxel for demons, `2 + d` (5 in 3D) for Gauss-Newton, and a byte of sampling
 * mask (the two warped image masks it is made of borrow `expected`), plus, with image
 * dynamics, a byte per voxel of each original image (its `> 0` mask, computed
 * once per dynamics object, i.e. once per level: a level's originals do not change);
 * Gauss-Newton steps add the V-cycle's coarse-level arrays (`VCycleScratch`, some 4.4
 * float32 values per voxel in 3D, 3.5 in 2D), kept for the next cycle.
 */
interface EMWorkspace {
  readonly voxels: number;
  readonly dim: number;
  readonly qLevels: number;
  readonly context: KernelContext;
  /** The step image's gradient (Gauss-Newton only: a demons step computes it in its output). */
  readonly grad: Float32Array | null;
  readonly expected: Float32Array;
  readonly sigmaSq: Float32Array;
  /** An int32 view of {@link sigmaSq}'s memory: the classes, before the variances replace them. */
  readonly labels: Int32Array;
  /** The sampling mask (1/0 bytes). */
  readonly mask: Uint8Array;
  /**
   * The static and the moving image masks on the reference grid (1/0 bytes): byte views of
   * {@link expected}'s memory (the first and second quarter), which holds nothing else
   * while the masks are made (at the start of an iteration's first step).
   */
  readonly imageMasks: readonly [Uint8Array, Uint8Array];
  /** Per image (static, moving): `original > 0` of the original it was computed from, or null. */
  readonly originalMasks: [OriginalMask | null, OriginalMask | null];
  readonly levels: Float32Array;
  readonly hist: Int32Array;
  readonly counts: Int32Array;
  /** Class tables of the static classes (`E[moving | static class]`, its variance) and of the moving classes. */
  readonly staticClassMeans: Float32Array;
  readonly staticClassVariances: Float32Array;
  readonly movingClassMeans: Float32Array;
  readonly movingClassVariances: Float32Array;
  /** The V-cycle's coarse-level arrays (Gauss-Newton; allocated by the first cycle). */
  readonly vCycle: VCycleScratch;
  free(): void;
}

/** `original > 0` of an image dynamics' original as 1/0 bytes (a view of `block`, from the context's `allocFloat32`). */
interface OriginalMask {
  readonly dynamics: ImageDynamics;
  readonly mask: Uint8Array;
  readonly block: Float32Array;
}

/** `n` bytes as a view of a float32 block from `context.allocFloat32` (pushed onto `blocks`). */
function byteView(context: KernelContext, n: number, blocks: Float32Array[]): Uint8Array {
  const b = context.allocFloat32(Math.max(1, Math.ceil(n / 4)));
  blocks.push(b);
  return new Uint8Array(b.buffer, b.byteOffset, n);
}

/** `n` int32 values as a view of a float32 block from `context.allocFloat32` (pushed onto `blocks`). */
function int32View(context: KernelContext, n: number, blocks: Float32Array[]): Int32Array {
  const b = context.allocFloat32(n);
  blocks.push(b);
  return new Int32Array(b.buffer, b.byteOffset, n);
}

/**
 * `out` = `image > 0` (1/0 bytes) of the un-warped level image, warped like the image
 * (nearest neighbour); `image > 0` of the warped image without dynamics. The mask of
 * the original is computed once per original array (`ws.originalMasks[which]`).
 */
function imageMask(out: Uint8Array, warped: Float32Array, dynamics: ImageDynamics | undefined, ws: EMWorkspace,
  which: 0 | 1, ctx: KernelContext): void {
  const positive = ctx.kernel('positiveMask');
  if (dynamics === undefined) {
    positive(out, warped);
    return;
  }
  let m0 = ws.originalMasks[which];
  if (m0 === null || m0.dynamics !== dynamics) {
    if (m0 !== null) ws.context.freeFloat32(m0.block);
    ws.originalMasks[which] = null;
    // (read once per dynamics object, that is once per level: SyN may compute it anew on each read)
    const original = dynamics.original.data;
    const blocks: Float32Array[] = [];
    const mask = byteView(ws.context, original.length, blocks);
    positive(mask, original as Float32Array);
    m0 = { dynamics, mask, block: blocks[0] };
    ws.originalMasks[which] = m0;
  }
  const w = dynamics.warpToReference(m0.mask, 'nearest', out);
  if (w.length !== out.length) {
    throw new ShapeMismatchError(`EMMetric.prepare: the ${which === 0 ? 'static' : 'moving'} image dynamics warped a mask to ${w.length} voxels; the reference grid has ${out.length}.`);
  }
  // (an ImageDynamics that ignores `out` returns its own array)
  if (w !== out) out.set(w as ArrayLike<number>);
}

/** Masking (SyN's masks): δ = 0 where `mask` is 0, so neither the energy nor the step sees data there. */
function zeroOutsideMask(delta: Float32Array, mask: Uint8Array | null): void {
  if (mask === null) return;
  for (let i = 0; i < delta.length; i++) if (mask[i] === 0) delta[i] = 0;
}

/** Per-iteration state of {@link EMMetric}: class statistics and gradients, computed on the first step. */
class EMStep<D extends Dim> implements MetricStep<D> {
  readonly dim: D;
  private readonly opts: ResolvedEMMetricOptions;
  private readonly shape: Shape2D | Shape3D;
  private staticImage: Float32Array | null;
  private movingImage: Float32Array | null;
  private staticDynamics: ImageDynamics | undefined;
  private movingDynamics: ImageDynamics | undefined;
  private readonly spacing: Float64Array;
  private readonly direction: Float64Array;
  private readonly levelsBelow: number;
  /** The midpoint mask (1 inside) when SyN was given masks; δ is zeroed outside it. */
  private readonly mask: Uint8Array | null;
  private readonly context: KernelContext;
  private readonly voxels: number;
  private ws: EMWorkspace | null;
  private ready = false;
  private readonly giveBack: (ws: EMWorkspace) => void;

  constructor(dim: D, opts: ResolvedEMMetricOptions, inputs: MetricInputs<D>, voxels: number, ws: EMWorkspace,
    giveBack: (ws: EMWorkspace) => void) {
    this.dim = dim;
    this.opts = opts;
    this.shape = inputs.shape as Shape2D | Shape3D;
    this.staticImage = inputs.static;
    this.movingImage = inputs.moving;
    this.staticDynamics = inputs.staticDynamics as ImageDynamics | undefined;
    this.movingDynamics = inputs.movingDynamics as ImageDynamics | undefined;
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
    this.staticDynamics = undefined;
    this.movingDynamics = undefined;
    this.ws = null;
    this.ready = false;
    if (ws !== null) this.giveBack(ws);
  }

  /**
   * DIPY's `initialize_iteration`, first part: the sampling mask and the class tables of
   * both images (`E[moving | static class]` and its variance, and the converse).
   */
  private initialize(ws: EMWorkspace, S: Float32Array, M: Float32Array): void {
    const n = this.voxels;
    const q = this.opts.qLevels;
    const ctx = this.context;
    const [sMask, mMask] = ws.imageMasks;
    imageMask(sMask, S, this.staticDynamics, ws, 0, ctx);
    imageMask(mMask, M, this.movingDynamics, ws, 1, ctx);
    const mask = ws.mask;
    // DIPY's int32 product of two 0/1 masks, as bytes
    for (let i = 0; i < n; i++) mask[i] = sMask[i] !== 0 && mMask[i] !== 0 ? 1 : 0;
    const quantize = ctx.kernel('quantizePositive');
    const stats = ctx.kernel('maskedClassStats');
    quantize(ws.labels, ws.levels, ws.hist, S, q);
    stats(ws.staticClassMeans, ws.staticClassVariances, ws.counts, mask, M, ws.labels, q);
    ws.staticClassMeans[0] = 0;
    quantize(ws.labels, ws.levels, ws.hist, M, q);
    stats(ws.movingClassMeans, ws.movingClassVariances, ws.counts, mask, S, ws.labels, q);
    ws.movingClassMeans[0] = 0;
  }

  /**
   * `ws.expected = E[other | class of image]` and `ws.sigmaSq` its variance, per voxel
   * (DIPY's `staticq_means_field`/`staticq_sigma_sq_field` for `image = S`, the
   * `movingq_…` ones for `M`).
   */
  private classFields(ws: EMWorkspace, image: Float32Array, ofStatic: boolean): void {
    const ctx = this.context;
    ctx.kernel('quantizePositive')(ws.labels, ws.levels, ws.hist, image, this.opts.qLevels);
    ctx.kernel('emClassFields')(ws.expected, ws.sigmaSq, ws.labels,
      ofStatic ? ws.staticClassMeans : ws.movingClassMeans, ofStatic ? ws.staticClassVariances : ws.movingClassVariances);
  }

  /**
   * `grad` = the world-unit gradient of `image`, plus, with `doubleGradient`, the
   * voxel-unit `numpy.gradient` of `ws.expected` (added in place, float32, by the
   * `numpyGradientAdd` kernel: no scratch field).
   */
  private gradient(ws: EMWorkspace, grad: Float32Array, image: Float32Array, withExpected: boolean): void {
    const ctx = this.context;
    metricGradient(grad, image, this.shape, this.dim, this.spacing, this.direction, ctx);
    if (withExpected) ctx.kernel('numpyGradientAdd')(grad, ws.expected, this.shape);
  }

  private step(out: Float32Array, forward: boolean): number {
    const which = forward ? 'forward' : 'backward';
    const ws = this.ws;
    const S = this.staticImage;
    const M = this.movingImage;
    if (ws === null || S === null || M === null) throw stepDisposedError('EMMetric', which);
    const dim = this.dim;
    assertStepOutput('EMMetric', which, out, this.voxels, dim);
    if (!this.ready) {
      this.initialize(ws, S, M);
      this.ready = true;
    }
    const ctx = this.context;
    const subtract = ctx.kernel('subtractFloat32');
    const double = this.opts.doubleGradient;
    // this step's image and the other one
    const image = forward ? S : M;
    const other = forward ? M : S;
    if (this.opts.stepType === 'demons') {
      // forward: δ = S − E[S | moving class], σ²_M, g = ∇S (+ ∇E[S | moving class]); backward the converse
      this.classFields(ws, other, !forward);
      // g goes straight into `out`: the demons kernel reads a voxel's g before it writes the step there
      this.gradient(ws, out, image, double);
      subtract(ws.expected, image, ws.expected);
      zeroOutsideMask(ws.expected, this.mask);
      let sq = 0;
      for (let k = 0; k < dim; k++) sq += this.spacing[k] * this.spacing[k];
      const sigmaSqX = sq / dim;
      const energy = dim === 2
        ? ctx.kernel('emDemonsStep2d')(out, ws.expected, ws.sigmaSq, out, this.shape as Shape2D, sigmaSqX)
        : ctx.kernel('emDemonsStep3d')(out, ws.expected, ws.sigmaSq, out, this.shape as Shape3D, sigmaSqX);
      const s = this.opts.smooth;
      ctx.kernel('gaussianFilter')(out, out, this.shape, dim, dim === 2 ? [s, s] : [s, s, s]);
      return energy;
    }
    // forward: δ = E[M | static class] − M, σ²_S, g = ∇S (+ ∇E[S | moving class]); backward the converse
    const grad = ws.grad;
    if (grad === null) throw new Error('EMMetric: internal error, a Gauss-Newton step without its gradient buffer.');
    if (double) this.classFields(ws, other, !forward);
    this.gradient(ws, grad, image, double);
    this.classFields(ws, image, forward);
    subtract(ws.expected, ws.expected, other);
    zeroOutsideMask(ws.expected, this.mask);
    out.fill(0);
    return dim === 2
      ? vCycle2d(this.levelsBelow, this.opts.innerIter, ws.expected, ws.sigmaSq, grad, null, this.opts.smooth, out, this.shape as Shape2D, ctx, ws.vCycle)
      : vCycle3d(this.levelsBelow, this.opts.innerIter, ws.expected, ws.sigmaSq, grad, null, this.opts.smooth, out, this.shape as Shape3D, ctx, ws.vCycle);
  }
}

/**
 * Expectation-maximisation metric for multimodal registration (DIPY's
 * `EMMetric(dim, smooth=1.0, inner_iter=5, q_levels=256, double_gradient=True,
 * step_type='gauss_newton')`). Voxels with intensity ≤ 0 are background. See the
 * module documentation for the maths, frames and units.
 */
export class EMMetric<D extends Dim = Dim> implements SimilarityMetric<D> {
  /** Spatial dimension, 2 or 3. */
  readonly dim: D;
  /** `"EM"`. */
  readonly name = 'EM';
  /** Always `false`: as in DIPY, the masks come from the image dynamics, not from the pyramid. */
  readonly mask0 = false;
  /** True: with a midpoint mask (SyN's `staticMask`/`movingMask`), δ is zeroed outside it, so the energy `Σ δ²` and the step see only voxels inside. */
  readonly supportsMask = true;
  /** Gauss-Newton: regularisation weight `λ`; demons: Gaussian sigma of the step smoothing (voxels). */
  readonly smooth: number;
  /** Gauss-Seidel sweeps per V-cycle level (Gauss-Newton only). */
  readonly innerIter: number;
  /** Quantisation levels (classes), class 0 included. */
  readonly qLevels: number;
  /** Whether the expected-intensity gradients are added to the image gradients. */
  readonly doubleGradient: boolean;
  /** `'gaussNewton'` or `'demons'`. */
  readonly stepType: EMStepType;
  private readonly workspaces = new WorkspaceCache<EMWorkspace>((ws) => ws.free());

  /**
   * @param dim - 2 or 3 (else {@link DimensionError}).
   * @param options - see {@link EMMetricOptions}; invalid values throw
   *   {@link InvalidArgumentError} / {@link NonFiniteError}.
   */
  constructor(dim: D, options?: EMMetricOptions) {
    if (dim !== 2 && dim !== 3) {
      throw new DimensionError(`EMMetric is defined for 2D and 3D images only; got dim = ${String(dim)}. Pass 2 or 3.`);
    }
    const o = resolveOptions(options);
    this.dim = dim;
    this.smooth = o.smooth;
    this.innerIter = o.innerIter;
    this.qLevels = o.qLevels;
    this.doubleGradient = o.doubleGradient;
    this.stepType = o.stepType;
  }

  /** Throws core's `ImageTooSmallError` if an axis of a level is shorter than 2 voxels (image gradients need 2 samples). */
  checkLevelShapes(shapes: ReadonlyArray<ShapeOf<D>>): void {
    shapes.forEach((shape, level) => assertGradientShape('EMMetric', shape as readonly number[], level));
  }

  /** Validates the inputs and returns the step object of this iteration (statistics and gradients are computed on the first step). */
  prepare(inputs: MetricInputs<D>): MetricStep<D> {
    const dim = this.dim;
    const voxels = assertMetricInputs('EMMetric', inputs, dim, (shape) => assertGradientShape('EMMetric', shape));
    if (this.stepType === 'gaussNewton' && (!Number.isInteger(inputs.levelsBelow) || inputs.levelsBelow < 0)) {
      throw new InvalidArgumentError(`EMMetric.prepare: levelsBelow (the V-cycle depth) must be a non-negative integer; got ${String(inputs.levelsBelow)}.`);
    }
    for (const [name, dyn] of [['staticDynamics', inputs.staticDynamics], ['movingDynamics', inputs.movingDynamics]] as const) {
      if (dyn !== undefined && (dyn === null || typeof dyn.warpToReference !== 'function' || !('original' in dyn))) {
        throw new InvalidArgumentError(`EMMetric.prepare: inputs.${name} must be an ImageDynamics ({ original, warpToReference }) or absent.`);
      }
    }
    const opts: ResolvedEMMetricOptions = {
      smooth: this.smooth, innerIter: this.innerIter, qLevels: this.qLevels, doubleGradient: this.doubleGradient, stepType: this.stepType,
    };
    return new EMStep(dim, opts, inputs, voxels, this.borrow(voxels, inputs.context), (ws) => this.workspaces.giveBack(ws));
  }

  /**
   * Frees the buffers this metric keeps between iterations (about `2·4 + 1` bytes per
   * voxel of the last grid for demons, `(2 + d)·4 + 1` for Gauss-Newton plus some 18
   * more in 3D for the V-cycle, and with image dynamics a byte per voxel of each original image). SyN calls it when a level and a registration end.
   */
  releaseBuffers(): void {
    this.workspaces.clear();
  }

  private borrow(voxels: number, context: KernelContext): EMWorkspace {
    const dim = this.dim;
    const q = this.qLevels;
    const withGrad = this.stepType === 'gaussNewton';
    return this.workspaces.borrow(
      (ws) => ws.voxels === voxels && ws.dim === dim && ws.qLevels === q && ws.context === context && (ws.grad !== null) === withGrad,
      () => {
        const arrays = allocWorkspaceArrays(context, {
          expected: voxels, sigmaSq: voxels,
          levels: q, staticClassMeans: q, staticClassVariances: q, movingClassMeans: q, movingClassVariances: q,
        });
        const blocks: Float32Array[] = [];
        const b = arrays.sigmaSq;
        const originalMasks: [OriginalMask | null, OriginalMask | null] = [null, null];
        const freeArrays = arrays.free;
        const vCycle = new VCycleScratch();
        let grad: Float32Array | null = null;
        if (withGrad) {
          grad = context.allocFloat32(voxels * dim);
          blocks.push(grad);
        }
        return Object.assign(arrays, {
          voxels, dim, qLevels: q, context, vCycle, grad,
          labels: new Int32Array(b.buffer, b.byteOffset, voxels),
          mask: byteView(context, voxels, blocks),
          imageMasks: [
            new Uint8Array(arrays.expected.buffer, arrays.expected.byteOffset, voxels),
            new Uint8Array(arrays.expected.buffer, arrays.expected.byteOffset + voxels, voxels),
          ] as const,
          originalMasks,
          hist: int32View(context, q, blocks), counts: int32View(context, q, blocks),
          free(): void {
            freeArrays();
            for (const a of blocks) context.freeFloat32(a);
            for (const m of originalMasks) if (m !== null) context.freeFloat32(m.block);
            originalMasks[0] = originalMasks[1] = null;
            vCycle.free();
          },
        });
      },
    );
  }
}

/**
 * Creates an {@link EMMetric}: `emMetric(2)` is DIPY's `EMMetric(2)` (Gauss-Newton,
 * smooth 1, 5 sweeps, 256 levels, double gradient); `emMetric(3, { stepType: 'demons',
 * smooth: 1.5, qLevels: 64 })` the demons variant.
 */
export function emMetric<D extends Dim>(dim: D, options?: EMMetricOptions): EMMetric<D> {
  return new EMMetric(dim, options);
}
