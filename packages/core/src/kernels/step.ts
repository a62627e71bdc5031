/**
 * SyN's conditioning of a raw metric step (docs/algorithm.md §4.5), as one kernel
 * so that backends can run it where the step lives: the outermost voxel layer
 * (index 0 or n−1 on any axis) is set to zero, then every component is divided by
 * the largest voxel norm of the step measured in voxels (component `k` divided by
 * the grid spacing `spacing[k]`), in NumPy 1.x's float32 arithmetic: the squared
 * norms and their maximum in double, one square root, the divisor rounded to
 * float32 and each quotient rounded to float32. A step that is zero everywhere is
 * left as it is.
 *
 * Frames and units: the step is on the reference grid, `d` interleaved components
 * per voxel in world units (mm); `spacing` in world units per voxel; the returned
 * norm is in voxels.
 */
import type { Shape2D, Shape3D } from '../types.js';

/** Zeroes the outermost voxel layer of a `d`-component field (see the module documentation). */
function zeroBoundary(step: Float32Array, shape: Shape2D | Shape3D): void {
  if (shape.length === 2) {
    const [nr, nc] = shape;
    const last = (nr - 1) * nc * 2;
    step.fill(0, 0, nc * 2);
    step.fill(0, last, last + nc * 2);
    for (let r = 1; r < nr - 1; r++) {
      const b = r * nc * 2;
      step[b] = 0; step[b + 1] = 0;
      step[b + nc * 2 - 2] = 0; step[b + nc * 2 - 1] = 0;
    }
    return;
  }
  const [ns, nr, nc] = shape;
  for (let s = 0; s < ns; s++) {
    for (let r = 0; r < nr; r++) {
      const base = ((s * nr + r) * nc) * 3;
      if (s === 0 || s === ns - 1 || r === 0 || r === nr - 1) {
        step.fill(0, base, base + nc * 3);
      } else {
        step[base] = 0; step[base + 1] = 0; step[base + 2] = 0;
        const e = base + (nc - 1) * 3;
        step[e] = 0; step[e + 1] = 0; step[e + 2] = 0;
      }
    }
  }
}

/**
 * Zeroes the boundary layer of `step` and divides it by its largest norm in voxels
 * (see the module documentation), in place.
 * @param step - `prod(shape)·d` float32 values, interleaved, world units (mm).
 * @param shape - reference grid shape `[nr, nc]` or `[ns, nr, nc]` (voxels).
 * @param spacing - grid spacing per array axis (world units per voxel), length `d`.
 * @returns the largest voxel norm before the division (0 for a zero step).
 */
export function conditionStep(step: Float32Array, shape: Shape2D | Shape3D, spacing: ArrayLike<number>): number {
  zeroBoundary(step, shape);
  const d = shape.length;
  const n = step.length / d;
  // The largest squared norm, then one square root: sqrt is correctly rounded and
  // monotone, so sqrt(max v) is exactly max sqrt(v).
  let sq = 0;
  if (d === 2) {
    const s0 = spacing[0], s1 = spacing[1];
    for (let i = 0; i < n; i++) {
      const a = step[2 * i] / s0, b = step[2 * i + 1] / s1;
      const v = a * a + b * b;
      if (v > sq) sq = v;
    }
  } else {
    const s0 = spacing[0], s1 = spacing[1], s2 = spacing[2];
    for (let i = 0; i < n; i++) {
      const a = step[3 * i] / s0, b = step[3 * i + 1] / s1, c = step[3 * i + 2] / s2;
      const v = a * a + b * b + c * c;
      if (v > sq) sq = v;
    }
  }
  const nrm = Math.sqrt(sq);
  if (nrm > 0) {
    const f = Math.fround(nrm);
    for (let i = 0; i < step.length; i++) step[i] = step[i] / f;
  }
  return nrm;
}
