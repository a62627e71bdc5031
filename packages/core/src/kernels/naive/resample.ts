/**
 * Naive block-mean downsampling oracle (docs/algorithm.md §2.5): every output
 * voxel is the float32 mean of its ≤ 2^d input voxels, summed in raster order of
 * the input, for `ncomp` interleaved components.
 */
const f32 = Math.fround;
/** Naive block mean written from docs/algorithm.md §2.5: float32 sums in raster order of the input, float32 division. */
export function naiveDownsample(input: Float32Array, shape: number[], ncomp: number): Float32Array {
  const oshape = shape.map((n) => Math.floor((n + 1) / 2));
  const nOut = oshape.reduce((a, b) => a * b, 1);
  const sum = new Float32Array(nOut * ncomp);
  const cnt = new Int32Array(nOut);
  const total = shape.reduce((a, b) => a * b, 1);
  for (let flat = 0; flat < total; flat++) {
    // unravel, halve, ravel
    let rest = flat, o = 0, mul = 1;
    for (let k = shape.length - 1; k >= 0; k--) {
      const idx = rest % shape[k];
      rest = Math.floor(rest / shape[k]);
      o += Math.floor(idx / 2) * mul;
      mul *= oshape[k];
    }
    for (let c = 0; c < ncomp; c++) sum[o * ncomp + c] = f32(sum[o * ncomp + c] + input[flat * ncomp + c]);
    cnt[o]++;
  }
  for (let o = 0; o < nOut; o++) for (let c = 0; c < ncomp; c++) sum[o * ncomp + c] = f32(sum[o * ncomp + c] / cnt[o]);
  return sum;
}
