/**
 * Slow direct-definition oracles of the mutual-information kernels (`mi.ts`): every
 * voxel is weighed against every bin with the B-spline (no five-bin window, no shared
 * loop variables), and the step sums over all bins. They agree with the fast kernels
 * to rounding, not bit for bit; tests only.
 */
import { PARZEN_PADDING, cubicSpline, cubicSplineDerivative } from '../mi.js';

function rowBin(v: number, offset: number, delta: number, nbins: number): number {
  const b = Math.trunc(v / delta - offset);
  return Math.min(Math.max(b, PARZEN_PADDING), nbins - 1 - PARZEN_PADDING);
}

/** Direct joint pdf and marginals: `P_ij = (1/N) Σ_x [r(x) = i] β(j − t_c(x))`. */
export function miJointPdfNaive(rows: ArrayLike<number>, cols: ArrayLike<number>, nbins: number, rowOffset: number,
  rowDelta: number, colOffset: number, colDelta: number): { joint: Float64Array; rowMarginal: Float64Array; colMarginal: Float64Array } {
  const n = rows.length;
  const joint = new Float64Array(nbins * nbins), rowMarginal = new Float64Array(nbins), colMarginal = new Float64Array(nbins);
  for (let x = 0; x < n; x++) {
    const i = rowBin(rows[x], rowOffset, rowDelta, nbins);
    const t = cols[x] / colDelta - colOffset;
    rowMarginal[i] += 1 / n;
    for (let j = 0; j < nbins; j++) joint[i * nbins + j] += cubicSpline(j - t) / n;
  }
  for (let j = 0; j < nbins; j++) for (let i = 0; i < nbins; i++) colMarginal[j] += joint[i * nbins + j];
  return { joint, rowMarginal, colMarginal };
}

/** Direct step: `scale · Σ_j β'(j − t_c(x)) L_{r(x) j} · g(x)`, summed over all `nbins` bins, in double. */
export function parzenMiStepNaive(rows: ArrayLike<number>, cols: ArrayLike<number>, gradient: ArrayLike<number>,
  logRatio: ArrayLike<number>, nbins: number, rowOffset: number, rowDelta: number, colOffset: number, colDelta: number,
  scale: number): Float64Array {
  const n = rows.length, d = gradient.length / n;
  const out = new Float64Array(n * d);
  for (let x = 0; x < n; x++) {
    const i = rowBin(rows[x], rowOffset, rowDelta, nbins);
    const t = cols[x] / colDelta - colOffset;
    let w = 0;
    for (let j = 0; j < nbins; j++) w += cubicSplineDerivative(j - t) * logRatio[i * nbins + j];
    for (let k = 0; k < d; k++) out[x * d + k] = scale * w * gradient[x * d + k];
  }
  return out;
}
