/**
 * Separable Gaussian smoothing, bit-compatible with `scipy.ndimage.gaussian_filter`
 * (SciPy 1.10, `order=0`, `mode='reflect'`, `truncate=4.0`) on float32 data, as DIPY
 * 1.6 uses it for the scale space and for smoothing metric steps (docs/algorithm.md §3.1).
 *
 * Maths. Axes are filtered one after the other, axis 0 first. For an axis with
 * standard deviation `σ > 1e-15` (in voxels of the grid being filtered; other axes
 * are left untouched) the kernel radius is `r = trunc(4σ + 0.5)` and the weights are
 *
 *     g_j = exp(c · j²),  c = −0.5 / (σ·σ),  j = −r..r;   w_j = g_j / Σ g
 *
 * with the sum taken in NumPy's pairwise order. Samples outside a line of length `n`
 * are read through the half-sample symmetric ("reflect") extension
 * `… c b a | a b c … z | z y x …`, which repeats with period `2n`, so kernels longer
 * than the line reflect several times. Each output sample is the double
 *
 *     acc = x[i]·w_0;  for j = r, r−1, …, 1:  acc += (x[i−j] + x[i+j])·w_j
 *
 * (SciPy's symmetric-kernel loop), stored as float32 before the next axis is filtered.
 *
 * Frames and units: grid (array-index) space, σ in voxels per array axis; the data
 * is C-ordered with `ncomp` interleaved components, each filtered independently.
 *
 * Numerical note: the weights use JavaScript's `Math.exp`. NumPy's `exp` (SIMD on
 * AVX-512 machines, libm otherwise) can differ from it by one ulp for some
 * arguments; such a one-ulp change of a double weight flips a float32 output only
 * with a probability of the order of 1e-8 per sample, and did not change any value
 * of the DIPY scale-space fixtures.
 */
import type { Shape2D, Shape3D } from '../types.js';

/** Sigmas at or below this are treated as "no smoothing along this axis" (SciPy's threshold). */
const SIGMA_EPS = 1e-15;

/**
 * Sum of `a[lo .. lo+n-1]` in NumPy's pairwise order (`np.sum` of a contiguous
 * float64 array): a plain loop below 8 values, eight interleaved partial sums up to
 * 128 values, recursive halving (at a multiple of 8) above.
 */
function pairwiseSum(a: Float64Array, lo: number, n: number): number {
  if (n < 8) {
    let s = 0;
    for (let i = 0; i < n; i++) s += a[lo + i];
    return s;
  }
  if (n <= 128) {
    let r0 = a[lo], r1 = a[lo + 1], r2 = a[lo + 2], r3 = a[lo + 3];
    let r4 = a[lo + 4], r5 = a[lo + 5], r6 = a[lo + 6], r7 = a[lo + 7];
    const end = n - (n % 8);
    let i = 8;
    for (; i < end; i += 8) {
      r0 += a[lo + i]; r1 += a[lo + i + 1]; r2 += a[lo + i + 2]; r3 += a[lo + i + 3];
      r4 += a[lo + i + 4]; r5 += a[lo + i + 5]; r6 += a[lo + i + 6]; r7 += a[lo + i + 7];
    }
    let s = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
    for (; i < n; i++) s += a[lo + i];
    return s;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, lo, n2) + pairwiseSum(a, lo + n2, n - n2);
}

/** Kernel radius SciPy uses for `sigma` with `truncate = 4`: `trunc(4σ + 0.5)`. */
export function gaussianRadius(sigma: number): number {
  return Math.trunc(4.0 * sigma + 0.5);
}

/**
 * Normalised half kernel for `sigma` (voxels): element `j` (0..r) is the weight of
 * offset ±j, exactly as SciPy's `_gaussian_kernel1d(sigma, 0, r)` up to `Math.exp`.
 */
export function gaussianWeights(sigma: number): Float64Array {
  const r = gaussianRadius(sigma);
  const c = -0.5 / (sigma * sigma);
  const full = new Float64Array(2 * r + 1);
  for (let j = -r; j <= r; j++) full[j + r] = Math.exp(c * (j * j));
  const sum = pairwiseSum(full, 0, full.length);
  const half = new Float64Array(r + 1);
  for (let j = 0; j <= r; j++) half[j] = full[r + j] / sum;
  return half;
}

/** Source index of position `i` (any integer) of a line of length `n` under half-sample reflection (period 2n). */
function reflectIndex(i: number, n: number): number {
  const p = 2 * n;
  let m = i % p;
  if (m < 0) m += p;
  return m < n ? m : p - 1 - m;
}

