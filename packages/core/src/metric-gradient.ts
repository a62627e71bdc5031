/**
 * The image gradient every DIPY metric uses (docs/algorithm.md §2.7), exported for
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
import { DimensionError } from './errors.js';

/**
 * Writes the physical-space gradient of `image` into `out`.
 * @param out - `prod(shape)·d` float32, interleaved components.
 * @param image - `prod(shape)` float32 on the reference grid (C order).
 * @param shape - reference grid shape (voxels).
 * @param spacing - voxel size per array axis (world units), length d.
 * @param direction - `(d+1)×(d+1)` row-major direction matrix (`MetricInputs.direction`).
 * @param context - kernel context providing the `physicalGradient` kernel.
 */
export function metricGradient(out: Float32Array, image: Float32Array, shape: Shape2D | Shape3D, dim: Dim,
  spacing: ArrayLike<number>, direction: ArrayLike<number>, context: KernelContext): void {
  if (shape.length !== dim) throw new DimensionError(`metricGradient: dim is ${dim} but shape has ${shape.length} axes.`);
  context.kernel('physicalGradient')(out, image, shape, spacing, direction);
}
