/**
 * Parzen-window joint histogram and mutual information (DIPY 1.6 `dipy.align.parzenhist`).
 *
 * Intensities are mapped to bin coordinates `u = x/δ − (min/δ − p)` with `δ = (max − min)/(B − 2p)`
 * (`B` = nbins, padding `p = 2`), so `[min, max]` spans bins `p … B−1−p`. Each sample pair
 * `(s, m)` adds to row `r = clamp(trunc(u_s))` the cubic B-spline weights `β(c + o − u_m)`,
 * `o ∈ {−2..2}`, around column `c = clamp(trunc(u_m))`. The joint pdf `P` is the histogram
 * over the number of samples (2D dense) or over the sum of weights (3D dense, sparse), as
 * DIPY 1.6 does; the static marginal counts rows, the moving marginal sums `P` over rows.
 *
 * Gradient w.r.t. the transform parameters θ: each sample adds
 * `−β'(c + o − u_m) · (J(x)ᵀ ∇M)` to `∂P[r, c+o]/∂θ`, where `J = ∂T/∂θ` at the sample's
 * (pre-aligned) world point `x` and `∇M` is the moving gradient (per mm); everything is then
 * divided by `(number of samples)·δ_m`.
 *
 * MI = `Σ P_ij (log(P_ij / Pm_j) − log Ps_i)` over cells with `P_ij, Pm_j ≥ ε` (and `Ps_i > ε`
 * for the value); its gradient is `Σ ∂P_ij/∂θ · log(P_ij / Pm_j)`.
 *
 * The two sample loops are the `parzenJointPdf` and `parzenJointGradient` kernels of the
 * {@link KernelContext} passed to the constructor (TypeScript or WebAssembly, same bits). The
 * transforms' Jacobians are affine in the point, `J(x) = J₀ + Σ_j x_j·J_{j+1}`; their
 * coefficients are read off the transform once per gradient (`J₀ = J(0)`, `J_{j+1} = J(e_j) − J₀`)
 * and checked at a test point, so a transform whose Jacobian is not affine is rejected.
 *
 * Memory: the pdfs and the joint-pdf gradient live in the context's memory when its backend has
 * one (`context.allocFloat32`, e.g. the WebAssembly backend's), so its kernels write them in place
 * and nothing is copied per evaluation; {@link ParzenJointHistogram.release} moves them to
 * ordinary arrays and gives that memory back.
 */
import { InvalidArgumentError, defaultContext, type KernelContext, type Shape2D, type Shape3D } from '@diffeo/core';
import type { Transform } from './transforms.js';

/** The cubic B-spline kernel β(x) (support [−2, 2]) and its derivative, as the histogram kernels use them. */
export { cubicSpline, cubicSplineDerivative } from '@diffeo/core';

const EPSILON = 2.2204460492503131e-16;

/** Mask values: a voxel is used when its value is non-zero. `null` = every voxel. */
export type MaskData = ArrayLike<number> | null;

/** DIPY's `ParzenJointHistogram` (see the module documentation). */
export class ParzenJointHistogram {
  /** Number of bins per axis. */
  readonly nbins: number;
  /** Padding bins on each side (2, the half-support of the cubic spline). */
  readonly padding = 2;
  /** Static bin offset `min/δ − p` and width δ. */
  smin = 0;
  sdelta = 0;
  /** Moving bin offset and width. */
  mmin = 0;
  mdelta = 0;
  /** Joint pdf, `nbins × nbins` row-major (row = static bin). */
  joint: Float64Array;
  /** Static marginal (`nbins`). */
  smarginal: Float64Array;
  /** Moving marginal (`nbins`). */
  mmarginal: Float64Array;
  /** Gradient of the joint pdf, `nbins × nbins × n` (row-major), or null before the first gradient update. */
  jointGrad: Float64Array | null = null;

  /** The kernels' context. */
  readonly context: KernelContext;
  private jac: Float64Array | null = null;

  /**
   * @param nbins - bins per axis (≥ 5).
   * @param context - kernels of the sample loops; default {@link defaultContext} (TypeScript).
   */
  constructor(nbins: number, context: KernelContext = defaultContext) {
    this.nbins = nbins;
    this.context = context;
    this.joint = this.resident(nbins * nbins);
    this.smarginal = this.resident(nbins);
    this.mmarginal = this.resident(nbins);
  }

  /** The context's arrays (see {@link resident}) that back this histogram's arrays. */
  private readonly held: Float32Array[] = [];

  /** A zero-filled float64 array of `n` values in the context's memory when it has one (see {@link residentFloat64}). */
  private resident(n: number): Float64Array {
    const { array, handle } = residentFloat64(this.context, n);
    this.held.push(handle);
    return array;
  }

  /** Whether `jointGrad` is one of {@link held}'s arrays. */
  private gradHeld = false;

