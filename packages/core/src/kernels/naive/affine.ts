/**
 * Naive oracles of the affine-stage kernels (`kernels/affine-mi.ts`), written from their
 * definitions with no shared code: linear resampling through an affine by corner enumeration
 * (any dimension), the central-difference world gradient, the Parzen joint pdf cell by cell
 * (each cell sums the spline weights of the samples that reach it), and the joint-pdf
 * gradient with the full (dense) Jacobian product, and their composition for one dense MI
 * evaluation. Slow; for tests and conformance only.
 */
import { affineApply, naiveLinearDouble } from './interp.js';

/** `out[i] = linear(image, M·[i;1])` over a grid of `outShape` (any dimension), float64. */
export function naiveResampleAffineLinear(outShape: readonly number[], image: ArrayLike<number>, imageShape: readonly number[],
  M: Float64Array): Float64Array {
  const n = outShape.reduce((a, b) => a * b, 1), d = outShape.length;
  const out = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    const idx: number[] = [];
    let rest = p;
    for (let k = d - 1; k >= 0; k--) { idx[k] = rest % outShape[k]; rest = Math.floor(rest / outShape[k]); }
    const q = affineApply(M, idx);
    out[p] = q.some((v) => Number.isNaN(v)) ? 0 : naiveLinearDouble(image, imageShape, q);
  }
  return out;
}

/** Whether every corner of the linear sample at grid point `q` lies inside the grid. */
function allCornersInside(shape: readonly number[], q: readonly number[]): boolean {
  return q.every((v, k) => v > -1 && v < shape[k] && Math.floor(v) >= 0 && Math.floor(v) + 1 < shape[k]);
}

/**
 * The world gradient at world points `pts` (`m·d`): component `p` is `(I(x + h e_p) − I(x − h e_p))/s_p`
 * with `h = s_p/2`, 0 when a sample has a missing corner; like DIPY, a coordinate shifted for a failed
 * component stays shifted for the next ones.
 */
export function naiveAffineGradientAt(pts: Float64Array, image: ArrayLike<number>, imageShape: readonly number[], W: Float64Array,
  spacing: ArrayLike<number>): Float64Array {
  const d = imageShape.length, m = pts.length / d, out = new Float64Array(m * d);
  for (let i = 0; i < m; i++) {
    const x = Array.from(pts.subarray(i * d, i * d + d));
    const y = x.slice();
    for (let p = 0; p < d; p++) {
      const h = 0.5 * spacing[p];
      y[p] = x[p] - h;
      const qlo = affineApply(W, y);
      if (!allCornersInside(imageShape, qlo)) continue;
      const lo = naiveLinearDouble(image, imageShape, qlo);
      y[p] = x[p] + h;
      const qhi = affineApply(W, y);
      if (!allCornersInside(imageShape, qhi)) continue;
      out[i * d + p] = (naiveLinearDouble(image, imageShape, qhi) - lo) / spacing[p];
      y[p] = x[p];
    }
  }
  return out;
}

/** β(x), the cubic B-spline, from its piecewise definition. */
function bspline(x: number): number {
  const a = Math.abs(x);
  if (a < 1) return 2 / 3 - a * a + (a * a * a) / 2;
  if (a < 2) return ((2 - a) ** 3) / 6;
  return 0;
}

/** β'(x). */
function bsplineDerivative(x: number): number {
  const a = Math.abs(x), s = Math.sign(x);
  if (a < 1) return s * (-2 * a + 1.5 * a * a);
  if (a < 2) return s * (-0.5 * (2 - a) ** 2);
  return 0;
}

function bin(u: number, nbins: number): number {
  const b = Math.trunc(u);
  return Number.isNaN(b) ? 2 : Math.min(Math.max(b, 2), nbins - 3);
}

