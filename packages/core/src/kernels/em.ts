/**
 * Expectation-maximisation (EM) metric kernels (DIPY 1.6's `dipy.align.expectmax`):
 * the quantisation of an image into intensity classes, the masked per-class
 * statistics of a second image, and the EM demons step.
 *
 * Maths.
 * - Quantisation with `q` levels: values `≤ 0` form class 0; the positive values,
 *   from `min` to `max`, are cut into `q − 1` equal bins of width
 *   `Δ = (max − min + 1e-8)/(q − 1)`, class `1 + floor((v − min)/Δ)`; `levels[c]` is
 *   the centre of bin `c` (0 for class 0). With `q = 2`, or `Δ < 1e-8` (one
 *   positive value), every positive voxel is class 1 and `levels[1] = (min + max)/2`.
 * - Class statistics: for each class `c`, the mean and the (biased) variance of
 *   `image` over the voxels of class `c` inside the mask; mean 0 for an empty
 *   class, variance `+∞` for a class of fewer than 2 voxels.
 * - Class fields: each voxel's class mean and variance looked up from the class
 *   tables (`E[x] = μ[class(x)]`, `σ²[x] = σ²[class(x)]`).
 * - Masks `image > 0` as bytes.
 * - `Σ f32(a²)` in double (the Gauss-Newton energy).
 * - Element-wise float32 sums and differences `a ± b` (the double gradient's sum and
 *   the step's `δ`), each rounded once to float32 as NumPy's float32 arithmetic.
 * - EM demons step (Arce-Santana et al. 2014 with Vercauteren et al. 2009, eq. 4):
 *   `u = σx²·δ·g / (σx²·|g|² + σ²)` per voxel, `u = δ·g/|g|²` where `σ² = 0`, and 0
 *   where `σ² = ±∞` or `σ² = 0 = |g|²`; the energy is `Σ δ²`.
 *
 * Frames and units: one voxel grid, C order; vector components interleaved,
 * component `k` along array axis `k`. `δ` in intensity units, `g` in intensity per
 * world unit, steps in world units.
 *
 * Numerics follow DIPY 1.6 bit for bit: min, max, `Δ` and the bin index in double;
 * levels, class sums, means and variances accumulated in float32 (as DIPY stores
 * them), class sizes converted to float32 before dividing; the step's `|g|²` as a
 * float32 sum of float32 squares, the rest in double, stored float32.
 */
import type { Shape2D, Shape3D } from '../types.js';

const fround = Math.fround;

/**
 * Quantises `image` into `numLevels` classes (DIPY's `quantize_positive_2d/3d`; the
 * dimension does not matter, the loop is over voxels in raster order).
 * @param out - `prod(shape)` int32, receives each voxel's class in `[0, numLevels − 1]`.
 * @param levels - `numLevels` float32, receives the class centres (`levels[0] = 0`).
 * @param hist - `numLevels` int32, receives the class sizes.
 * @param image - `prod(shape)` float32 intensities (any units).
 * @param numLevels - number of classes, at least 2 (not checked).
 */
export function quantizePositive(out: Int32Array, levels: Float32Array, hist: Int32Array, image: Float32Array,
  numLevels: number): void {
  const n = image.length;
  let minVal = -1;
  let maxVal = -1;
  for (let i = 0; i < n; i++) {
    const v = image[i];
    if (v > 0) {
      if (minVal < 0 || v < minVal) minVal = v;
      if (v > maxVal) maxVal = v;
    }
  }
  levels.fill(0);
  hist.fill(0);
  const bins = numLevels - 1; // class 0 is the special class of values <= 0
  const epsilon = 1e-8;
  const delta = (maxVal - minVal + epsilon) / bins;
  if (bins < 2 || delta < epsilon) {
    let zeros = 0;
    for (let i = 0; i < n; i++) {
      if (image[i] > 0) out[i] = 1;
      else {
        out[i] = 0;
        zeros++;
      }
    }
    hist[0] = zeros;
    levels[1] = 0.5 * (minVal + maxVal);
    hist[1] = n - zeros;
    return;
  }
  levels[1] = minVal + delta * 0.5;
  for (let c = 2; c <= bins; c++) levels[c] = levels[c - 1] + delta;
  for (let i = 0; i < n; i++) {
    const v = image[i];
    if (v > 0) {
      let l = Math.floor((v - minVal) / delta);
      // (v − min)/Δ < bins in exact arithmetic; guard the rounding of huge ranges.
      if (l > bins - 1) l = bins - 1;
      out[i] = l + 1;
      hist[l + 1]++;
    } else {
      out[i] = 0;
      hist[0]++;
    }
  }
}