  /**
   * Moves the pdfs and the joint-pdf gradient to ordinary arrays (same values) and gives the
   * context's memory they used back; the next {@link setup} takes new room in it.
   */
  release(): void {
    if (this.held.length === 0) return;
    this.joint = this.joint.slice();
    this.smarginal = this.smarginal.slice();
    this.mmarginal = this.mmarginal.slice();
    if (this.jointGrad && this.gradHeld) this.jointGrad = this.jointGrad.slice();
    for (const h of this.held) this.context.freeFloat32(h);
    this.held.length = 0;
    this.gradHeld = false;
  }

  /** The joint-pdf gradient array for `n` parameters (reused while `n` does not change). */
  private gradFor(n: number): Float64Array {
    const B = this.nbins;
    if (!this.jointGrad || this.jointGrad.length !== B * B * n || !this.gradHeld) {
      if (this.jointGrad && this.gradHeld) {
        const h = this.held.pop()!; // the gradient's array is always the last one taken
        this.context.freeFloat32(h);
      }
      this.jointGrad = this.resident(B * B * n);
      this.gradHeld = true;
    }
    return this.jointGrad;
  }

  /** Intensity ranges from the (masked) static and moving values. Returns false when a range is empty (no voxel). */
  setup(st: ArrayLike<number>, mv: ArrayLike<number>, smask: MaskData = null, mmask: MaskData = null): void {
    const range = (a: ArrayLike<number>, mask: MaskData): [number, number] => {
      let lo = Infinity, hi = -Infinity;
      for (let i = 0; i < a.length; i++) {
        if (mask && mask[i] === 0) continue;
        const v = a[i];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      return [lo, hi];
    };
    if (this.held.length === 0) {
      // after release(): the pdfs back in the context's memory
      this.joint = this.resident(this.nbins * this.nbins);
      this.smarginal = this.resident(this.nbins);
      this.mmarginal = this.resident(this.nbins);
    }
    const den = this.nbins - 2 * this.padding;
    const [s0, s1] = range(st, smask), [m0, m1] = range(mv, mmask);
    this.sdelta = den !== 0 ? (s1 - s0) / den : 0;
    this.mdelta = den !== 0 ? (m1 - m0) / den : 0;
    this.smin = (this.sdelta !== 0 ? s0 / this.sdelta : 0) - this.padding;
    this.mmin = (this.mdelta !== 0 ? m0 / this.mdelta : 0) - this.padding;
    this.joint.fill(0);
    this.smarginal.fill(0);
    this.mmarginal.fill(0);
  }

  /**
   * Joint and marginal pdfs from paired samples (dense: static voxels and the moving image
   * resampled on the static grid; sparse: values at sample points).
   * @param byCount - normalise the joint pdf by the number of samples (DIPY's 2D dense case)
   *   instead of the sum of kernel weights.
   */
  updatePdfs(sv: Float64Array, mv: Float64Array, smask: Int32Array | null, mmask: Int32Array | null, byCount: boolean): void {
    this.context.kernel('parzenJointPdf')(this.joint, this.smarginal, this.mmarginal, sv, mv, smask, mmask,
      this.nbins, this.smin, this.sdelta, this.mmin, this.mdelta, byCount);
  }

  /**
   * Gradient of the joint pdf w.r.t. θ.
   * @param points - world point of each sample where the Jacobian is evaluated (`d` values per sample, mm).
   * @param mgrad - moving gradient at each sample (`d` values per sample, per mm).
   * @throws InvalidArgumentError when the transform's Jacobian is not affine in the point.
   */
  updateGradient(
    theta: ArrayLike<number>, transform: Transform, sv: Float64Array, mv: Float64Array,
    points: Float64Array, mgrad: Float64Array, smask: Int32Array | null, mmask: Int32Array | null,
  ): void {
    const n = theta.length, B = this.nbins, d = transform.dim;
    const G = this.gradFor(n);
    const jac = jacobianCoefficients(theta, transform, this.jac);
    this.jac = jac;
    this.context.kernel('parzenJointGradient')(G, sv, mv, smask, mmask, mgrad, points, jac, d,
      B, this.smin, this.sdelta, this.mmin, this.mdelta);
  }

  /**
   * Dense update in one pass (the fused `affineMIDense2d/3d` kernel): the pdfs of the static
   * values against the moving image resampled at `gridToMovingGrid·[i;1]` and, when `transform`
   * is given, the joint-pdf gradient with the moving gradient at `gridToWorld·[i;1]` (world, mm) and
   * the Jacobian at `pre·[i;1]` (the pre-aligned world point). No moving mask.
   * @throws InvalidArgumentError when the transform's Jacobian is not affine in the point.
   */
  updateDense(theta: ArrayLike<number>, transform: Transform | null, sv: Float64Array, smask: Int32Array | null, shape: readonly number[],
    moving: Float64Array, movingShape: readonly number[], gridToMovingGrid: Float64Array, gridToWorld: Float64Array,
    movingWorldToGrid: Float64Array, movingSpacing: ArrayLike<number>, pre: Float64Array, byCount: boolean): void {
    const B = this.nbins, d = shape.length;
    let jac: Float64Array = new Float64Array(0);
    if (transform) {
      this.gradFor(theta.length);
      jac = jacobianCoefficients(theta, transform, this.jac);
      this.jac = jac;
    }
    const grad = transform ? this.jointGrad : null;
    if (d === 2) {
      this.context.kernel('affineMIDense2d')(this.joint, this.smarginal, this.mmarginal, grad, sv, smask, shape as Shape2D, moving,
        movingShape as Shape2D, gridToMovingGrid, gridToWorld, movingWorldToGrid, movingSpacing, pre, jac, B, this.smin, this.sdelta,
        this.mmin, this.mdelta, byCount);
    } else {
      this.context.kernel('affineMIDense3d')(this.joint, this.smarginal, this.mmarginal, grad, sv, smask, shape as Shape3D, moving,
        movingShape as Shape3D, gridToMovingGrid, gridToWorld, movingWorldToGrid, movingSpacing, pre, jac, B, this.smin, this.sdelta,
        this.mmin, this.mdelta, byCount);
    }
  }
}

/**
 * A zero-filled float64 array of `n` values in `context`'s memory when its backend has one: a
 * view of `context.allocFloat32(2n)` (kernels of that backend then use it in place, without
 * copies); an ordinary array otherwise. Give it back with `context.freeFloat32(handle)`.
 */
export function residentFloat64(context: KernelContext, n: number): { array: Float64Array; handle: Float32Array } {
  const handle = context.allocFloat32(2 * Math.max(0, n));
  return { array: new Float64Array(handle.buffer, handle.byteOffset, Math.max(0, n)), handle };
}

/**
 * The coefficients `J₀, J₁ … J_d` (each `d×n` row-major) of a Jacobian affine in the point:
 * `J₀ = J(0)`, `J_{j+1} = J(e_j) − J₀`, checked against `J` at a test point.
 */
function jacobianCoefficients(theta: ArrayLike<number>, transform: Transform, reuse: Float64Array | null): Float64Array {
  const d = transform.dim, n = theta.length, dn = d * n;
  const out = reuse && reuse.length === (d + 1) * dn ? reuse : new Float64Array((d + 1) * dn);
  const J = new Float64Array(dn), x = new Float64Array(d);
  transform.jacobianInto(theta, x, J);
  out.set(J, 0);
  for (let j = 0; j < d; j++) {
    x.fill(0);
    x[j] = 1;
    transform.jacobianInto(theta, x, J);
    for (let q = 0; q < dn; q++) out[(j + 1) * dn + q] = J[q] - out[q];
  }
  const t = [1.5, -2.25, 0.75];
  for (let j = 0; j < d; j++) x[j] = t[j];
  transform.jacobianInto(theta, x, J);
  for (let q = 0; q < dn; q++) {
    let v = out[q];
    for (let j = 0; j < d; j++) v += x[j] * out[(j + 1) * dn + q];
    if (!(Math.abs(v - J[q]) <= 1e-9 * Math.max(1, Math.abs(J[q])))) {
      if (!Number.isFinite(J[q])) break; // non-finite parameters: the metric reports them, not this check
      throw new InvalidArgumentError(`the Jacobian of transform '${transform.name}' is not affine in the point; the Parzen gradient kernels need J(x) = J0 + sum_j x_j Jj (every transform of this package is).`);
    }
  }
  return out;
}

/**
 * DIPY's `compute_parzen_mi`: the mutual information of the pdfs, and (when `grad` is given)
 * its gradient w.r.t. θ written into `grad` (from `h.jointGrad`).
 */
export function computeParzenMI(h: ParzenJointHistogram, grad: Float64Array | null): number {
  const B = h.nbins, P = h.joint, Pm = h.mmarginal, Ps = h.smarginal;
  const G = h.jointGrad;
  const n = grad ? grad.length : 0;
  if (grad) grad.fill(0);
  let value = 0;
  for (let i = 0; i < B; i++) {
    for (let j = 0; j < B; j++) {
      const p = P[i * B + j];
      if (p < EPSILON || Pm[j] < EPSILON) continue;
      const factor = Math.log(p / Pm[j]);
      if (grad && G) {
        const base = (i * B + j) * n;
        for (let k = 0; k < n; k++) grad[k] += G[base + k] * factor;
      }
      if (Ps[i] > EPSILON) value += p * (factor - Math.log(Ps[i]));
    }
  }
  return value;
}