/**
 * Filters the last array axis: `outer` lines of `n` samples, sample stride `ncomp`
 * (one pass per component). Each line is copied into a padded double buffer first,
 * so `dst` may equal `src`. Four outputs are accumulated together (independent
 * dependency chains); each one still follows the per-sample order exactly.
 */
function filterLastAxis(dst: Float32Array, src: Float32Array, outer: number, n: number, ncomp: number,
  w: Float64Array, buf: Float64Array): void {
  const r = w.length - 1;
  const w0 = w[0];
  const lineLen = n * ncomp;
  const n4 = n - (n % 4);
  for (let o = 0; o < outer; o++) {
    const base = o * lineLen;
    for (let c = 0; c < ncomp; c++) {
      // padded line: buf[r + i] = x[i] for i in [-r, n + r)
      for (let i = 0, s = base + c; i < n; i++, s += ncomp) buf[r + i] = src[s];
      for (let i = 1; i <= r; i++) {
        buf[r - i] = buf[r + reflectIndex(-i, n)];
        buf[r + n - 1 + i] = buf[r + reflectIndex(n - 1 + i, n)];
      }
      let i = 0;
      for (; i < n4; i += 4) {
        const ci = r + i;
        let a0 = buf[ci] * w0, a1 = buf[ci + 1] * w0, a2 = buf[ci + 2] * w0, a3 = buf[ci + 3] * w0;
        for (let j = r; j >= 1; j--) {
          const wj = w[j], lo = ci - j, hi = ci + j;
          a0 += (buf[lo] + buf[hi]) * wj;
          a1 += (buf[lo + 1] + buf[hi + 1]) * wj;
          a2 += (buf[lo + 2] + buf[hi + 2]) * wj;
          a3 += (buf[lo + 3] + buf[hi + 3]) * wj;
        }
        const d = base + i * ncomp + c;
        dst[d] = a0;
        dst[d + ncomp] = a1;
        dst[d + 2 * ncomp] = a2;
        dst[d + 3 * ncomp] = a3;
      }
      for (; i < n; i++) {
        const ci = r + i;
        let acc = buf[ci] * w0;
        for (let j = r; j >= 1; j--) acc += (buf[ci - j] + buf[ci + j]) * w[j];
        dst[base + i * ncomp + c] = acc;
      }
    }
  }
}

/**
 * Number of source rows an in-place pass over an axis of `n` rows with kernel
 * radius `r` keeps in its ring buffer: every output row `i` reads only source rows
 * in `[i − r, i + r]` (reflection included), so `2r + 1` rows suffice (all `n` when
 * the kernel is at least as long as the axis).
 */
function ringRows(n: number, r: number): number {
  return Math.min(n, 2 * r + 1);
}

/** Columns per block of an in-place pass (a multiple of 4), which bounds its ring buffer to `ringRows·RING_BLOCK` floats. */
const RING_BLOCK = 2048;

/**
 * Accumulates output row `outRow .. outRow+width` from the tap rows of `x`
 * (centre row at `row`, tap `j` rows at `offs[2j]`, `offs[2j+1]`), four columns
 * together, each in the per-sample order of the line formulation.
 */
function accumulateRow(dst: Float32Array, outRow: number, x: Float32Array, row: number, width: number,
  w: Float64Array, offs: Int32Array): void {
  const r = w.length - 1;
  const w0 = w[0];
  const w4 = width - (width % 4);
  let e = 0;
  for (; e < w4; e += 4) {
    const p = row + e;
    let a0 = x[p] * w0, a1 = x[p + 1] * w0, a2 = x[p + 2] * w0, a3 = x[p + 3] * w0;
    for (let j = r; j >= 1; j--) {
      const lo = offs[2 * j] + e, hi = offs[2 * j + 1] + e, wj = w[j];
      a0 += (x[lo] + x[hi]) * wj;
      a1 += (x[lo + 1] + x[hi + 1]) * wj;
      a2 += (x[lo + 2] + x[hi + 2]) * wj;
      a3 += (x[lo + 3] + x[hi + 3]) * wj;
    }
    const q = outRow + e;
    dst[q] = a0;
    dst[q + 1] = a1;
    dst[q + 2] = a2;
    dst[q + 3] = a3;
  }
  for (; e < width; e++) {
    let a = x[row + e] * w0;
    for (let j = r; j >= 1; j--) a += (x[offs[2 * j] + e] + x[offs[2 * j + 1] + e]) * w[j];
    dst[outRow + e] = a;
  }
}