/** The joint pdf and marginals, cell by cell (see `parzenJointPdf`). */
export function naiveParzenJointPdf(sv: ArrayLike<number>, mv: ArrayLike<number>, smask: ArrayLike<number> | null,
  mmask: ArrayLike<number> | null, nbins: number, smin: number, sdelta: number, mmin: number, mdelta: number, byCount: boolean,
): { joint: Float64Array; smarginal: Float64Array; mmarginal: Float64Array } {
  const used: number[] = [];
  for (let i = 0; i < sv.length; i++) if ((!smask || smask[i] !== 0) && (!mmask || mmask[i] !== 0)) used.push(i);
  const us = used.map((i) => (sdelta === 0 ? 0 : sv[i] / sdelta - smin));
  const um = used.map((i) => (mdelta === 0 ? 0 : mv[i] / mdelta - mmin));
  const joint = new Float64Array(nbins * nbins), smarginal = new Float64Array(nbins), mmarginal = new Float64Array(nbins);
  let total = 0;
  for (let r = 0; r < nbins; r++) {
    for (let c = 0; c < nbins; c++) {
      let v = 0;
      used.forEach((_, t) => {
        const cc = bin(um[t], nbins);
        if (bin(us[t], nbins) === r && Math.abs(c - cc) <= 2) v += bspline(c - um[t]);
      });
      joint[r * nbins + c] = v;
      total += v;
    }
  }
  used.forEach((_, t) => { smarginal[bin(us[t], nbins)] += 1; });
  if (total > 0) {
    const norm = byCount ? used.length : total;
    for (let q = 0; q < joint.length; q++) joint[q] /= norm;
    for (let r = 0; r < nbins; r++) smarginal[r] /= used.length;
    for (let c = 0; c < nbins; c++) for (let r = 0; r < nbins; r++) mmarginal[c] += joint[r * nbins + c];
  } else smarginal.fill(0);
  return { joint, smarginal, mmarginal };
}

/** The joint-pdf gradient with the dense Jacobian product `J(x)ᵀ∇M` (see `parzenJointGradient`). */
export function naiveParzenJointGradient(sv: ArrayLike<number>, mv: ArrayLike<number>, smask: ArrayLike<number> | null,
  mmask: ArrayLike<number> | null, mgrad: ArrayLike<number>, points: ArrayLike<number>, jacobian: ArrayLike<number>, d: number,
  nbins: number, smin: number, sdelta: number, mmin: number, mdelta: number): Float64Array {
  const n = jacobian.length / ((d + 1) * d), dn = d * n;
  const grad = new Float64Array(nbins * nbins * n);
  let valid = 0;
  for (let i = 0; i < sv.length; i++) {
    if ((smask && smask[i] === 0) || (mmask && mmask[i] === 0)) continue;
    valid++;
    const r = bin(sdelta === 0 ? 0 : sv[i] / sdelta - smin, nbins);
    const um = mdelta === 0 ? 0 : mv[i] / mdelta - mmin;
    const c = bin(um, nbins);
    for (let k = 0; k < n; k++) {
      let jg = 0;
      for (let a = 0; a < d; a++) {
        let J = jacobian[a * n + k];
        for (let j = 0; j < d; j++) J += points[i * d + j] * jacobian[(j + 1) * dn + a * n + k];
        jg += J * mgrad[i * d + a];
      }
      for (let cc = c - 2; cc <= c + 2; cc++) grad[(r * nbins + cc) * n + k] -= bsplineDerivative(cc - um) * jg;
    }
  }
  if (valid * mdelta > 0) for (let q = 0; q < grad.length; q++) grad[q] /= valid * mdelta;
  return grad;
}

/**
 * One dense evaluation of the affine MI terms from the oracles above (see `affineMIDense2d`): the
 * moving image resampled at `M·[i;1]`, the pdfs, the gradient at the world points `A·[i;1]` and the
 * joint-pdf gradient with the Jacobian at `P·[i;1]`, over every voxel `i` of the static grid `shape`.
 */
export function naiveAffineMIDense(sv: ArrayLike<number>, smask: ArrayLike<number> | null, shape: readonly number[],
  moving: ArrayLike<number>, movingShape: readonly number[], M: Float64Array, A: Float64Array, W: Float64Array,
  spacing: ArrayLike<number>, P: Float64Array, jacobian: ArrayLike<number>, nbins: number, smin: number, sdelta: number,
  mmin: number, mdelta: number, byCount: boolean, withGradient: boolean,
): { joint: Float64Array; smarginal: Float64Array; mmarginal: Float64Array; jointGrad: Float64Array | null } {
  const d = shape.length, n = shape.reduce((a, b) => a * b, 1);
  const mv = naiveResampleAffineLinear(shape, moving, movingShape, M);
  const pdf = naiveParzenJointPdf(sv, mv, smask, null, nbins, smin, sdelta, mmin, mdelta, byCount);
  if (!withGradient) return { ...pdf, jointGrad: null };
  const world = new Float64Array(n * d), pre = new Float64Array(n * d);
  for (let p = 0; p < n; p++) {
    const idx: number[] = [];
    let rest = p;
    for (let k = d - 1; k >= 0; k--) { idx[k] = rest % shape[k]; rest = Math.floor(rest / shape[k]); }
    world.set(affineApply(A, idx), p * d);
    pre.set(affineApply(P, idx), p * d);
  }
  const g = naiveAffineGradientAt(world, moving, movingShape, W, spacing);
  const jointGrad = naiveParzenJointGradient(sv, mv, smask, null, g, pre, jacobian, d, nbins, smin, sdelta, mmin, mdelta);
  return { ...pdf, jointGrad };
}
