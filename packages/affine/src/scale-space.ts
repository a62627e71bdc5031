/**
 * The scale space of the affine stage (DIPY 1.6 `scalespace.IsotropicScaleSpace`).
 *
 * With shrink `factors` `[f_{L−1}, …, f_0]` and Gaussian `sigmas` (voxels of the input grid),
 * level `i` (0 = finest) of an image with voxel sizes `s` (mm) has
 * - shrink per axis: `f_i` along the finest axis `a = argmin s`; along any other axis `j` the
 *   integer `q ∈ [1, f_i]` whose `s_j·q` is closest to `s_a·f_i` (the first one on ties);
 * - coarse grid shape `trunc(n_j / q_j)`, grid-to-world `G · diag(q, 1)`, spacing `s_j·q_j`;
 * - image: `minmax(gaussian(input, σ_i))` on the INPUT grid (level 0: `minmax(input)`,
 *   never smoothed), rounded to float32 like DIPY.
 *
 * The Gaussian is scipy's `ndimage.gaussian_filter` in float64: per axis in order (axes with
 * σ ≤ 1e-15 skipped), a normalised kernel `exp(−x²/(2σ²))` on `|x| ≤ trunc(4σ + 0.5)`,
 * 'reflect' boundary (`d c b a | a b c d | d c b a`), summed centre first, then the outer pairs.
 */
import { EmptyImageError, InvalidArgumentError } from '@diffeo/core';

/** One level of an {@link IsotropicScaleSpace}. */
export interface IsotropicLevel {
  /** Smoothed, min-max normalised image on the input grid (float32 values). */
  readonly image: Float32Array;
  /** Shape of this level's coarse grid (voxels). */
  readonly domainShape: number[];
  /** Grid-to-world matrix of the coarse grid (row-major). */
  readonly gridToWorld: Float64Array;
  /** Voxel size of the coarse grid (mm). */
  readonly spacing: Float64Array;
  /** Shrink factor per axis. */
  readonly scaling: Float64Array;
  /** Gaussian sigmas used (voxels of the input grid). */
  readonly sigmas: Float64Array;
}

/** scipy's 1D Gaussian kernel weights for σ (length 2r+1, r = trunc(4σ + 0.5)). */
function gaussianKernel(sigma: number): Float64Array {
  const r = Math.trunc(4.0 * sigma + 0.5);
  const w = new Float64Array(2 * r + 1);
  const c = -0.5 / (sigma * sigma);
  let sum = 0;
  for (let i = -r; i <= r; i++) w[i + r] = Math.exp(c * (i * i));
  // NumPy's sum over a short array (pairwise blocks of 8 start with 8 partial sums)
  sum = numpySmallSum(w);
  for (let i = 0; i < w.length; i++) w[i] /= sum;
  return w;
}

/** NumPy's pairwise sum (float64) for arrays of any length. */
function numpySmallSum(a: Float64Array): number {
  const rec = (off: number, n: number): number => {
    if (n < 8) { let s = 0; for (let i = 0; i < n; i++) s += a[off + i]; return s; }
    if (n <= 128) {
      const r = [a[off], a[off + 1], a[off + 2], a[off + 3], a[off + 4], a[off + 5], a[off + 6], a[off + 7]];
      let i = 8;
      for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] += a[off + i + j];
      let s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
      for (; i < n; i++) s += a[off + i];
      return s;
    }
    let n2 = Math.floor(n / 2);
    n2 -= n2 % 8;
    return rec(off, n2) + rec(off + n2, n - n2);
  };
  return rec(0, a.length);
}

/** Index into [0, n) with scipy's 'reflect' extension. */
function reflect(i: number, n: number): number {
  if (n === 1) return 0;
  const p = 2 * n;
  let k = i % p;
  if (k < 0) k += p;
  return k < n ? k : p - 1 - k;
}

/** scipy `gaussian_filter(input, sigmas)` on float64 data (see the module documentation); a new array. */
export function gaussianFilter64(input: Float64Array, shape: readonly number[], sigmas: ArrayLike<number>): Float64Array {
  const out = gaussianInto(input, shape, sigmas, new Float64Array(input.length), new Float64Array(input.length));
  return out === input ? input.slice() : out;
}

/**
 * {@link gaussianFilter64} with two caller-given buffers of `input.length` values that the axes
 * alternate between (`input` is only read). Returns the buffer holding the result, or `input`
 * itself when no axis is smoothed.
 */
