/**
 * Warping a series of volumes (a 4D DWI or fMRI image `[..., t]`) with one map, one volume
 * at a time, as ANTs' `antsApplyTransforms -e 3` does: every volume goes through the same
 * spatial transform, and only one input and one output volume are alive at any time when
 * the volumes come from a stream (for example `openNiftiSeries(...).volumes()` of
 * `@diffeo/io`) and each output is consumed before the next is asked for.
 */
import type { DiffeomorphicMap, MapTransformOptions } from './diffeomorphic-map.js';
import type { ImageInput, NdArray } from './ndarray.js';
import { isVolume } from './ndarray.js';
import type { NumericArray } from './types.js';
import { InvalidArgumentError, ShapeMismatchError } from './errors.js';

/** Options of {@link transformSeries}: those of {@link DiffeomorphicMap.transform}, plus the direction. */
export interface TransformSeriesOptions extends MapTransformOptions {
  /** Use `transformInverse` instead of `transform`. Default false. */
  readonly inverse?: boolean;
}

/**
 * Warps every volume of a series with `map.transform` (or `map.transformInverse` with
 * `inverse`), lazily: the next volume is read and warped only when the consumer asks for
 * it. The options (interpolation, grids) are the same for every volume.
 * @param volumes - the volumes, each a spatial image the map accepts (`[rows, cols]` or
 *   `[slices, rows, cols]`), from an array, a generator or an async generator.
 * @returns an async generator of the warped volumes (as `transform` returns them), in order.
 */
export async function* transformSeries(map: DiffeomorphicMap, volumes: Iterable<ImageInput> | AsyncIterable<ImageInput>,
  options: TransformSeriesOptions = {}): AsyncGenerator<NdArray<NumericArray>, void, void> {
  const { inverse, ...rest } = options;
  for await (const volume of volumes) {
    // Only the values and shape are read (the map's grids place every volume), as before Volumes were accepted by transform.
    const image: ImageInput = isVolume(volume) ? { data: volume.data, shape: volume.shape } : volume;
    yield inverse === true ? map.transformInverse(image, rest) : map.transform(image, rest);
  }
}

/**
 * The volumes `data[..., t]` of an in-memory C-order series of shape `[...spatial, nt]`
 * (nibabel order: the volume index last, fastest in memory), copied out one at a time
 * (each a new array of the same type) — the in-memory source for {@link transformSeries}.
 * @throws {InvalidArgumentError} for fewer than 2 axes; {@link ShapeMismatchError} when the data length does not match.
 */
export function* seriesVolumes<T extends NumericArray>(data: T, shape: readonly number[]): Generator<{ data: T; shape: number[] }, void, void> {
  if (shape.length < 2) throw new InvalidArgumentError(`a series needs at least 2 axes ([...spatial, volumes]); got [${shape.join(', ')}].`);
  const nt = shape[shape.length - 1];
  const spatial = shape.slice(0, -1);
  const n = spatial.reduce((a, b) => a * b, 1);
  if (data.length !== n * nt) throw new ShapeMismatchError(`the series has ${data.length} values but shape [${shape.join(', ')}] needs ${n * nt}.`);
  for (let t = 0; t < nt; t++) {
    const out = new (data.constructor as new (n: number) => T)(n);
    for (let v = 0; v < n; v++) out[v] = data[v * nt + t];
    yield { data: out, shape: spatial.slice() };
  }
}
