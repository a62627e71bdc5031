/**
 * The mutual-information similarity metric for the deformable (SyN) stage, after
 * DIPY's 2026 `MIMetric` (dipy/dipy PR #4067; DIPY 1.6 has none): a Parzen-window
 * joint histogram per direction and a dense MI update, for images of different
 * modalities whose intensities relate by any (even non-monotonic) map.
 *
 * Maths. With `S`, `M` the static and moving images on the reference grid (`N` voxels):
 * - forward: the joint pdf `P` of `(S, M)` with `S` binned by truncation and `M` through
 *   the cubic B-spline window (core's `miJointPdf`); energy `E = −MI(P)`;
 *   per voxel `∂MI/∂M(x) = −(1/(N·δ_M)) Σ_j β'(j − t_M(x)) · log(P_{r(x) j}/P_M,j)`, and
 *   the step is `u(x) = ∂MI/∂M(x) · ∇M(x) = −∂E/∂u(x)`: warping the moving image by
 *   `x + ε·u` raises MI to first order;
 * - backward: the same with the roles swapped (the "backward" histogram, `M` binned by
 *   truncation and `S` through the window), `v(x) = ∂MI/∂S(x) · ∇S(x)`, energy `−MI` of
 *   that histogram;
 * - each component of the step is then smoothed by a Gaussian of `smooth` voxels (as
 *   DIPY's demons-type steps are); SyN divides it by its largest norm.
 *
 * Frames and units. Gradients are `numpy.gradient` divided by the spacing and rotated
 * by the static direction (core's `metricGradient`): steps are in world units per
 * intensity² of the reference grid, component `k` along array axis `k`; only their
 * direction matters to SyN. Smoothing sigmas are in voxels of the current grid.
 * Intensities need no common scale; every voxel is used (no background mask).
 */
import {
  WorkspaceCache,
  allocWorkspaceArrays,
  assertMetricInputs,
  assertStepOutput,
  checkOptionKeys,
  metricGradient,
  parzenBinning,
  stepDisposedError,
  DimensionError,
  EmptyImageError,
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
} from '@diffeo/core';

/** The smallest accepted number of bins (2 padding bins on each side plus one). */
export const MI_MIN_NBINS = 5;
/** The largest accepted number of bins (the joint histogram holds `nbins²` float64 values: 8 MB at 1024). */
export const MI_MAX_NBINS = 1024;

/** Options of {@link MIMetric}. */
export interface MIMetricOptions {
  /** Histogram bins per image, an integer in `[5, 1024]` (default 32, as DIPY's affine MI). */
  nbins?: number;
  /** Gaussian sigma applied to each step component, voxels of the current grid (default 2; 0 = none). */
  smooth?: number;
}

/** The options of an {@link MIMetric} after defaults are applied. */
export interface ResolvedMIMetricOptions {
  readonly nbins: number;
  readonly smooth: number;
}

/** Option names of {@link MIMetricOptions}. */
export const MI_OPTION_KEYS: readonly (keyof MIMetricOptions)[] = ['nbins', 'smooth'];

function resolveOptions(options: MIMetricOptions | undefined): ResolvedMIMetricOptions {
  checkOptionKeys(options, MI_OPTION_KEYS, 'MIMetric options');
  const nbins = options?.nbins ?? 32;
  const smooth = options?.smooth ?? 2;
  if (typeof nbins !== 'number' || !Number.isInteger(nbins)) {
    throw new InvalidArgumentError(`MIMetric: nbins must be an integer (default 32); got ${String(nbins)}.`);
  }
  if (nbins < MI_MIN_NBINS) {
    throw new InvalidArgumentError(
      `MIMetric: nbins must be at least ${MI_MIN_NBINS} (2 padding bins on each side of the intensity range plus one); got ${nbins}. Use 32.`,
    );
  }
  if (nbins > MI_MAX_NBINS) {
    throw new InvalidArgumentError(`MIMetric: nbins = ${nbins} is absurdly large (at most ${MI_MAX_NBINS}); use 32 to 64.`);
  }
  if (typeof smooth !== 'number') {
    throw new InvalidArgumentError(`MIMetric: smooth must be a number (default 2); got ${typeof smooth}.`);
  }
  if (!Number.isFinite(smooth)) throw new NonFiniteError(`MIMetric: smooth must be finite; got ${smooth}. Use a value such as 2.`);
  if (smooth < 0) throw new InvalidArgumentError(`MIMetric: smooth must be non-negative; got ${smooth}. Use 0 for no smoothing.`);
  return { nbins, smooth };
}