/**
 * Filters a non-last axis: `outer` slabs of `n` rows, each row `inner` contiguous
 * values. For each output row the (reflected) source row offsets of every tap are
 * looked up once (`offs[2j]` for `i − j`, `offs[2j+1]` for `i + j`).
 *
 * In place (`dst === src`), each slab is processed in blocks of at most
 * {@link RING_BLOCK} columns; the source rows of a block still needed are kept in
 * `ring` (`R = ringRows(n, r)` rows of the block width; source row `m` in ring row
 * `m mod R`), loaded just before the first output row that reads them, so the output
 * may overwrite them. Every output value is computed exactly as out of place.
 */
function filterSlabAxis(dst: Float32Array, src: Float32Array, outer: number, n: number, inner: number,
  w: Float64Array, ring: Float32Array, rowOf: Int32Array, offs: Int32Array): void {
  const r = w.length - 1;
  const slabLen = n * inner;
  if (dst !== src) {
    for (let o = 0; o < outer; o++) {
      const base = o * slabLen;
      for (let i = 0; i < n; i++) {
        for (let j = 1; j <= r; j++) {
          offs[2 * j] = base + rowOf[i - j + r] * inner;
          offs[2 * j + 1] = base + rowOf[i + j + r] * inner;
        }
        accumulateRow(dst, base + i * inner, src, base + i * inner, inner, w, offs);
      }
    }
    return;
  }
  const R = ringRows(n, r);
  const bw = inner < RING_BLOCK ? inner : RING_BLOCK;
  for (let o = 0; o < outer; o++) {
    const base = o * slabLen;
    for (let c0 = 0; c0 < inner; c0 += bw) {
      const width = inner - c0 < bw ? inner - c0 : bw;
      let loaded = 0;
      for (let i = 0; i < n; i++) {
        // Source rows up to i + r (or the last row) must be in the ring before row i is written.
        const need = i + r < n - 1 ? i + r : n - 1;
        for (; loaded <= need; loaded++) {
          const from = base + loaded * inner + c0;
          ring.set(src.subarray(from, from + width), (loaded % R) * bw);
        }
        for (let j = 1; j <= r; j++) {
          offs[2 * j] = (rowOf[i - j + r] % R) * bw;
          offs[2 * j + 1] = (rowOf[i + j + r] % R) * bw;
        }
        accumulateRow(dst, base + i * inner + c0, ring, (i % R) * bw, width, w, offs);
      }
    }
  }
}

/**
 * `scipy.ndimage.gaussian_filter` on float32 data (see the module documentation):
 * reflect boundary, truncate 4, axis 0 first, float32 storage after each axis pass.
 *
 * @param out - output, `prod(shape)·ncomp` float32 values, C order; may be `input`.
 * @param input - input with the same layout (not modified unless it is `out`).
 * @param shape - grid shape `(rows, cols)` or `(slices, rows, cols)` in voxels.
 * @param ncomp - number of interleaved components per voxel (1 for a scalar image).
 * @param sigma - standard deviation per array axis, in voxels of this grid; axes with
 *   `sigma ≤ 1e-15` (including negative values) are not filtered.
 */
export function gaussianFilter(out: Float32Array, input: Float32Array, shape: Shape2D | Shape3D, ncomp: number,
  sigma: ArrayLike<number>): void {
  const d = shape.length;
  const total = shape.reduce((p, v) => p * v, 1) * ncomp;
  if (total === 0) return;
  let src: Float32Array = input;
  let slab: Float32Array | null = null;
  for (let k = 0; k < d; k++) {
    const s = sigma[k];
    if (!(s > SIGMA_EPS)) continue;
    const w = gaussianWeights(s);
    const r = w.length - 1;
    if (r === 0) continue; // kernel [1]: the identity
    const n = shape[k];
    let outer = 1;
    for (let a = 0; a < k; a++) outer *= shape[a];
    let inner = ncomp;
    for (let a = k + 1; a < d; a++) inner *= shape[a];
    if (k === d - 1) {
      filterLastAxis(out, src, outer, n, ncomp, w, new Float64Array(n + 2 * r));
    } else {
      const ringLen = ringRows(n, r) * (inner < RING_BLOCK ? inner : RING_BLOCK);
      if (src === out && (slab === null || slab.length < ringLen)) slab = new Float32Array(ringLen);
      const rowOf = new Int32Array(n + 2 * r);
      for (let i = -r; i < n + r; i++) rowOf[i + r] = reflectIndex(i, n);
      filterSlabAxis(out, src, outer, n, inner, w, slab ?? out, rowOf, new Int32Array(2 * r + 2));
    }
    src = out;
  }
  // No axis was filtered: the result is the input.
  if (src !== out) out.set(input.subarray(0, total));
}
