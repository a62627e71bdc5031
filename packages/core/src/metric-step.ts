/**
 * Helpers shared by metrics and their step objects ({@link MetricStep}): the input
 * checks (the inputs of `prepare`, a step used after `dispose()`, an output buffer of
 * the wrong size) and the cache of per-iteration buffers. Exported for metric authors.
 */
import { DiffeoError, DimensionError, ImageTooSmallError, InvalidArgumentError, NonFiniteError, ShapeMismatchError } from './errors.js';
import type { Dim } from './types.js';
import type { MetricInputs } from './metric.js';
import type { KernelContext } from './registry.js';

/**
 * The size rule of metrics that take image gradients (`numpy.gradient` needs 2 samples per
 * axis): throws {@link ImageTooSmallError} when an axis of `shape` (voxels) is shorter than 2.
 * @param metric - metric name used in the message, for example `"SSDMetric"`.
 * @param level - the pyramid level of `shape`, named in the message (from `checkLevelShapes`).
 */
export function assertGradientShape(metric: string, shape: readonly number[], level?: number): void {
  if (!shape.some((n) => n < 2)) return;
  throw new ImageTooSmallError(level === undefined
    ? `${metric} needs at least 2 voxels along every axis to take image gradients; got shape [${shape.join(', ')}].`
    : `${metric} needs at least 2 voxels along every axis to take image gradients, but pyramid level ${level} has shape [${shape.join(', ')}]; use fewer pyramid levels or larger images.`);
}

/**
 * Checks what every metric's `prepare` receives: a {@link MetricInputs} of dimension
 * `dim` with a shape of `dim` positive integers (voxels), `static` and `moving` finite
 * `Float32Array`s of `prod(shape)` values (grid of the reference), `spacing` a
 * `Float64Array` of `dim` positive finite voxel sizes (world units), `direction` a
 * `(dim+1)×(dim+1)` row-major `Float64Array`, and a kernel context. The finiteness of
 * the images is not scanned when `inputs.checkedFinite` is `true` (the caller vouches for it).
 * `checkShape(shape)` runs right after the shape check, for a metric's own size rule
 * (a window radius, a gradient's two voxels).
 * @param metric - metric name used in the messages, for example `"CCMetric"`.
 * @returns the number of voxels of the grid.
 * @throws {InvalidArgumentError}, {@link DimensionError}, {@link ShapeMismatchError},
 *   {@link NonFiniteError}, naming the metric and what to fix.
 */
export function assertMetricInputs<D extends Dim>(metric: string, inputs: MetricInputs<D>, dim: D,
  checkShape?: (shape: readonly number[]) => void): number {
  if (!inputs || typeof inputs !== 'object') {
    throw new InvalidArgumentError(`${metric}.prepare needs a MetricInputs object.`);
  }
  if (inputs.dim !== dim) {
    throw new DimensionError(`${metric} was created for ${dim}D images but received ${String(inputs.dim)}D inputs.`);
  }
  const shape = inputs.shape as readonly number[];
  // (plain loops below: this runs every iteration, and closures or temporary arrays would be garbage each time)
  let badShape = !shape || shape.length !== dim;
  for (let k = 0; !badShape && k < dim; k++) badShape = !Number.isInteger(shape[k]) || shape[k] < 1;
  if (badShape) {
    throw new ShapeMismatchError(`${metric}.prepare: shape must hold ${dim} positive integers; got ${shape ? `[${Array.from(shape).join(', ')}]` : String(shape)}.`);
  }
  checkShape?.(shape);
  let voxels = 1;
  for (let k = 0; k < dim; k++) voxels *= shape[k];
  for (let which = 0; which < 2; which++) {
    const name = which === 0 ? 'static' : 'moving';
    const img = which === 0 ? inputs.static : inputs.moving;
    if (!(img instanceof Float32Array) || img.length !== voxels) {
      throw new ShapeMismatchError(
        `${metric}.prepare: the ${name} image must be a Float32Array of ${voxels} values for shape [${shape.join(', ')}]; got ${img instanceof Float32Array ? `${img.length} values` : typeof img}.`,
      );
    }
    // (skipped when the caller vouches for finite images: SyN's warps of checked images, every iteration)
    if (inputs.checkedFinite === true) continue;
    for (let i = 0; i < img.length; i++) {
      if (!Number.isFinite(img[i])) {
        throw new NonFiniteError(
          `${metric}.prepare: the warped ${name} image holds a non-finite value (${img[i]}) at flat index ${i}; replace NaN/Infinity in the input images (for example with 0) before registering.`,
        );
      }
    }
  }
  if (inputs.mask !== undefined && (!(inputs.mask instanceof Uint8Array) || inputs.mask.length !== voxels)) {
    throw new ShapeMismatchError(`${metric}.prepare: mask must be a Uint8Array of ${voxels} values (1 inside, 0 outside) for shape [${shape.join(', ')}].`);
  }
  let badSpacing = !(inputs.spacing instanceof Float64Array) || inputs.spacing.length !== dim;
  for (let k = 0; !badSpacing && k < dim; k++) badSpacing = !(inputs.spacing[k] > 0) || !Number.isFinite(inputs.spacing[k]);
  if (badSpacing) {
    throw new InvalidArgumentError(`${metric}.prepare: spacing must be a Float64Array of ${dim} positive finite voxel sizes.`);
  }
  if (!(inputs.direction instanceof Float64Array) || inputs.direction.length !== (dim + 1) * (dim + 1)) {
    throw new InvalidArgumentError(`${metric}.prepare: direction must be a ${dim + 1}x${dim + 1} row-major Float64Array.`);
  }
  if (!inputs.context || typeof inputs.context.kernel !== 'function') {
    throw new InvalidArgumentError(`${metric}.prepare: inputs.context must be a KernelContext.`);
  }
  return voxels;
}