const EPSILON = 2.220446049250313e-16;

/** Per-iteration buffers; an {@link MIMetric} keeps the last one for the next iteration on the same grid. */
interface MIWorkspace {
  readonly voxels: number;
  readonly dim: number;
  readonly nbins: number;
  readonly context: KernelContext;
  readonly gradient: Float32Array;
  readonly joint: Float64Array;
  readonly rowMarginal: Float64Array;
  readonly colMarginal: Float64Array;
  readonly logRatio: Float64Array;
  free(): void;
}

/** `[min, max]` of a float32 image. */
function range(a: Float32Array): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/**
 * `L_ij = log(P_ij / Pc_j)` where `P_ij ≥ ε` and `Pc_j ≥ ε` (else 0) and the mutual
 * information `Σ P_ij (L_ij − log Pr_i)` over cells with `Pr_i > ε` too.
 */
function logRatioAndMI(ws: MIWorkspace): number {
  const B = ws.nbins, P = ws.joint, Pr = ws.rowMarginal, Pc = ws.colMarginal, L = ws.logRatio;
  let mi = 0;
  for (let i = 0; i < B; i++) {
    const logPr = Pr[i] > EPSILON ? Math.log(Pr[i]) : 0;
    for (let j = 0; j < B; j++) {
      const p = P[i * B + j];
      if (p < EPSILON || Pc[j] < EPSILON) {
        L[i * B + j] = 0;
        continue;
      }
      const l = Math.log(p / Pc[j]);
      L[i * B + j] = l;
      if (Pr[i] > EPSILON) mi += p * (l - logPr);
    }
  }
  return mi;
}

/** Per-iteration state of {@link MIMetric}. */
class MIStep<D extends Dim> implements MetricStep<D> {
  readonly dim: D;
  private staticImage: Float32Array | null;
  private movingImage: Float32Array | null;
  private ws: MIWorkspace | null;
  private readonly shape: Shape2D | Shape3D;
  private readonly spacing: Float64Array;
  private readonly direction: Float64Array;
  private readonly context: KernelContext;
  private readonly voxels: number;
  private readonly nbins: number;
  private readonly smooth: number;
  private readonly staticBins: [number, number];
  private readonly movingBins: [number, number];
  private readonly giveBack: (ws: MIWorkspace) => void;

  constructor(dim: D, opts: ResolvedMIMetricOptions, inputs: MetricInputs<D>, voxels: number, ws: MIWorkspace,
    staticBins: [number, number], movingBins: [number, number], giveBack: (ws: MIWorkspace) => void) {
    this.dim = dim;
    this.staticImage = inputs.static;
    this.movingImage = inputs.moving;
    this.ws = ws;
    this.shape = inputs.shape as Shape2D | Shape3D;
    this.spacing = inputs.spacing;
    this.direction = inputs.direction;
    this.context = inputs.context;
    this.voxels = voxels;
    this.nbins = opts.nbins;
    this.smooth = opts.smooth;
    this.staticBins = staticBins;
    this.movingBins = movingBins;
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
    if (ws !== null) this.giveBack(ws);
  }

  private step(out: Float32Array, forward: boolean): number {
    const which = forward ? 'forward' : 'backward';
    const ws = this.ws, S = this.staticImage, M = this.movingImage;
    if (ws === null || S === null || M === null) throw stepDisposedError('MIMetric', which);
    const dim = this.dim;
    assertStepOutput('MIMetric', which, out, this.voxels, dim);
    const ctx = this.context;
    // forward: rows = static, differentiated image = moving; backward: the reverse.
    const rows = forward ? S : M, cols = forward ? M : S;
    const [ro, rd] = forward ? this.staticBins : this.movingBins;
    const [co, cd] = forward ? this.movingBins : this.staticBins;
    ctx.kernel('miJointPdf')(ws.joint, ws.rowMarginal, ws.colMarginal, rows, cols, this.nbins, ro, rd, co, cd);
    const mi = logRatioAndMI(ws);
    metricGradient(ws.gradient, cols, this.shape, dim, this.spacing, this.direction, ctx);
    ctx.kernel('parzenMiStep')(out, rows, cols, ws.gradient, ws.logRatio, this.nbins, ro, rd, co, cd, -1 / (this.voxels * cd));
    const s = this.smooth;
    if (s > 0) ctx.kernel('gaussianFilter')(out, out, this.shape, dim, dim === 2 ? [s, s] : [s, s, s]);
    return -mi;
  }
}