function gaussianInto(input: Float64Array, shape: readonly number[], sigmas: ArrayLike<number>, bufA: Float64Array,
  bufB: Float64Array): Float64Array {
  let cur = input;
  const d = shape.length;
  for (let axis = 0; axis < d; axis++) {
    const sigma = sigmas[axis];
    if (!(sigma > 1e-15)) continue;
    const w = gaussianKernel(sigma);
    const r = (w.length - 1) / 2;
    const n = shape[axis];
    let stride = 1;
    for (let k = axis + 1; k < d; k++) stride *= shape[k];
    const out = cur === bufA ? bufB : bufA;
    const line = new Float64Array(n + 2 * r);
    const lines = cur.length / n;
    for (let l = 0; l < lines; l++) {
      const outer = Math.floor(l / stride), inner = l % stride;
      const base = outer * n * stride + inner;
      for (let i = -r; i < n + r; i++) line[i + r] = cur[base + reflect(i, n) * stride];
      for (let i = 0; i < n; i++) {
        const c = i + r;
        let t = line[c] * w[r];
        for (let j = -r; j < 0; j++) t += (line[c + j] + line[c - j]) * w[r + j];
        out[base + i * stride] = t;
      }
    }
    cur = out;
  }
  return cur;
}

/** `float32((x − min) / (max − min))` computed in float64, as DIPY does. */
function normalise(x: Float64Array, what: string): Float32Array {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < x.length; i++) { const v = x[i]; if (v < lo) lo = v; if (v > hi) hi = v; }
  if (!(hi > lo)) throw new EmptyImageError(`${what} is constant (every voxel equals ${lo}); the affine stage needs an image with contrast.`);
  const out = new Float32Array(x.length);
  const den = hi - lo;
  for (let i = 0; i < x.length; i++) out[i] = (x[i] - lo) / den;
  return out;
}

/** DIPY's IsotropicScaleSpace (see the module documentation); `levels[0]` is the finest. */
export class IsotropicScaleSpace {
  /** The levels, finest first. */
  readonly levels: IsotropicLevel[];

  /**
   * @param image - input values (C order) on `shape`, used as float64 (only read).
   * @param shape - grid shape (voxels).
   * @param factors - shrink factors, coarsest first (DIPY's `factors`, e.g. `[4, 2, 1]`).
   * @param sigmas - Gaussian sigmas (voxels), coarsest first (e.g. `[3, 1, 0]`).
   * @param gridToWorld - `(d+1)²` row-major grid-to-world matrix.
   * @param spacing - voxel sizes (mm), one per axis.
   */
  constructor(image: ArrayLike<number>, shape: readonly number[], factors: readonly number[], sigmas: readonly number[],
    gridToWorld: ArrayLike<number>, spacing: ArrayLike<number>, what = 'image') {
    const L = factors.length;
    if (L === 0 || sigmas.length !== L) throw new InvalidArgumentError(`factors and sigmas must be non-empty and of the same length, got ${factors.length} and ${sigmas.length}.`);
    for (const f of factors) if (!Number.isInteger(f) || f < 1) throw new InvalidArgumentError(`shrink factors must be integers ≥ 1, got ${f}.`);
    for (const s of sigmas) if (!(s >= 0)) throw new InvalidArgumentError(`sigmas must be ≥ 0 (voxels), got ${s}.`);
    const d = shape.length, m = d + 1;
    const input = image instanceof Float64Array ? image : Float64Array.from(image);
    const levels: IsotropicLevel[] = [{
      image: normalise(input, what), domainShape: [...shape], gridToWorld: Float64Array.from(gridToWorld),
      spacing: Float64Array.from(spacing), scaling: new Float64Array(d).fill(1), sigmas: new Float64Array(d).fill(sigmas[L - 1]),
    }];
    // the smoothing of every level alternates between these two buffers (its result is rounded to float32)
    const bufA = L > 1 ? new Float64Array(input.length) : input, bufB = L > 1 ? new Float64Array(input.length) : input;
    let amin = 0;
    for (let j = 1; j < d; j++) if (spacing[j] < spacing[amin]) amin = j;
    for (let i = 1; i < L; i++) {
      const factor = factors[L - 1 - i];
      const shrink = new Float64Array(d), sp = new Float64Array(d);
      shrink[amin] = factor;
      sp[amin] = spacing[amin] * factor;
      for (let j = 0; j < d; j++) {
        if (j === amin) continue;
        shrink[j] = factor;
        sp[j] = spacing[j] * factor;
        let best = Math.abs(sp[j] - sp[amin]);
        for (let f = 1; f < factor; f++) {
          const diff = Math.abs(spacing[j] * f - sp[amin]);
          if (diff < best) { shrink[j] = f; sp[j] = spacing[j] * f; best = diff; }
        }
      }
      const g2w = new Float64Array(m * m);
      for (let r = 0; r < m; r++) for (let c = 0; c < m; c++) g2w[r * m + c] = gridToWorld[r * m + c] * (c < d ? shrink[c] : 1);
      const size = shape.map((n, j) => Math.trunc(n / shrink[j]));
      if (size.some((n) => n < 1)) {
        throw new InvalidArgumentError(`${what} of shape [${shape.join(', ')}] is too small for shrink factor ${factor}; use smaller factors.`);
      }
      const sg = new Float64Array(d).fill(sigmas[L - 1 - i]);
      levels.push({
        image: normalise(gaussianInto(input, shape, sg, bufA, bufB), `${what} (smoothed, level ${i})`),
        domainShape: size, gridToWorld: g2w, spacing: sp, scaling: shrink, sigmas: sg,
      });
    }
    this.levels = levels;
  }
}
