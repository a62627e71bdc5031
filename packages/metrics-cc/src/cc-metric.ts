/**
 * The local normalised cross-correlation similarity metric (DIPY 1.6's
 * `CCMetric`, ALGORITHM.md §5.2) for symmetric diffeomorphic registration.
 *
 * Maths. With `I`, `J` the static and moving images warped onto the reference
 * grid, every voxel `x` has a `(2r+1)^d` window (clipped at the borders) and the
 * local correlation `cc(x) = F2² / (F3·F4)`, where `F2 = Σ(I−Ī)(J−J̄)`,
 * `F3 = Σ(I−Ī)²`, `F4 = Σ(J−J̄)²` over the window (Ī, J̄ window means). The
 * energy is `E = −Σ cc(x)` over the voxels at least `r` from every border.
 * Each iteration the metric returns two steps (Avants et al. 2008):
 * - forward (moves the moving image towards the static one):
 *   `u = −2·F2/(F3·F4)·(J−J̄ − F2/F3·(I−Ī))·∇I`;
 * - backward (moves the static image towards the moving one):
 *   `v = −2·F2/(F3·F4)·(I−Ī − F2/F4·(J−J̄))·∇J`;
 * zero in a band of width `r`, then each component is smoothed with a Gaussian
 * of `sigmaDiff` voxels (scipy's `gaussian_filter`, reflect mode).
 *
 * Frames and units. Gradients are `numpy.gradient` (voxel units, float32
 * arithmetic) divided by the grid spacing and rotated by the static image's
 * direction (both images' gradients use it, as in DIPY's SyN), so the steps are
 * in world units of the reference grid, component `k` along array axis `k`.
 * `radius` and `sigmaDiff` are in voxels of the current grid. The energy is
 * dimensionless (a sum of squared correlations) and the same value is returned
 * by `forward` and `backward`.
 */
import {
  metricGradient,
  DiffeoError,
  DimensionError,
  ImageTooSmallError,
  InvalidArgumentError,
  NonFiniteError,
  ShapeMismatchError,
  type Dim,
  type KernelContext,
  type MetricInputs,
  type MetricStep,
  type Shape2D,
  type Shape3D,
  type ShapeOf,
  type SimilarityMetric,
} from '@diffeo/core';

/** Options of {@link CCMetric}; defaults are DIPY's. */
export interface CCMetricOptions {
  /** Gaussian sigma (voxels of the current grid) applied to each step component; 0 disables smoothing. Default 2. */
  sigmaDiff?: number;
  /** Radius of the correlation window in voxels (window side `2·radius+1`). Default 4. */
  radius?: number;
}

/** The options of a {@link CCMetric} after defaults are applied. */
export interface ResolvedCCMetricOptions {
  readonly sigmaDiff: number;
  readonly radius: number;
}

function resolveOptions(options: CCMetricOptions | undefined): ResolvedCCMetricOptions {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new InvalidArgumentError('CCMetric options must be an object such as { sigmaDiff: 2, radius: 4 }.');
  }
  const sigmaDiff = options?.sigmaDiff ?? 2;
  const radius = options?.radius ?? 4;
  if (typeof sigmaDiff !== 'number') {
    throw new InvalidArgumentError(`CCMetric: sigmaDiff must be a number (default 2); got ${typeof sigmaDiff}.`);
  }
  if (!Number.isFinite(sigmaDiff)) {
    throw new NonFiniteError(`CCMetric: sigmaDiff must be finite; got ${sigmaDiff}. Use a value such as 2 (voxels), or 0 for no smoothing.`);
  }
  if (sigmaDiff < 0) {
    throw new InvalidArgumentError(`CCMetric: sigmaDiff must be non-negative; got ${sigmaDiff}. Use 0 for no smoothing.`);
  }
  if (typeof radius !== 'number' || !Number.isInteger(radius) || radius < 0) {
    throw new InvalidArgumentError(
      `CCMetric: radius must be a non-negative integer number of voxels (default 4); got ${String(radius)}.`,
    );
  }
  return { sigmaDiff, radius };
}

function tooSmallMessage(radius: number, shape: readonly number[], where: string): string {
  const min = 2 * radius + 1;
  return `CCMetric(radius = ${radius}) needs at least 2·radius+1 = ${min} voxels along every axis, but ${where} has shape [${shape.join(', ')}]. `
    + 'Use fewer pyramid levels (a shorter levelIters) so the coarsest level stays large enough, or a smaller radius.';
}


function firstNonFinite(a: Float32Array): number {
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) return i;
  }
  return -1;
}