/**
 * Mutual-information metric for multimodal SyN (see the module documentation):
 * energy `−MI` (lower is better), dense steps `∂MI/∂image · ∇image` smoothed by a
 * Gaussian of `smooth` voxels.
 */
export class MIMetric<D extends Dim = Dim> implements SimilarityMetric<D> {
  /** Spatial dimension, 2 or 3. */
  readonly dim: D;
  /** `"MI"`. */
  readonly name = 'MI';
  /** Always `false`: every voxel, background included, enters the histograms. */
  readonly mask0 = false;
  /** Histogram bins per image. */
  readonly nbins: number;
  /** Gaussian sigma of the step smoothing (voxels of the current grid). */
  readonly smooth: number;
  private readonly workspaces = new WorkspaceCache<MIWorkspace>((ws) => ws.free());

  /**
   * @param dim - 2 or 3 (else {@link DimensionError}).
   * @param options - see {@link MIMetricOptions}; unknown keys and invalid values throw
   *   {@link InvalidArgumentError} / {@link NonFiniteError}.
   */
  constructor(dim: D, options?: MIMetricOptions) {
    if (dim !== 2 && dim !== 3) {
      throw new DimensionError(`MIMetric is defined for 2D and 3D images only; got dim = ${String(dim)}. Pass 2 or 3.`);
    }
    const o = resolveOptions(options);
    this.dim = dim;
    this.nbins = o.nbins;
    this.smooth = o.smooth;
  }

  /** Throws core's `ImageTooSmallError` if an axis of a level is shorter than 2 voxels (image gradients need 2 samples). */
  checkLevelShapes(shapes: ReadonlyArray<ShapeOf<D>>): void {
    shapes.forEach((shape, level) => assertGradientShape('MIMetric', shape as readonly number[], level));
  }

  /**
   * Validates the inputs and returns the step object of this iteration.
   * @throws {@link EmptyImageError} when the static or the moving image is constant (its
   *   histogram would be degenerate and MI undefined).
   */
  prepare(inputs: MetricInputs<D>): MetricStep<D> {
    const dim = this.dim;
    const voxels = assertMetricInputs('MIMetric', inputs, dim, (shape) => assertGradientShape('MIMetric', shape));
    const bins = (image: Float32Array, which: string): [number, number] => {
      const [lo, hi] = range(image);
      const b = parzenBinning(lo, hi, this.nbins);
      if (!(b[1] > 0) || !Number.isFinite(b[0])) {
        throw new EmptyImageError(
          `MIMetric: the ${which} image is constant (${lo}) on this pyramid level, so its joint histogram is degenerate and mutual information undefined; pass an image with contrast.`,
        );
      }
      return b;
    };
    const staticBins = bins(inputs.static, 'static');
    const movingBins = bins(inputs.moving, 'moving');
    const opts: ResolvedMIMetricOptions = { nbins: this.nbins, smooth: this.smooth };
    return new MIStep(dim, opts, inputs, voxels, this.borrow(voxels, inputs.context), staticBins, movingBins,
      (ws) => this.workspaces.giveBack(ws));
  }

  /** Frees the buffers kept between iterations (`4·d` bytes per voxel and `2·nbins²` float64). SyN calls it when a level and a run end. */
  releaseBuffers(): void {
    this.workspaces.clear();
  }

  private borrow(voxels: number, context: KernelContext): MIWorkspace {
    const dim = this.dim, B = this.nbins;
    return this.workspaces.borrow(
      (ws) => ws.voxels === voxels && ws.dim === dim && ws.nbins === B && ws.context === context,
      () => Object.assign(allocWorkspaceArrays(context, { gradient: voxels * dim }), {
        voxels, dim, nbins: B, context,
        joint: new Float64Array(B * B), rowMarginal: new Float64Array(B), colMarginal: new Float64Array(B),
        logRatio: new Float64Array(B * B),
      }),
    );
  }
}

/**
 * Creates an {@link MIMetric}: `miMetric(2)` (32 bins, steps smoothed by a 2-voxel
 * Gaussian), `miMetric(3, { nbins: 64, smooth: 1 })`.
 */
export function miMetric<D extends Dim>(dim: D, options?: MIMetricOptions): MIMetric<D> {
  return new MIMetric(dim, options);
}
