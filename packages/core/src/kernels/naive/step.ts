/**
 * Naive `conditionStep` oracle: zero the step on the grid's boundary layer and
 * return the largest per-voxel norm of `step/spacing` (spacing in mm, the norm in
 * voxels). Direct boundary test per voxel index.
 */
/** Direct oracle: boundary test per voxel index, norms with Math.hypot-free sums, max of the square roots. */
export function naiveConditionStep(step: Float32Array, shape: number[], spacing: number[]): { out: Float32Array; norm: number } {
  const d = shape.length;
  const n = step.length / d;
  const out = Float32Array.from(step);
  const onBoundary = (p: number) => {
    let rest = p;
    for (let k = d - 1; k >= 0; k--) {
      const i = rest % shape[k];
      rest = Math.floor(rest / shape[k]);
      if (i === 0 || i === shape[k] - 1) return true;
    }
    return false;
  };
  for (let p = 0; p < n; p++) if (onBoundary(p)) for (let k = 0; k < d; k++) out[p * d + k] = 0;
  let norm = 0;
  for (let p = 0; p < n; p++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += (out[p * d + k] / spacing[k]) ** 2;
    norm = Math.max(norm, Math.sqrt(s));
  }
  if (norm > 0) for (let i = 0; i < out.length; i++) out[i] = Math.fround(out[i] / Math.fround(norm));
  return { out, norm };
}