/** Per-iteration state of {@link CCMetric}: the factors, the gradients (computed on first use). */
class CCStep<D extends Dim> implements MetricStep<D> {
  readonly dim: D;
  private readonly opts: ResolvedCCMetricOptions;
  private readonly shape: Shape2D | Shape3D;
  private staticImage: Float32Array | null;
  private movingImage: Float32Array | null;
  private factors: Float32Array | null;
  private gradStatic: Float32Array | null = null;
  private gradMoving: Float32Array | null = null;
  private readonly spacing: Float64Array;
  private readonly direction: Float64Array;
  private readonly context: KernelContext;
  private readonly voxels: number;

  constructor(dim: D, opts: ResolvedCCMetricOptions, inputs: MetricInputs<D>, voxels: number) {
    this.dim = dim;
    this.opts = opts;
    this.shape = inputs.shape as Shape2D | Shape3D;
    this.staticImage = inputs.static;
    this.movingImage = inputs.moving;
    this.spacing = inputs.spacing;
    this.direction = inputs.direction;
    this.context = inputs.context;
    this.voxels = voxels;
    const factors = new Float32Array(voxels * 5);
    if (dim === 2) {
      this.context.kernel('ccFactors2d')(factors, inputs.static, inputs.moving, this.shape as Shape2D, opts.radius);
    } else {
      this.context.kernel('ccFactors3d')(factors, inputs.static, inputs.moving, this.shape as Shape3D, opts.radius);
    }
    this.factors = factors;
  }

  forward(out: Float32Array): number {
    return this.step(out, true);
  }

  backward(out: Float32Array): number {
    return this.step(out, false);
  }

  dispose(): void {
    this.staticImage = null;
    this.movingImage = null;
    this.factors = null;
    this.gradStatic = null;
    this.gradMoving = null;
  }

  private step(out: Float32Array, forward: boolean): number {
    const which = forward ? 'forward' : 'backward';
    const factors = this.factors;
    if (factors === null || this.staticImage === null || this.movingImage === null) {
      throw new DiffeoError('NOT_READY', `CCMetric: ${which}() called after dispose(); call metric.prepare(inputs) again for a new iteration.`);
    }
    const dim = this.dim;
    if (!(out instanceof Float32Array) || out.length !== this.voxels * dim) {
      throw new ShapeMismatchError(
        `CCMetric.${which}: out must be a Float32Array of ${this.voxels * dim} values (${this.voxels} voxels × ${dim} components); got ${out instanceof Float32Array ? out.length : typeof out}.`,
      );
    }
    const ctx = this.context;
    let grad: Float32Array;
    if (forward) {
      if (this.gradStatic === null) {
        this.gradStatic = new Float32Array(this.voxels * dim);
        metricGradient(this.gradStatic, this.staticImage, this.shape, dim, this.spacing, this.direction, ctx);
      }
      grad = this.gradStatic;
    } else {
      if (this.gradMoving === null) {
        this.gradMoving = new Float32Array(this.voxels * dim);
        metricGradient(this.gradMoving, this.movingImage, this.shape, dim, this.spacing, this.direction, ctx);
      }
      grad = this.gradMoving;
    }
    const r = this.opts.radius;
    let energy: number;
    if (dim === 2) {
      const shape = this.shape as Shape2D;
      energy = forward
        ? ctx.kernel('ccForwardStep2d')(out, grad, factors, shape, r)
        : ctx.kernel('ccBackwardStep2d')(out, grad, factors, shape, r);
    } else {
      const shape = this.shape as Shape3D;
      energy = forward
        ? ctx.kernel('ccForwardStep3d')(out, grad, factors, shape, r)
        : ctx.kernel('ccBackwardStep3d')(out, grad, factors, shape, r);
    }
    const s = this.opts.sigmaDiff;
    ctx.kernel('gaussianFilter')(out, out, this.shape, dim, dim === 2 ? [s, s] : [s, s, s]);
    return energy;
  }
}

/**
 * Local normalised cross-correlation metric for {@link SimilarityMetric}-driven
 * registration (DIPY's `CCMetric(dim, sigma_diff=2.0, radius=4)`). Robust to
 * smooth intensity differences between the images (same modality, different
 * contrast or bias). See the module documentation for the maths, frames and units.
 */
export class CCMetric<D extends Dim = Dim> implements SimilarityMetric<D> {
  /** Spatial dimension, 2 or 3. */
  readonly dim: D;
  /** `"CC"`. */
  readonly name = 'CC';
  /** Always `false`: CC does not mask the pyramid. */
  readonly mask0 = false;
  /** Gaussian sigma (voxels) of the step smoothing; 0 disables it. */
  readonly sigmaDiff: number;
  /** Window radius (voxels). */
  readonly radius: number;

  /**
   * @param dim - 2 or 3 (else {@link DimensionError}).
   * @param options - see {@link CCMetricOptions}; a negative or non-integer radius,
   *   or a negative sigmaDiff, throws {@link InvalidArgumentError}; a non-finite
   *   sigmaDiff throws {@link NonFiniteError}.
   */
  constructor(dim: D, options?: CCMetricOptions) {
    if (dim !== 2 && dim !== 3) {
      throw new DimensionError(`CCMetric is defined for 2D and 3D images only; got dim = ${String(dim)}. Pass 2 or 3.`);
    }
    const o = resolveOptions(options);
    this.dim = dim;
    this.sigmaDiff = o.sigmaDiff;
    this.radius = o.radius;
  }