/**
 * The error for a `forward`/`backward` call on a disposed step (code `NOT_READY`);
 * the caller throws it: `if (state === null) throw stepDisposedError('CCMetric', which)`.
 * @param metric - metric name used in the message, for example `"CCMetric"`.
 */
export function stepDisposedError(metric: string, which: 'forward' | 'backward'): DiffeoError {
  return new DiffeoError('NOT_READY', `${metric}: ${which}() called after dispose(); call metric.prepare(inputs) again for a new iteration.`);
}

/**
 * Checks the caller's step buffer: a `Float32Array` of `voxels·dim` values.
 * @throws {ShapeMismatchError} otherwise, naming the metric and the expected size.
 */
export function assertStepOutput(metric: string, which: 'forward' | 'backward', out: unknown, voxels: number, dim: number): asserts out is Float32Array {
  if (!(out instanceof Float32Array) || out.length !== voxels * dim) {
    throw new ShapeMismatchError(
      `${metric}.${which}: out must be a Float32Array of ${voxels * dim} values (${voxels} voxels × ${dim} components); got ${out instanceof Float32Array ? out.length : typeof out}.`,
    );
  }
}

/**
 * The large buffers a metric keeps from one iteration to the next (one grid's
 * factors, gradients, …), lent to one live step at a time. {@link WorkspaceCache.borrow}
 * hands out the cached workspace when it still fits and no live step holds it,
 * otherwise a new one (a second, overlapping step gets a private workspace);
 * {@link WorkspaceCache.giveBack} (from the step's `dispose`) caches it again, or
 * releases a private one; {@link WorkspaceCache.clear} (from the metric's
 * `releaseBuffers`) releases the cached one. Release is explicit so that buffers
 * from {@link KernelContext.allocFloat32} (a backend's own memory) go back to their
 * backend; see {@link allocWorkspaceArrays}.
 *
 * @typeParam W - the workspace type, whatever the metric needs.
 */
export class WorkspaceCache<W> {
  private spare: W | null = null;
  private lent: W | null = null;

  /** @param release - frees a workspace's buffers (called exactly once per workspace). */
  constructor(private readonly release: (ws: W) => void) {}

  /**
   * The cached workspace when `fits(cached)` and no live step holds it; otherwise a
   * new one from `create()` (the cached one, if unfit, is released first).
   */
  borrow(fits: (ws: W) => boolean, create: () => W): W {
    let ws = this.spare;
    if (ws === null || !fits(ws)) {
      // A step of an overlapping run may still hold the cached buffers: then use private ones.
      if (this.lent !== null) return create();
      // let the old grid's buffers go before allocating the new ones
      if (ws !== null) this.release(ws);
      this.spare = null;
      ws = create();
    }
    this.spare = null;
    this.lent = ws;
    return ws;
  }

  /** Takes back a workspace from {@link WorkspaceCache.borrow}: cached for the next step if it was the lent one, else released. */
  giveBack(ws: W): void {
    if (this.lent === ws) {
      this.lent = null;
      if (this.spare !== null) this.release(this.spare);
      this.spare = ws;
    } else {
      this.release(ws);
    }
  }

  /** Releases the cached workspace; a workspace still lent is released when it is given back. */
  clear(): void {
    if (this.spare !== null) this.release(this.spare);
    this.spare = null;
    this.lent = null;
  }
}

/**
 * Allocates named `Float32Array`s of the given lengths with `context.allocFloat32`
 * (zero-filled; in a backend's own memory when it has one, so its kernels use them
 * in place) and returns them with a `free()` that gives them back. For metric
 * workspaces: `const ws = allocWorkspaceArrays(ctx, { factors: n * 5, grad: n * 3 })`.
 * @param lengths - array lengths in float32 values (0 is allowed).
 */
export function allocWorkspaceArrays<K extends string>(context: KernelContext, lengths: Record<K, number>): Record<K, Float32Array> & { free(): void } {
  const arrays = {} as Record<K, Float32Array>;
  for (const k of Object.keys(lengths) as K[]) arrays[k] = context.allocFloat32(lengths[k]);
  return Object.assign(arrays, {
    free(): void {
      for (const k of Object.keys(lengths) as K[]) context.freeFloat32(arrays[k]);
    },
  });
}