/**
 * Per-class mean and variance of `image` over the masked voxels (DIPY's
 * `compute_masked_class_stats_2d/3d`; raster order, any dimension).
 * @param means - `numLabels` float32, receives the class means (0 for an empty class).
 * @param variances - `numLabels` float32, receives the class variances (`+∞` below 2 voxels).
 * @param counts - `numLabels` int32, receives the number of masked voxels per class.
 * @param mask - `prod(shape)` values; voxels where it is 0 are ignored.
 * @param image - `prod(shape)` float32 intensities.
 * @param labels - `prod(shape)` int32 classes in `[0, numLabels − 1]` (not checked).
 * @param numLabels - number of classes.
 */
export function maskedClassStats(means: Float32Array, variances: Float32Array, counts: Int32Array,
  mask: Int32Array | Uint8Array, image: Float32Array, labels: Int32Array, numLabels: number): void {
  const n = image.length;
  means.fill(0);
  variances.fill(0);
  counts.fill(0);
  for (let i = 0; i < n; i++) {
    if (mask[i] !== 0) {
      const c = labels[i];
      means[c] += image[i];
      counts[c]++;
    }
  }
  for (let c = 0; c < numLabels; c++) if (counts[c] > 0) means[c] = means[c] / fround(counts[c]);
  for (let i = 0; i < n; i++) {
    if (mask[i] !== 0) {
      const c = labels[i];
      const diff = fround(image[i] - means[c]);
      variances[c] += fround(diff * diff);
    }
  }
  for (let c = 0; c < numLabels; c++) {
    variances[c] = counts[c] > 1 ? variances[c] / fround(counts[c]) : Infinity;
  }
}

/**
 * Class fields (DIPY's `means[labels]`, `variances[labels]` fancy indexing): for every
 * voxel `i`, `means[i] = classMeans[labels[i]]` and `sigmaSq[i] = classVariances[labels[i]]`.
 * @param means - `labels.length` float32, receives the expected intensities.
 * @param sigmaSq - `labels.length` float32, receives the class variances.
 * @param labels - int32 classes in `[0, classMeans.length − 1]` (not checked); may be an int32 view of
 *   `sigmaSq`'s memory (each label is read before its voxel is written).
 * @param classMeans - float32 class table (intensity units).
 * @param classVariances - float32 class table (intensity units squared).
 */
export function emClassFields(means: Float32Array, sigmaSq: Float32Array, labels: Int32Array, classMeans: Float32Array,
  classVariances: Float32Array): void {
  const n = labels.length;
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    means[i] = classMeans[c];
    sigmaSq[i] = classVariances[c];
  }
}

/**
 * Element-wise float32 sum `out[i] = f32(a[i] + b[i])` over `out.length` values
 * (`out` may be `a` or `b`).
 */
export function addFloat32(out: Float32Array, a: Float32Array, b: Float32Array): void {
  const n = out.length;
  for (let i = 0; i < n; i++) out[i] = a[i] + b[i];
}

/**
 * Element-wise float32 difference `out[i] = f32(a[i] − b[i])` over `out.length` values
 * (`out` may be `a` or `b`).
 */
export function subtractFloat32(out: Float32Array, a: Float32Array, b: Float32Array): void {
  const n = out.length;
  for (let i = 0; i < n; i++) out[i] = a[i] - b[i];
}

/**
 * The EM metric's image masks: `out[i] = 1` where `image[i] > 0`, else 0 (NaN gives 0),
 * for `i < image.length` (DIPY's `(image > 0).astype(np.int32)`, as bytes).
 */
