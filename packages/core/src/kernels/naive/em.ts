/**
 * Naive EM oracles: the class fields as a table look-up per voxel and the float32
 * element-wise sum and difference written with explicit `Math.fround` of the
 * double result (float32 arithmetic is the double operation rounded once). One
 * flat C-order grid; values in intensity units.
 */

/** `[means, sigmaSq]` with `means[i] = classMeans[labels[i]]`, `sigmaSq[i] = classVariances[labels[i]]` (new arrays). */
export function emClassFieldsNaive(labels: ArrayLike<number>, classMeans: ArrayLike<number>,
  classVariances: ArrayLike<number>): [Float32Array, Float32Array] {
  const means = new Float32Array(labels.length);
  const sigmaSq = new Float32Array(labels.length);
  labels = Array.from(labels);
  (labels as number[]).forEach((c, i) => {
    means[i] = classMeans[c];
    sigmaSq[i] = classVariances[c];
  });
  return [means, sigmaSq];
}

/** `image > 0` as a new array of 0/1 bytes. */
export function positiveMaskNaive(image: ArrayLike<number>): Uint8Array {
  return Uint8Array.from(Array.from(image), (v) => (v > 0 ? 1 : 0));
}

/** `Σ f32(a[i]²)`, the squares rounded with `Math.fround` and summed in double in index order. */
export function sumSquaresFloat32Naive(a: ArrayLike<number>): number {
  return Array.from(a).reduce((e, v) => e + Math.fround(v * v), 0);
}

/** `f32(a[i] + sign·b[i])` for `sign = ±1` (a new float32 array of `a.length` values). */
export function emCombineNaive(a: ArrayLike<number>, b: ArrayLike<number>, sign: 1 | -1): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = Math.fround(sign === 1 ? Number(a[i]) + Number(b[i]) : Number(a[i]) - Number(b[i]));
  return out;
}
