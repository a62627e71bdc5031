/**
 * Naive Gaussian smoothing oracle (SciPy's `gaussian_filter`, mode `reflect`):
 * direct convolution per output sample with explicit half-sample-symmetric index
 * unfolding, axis after axis, float32 storage after each axis, SciPy's symmetric
 * accumulation order. `sigma` per axis in voxels; axes with σ ≤ 1e-15 skipped.
 */
import { gaussianWeights } from '../gaussian.js';
/** Reflect (half-sample symmetric) index, written independently of the kernel: unfold step by step. */
export function reflectNaive(i: number, n: number): number {
  let j = i;
  for (;;) {
    if (j < 0) j = -j - 1;
    else if (j >= n) j = 2 * n - 1 - j;
    else return j;
  }
}

/**
 * Naive oracle: direct convolution per output sample with explicit reflect indexing,
 * axis after axis, float32 storage after each axis, SciPy's symmetric accumulation order.
 */
export function naiveGaussian(input: Float32Array, shape: readonly number[], ncomp: number, sigma: readonly number[]): Float32Array {
  const d = shape.length;
  let cur = Float32Array.from(input);
  const strides = new Array<number>(d);
  let st = ncomp;
  for (let k = d - 1; k >= 0; k--) {
    strides[k] = st;
    st *= shape[k];
  }
  const nvox = shape.reduce((p, v) => p * v, 1);
  for (let k = 0; k < d; k++) {
    if (!(sigma[k] > 1e-15)) continue;
    const w = gaussianWeights(sigma[k]);
    const r = w.length - 1;
    const next = new Float32Array(cur.length);
    const idx = new Array<number>(d).fill(0);
    for (let v = 0; v < nvox; v++) {
      // multi-index of voxel v
      let rem = v;
      for (let a = d - 1; a >= 0; a--) {
        idx[a] = rem % shape[a];
        rem = Math.floor(rem / shape[a]);
      }
      for (let c = 0; c < ncomp; c++) {
        const at = (pos: number): number => {
          let off = c;
          for (let a = 0; a < d; a++) off += (a === k ? pos : idx[a]) * strides[a];
          return cur[off];
        };
        const i = idx[k];
        let acc = at(i) * w[0];
        for (let j = r; j >= 1; j--) acc += (at(reflectNaive(i - j, shape[k])) + at(reflectNaive(i + j, shape[k]))) * w[j];
        next[v * ncomp + c] = acc;
      }
    }
    cur = next;
  }
  return cur;
}
