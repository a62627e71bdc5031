/**
 * Input checks shared by metric step objects ({@link MetricStep}): a step used after
 * `dispose()`, and an output buffer of the wrong size. Exported for metric authors.
 */
import { DiffeoError, ShapeMismatchError } from './errors.js';

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