  /**
   * Early check of the reference-grid shapes of all pyramid levels (finest first):
   * throws {@link ImageTooSmallError} naming the level if an axis is shorter than
   * `2·radius+1` voxels (or than 2, which image gradients need).
   */
  checkLevelShapes(shapes: ReadonlyArray<ShapeOf<D>>): void {
    shapes.forEach((shape, level) => {
      const s = shape as readonly number[];
      this.checkShape(s, `pyramid level ${level}`);
    });
  }

  /**
   * Validates the inputs, computes the local correlation factors and returns the
   * step object of this iteration (gradients are computed on first use).
   * @throws {ImageTooSmallError} when an axis of the grid is shorter than `2·radius+1`.
   * @throws {NonFiniteError} when an image holds NaN or ±Infinity.
   * @throws {ShapeMismatchError} / {@link DimensionError} / {@link InvalidArgumentError} for malformed inputs.
   */
  prepare(inputs: MetricInputs<D>): MetricStep<D> {
    const dim = this.dim;
    if (!inputs || typeof inputs !== 'object') {
      throw new InvalidArgumentError('CCMetric.prepare needs a MetricInputs object.');
    }
    if (inputs.dim !== dim) {
      throw new DimensionError(`CCMetric was created for ${dim}D images but received ${String(inputs.dim)}D inputs.`);
    }
    const shape = inputs.shape as readonly number[];
    if (!shape || shape.length !== dim || shape.some((n) => !Number.isInteger(n) || n < 1)) {
      throw new ShapeMismatchError(`CCMetric.prepare: shape must hold ${dim} positive integers; got ${shape ? `[${Array.from(shape).join(', ')}]` : String(shape)}.`);
    }
    this.checkShape(shape, typeof inputs.level === 'number' ? `pyramid level ${inputs.level}` : 'the reference grid');
    let voxels = 1;
    for (const n of shape) voxels *= n;
    for (const [name, img] of [['static', inputs.static], ['moving', inputs.moving]] as const) {
      if (!(img instanceof Float32Array) || img.length !== voxels) {
        throw new ShapeMismatchError(
          `CCMetric.prepare: the ${name} image must be a Float32Array of ${voxels} values for shape [${shape.join(', ')}]; got ${img instanceof Float32Array ? `${img.length} values` : typeof img}.`,
        );
      }
      const bad = firstNonFinite(img);
      if (bad >= 0) {
        throw new NonFiniteError(
          `CCMetric.prepare: the warped ${name} image holds a non-finite value (${img[bad]}) at flat index ${bad}; replace NaN/Infinity in the input images (for example with 0) before registering.`,
        );
      }
    }
    if (!(inputs.spacing instanceof Float64Array) || inputs.spacing.length !== dim ||
      Array.from(inputs.spacing).some((s) => !(s > 0) || !Number.isFinite(s))) {
      throw new InvalidArgumentError(`CCMetric.prepare: spacing must be a Float64Array of ${dim} positive finite voxel sizes.`);
    }
    if (!(inputs.direction instanceof Float64Array) || inputs.direction.length !== (dim + 1) * (dim + 1)) {
      throw new InvalidArgumentError(`CCMetric.prepare: direction must be a ${dim + 1}x${dim + 1} row-major Float64Array.`);
    }
    if (!inputs.context || typeof inputs.context.kernel !== 'function') {
      throw new InvalidArgumentError('CCMetric.prepare: inputs.context must be a KernelContext.');
    }
    return new CCStep(dim, { sigmaDiff: this.sigmaDiff, radius: this.radius }, inputs, voxels);
  }

  private checkShape(shape: readonly number[], where: string): void {
    const min = Math.max(2 * this.radius + 1, 2);
    if (shape.some((n) => n < min)) {
      throw new ImageTooSmallError(
        min > 2 * this.radius + 1
          ? `CCMetric needs at least 2 voxels along every axis to take image gradients, but ${where} has shape [${shape.join(', ')}]. Use fewer pyramid levels (a shorter levelIters) or larger images.`
          : tooSmallMessage(this.radius, shape, where),
      );
    }
  }
}

/**
 * Creates a {@link CCMetric}: `ccMetric(2)` is DIPY's `CCMetric(2)` (sigmaDiff 2,
 * radius 4); `ccMetric(3, { sigmaDiff: 3, radius: 2 })` a 3D metric with a 5³ window.
 */
export function ccMetric<D extends Dim>(dim: D, options?: CCMetricOptions): CCMetric<D> {
  return new CCMetric(dim, options);
}
