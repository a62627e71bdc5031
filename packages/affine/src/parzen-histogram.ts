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
 */
import { cubicSpline, cubicSplineDerivative } from '@diffeo/core';
import type { Transform } from './transforms.js';

/** The cubic B-spline kernel β(x) and its derivative are shared with the deformable MI metric (from `@diffeo/core`). */
export { cubicSpline, cubicSplineDerivative };

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
  readonly joint: Float64Array;
  /** Static marginal (`nbins`). */
  readonly smarginal: Float64Array;
  /** Moving marginal (`nbins`). */
  readonly mmarginal: Float64Array;
  /** Gradient of the joint pdf, `nbins × nbins × n` (row-major), or null before the first gradient update. */
  jointGrad: Float64Array | null = null;

  constructor(nbins: number) {
    this.nbins = nbins;
    this.joint = new Float64Array(nbins * nbins);
    this.smarginal = new Float64Array(nbins);
    this.mmarginal = new Float64Array(nbins);
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

  private binIndex(u: number): number {
    const b = Math.trunc(u);
    if (b < this.padding) return this.padding;
    if (b > this.nbins - 1 - this.padding) return this.nbins - 1 - this.padding;
    return b;
  }

  private normS(x: number): number {
    return this.sdelta === 0 ? 0 : x / this.sdelta - this.smin;
  }

  private normM(x: number): number {
    return this.mdelta === 0 ? 0 : x / this.mdelta - this.mmin;
  }

  /**
   * Joint and marginal pdfs from paired samples (dense: static voxels and the moving image
   * resampled on the static grid; sparse: values at sample points).
   * @param byCount - normalise the joint pdf by the number of samples (DIPY's 2D dense case)
   *   instead of the sum of kernel weights.
   */
  updatePdfs(sv: ArrayLike<number>, mv: ArrayLike<number>, smask: MaskData, mmask: MaskData, byCount: boolean): void {
    const B = this.nbins, joint = this.joint, sm = this.smarginal;
    joint.fill(0);
    sm.fill(0);
    let total = 0, valid = 0;
    for (let i = 0; i < sv.length; i++) {
      if (smask && smask[i] === 0) continue;
      if (mmask && mmask[i] === 0) continue;
      valid++;
      const r = this.binIndex(this.normS(sv[i]));
      const cn = this.normM(mv[i]);
      const c = this.binIndex(cn);
      let arg = (c - 2) - cn;
      sm[r] += 1;
      const row = r * B;
      for (let o = -2; o <= 2; o++) {
        const v = cubicSpline(arg);
        joint[row + c + o] += v;
        total += v;
        arg += 1.0;
      }
    }
    if (total > 0) {
      const norm = byCount ? valid : total;
      for (let i = 0; i < B * B; i++) joint[i] /= norm;
      for (let i = 0; i < B; i++) sm[i] /= valid;
      for (let j = 0; j < B; j++) {
        let s = 0;
        for (let i = 0; i < B; i++) s += joint[i * B + j];
        this.mmarginal[j] = s;
      }
    }
  }

  /**
   * Gradient of the joint pdf w.r.t. θ.
   * @param points - world point of each sample where the Jacobian is evaluated (`d` values per sample, mm).
   * @param mgrad - moving gradient at each sample (`d` values per sample, per mm).
   */
  updateGradient(
    theta: ArrayLike<number>, transform: Transform, sv: ArrayLike<number>, mv: ArrayLike<number>,
    points: (i: number, x: Float64Array) => void, mgrad: ArrayLike<number>, smask: MaskData, mmask: MaskData,
  ): void {
    const n = theta.length, B = this.nbins, d = transform.dim;
    if (!this.jointGrad || this.jointGrad.length !== B * B * n) this.jointGrad = new Float64Array(B * B * n);
    const G = this.jointGrad;
    G.fill(0);
    const J = new Float64Array(d * n), prod = new Float64Array(n), x = new Float64Array(d);
    let constant = false, valid = 0;
    for (let i = 0; i < sv.length; i++) {
      if (smask && smask[i] === 0) continue;
      if (mmask && mmask[i] === 0) continue;
      valid++;
      if (!constant) {
        points(i, x);
        constant = transform.jacobianInto(theta, x, J);
      }
      const g = i * d;
      for (let k = 0; k < n; k++) {
        prod[k] = d === 2
          ? J[k] * mgrad[g] + J[n + k] * mgrad[g + 1]
          : J[k] * mgrad[g] + J[n + k] * mgrad[g + 1] + J[2 * n + k] * mgrad[g + 2];
      }
      const r = this.binIndex(this.normS(sv[i]));
      const cn = this.normM(mv[i]);
      const c = this.binIndex(cn);
      let arg = (c - 2) - cn;
      for (let o = -2; o <= 2; o++) {
        const v = cubicSplineDerivative(arg);
        const base = (r * B + c + o) * n;
        for (let k = 0; k < n; k++) G[base + k] -= v * prod[k];
        arg += 1.0;
      }
    }
    const norm = valid * this.mdelta;
    if (norm > 0) for (let i = 0; i < G.length; i++) G[i] /= norm;
  }
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
