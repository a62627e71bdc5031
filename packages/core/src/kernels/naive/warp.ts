/**
 * Naive warp oracle (docs/algorithm.md §2.3): the sampling position of one
 * output voxel, `B·[idx; 1] + C·d(A·[idx; 1])`, with `d` linearly interpolated
 * (zero padded) on its own grid. Grid (voxel) coordinates throughout.
 */
import { affineApply, naiveLinear } from './interp.js';
/**
 * Sampling position (grid coordinates of the image being warped) of output voxel
 * `idx` (§2.3): `B·[idx; 1] + C·[d(A·[idx; 1]); 0]`, `d` interpolated on `fshape`
 * (`A` null: `d` read at `idx`); `null` affines are the identity, a null field is zero.
 */
export function naiveWarpPosition(idx: number[], field: Float32Array | null, fshape: number[],
  A: Float64Array | null, B: Float64Array | null, C: Float64Array | null): number[] {
  const d = idx.length;
  let v = new Array<number>(d).fill(0);
  if (field) {
    if (A) {
      const p = affineApply(A, idx, 1);
      v = v.map((_, c) => naiveLinear(field, fshape, p, c, d)[0]);
    } else {
      let flat = 0;
      for (let k = 0; k < d; k++) flat = flat * fshape[k] + idx[k];
      v = v.map((_, c) => field[flat * d + c]);
    }
  }
  if (C) v = affineApply(C, v, 0);
  const b = B ? affineApply(B, idx, 1) : idx;
  return v.map((x, k) => x + b[k]);
}
