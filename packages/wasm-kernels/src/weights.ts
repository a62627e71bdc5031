/**
 * Gaussian kernel weights exactly as the TypeScript `gaussianFilter` of
 * `@diffeo/core` computes them (SciPy's `_gaussian_kernel1d` with truncate 4):
 * radius `trunc(4σ + 0.5)`, `g_j = exp(−0.5/σ² · j²)` with JavaScript's
 * `Math.exp` (so the WebAssembly filter uses the very same doubles), normalised
 * by their sum in NumPy's pairwise order. Units: σ and offsets in voxels.
 *
 * A deliberate copy of `gaussianWeights` in `@diffeo/core`'s `kernels/gaussian.ts`:
 * this package's `dist/` has no runtime import, so it loads as it is in a browser or
 * a bare worker (only types come from `@diffeo/core`). The conformance kit's
 * `gaussianFilter` cases (tolerance 0) fail if the two ever differ.
 */

/** Sum of `a[lo .. lo+n-1]` in NumPy's pairwise order (`np.sum` of a contiguous float64 array). */
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

/**
 * Normalised half kernel for `sigma` (voxels): element `j` (0..r) is the weight of
 * offsets ±j.
 */
export function gaussianWeights(sigma: number): Float64Array {
  const r = Math.trunc(4.0 * sigma + 0.5);
  const c = -0.5 / (sigma * sigma);
  const full = new Float64Array(2 * r + 1);
  for (let j = -r; j <= r; j++) full[j + r] = Math.exp(c * (j * j));
  const sum = pairwiseSum(full, 0, full.length);
  const half = new Float64Array(r + 1);
  for (let j = 0; j <= r; j++) half[j] = full[r + j] / sum;
  return half;
}
