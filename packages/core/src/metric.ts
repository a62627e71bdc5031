/**
 * The similarity-metric plug-in contract: a public API that SSD, CC and
 * third-party metrics implement, with DIPY's metric life cycle
 * (docs/algorithm.md §5.0), reshaped so that per-iteration state lives in a step
 * object rather than in setters:
 *
 * 1. SyN warps both pyramid images onto the reference grid of the current level;
 * 2. it calls `metric.prepare(inputs)` once per iteration (DIPY:
 *    `set_levels_below/above`, `set_static/moving_image`,
 *    `use_*_image_dynamics`, `initialize_iteration`);
 * 3. it calls `step.forward(out)` then `step.backward(out)`; each writes a step
 *    field on the reference grid and returns the energy (DIPY: `compute_forward`,
 *    `compute_backward`, `get_energy`);
 * 4. it calls `step.dispose()` (DIPY: `free_iteration`). Disposing twice is safe.
 */
import type { Affine, Dim, ImageData, NumericArray, ShapeOf } from './types.js';
import type { KernelContext } from './registry.js';

/**
 * "Image dynamics" (DIPY's `use_static_image_dynamics`): the original level image
 * and a way to warp any array on its grid onto the reference grid exactly as the
 * image itself was warped. The EM metric uses it to warp `image > 0` masks with
 * nearest-neighbour sampling; SSD and CC ignore it.
 */
export interface ImageDynamics<D extends Dim = Dim> {
  /** The full-resolution (smoothed, normalised) pyramid image of this level, on its own grid. */
  readonly original: ImageData<D>;
  /**
   * Warps `data` (on the original's grid, `prod(original.shape)` values) onto the reference grid, as the image was.
   * With `out` (optional; `prod(shape)` values of the reference grid, for `'nearest'` of `data`'s element type,
   * for `'linear'` a `Float32Array`) the result is written there and `out` is returned; otherwise a new array.
   */
  warpToReference(data: NumericArray, interpolation: 'linear' | 'nearest', out?: NumericArray): NumericArray;
}

/** Everything a metric receives each iteration. All images are on the reference grid of the current level. */
export interface MetricInputs<D extends Dim = Dim> {
  readonly dim: D;
  /** Reference grid shape of this level (voxels). */
  readonly shape: ShapeOf<D>;
  /** Static image warped onto the reference grid, `prod(shape)` float32 values. */
  readonly static: Float32Array;
  /** Moving image warped onto the reference grid, `prod(shape)` float32 values. */
  readonly moving: Float32Array;
  /** Grid-to-world affine of the reference grid (`null` = identity). */
  readonly gridToWorld: Affine;
  /** Voxel spacing of the reference grid (world units per voxel), length d. */
  readonly spacing: Float64Array;
  /** Direction of the static image as a `(d+1)×(d+1)` affine without translation (used to reorient both gradients). */
  readonly direction: Float64Array;
  /** Pyramid level, 0 = finest. */
  readonly level: number;
  /** DIPY's `levels_below` (1 at the coarsest level, L at the finest): the V-cycle depth of Gauss-Newton solvers. */
  readonly levelsBelow: number;
  /** DIPY's `levels_above` (= level). */
  readonly levelsAbove: number;
  /** Kernel context to run kernels with. */
  readonly context: KernelContext;
  /** Static image dynamics (see {@link ImageDynamics}); optional. */
  readonly staticDynamics?: ImageDynamics<D>;
  /** Moving image dynamics; optional. */
  readonly movingDynamics?: ImageDynamics<D>;
  /**
   * Optional midpoint mask on the reference grid (`prod(shape)` values, 1 inside, 0 outside):
   * the static mask carried by the static half-map times the moving mask carried by the
   * moving half-map. Only given when the user passed a mask to SyN. A metric that sets
   * {@link SimilarityMetric.supportsMask} computes its data term (energy and raw step) only
   * where it is 1; SyN zeroes the step outside it in every case.
   */
  readonly mask?: Uint8Array;
  /**
   * Optional: `true` when the caller guarantees that `static` and `moving` hold only
   * finite values, so {@link assertMetricInputs} skips its per-voxel finiteness scan.
   * SyN sets it: its level images come from input images it checked, the pyramid keeps
   * them finite (Gaussian smoothing and min-max normalisation into [0, 1]), and its
   * linear warps interpolate them with weights in [0, 1] (0 outside). Leave it unset
   * when the images come from anywhere else.
   */
  readonly checkedFinite?: boolean;
}

/** Per-iteration state of a metric, created by {@link SimilarityMetric.prepare}. */
export interface MetricStep<D extends Dim = Dim> {
  readonly dim: D;
  /**
   * Writes the forward step (moves the moving image towards the static one) into
   * `out` (`prod(shape)·d` float32, world units per voxel of the reference grid, component k
   * along axis k) and returns the energy. Every value must be written: SyN reuses `out`,
   * so it holds the previous step on entry.
   */
  forward(out: Float32Array): number;
  /** Writes the backward step (moves the static image towards the moving one) and returns the energy. */
  backward(out: Float32Array): number;
  /** Frees per-iteration data. Safe to call more than once. */
  dispose(): void;
}

/** A similarity metric plug-in. Implement this to bring your own metric to SyN. */
export interface SimilarityMetric<D extends Dim = Dim> {
  /** Spatial dimension the metric works in. */
  readonly dim: D;
  /** Short name for logs, for example `"CC"`. */
  readonly name: string;
  /** When true, the pyramid multiplies every level by `image > 0` of the input (DIPY's `mask0`). */
  readonly mask0: boolean;
  /**
   * Optional: true when the metric honours {@link MetricInputs.mask} (its energy sums only
   * voxels inside the mask and its raw step ignores data outside it). Metrics that leave it
   * unset still run with masks: SyN zeroes their step outside the mask, but their energy
   * (hence the convergence test) stays unmasked.
   */
  readonly supportsMask?: boolean;
  /**
   * Optional early check of the reference-grid shape of every level (finest first),
   * called before the optimisation starts; throw a typed error if the metric
   * cannot run on one of them (CC: any axis smaller than `2·radius+1`).
   */
  checkLevelShapes?(shapes: ReadonlyArray<ShapeOf<D>>): void;
  /** Precomputes what the iteration needs (gradients, factors, statistics). */
  prepare(inputs: MetricInputs<D>): MetricStep<D>;
  /**
   * Optional: frees buffers the metric keeps between iterations to avoid
   * reallocating them (CC and SSD keep one iteration's worth for the grid last used).
   * SyN calls it when a registration ends, also when it fails.
   */
  releaseBuffers?(): void;
}
