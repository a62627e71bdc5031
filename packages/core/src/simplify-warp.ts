/**
 * Baking affines into a displacement field, DIPY's `simplify_warp_function_2d/3d`
 * (used by `DiffeomorphicMap.getSimplifiedTransform`). For each voxel `i` of the
 * output grid, `T[i] = W·[d(U·[i;1]); 0] + V·[i;1]` and the result is `T[i] − i`:
 * `U` maps output grid indices to the field's grid (a point), `V` output indices to
 * the target grid (a point), `W` displacements to target grid units (a vector). The
 * field is sampled with the border-aware interpolation of `kernels/interp.ts`
 * (float32 rounding after every corner, zero padded); storage float32, arithmetic double.
 */
import type { Affine, Dim, Shape, Shape2D, Shape3D } from './types.js';
import type { AffineLike } from './affine.js';
import { applyAffine, identityAffine, toAffine } from './affine.js';
import { bilinearVector, trilinearVector } from './kernels/interp.js';
import type { FieldInput, NdArray } from './ndarray.js';
import { toField, toShape, wrapField } from './ndarray.js';

/**
 * Bakes affines into a displacement field, DIPY's `simplify_warp_function_2d/3d`:
 * for each voxel `i` of `outShape`, `T[i] = W·d(U·[i;1]) + V·[i;1]` and the result
 * is `out[i] = T[i] − i` (float32; with `V = null`, `out[i] = W·d(U·[i;1])`). The
 * field is interpolated linearly (zero padded); with `U = null` it is read at `i`
 * (identity sampling).
 * @internal Used by `DiffeomorphicMap.getSimplifiedTransform`; exported for the reference runner.
 */
export function simplifyWarpFunctionRaw(
  field: Float32Array, fieldShape: Shape, U: Affine, V: Affine, W: Affine, outShape: Shape,
): Float32Array {
  const dim = fieldShape.length as Dim;
  const n = outShape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n * dim);
  const U2 = U ?? identityAffine(dim);
  const tmp = new Float64Array(3);
  const idx = new Float64Array(3);
  const q = new Float64Array(3);
  const v = new Float64Array(3);
  const o = new Float64Array(3);
  if (dim === 2) {
    const [nr, nc] = fieldShape as Shape2D;
    const [mr, mc] = outShape as Shape2D;
    let p = 0;
    for (let i = 0; i < mr; i++) {
      for (let j = 0; j < mc; j++, p += 2) {
        idx[0] = i; idx[1] = j;
        applyAffine(U2, idx, 1, q, 2);
        bilinearVector(field, nr, nc, q[0], q[1], tmp, 0);
        applyAffine(W, tmp, 0, v, 2);
        if (V !== null) {
          applyAffine(V, idx, 1, o, 2);
          out[p] = v[0] + o[0] - i;
          out[p + 1] = v[1] + o[1] - j;
        } else {
          out[p] = v[0];
          out[p + 1] = v[1];
        }
      }
    }
    return out;
  }
  const [ns, nr, nc] = fieldShape as Shape3D;
  const [ms, mr, mc] = outShape as Shape3D;
  let p = 0;
  for (let k = 0; k < ms; k++) {
    for (let i = 0; i < mr; i++) {
      for (let j = 0; j < mc; j++, p += 3) {
        idx[0] = k; idx[1] = i; idx[2] = j;
        applyAffine(U2, idx, 1, q, 3);
        trilinearVector(field, ns, nr, nc, q[0], q[1], q[2], tmp, 0);
        applyAffine(W, tmp, 0, v, 3);
        if (V !== null) {
          applyAffine(V, idx, 1, o, 3);
          out[p] = v[0] + o[0] - k;
          out[p + 1] = v[1] + o[1] - i;
          out[p + 2] = v[2] + o[2] - j;
        } else {
          out[p] = v[0];
          out[p + 1] = v[1];
          out[p + 2] = v[2];
        }
      }
    }
  }
  return out;
}

/**
 * Bakes affines into a displacement field, DIPY's `simplify_warp_function_2d/3d`:
 * the returned field `s` on a grid of `outShape` satisfies
 * `i + s[i] = W·[d(U·[i;1]); 0] + V·[i;1]` (grid units of whatever `V` and `W` map to).
 * @param field - `[...grid, d]` displacement.
 * @param affineIdxIn - `U`, output index → field grid (point).
 * @param affineIdxOut - `V`, output index → target grid (point).
 * @param affineDisp - `W`, displacement → target grid units (vector).
 * @param outShape - output grid shape.
 * @returns float32 field `[...outShape, d]`.
 */
export function simplifyWarpFunction(
  field: FieldInput, affineIdxIn: AffineLike | null, affineIdxOut: AffineLike | null, affineDisp: AffineLike | null, outShape: ArrayLike<number>,
): NdArray<Float32Array> {
  const f = toField(field, 'field');
  const dim = f.dim;
  const U = toAffine(affineIdxIn, dim, 'affineIdxIn');
  const V = toAffine(affineIdxOut, dim, 'affineIdxOut');
  const W = toAffine(affineDisp, dim, 'affineDisp');
  const shape = toShape(outShape, dim, 'outShape');
  return wrapField(simplifyWarpFunctionRaw(f.data, f.shape, U, V, W, shape), shape);
}
