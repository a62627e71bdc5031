/**
 * Otsu's threshold exactly as scikit-image 0.19 `threshold_otsu(image, nbins=256)`
 * (the implementation DIPY 1.6's `median_otsu` uses when scikit-image is installed).
 *
 * Maths: with histogram counts `h` (as float64) and bin centres `c` over `nb` bins,
 * `w1 = cumsum(h)`, `w2 = reverse cumsum(h)`, `m1 = cumsum(h·c)/w1`,
 * `m2 = reverse cumsum(h·c)/w2`, the between-class score is
 * `s[i] = (w1[i]·w2[i+1]) · (m1[i] − m2[i+1])²` for `i < nb − 1`, and the threshold is
 * `c[argmax s]` (first maximum). Sums run sequentially in double, like NumPy's `cumsum`.
 *
 * Histograms:
 * - integer data: one bin per integer from min to max, centre = the integer (`nbins` ignored);
 * - float data: `numpy.histogram(values, nbins)` over `[min, max]`. The edges are
 *   `linspace(min, max, nbins+1)` evaluated in double (`i·step + min`, `step = (max−min)/nbins`,
 *   last edge = max) and rounded to the data dtype (float32 for `Float32Array`); a value's bin
 *   is NumPy's `⌊((v − min)/(max − min))·nbins⌋` evaluated in the data dtype, then corrected
 *   against the edges (`edges[i] ≤ v < edges[i+1]`, the last bin closed). Centres are
 *   `(e[i] + e[i+1])/2` in the data dtype.
 * - If every value equals the first, that value is returned.
 *
 * Units: the threshold is in the data's intensity units; no spatial frame is involved.
 */
import { EmptyImageError, InvalidArgumentError, NonFiniteError, type NumericArray } from '@diffeo/core';

/** Options of {@link otsuThreshold}. */
export interface OtsuOptions {
  /** Number of histogram bins for float data (ignored for integer data). Default 256. */
  nbins?: number;
}

/** A histogram: counts (as float64, like scikit-image) and bin centres. */
export interface Histogram {
  readonly counts: Float64Array;
  readonly centers: Float64Array;
}

const MAX_INTEGER_BINS = 1 << 27;

/** scikit-image's integer histogram: one bin per integer value between min and max. */
export function integerHistogram(data: NumericArray): Histogram {
  const n = data.length;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = data[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const nb = hi - lo + 1;
  if (nb > MAX_INTEGER_BINS) {
    throw new InvalidArgumentError(`integer data spans ${nb} distinct integer bins (from ${lo} to ${hi}); Otsu's integer histogram is limited to ${MAX_INTEGER_BINS}. Convert the data to float first.`);
  }
  const counts = new Float64Array(nb);
  for (let i = 0; i < n; i++) counts[data[i] - lo]++;
  const centers = new Float64Array(nb);
  for (let i = 0; i < nb; i++) centers[i] = lo + i;
  return { counts, centers };
}

/**
 * `numpy.histogram(values, nbins)` with the range taken from the data (NumPy 1.24), and the bin
 * centres scikit-image derives from its edges. `float32` selects float32 edges and arithmetic
 * (for `Float32Array` data); otherwise double.
 */
export function floatHistogram(data: ArrayLike<number>, nbins: number, float32: boolean): Histogram & { edges: Float64Array } {
  const n = data.length;
  const r = float32 ? Math.fround : (x: number) => x;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = data[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === hi) {
    // NumPy widens an empty range by 0.5 on each side (in the data dtype).
    lo = r(lo - 0.5);
    hi = r(hi + 0.5);
  }
  const edges = new Float64Array(nbins + 1);
  const step = (hi - lo) / nbins;
  for (let i = 0; i < nbins; i++) edges[i] = r(i * step + lo);
  edges[nbins] = hi;
  const denom = r(hi - lo);
  const counts = new Float64Array(nbins);
  const last = nbins - 1;
  for (let k = 0; k < n; k++) {
    const v = data[k];
    let i = Math.trunc(r(r(r(v - lo) / denom) * nbins));
    if (i === nbins) i--;
    if (v < edges[i]) i--;
    else if (i !== last && v >= edges[i + 1]) i++;
    counts[i]++;
  }
  const centers = new Float64Array(nbins);
  for (let i = 0; i < nbins; i++) centers[i] = r(r(edges[i] + edges[i + 1]) / 2);
  return { counts, centers, edges };
}

/** Otsu's rule on a histogram (scikit-image 0.19 `threshold_otsu` with `hist=`): the centre maximising the between-class score. */
export function otsuFromHistogram(counts: Float64Array, centers: Float64Array): number {
  const nb = counts.length;
  if (nb < 2) return centers[0];
  const w1 = new Float64Array(nb);
  const s1 = new Float64Array(nb);
  let cw = 0;
  let cs = 0;
  for (let i = 0; i < nb; i++) {
    cw += counts[i];
    cs += counts[i] * centers[i];
    w1[i] = cw;
    s1[i] = cs;
  }
  const w2 = new Float64Array(nb);
  const s2 = new Float64Array(nb);
  cw = 0;
  cs = 0;
  for (let i = nb - 1; i >= 0; i--) {
    cw += counts[i];
    cs += counts[i] * centers[i];
    w2[i] = cw;
    s2[i] = cs;
  }
  let best = -Infinity;
  let idx = 0;
  for (let i = 0; i < nb - 1; i++) {
    const d = s1[i] / w1[i] - s2[i + 1] / w2[i + 1];
    const score = w1[i] * w2[i + 1] * (d * d);
    // np.argmax: first maximum; a NaN wins at once.
    if (score !== score) {
      idx = i;
      break;
    }
    if (score > best) {
      best = score;
      idx = i;
    }
  }
  return centers[idx];
}

/**
 * Otsu's threshold of an image, exactly as scikit-image 0.19 `threshold_otsu(image, nbins)`.
 * Voxels strictly above the threshold are foreground (DIPY: `mask = b0 > t`).
 *
 * @param data - the image values (any shape; only the values matter). Integer typed arrays use
 *   one bin per integer; `Float32Array` uses float32 histogram edges; `Float64Array` double.
 * @returns the threshold (a bin centre, or the common value of a constant image), in intensity units.
 * @throws EmptyImageError for no values; NonFiniteError for NaN or infinite float values;
 *   InvalidArgumentError for a bad `nbins`.
 */
export function otsuThreshold(data: NumericArray, options: OtsuOptions = {}): number {
  const nbins = options.nbins ?? 256;
  if (!Number.isInteger(nbins) || nbins < 1) throw new InvalidArgumentError(`nbins must be a positive integer; got ${nbins}.`);
  const n = data.length;
  if (n === 0) throw new EmptyImageError('otsuThreshold needs at least one value.');
  const isFloat = data instanceof Float32Array || data instanceof Float64Array;
  if (isFloat) {
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(data[i])) {
        throw new NonFiniteError(`the image contains ${data[i]} (first at flat index ${i}); Otsu's histogram needs finite values — replace them first.`);
      }
    }
  }
  const first = data[0];
  let constant = true;
  for (let i = 1; i < n; i++) {
    if (data[i] !== first) {
      constant = false;
      break;
    }
  }
  if (constant) return first;
  const h = isFloat ? floatHistogram(data, nbins, data instanceof Float32Array) : integerHistogram(data);
  return otsuFromHistogram(h.counts, h.centers);
}