export function positiveMask(out: Uint8Array, image: Float32Array): void {
  const n = image.length;
  for (let i = 0; i < n; i++) out[i] = image[i] > 0 ? 1 : 0;
}

/**
 * `Σ f32(a[i]²)` in double, raster order (DIPY's `compute_energy_ssd_2d/3d`: float32
 * squares summed in double), the Gauss-Newton energy of the SSD and EM metrics.
 */
export function sumSquaresFloat32(a: Float32Array): number {
  let e = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i];
    e += fround(d * d);
  }
  return e;
}

/**
 * EM demons step in 2D (DIPY's `compute_em_demons_step_2d`), before smoothing.
 * @param out - `rows·cols·2` float32, receives the step (world units).
 * @param delta - `rows·cols` float32 intensity difference (forward step: static − E[moving class mean]).
 * @param sigmaSq - `rows·cols` float32 variance of each voxel's class (`±∞`: no step).
 * @param gradient - `rows·cols·2` float32 gradient (intensity per world unit); may be `out` itself
 *   (each voxel's gradient is read before its step is written).
 * @param shape - `[rows, cols]`.
 * @param sigmaSqX - `σx²` (DIPY: `Σ spacing²/d`, world units squared).
 * @returns the energy `Σ δ²` (double, raster order).
 */
export function emDemonsStep2d(out: Float32Array, delta: Float32Array, sigmaSq: Float32Array, gradient: Float32Array,
  shape: Shape2D, sigmaSqX: number): number {
  const n = shape[0] * shape[1];
  let energy = 0;
  for (let p = 0, q = 0; p < n; p++, q += 2) {
    const s2 = sigmaSq[p];
    const d = delta[p];
    energy += d * d;
    if (s2 === Infinity || s2 === -Infinity) {
      out[q] = 0;
      out[q + 1] = 0;
      continue;
    }
    const g0 = gradient[q];
    const g1 = gradient[q + 1];
    const nrm2 = fround(fround(g0 * g0) + fround(g1 * g1));
    if (s2 === 0) {
      if (nrm2 === 0) {
        out[q] = 0;
        out[q + 1] = 0;
      } else {
        out[q] = (d * g0) / nrm2;
        out[q + 1] = (d * g1) / nrm2;
      }
    } else {
      const den = sigmaSqX * nrm2 + s2;
      const prod = sigmaSqX * d;
      out[q] = (prod * g0) / den;
      out[q + 1] = (prod * g1) / den;
    }
  }
  return energy;
}

/** 3D version of {@link emDemonsStep2d}: `delta`, `sigmaSq` are `prod(shape)`, `gradient` and `out` `prod(shape)·3`; `shape = [slices, rows, cols]`. */
export function emDemonsStep3d(out: Float32Array, delta: Float32Array, sigmaSq: Float32Array, gradient: Float32Array,
  shape: Shape3D, sigmaSqX: number): number {
  const n = shape[0] * shape[1] * shape[2];
  let energy = 0;
  for (let p = 0, q = 0; p < n; p++, q += 3) {
    const s2 = sigmaSq[p];
    const d = delta[p];
    energy += d * d;
    if (s2 === Infinity || s2 === -Infinity) {
      out[q] = 0;
      out[q + 1] = 0;
      out[q + 2] = 0;
      continue;
    }
    const g0 = gradient[q];
    const g1 = gradient[q + 1];
    const g2 = gradient[q + 2];
    const nrm2 = fround(fround(fround(g0 * g0) + fround(g1 * g1)) + fround(g2 * g2));
    if (s2 === 0) {
      if (nrm2 === 0) {
        out[q] = 0;
        out[q + 1] = 0;
        out[q + 2] = 0;
      } else {
        out[q] = (d * g0) / nrm2;
        out[q + 1] = (d * g1) / nrm2;
        out[q + 2] = (d * g2) / nrm2;
      }
    } else {
      const den = sigmaSqX * nrm2 + s2;
      const prod = sigmaSqX * d;
      out[q] = (prod * g0) / den;
      out[q + 1] = (prod * g1) / den;
      out[q + 2] = (prod * g2) / den;
    }
  }
  return energy;
}
