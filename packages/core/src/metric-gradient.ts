/**
 * The image gradient every DIPY metric uses (ALGORITHM.md §2.7), exported for
 * metric authors: `numpy.gradient` with unit spacing in float32 arithmetic, each
 * component `k` divided by the grid spacing `spacing[k]` (double division, stored
 * float32), then rotated into the world frame by the linear part of the static
 * image's direction (homogeneous coordinate 0, stored float32).
 *
 * Units: world units of intensity per world unit of length; frame: world axes of
 * the direction matrix, one component per array axis.
 */
import type { Dim, Shape2D, Shape3D } from './types.js';
import type { KernelContext } from './registry.js';

/**
 * Writes the physical-space gradient of `image` into `out`.
 * @param out - `prod(shape)·d` float32, interleaved components.
 * @param image - `prod(shape)` float32 on the reference grid (C order).
 * @param shape - reference grid shape (voxels).
 * @param spacing - voxel size per array axis (world units), length d.
 * @param direction - `(d+1)×(d+1)` row-major direction matrix (`MetricInputs.direction`).
 * @param context - kernel context providing `numpyGradient`.
 */
export function metricGradient(out: Float32Array, image: Float32Array, shape: Shape2D | Shape3D, dim: Dim,
  spacing: ArrayLike<number>, direction: ArrayLike<number>, context: KernelContext): void {
  context.kernel('numpyGradient')(out, image, shape);
  const voxels = out.length / dim;
  const m = dim + 1;
  if (dim === 2) {
    const s0 = spacing[0], s1 = spacing[1];
    const d00 = direction[0], d01 = direction[1], d02 = direction[2];
    const d10 = direction[m], d11 = direction[m + 1], d12 = direction[m + 2];
    for (let p = 0, q = 0; p < voxels; p++, q += 2) {
      // divide and store (float32), then reorient with homogeneous coordinate 0
      out[q] = out[q] / s0;
      out[q + 1] = out[q + 1] / s1;
      const x0 = out[q], x1 = out[q + 1];
      out[q] = d00 * x0 + d01 * x1 + 0 * d02;
      out[q + 1] = d10 * x0 + d11 * x1 + 0 * d12;
    }
  } else {
    const s0 = spacing[0], s1 = spacing[1], s2 = spacing[2];
    const d00 = direction[0], d01 = direction[1], d02 = direction[2], d03 = direction[3];
    const d10 = direction[m], d11 = direction[m + 1], d12 = direction[m + 2], d13 = direction[m + 3];
    const d20 = direction[2 * m], d21 = direction[2 * m + 1], d22 = direction[2 * m + 2], d23 = direction[2 * m + 3];
    for (let p = 0, q = 0; p < voxels; p++, q += 3) {
      out[q] = out[q] / s0;
      out[q + 1] = out[q + 1] / s1;
      out[q + 2] = out[q + 2] / s2;
      const x0 = out[q], x1 = out[q + 1], x2 = out[q + 2];
      out[q] = d00 * x0 + d01 * x1 + d02 * x2 + 0 * d03;
      out[q + 1] = d10 * x0 + d11 * x1 + d12 * x2 + 0 * d13;
      out[q + 2] = d20 * x0 + d21 * x1 + d22 * x2 + 0 * d23;
    }
  }
}
