/**
 * The local normalised cross-correlation similarity metric (DIPY 1.6's
 * `CCMetric`, docs/algorithm.md §5.2) for symmetric diffeomorphic registration.
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
 *
 * Memory. The factors (5 float32 per voxel) are computed once per iteration; on 3D
 * grids and on 2D grids of at least {@link CC_SLAB_MIN_VOXELS_2D} voxels the
 * gradients and raw steps are computed slab by slab along axis 0 (see `CCPlan`), so
 * an iteration needs the factors plus two slab-sized buffers, which the metric keeps
 * for the next iteration on the same grid until {@link CCMetric.releaseBuffers}.
 * The numbers are those of the whole-grid computation, bit for bit.
 */
import {
  allocWorkspaceArrays,
  assertMetricInputs,
  assertStepOutput,
  stepDisposedError,
  WorkspaceCache,
  metricGradient,
  DimensionError,
  ImageTooSmallError,
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

function stepOptionsOf(dim: Dim, sigmaDiff: number, radius: number): StepOptions {
  return Object.freeze({ sigmaDiff, radius, sigmas: Object.freeze(dim === 2 ? [sigmaDiff, sigmaDiff] : [sigmaDiff, sigmaDiff, sigmaDiff]) });
}

/** The resolved options of a step, with the smoothing sigma per axis (made once per metric, not per step). */
interface StepOptions extends ResolvedCCMetricOptions {
  readonly sigmas: readonly number[];
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



/**
 * How a step is computed on a grid: in one piece, or slab by slab along axis 0.
 *
 * Slabs. The step before smoothing is, voxel by voxel, a function of the factors and
 * of the image gradient at that voxel (zero in the band of width `radius`), and the
 * gradient (`numpy.gradient`) only looks one voxel along each axis. So the gradient
 * and the step of the output slices `[s0, s1)` can be computed on the sub-grid
 * `[s0 − e, s1 + e)` (clipped to the grid, `e = max(radius, 1)`): its own band and its
 * one-sided edge differences fall on the `e` extra slices, which are dropped, and every
 * kept value is the same number as on the whole grid. The energy (a sequential sum
 * over the whole grid, which slab sums would round differently) comes from one
 * whole-grid call of the step kernel, whose energy depends on the factors only (and
 * is the same number for both directions: the backward formula only swaps the
 * factors of a product). So a step needs a slab-sized gradient buffer instead of a
 * gradient of the whole grid. The step kernel writes the slab with its halos straight
 * into the output's slices `[s0 − e, s1 + e)`: the `e` slices after `s1` are
 * rewritten by the next slab, and the `e` slices before `s0` (the previous slab's last
 * output slices, already final) are saved before and put back after, in a buffer of
 * `e` slices (instead of a step buffer of `slab + 2e` slices and a copy of every slab).
 *
 * Streamed factors (3D, slabbed). DIPY's 3D factors are running sums along axis 0, so
 * they are computed in order, slab by slab, with the resumable kernel
 * `ccFactors3dStream` into a buffer that holds only the slab's slices and its halos
 * (the halo slices shared with the next slab are moved to the front), and the energy
 * is summed slab after slab in raster order with `ccEnergy3d` (the same number as the
 * whole-grid sum). Each direction streams the factors once: a second factor pass per
 * iteration in exchange for `5 − 5·(slab + 2·halo)/ns` floats per voxel.
 */
interface CCPlan {
  /** Output slices (along axis 0) per slab; ≥ the number of slices means one piece. */
  readonly slab: number;
  /** Extra slices computed on each side of a slab. */
  readonly halo: number;
  /** Values per slice and component: `prod(shape[1:])`. */
  readonly plane: number;
  /** Length of the gradient buffer (and of the slab step buffer when slabbed). */
  readonly bufLen: number;
  readonly slabbed: boolean;
  /** Factors streamed slab by slab (3D, slabbed) instead of computed for the whole grid. */
  readonly streamed: boolean;
}

/**
 * 2D grids with fewer voxels than this are computed in one piece: there a whole-grid
 * gradient is 2 floats per voxel beside the fields' 10 and the factors' 5 (at most 2 MiB
 * below this size), while slabs cost a gradient and a step call per slab and up to a
 * third more gradient and step work (the halos) in every iteration (some 8 % of a
 * 128×128 CC registration, DIPY's b0 example). The numbers are the same either way.
 */
export const CC_SLAB_MIN_VOXELS_2D = 1 << 18;

function planFor(shape: readonly number[], radius: number, dim: number): CCPlan {
  const ns = shape[0];
  let plane = 1;
  for (let k = 1; k < shape.length; k++) plane *= shape[k];
  const halo = Math.max(radius, 1);
  // Slabs of about an eighth of the grid, and at least six halos thick (so the
  // recomputed halo slices add at most a third of a gradient and of a step).
  const slab = Math.max(6 * halo, Math.ceil(ns / 8));
  const slabbed = slab + 2 * halo < ns && (dim === 3 || ns * plane >= CC_SLAB_MIN_VOXELS_2D);
  const bufLen = (slabbed ? slab + 2 * halo : ns) * plane * dim;
  return { slab, halo, plane, bufLen, slabbed, streamed: slabbed && dim === 3 };
}

/**
 * The large buffers of one iteration: the factors (5 per voxel), a gradient buffer
 * (d per voxel of the grid, or of a slab) and, when slabbed, the halo slices the
 * previous slab's output keeps while the next slab is written (see {@link CCPlan}). A
 * {@link CCMetric} keeps the last one and hands it to the next iteration of the same
 * grid, so a level allocates them once.
 */
interface CCWorkspace {
  readonly voxels: number;
  readonly dim: number;
  readonly bufLen: number;
  readonly factors: Float32Array;
  readonly grad: Float32Array;
  /** `halo` output slices (`halo·plane·d` values) kept while a slab is written; empty when the step is computed in one piece. */
  readonly keep: Float32Array;
  /** Streamed factors only: the running sums' storage (as float32) and its float64 view. */
  readonly state: Float32Array;
  readonly state64: Float64Array;
  /** The context whose `allocFloat32` gave the buffers (they go back to it). */
  readonly context: KernelContext;
  /** Gives the buffers back to the context. */
  free(): void;
}

/**
 * The buffers of a workspace come from the context (`allocFloat32`), so a backend
 * with its own memory (WebAssembly) runs the kernels on them in place instead of
 * copying 5 floats per voxel in and out of every call.
 */
function newWorkspace(context: KernelContext, voxels: number, dim: number, plan: CCPlan): CCWorkspace {
  // Streamed: the factors of one slab and its halos, and the running sums (2 planes of
  // 5 doubles, allocated as float32 pairs so that they live where the kernels run).
  const factorLen = plan.streamed ? (plan.bufLen / dim) * 5 : voxels * 5;
  const stateLen = plan.streamed ? 2 * plan.plane * 5 * 2 : 0;
  const arrays = allocWorkspaceArrays(context, {
    factors: factorLen, grad: plan.bufLen, keep: plan.slabbed ? plan.halo * plan.plane * dim : 0, state: stateLen,
  });
  const st = arrays.state;
  // A backend's array that is not 8-byte aligned cannot hold doubles: then an ordinary one.
  const state = st.byteOffset % 8 === 0 ? new Float64Array(st.buffer, st.byteOffset, stateLen / 2) : new Float64Array(stateLen / 2);
  return Object.assign(arrays, { voxels, dim, bufLen: plan.bufLen, context, state64: state });
}

/** The 2D or 3D CC step kernel, taking the shape that matches it. */
type StepKernel = (out: Float32Array, grad: Float32Array, factors: Float32Array, shape: Shape2D | Shape3D, radius: number) => number;

/**
 * The CC energy restricted to a mask (SyN's midpoint mask): the same per-voxel rule as the
 * energy kernels (`cc = F2²/(F3·F4)`, 0 when `F3·F4 ≤ 1e-5`, voxels with `F3 = 0` or
 * `F4 = 0` skipped, `acc −= cc` when `cc < 1`, voxels at least `radius` from every border)
 * over the slices `[sFrom, sTo)` (rows for 2D), counting only voxels where `mask` is 1.
 * Plain TypeScript (the same on every backend). `factors` starts at slice `firstSlice`.
 */
function maskedCcEnergy(factors: Float32Array, firstSlice: number, shape: readonly number[], radius: number,
  sFrom: number, sTo: number, mask: Uint8Array, acc: number): number {
  const d3 = shape.length === 3;
  const ns = d3 ? shape[0] : 1;
  const nr = shape[d3 ? 1 : 0];
  const nc = shape[d3 ? 2 : 1];
  let energy = acc;
  const s0 = d3 ? Math.max(sFrom, radius) : 0;
  const s1 = d3 ? Math.min(sTo, ns - radius) : 1;
  for (let s = s0; s < s1; s++) {
    for (let r = radius; r < nr - radius; r++) {
      for (let c = radius; c < nc - radius; c++) {
        const v = (s * nr + r) * nc + c;
        if (mask[v] === 0) continue;
        const f = (v - firstSlice * nr * nc) * 5;
        const sfm = factors[f + 2];
        const A = factors[f + 3];
        const B = factors[f + 4];
        if (A === 0 || B === 0) continue;
        const AB = A * B;
        let lc = 0;
        if (AB > 1e-5) lc = (sfm * sfm) / AB;
        if (lc < 1) energy -= lc;
      }
    }
  }
  return energy;
}

/**
 * Writes one slab's step straight into `out` (see {@link CCPlan}): `write` gets the
 * output slices `[a, b)` (the slab `[s0, s1)` with its halos) and fills them; the slices
 * `[a, s0)`, which belong to the previous slab and are final, are saved in `keep`
 * before and put back after. Slices after the slab's own are rewritten by the next slab.
 * `slice`: values per slice (`plane · d`).
 */
function slabStepInto(out: Float32Array, a: number, s0: number, b: number, slice: number, keep: Float32Array,
  write: (part: Float32Array) => void): void {
  const kept = (s0 - a) * slice;
  if (kept > 0) keep.set(out.subarray(a * slice, s0 * slice));
  write(out.subarray(a * slice, b * slice));
  if (kept > 0) out.set(keep.subarray(0, kept), a * slice);
}

/** Per-iteration state of {@link CCMetric}: the factors; gradients are computed by each step. */
class CCStep<D extends Dim> implements MetricStep<D> {
  readonly dim: D;
  private readonly opts: StepOptions;
  private readonly shape: Shape2D | Shape3D;
  private readonly plan: CCPlan;
  private staticImage: Float32Array | null;
  private movingImage: Float32Array | null;
  private ws: CCWorkspace | null;
  /** Which image `ws.grad` holds the whole-grid gradient of (one-piece plan only). */
  private gradOf: 'static' | 'moving' | null = null;
  /** The energy of this iteration once computed (slab plan only; both directions share it). */
  private energy: number | null = null;
  private readonly spacing: Float64Array;
  private readonly direction: Float64Array;
  private readonly context: KernelContext;
  private readonly voxels: number;
  private readonly giveBack: (ws: CCWorkspace) => void;
  /** SyN's midpoint mask (1 inside), or null. */
  private readonly mask: Uint8Array | null;

  constructor(dim: D, opts: StepOptions, inputs: MetricInputs<D>, voxels: number, plan: CCPlan, ws: CCWorkspace,
    giveBack: (ws: CCWorkspace) => void) {
    this.dim = dim;
    this.opts = opts;
    this.shape = inputs.shape as Shape2D | Shape3D;
    this.plan = plan;
    this.staticImage = inputs.static;
    this.movingImage = inputs.moving;
    this.spacing = inputs.spacing;
    this.direction = inputs.direction;
    this.context = inputs.context;
    this.voxels = voxels;
    this.giveBack = giveBack;
    this.mask = inputs.mask ?? null;
    this.ws = ws;
    // The factor kernels write every value, so a reused buffer needs no clearing.
    // (Streamed factors are computed slab by slab by each step instead.)
    if (dim === 2 || !plan.streamed) {
      this.context.kernelsFor<Dim>(dim).ccFactors(ws.factors, inputs.static, inputs.moving, this.shape, opts.radius);
    }
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
    if (ws === null || this.staticImage === null || this.movingImage === null) throw stepDisposedError('CCMetric', which);
    const dim = this.dim;
    assertStepOutput('CCMetric', which, out, this.voxels, dim);
    const ctx = this.context;
    const factors = ws.factors;
    const image = forward ? this.staticImage : this.movingImage;
    const kernels = ctx.kernelsFor<Dim>(dim);
    const kernel: StepKernel = forward ? kernels.ccForwardStep : kernels.ccBackwardStep;
    const shape = this.shape;
    const r = this.opts.radius;
    const plan = this.plan;
    let energy: number;
    if (!plan.slabbed) {
      const want = forward ? 'static' : 'moving';
      if (this.gradOf !== want) {
        metricGradient(ws.grad, image, this.shape, dim, this.spacing, this.direction, ctx);
        this.gradOf = want;
      }
      energy = kernel(out, ws.grad, factors, shape, r);
      if (this.mask !== null) energy = maskedCcEnergy(factors, 0, shape, r, 0, shape[0], this.mask, 0);
    } else if (plan.streamed) {
      energy = this.streamedStep(out, image, kernel, ws);
    } else {
      // The energy of the whole grid (it does not read the gradient, so `out` stands in
      // for it); `out` itself is then rewritten slab by slab.
      energy = this.energy ??= this.mask !== null
        ? maskedCcEnergy(factors, 0, shape, r, 0, shape[0], this.mask, 0)
        : kernel(out, out, factors, shape, r);
      const ns = shape[0];
      const { slab, halo, plane } = plan;
      const rest = shape.slice(1);
      for (let s0 = 0; s0 < ns; s0 += slab) {
        const s1 = Math.min(ns, s0 + slab);
        const a = Math.max(0, s0 - halo);
        const b = Math.min(ns, s1 + halo);
        const sub = [b - a, ...rest] as unknown as Shape2D | Shape3D;
        const grad = ws.grad.subarray(0, (b - a) * plane * dim);
        metricGradient(grad, image.subarray(a * plane, b * plane), sub, dim, this.spacing, this.direction, ctx);
        slabStepInto(out, a, s0, b, plane * dim, ws.keep, (part) => kernel(part, grad, factors.subarray(a * plane * 5, b * plane * 5), sub, r));
      }
    }
    // masks: the raw step outside the mask is dropped before smoothing
    if (this.mask !== null) {
      const m = this.mask;
      for (let v = 0; v < m.length; v++) if (m[v] === 0) for (let k = 0; k < dim; k++) out[v * dim + k] = 0;
    }
    ctx.kernel('gaussianFilter')(out, out, this.shape, dim, this.opts.sigmas);
    return energy;
  }

  /**
   * The raw step of a 3D grid with streamed factors (see {@link CCPlan}): slab by slab,
   * the factors of the slab and its halos (continuing the running sums), the energy of
   * the slab's slices (first direction only), the gradient and the step.
   */
  private streamedStep(out: Float32Array, image: Float32Array, kernel: StepKernel, ws: CCWorkspace): number {
    const ctx = this.context;
    const shape = this.shape as Shape3D;
    const r = this.opts.radius;
    const { slab, halo, plane } = this.plan;
    const ns = shape[0];
    const rest = shape.slice(1);
    const fPlane = plane * 5;
    const stream = ctx.kernel('ccFactors3dStream');
    const energyOf = ctx.kernel('ccEnergy3d');
    const needEnergy = this.energy === null;
    let energy = 0;
    ws.state64.fill(0);
    let next = 0; // next iteration of the running sums
    let held = 0; // factor slices [first, held) are in ws.factors
    let first = 0;
    for (let s0 = 0; s0 < ns; s0 += slab) {
      const s1 = Math.min(ns, s0 + slab);
      const a = Math.max(0, s0 - halo);
      const b = Math.min(ns, s1 + halo);
      // keep the halo slices computed for the previous slab, at the front
      if (held > a) ws.factors.copyWithin(0, (a - first) * fPlane, (held - first) * fPlane);
      first = a;
      const sTo = Math.min(ns + r, b + r); // iteration z + r completes slice z
      stream(ws.factors, first, this.staticImage!, this.movingImage!, shape, r, ws.state64, next, sTo);
      next = sTo;
      held = b;
      const factors = ws.factors.subarray(0, (b - a) * fPlane);
      if (needEnergy) {
        energy = this.mask !== null ? maskedCcEnergy(factors, a, shape, r, s0, s1, this.mask, energy) : energyOf(factors, a, shape, r, s0, s1, energy);
      }
      const sub = [b - a, ...rest] as unknown as Shape3D;
      const grad = ws.grad.subarray(0, (b - a) * plane * 3);
      metricGradient(grad, image.subarray(a * plane, b * plane), sub, 3, this.spacing, this.direction, ctx);
      slabStepInto(out, a, s0, b, plane * 3, ws.keep, (part) => kernel(part, grad, factors, sub, r));
    }
    if (needEnergy) this.energy = energy;
    return this.energy!;
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
  /** True: with SyN's midpoint mask, the energy sums only voxels inside it and the raw step is zeroed outside it before smoothing. */
  readonly supportsMask = true;
  /** Gaussian sigma (voxels) of the step smoothing; 0 disables it. */
  readonly sigmaDiff: number;
  /** Window radius (voxels). */
  readonly radius: number;
  /** The buffers of the last iteration, kept for the next one on the same grid. */
  private readonly workspaces = new WorkspaceCache<CCWorkspace>((ws) => ws.free());
  /** What every step of this metric is given (options and the smoothing sigmas). */
  private stepOptions: StepOptions;

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
    this.stepOptions = stepOptionsOf(dim, o.sigmaDiff, o.radius);
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
    const voxels = assertMetricInputs('CCMetric', inputs, dim,
      (s) => this.checkShape(s, typeof inputs.level === 'number' ? `pyramid level ${inputs.level}` : 'the reference grid'));
    const shape = inputs.shape as readonly number[];
    const plan = planFor(shape, this.radius, dim);
    let opts = this.stepOptions;
    // (remade only if someone changed the readonly fields behind TypeScript's back)
    if (opts.sigmaDiff !== this.sigmaDiff || opts.radius !== this.radius) opts = this.stepOptions = stepOptionsOf(dim, this.sigmaDiff, this.radius);
    return new CCStep(dim, opts, inputs, voxels, plan, this.borrow(voxels, plan, inputs.context),
      (ws) => this.workspaces.giveBack(ws));
  }

  /**
   * Frees the buffers this metric keeps between iterations (the factors, 20 bytes
   * per voxel of the last grid, and two slab-sized buffers; from the context's
   * `allocFloat32`, so they go back to a backend that owns them). SyN calls it when
   * each level ends; the next
   * `prepare` simply allocates them again. Steps not yet disposed keep theirs.
   */
  releaseBuffers(): void {
    this.workspaces.clear();
  }

  /** The cached workspace if it fits this grid and context (and no live step uses it); otherwise a new one. */
  private borrow(voxels: number, plan: CCPlan, context: KernelContext): CCWorkspace {
    const dim = this.dim;
    return this.workspaces.borrow(
      (ws) => ws.voxels === voxels && ws.dim === dim && ws.bufLen === plan.bufLen && (ws.keep.length > 0) === plan.slabbed && ws.context === context,
      () => newWorkspace(context, voxels, dim, plan),
    );
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
  checkOptionKeys(options, ['sigmaDiff', 'radius'], 'ccMetric options');
  return new CCMetric(dim, options);
}
