/**
 * Mutual-information kernels: the Parzen-window joint histogram of two images and
 * the dense MI step of one of them (the deformable counterpart of DIPY 1.6's
 * `ParzenJointHistogram`, whose affine version lives in `@diffeo/affine`).
 *
 * Maths. Intensities are mapped to bin coordinates `t = x/δ − o` (`δ`, `o` from
 * {@link parzenBinning}: `[min, max]` spans bins `p … B−1−p`, `B` = nbins, padding
 * `p = 2`). The *row* image is binned by `r = clamp(trunc(t), p, B−1−p)`, the *column*
 * image through the cubic B-spline `β`: voxel `x` adds `β(j − t_c(x))` to cell `(r(x), j)`
 * for the five bins `j = c−2 … c+2` around `c = clamp(trunc(t_c))`. The joint pdf is
 * that histogram over the number of voxels `N`; the row marginal counts rows (over `N`),
 * the column marginal sums the pdf over rows.
 *
 * With `L_ij = log(P_ij / Pc_j)` (0 where `P_ij` or `Pc_j` is below the float64 epsilon),
 * `MI = Σ P_ij (L_ij − log Pr_i)` and its derivative with respect to the column
 * intensity of voxel `x` is `∂MI/∂c(x) = −(1/(N·δ_c)) Σ_j β'(j − t_c(x)) · L_{r(x) j}`
 * (the terms from the marginals cancel because `Σ_j β(j − t) = 1`). The step kernel
 * writes `scale · Σ_j β'(j − t_c(x)) L_{r(x) j} · g(x)` per voxel, `g` a gradient field.
 *
 * Frames and units: one voxel grid in C order; intensities in any units; the step has
 * the units of `g` times `scale`. The logarithms are taken by the caller (one table of
 * `B²` values), so every backend gives the same bits: these kernels only add and
 * multiply, in double, in raster order, and store float32 at the end.
 */

/** Padding bins on each side of the histogram (the half-support of the cubic B-spline). */
export const PARZEN_PADDING = 2;

/** The cubic B-spline kernel β(x) (support [−2, 2]). */
export function cubicSpline(x: number): number {
  const ax = x < 0 ? -x : x;
  const sq = x * x;
  if (ax < 1) return (4.0 - 6.0 * sq + 3.0 * sq * ax) / 6.0;
  if (ax < 2) return (8.0 - 12 * ax + 6.0 * sq - sq * ax) / 6.0;
  return 0;
}

/** The derivative β'(x) of {@link cubicSpline}. */
export function cubicSplineDerivative(x: number): number {
  const ax = x < 0 ? -x : x;
  if (ax < 1) return x >= 0 ? -2.0 * x + 1.5 * x * x : -2.0 * x - 1.5 * x * x;
  if (ax < 2) return x >= 0 ? -2.0 + 2.0 * x - 0.5 * x * x : 2.0 + 2.0 * x + 0.5 * x * x;
  return 0;
}

/**
 * The bin width `δ = (max − min)/(nbins − 2p)` and offset `o = min/δ − p` of intensities in
 * `[min, max]`, as `[offset, delta]`; `delta = 0` for a constant range (no contrast).
 */
export function parzenBinning(min: number, max: number, nbins: number): [number, number] {
  const den = nbins - 2 * PARZEN_PADDING;
  const delta = den !== 0 ? (max - min) / den : 0;
  const offset = (delta !== 0 ? min / delta : 0) - PARZEN_PADDING;
  return [offset, delta];
}

/**
 * Parzen joint pdf of two images on one grid (see the module documentation).
 * @param joint - `nbins²` float64, row-major (row = bin of `rows`), overwritten.
 * @param rowMarginal - `nbins` float64, overwritten.
 * @param colMarginal - `nbins` float64, overwritten.
 * @param rows - `N` float32 intensities binned by truncation (the image held fixed).
 * @param cols - `N` float32 intensities binned by the B-spline window (the image differentiated).
 * @param nbins - bins per axis, at least 5.
 * @param rowOffset - `o` of the row image ({@link parzenBinning}).
 * @param rowDelta - `δ` of the row image, non-zero.
 * @param colOffset - `o` of the column image.
 * @param colDelta - `δ` of the column image, non-zero.
 */
export function miJointPdf(joint: Float64Array, rowMarginal: Float64Array, colMarginal: Float64Array, rows: Float32Array,
  cols: Float32Array, nbins: number, rowOffset: number, rowDelta: number, colOffset: number, colDelta: number): void {
  const B = nbins, n = rows.length, lo = PARZEN_PADDING, hi = nbins - 1 - PARZEN_PADDING;
  joint.fill(0, 0, B * B);
  rowMarginal.fill(0, 0, B);
  for (let i = 0; i < n; i++) {
    let r = Math.trunc(rows[i] / rowDelta - rowOffset);
    r = r < lo ? lo : r > hi ? hi : r;
    const t = cols[i] / colDelta - colOffset;
    let c = Math.trunc(t);
    c = c < lo ? lo : c > hi ? hi : c;
    rowMarginal[r] += 1;
    const base = r * B + c;
    let arg = (c - 2) - t;
    for (let o = -2; o <= 2; o++) {
      joint[base + o] += cubicSpline(arg);
      arg += 1.0;
    }
  }
  if (n > 0) {
    for (let i = 0; i < B * B; i++) joint[i] /= n;
    for (let i = 0; i < B; i++) rowMarginal[i] /= n;
  }
  for (let j = 0; j < B; j++) {
    let s = 0;
    for (let i = 0; i < B; i++) s += joint[i * B + j];
    colMarginal[j] = s;
  }
}

/**
 * Dense MI step: `out[x·d + k] = f32(scale · w(x) · gradient[x·d + k])` with
 * `w(x) = Σ_j β'(j − t_c(x)) · logRatio[r(x)·nbins + j]` (see the module documentation);
 * with `scale = −1/(N·δ_c)`, `w·scale` is `∂MI/∂c(x)`. `d = gradient.length / N`.
 * @param out - `N·d` float32, overwritten.
 * @param rows - `N` float32 row-image intensities.
 * @param cols - `N` float32 column-image intensities.
 * @param gradient - `N·d` float32 gradient of the column image (interleaved).
 * @param logRatio - `nbins²` float64 `L_ij`.
 */
export function parzenMiStep(out: Float32Array, rows: Float32Array, cols: Float32Array, gradient: Float32Array,
  logRatio: Float64Array, nbins: number, rowOffset: number, rowDelta: number, colOffset: number, colDelta: number,
  scale: number): void {
  const B = nbins, n = rows.length, lo = PARZEN_PADDING, hi = nbins - 1 - PARZEN_PADDING;
  const d = n > 0 ? Math.round(gradient.length / n) : 0;
  for (let i = 0; i < n; i++) {
    let r = Math.trunc(rows[i] / rowDelta - rowOffset);
    r = r < lo ? lo : r > hi ? hi : r;
    const t = cols[i] / colDelta - colOffset;
    let c = Math.trunc(t);
    c = c < lo ? lo : c > hi ? hi : c;
    const base = r * B + c;
    let arg = (c - 2) - t;
    let w = 0;
    for (let o = -2; o <= 2; o++) {
      w += cubicSplineDerivative(arg) * logRatio[base + o];
      arg += 1.0;
    }
    const f = w * scale;
    for (let k = 0; k < d; k++) out[i * d + k] = f * gradient[i * d + k];
  }
}
