/**
 * Reading 2D image inputs: a plain C-order `{ data, shape }` object (such as
 * `ImageData` of `@diffeo/core`) or a scijs `ndarray` view with any strides and offset.
 * Element `(row, col)` is `data[offset + row·stride[0] + col·stride[1]]`.
 * A core `Volume` (`{ data, shape, gridToWorld }`) is read the same way when 2D; a
 * 3D Volume (C order over `[n0, n1, n2]`) is cut to one 2D slice ({@link VolumeSlice}):
 * the figures are drawn in the grid frame (voxels), `gridToWorld` is not used.
 */
import { DimensionError, DtypeError, EmptyImageError, InvalidArgumentError, ShapeMismatchError } from '@diffeo/core';
import type { NumericArray, Volume } from '@diffeo/core';

/**
 * Which 2D slice of a 3D input to draw: the plane `index` along array axis `axis`.
 * Defaults: axis 2 (the last), the middle index `floor(n/2)`. The slice keeps the
 * other two axes in order (rows = the lower axis).
 */
export interface VolumeSlice {
  /** Array axis the slice is taken across (0, 1 or 2). Default 2. */
  readonly axis?: 0 | 1 | 2;
  /** Voxel index along `axis`. Default `floor(n_axis / 2)`. */
  readonly index?: number;
}

/** A figure input: a 2D image ({@link Image2DInput}) or a core `Volume` (2D, or 3D cut with a {@link VolumeSlice}). */
export type ImageInput = Image2DInput | Volume;

/**
 * The 2D slice of a contiguous 3D C-order `{ data, shape }` (see {@link VolumeSlice}).
 * @throws {InvalidArgumentError} for an axis not in 0..2 or an index outside the axis.
 */
export function sliceOf(input: { readonly data: NumericArray | Uint8ClampedArray | readonly number[]; readonly shape: readonly number[] }, slice: VolumeSlice, what: string): Image2DInput {
  const shape = input.shape;
  const axis = slice.axis ?? 2;
  if (axis !== 0 && axis !== 1 && axis !== 2) throw new InvalidArgumentError(`slice.axis of ${what} must be 0, 1 or 2; got ${String(axis)}.`);
  const n = shape[axis];
  const index = slice.index ?? Math.floor(n / 2);
  if (!Number.isInteger(index) || index < 0 || index >= n) {
    throw new InvalidArgumentError(`slice.index of ${what} must be an integer from 0 to ${n - 1} (axis ${axis} has ${n} voxels); got ${index}.`);
  }
  const strides = [shape[1] * shape[2], shape[2], 1];
  const [ra, ca] = [0, 1, 2].filter((a) => a !== axis);
  return { data: input.data, shape: [shape[ra], shape[ca]], stride: [strides[ra], strides[ca]], offset: index * strides[axis] };
}

/**
 * A 2D image input of shape `[rows, cols]`: a plain contiguous C-order object
 * (`stride`/`offset` absent), or an `ndarray` view (`stride` and `offset` present).
 * `data` may be any numeric typed array or a plain `number[]` (read as float64).
 */
export interface Image2DInput {
  readonly data: NumericArray | Uint8ClampedArray | readonly number[];
  readonly shape: readonly number[];
  readonly stride?: readonly number[];
  readonly offset?: number;
}

/** A contiguous C-order 2D image, as the plotting code reads it. */
export interface Contiguous2D {
  readonly data: NumericArray;
  readonly rows: number;
  readonly cols: number;
}

function isTyped(d: unknown): d is NumericArray {
  return (
    d instanceof Float32Array || d instanceof Float64Array || d instanceof Int8Array || d instanceof Uint8Array ||
    d instanceof Int16Array || d instanceof Uint16Array || d instanceof Int32Array || d instanceof Uint32Array
  );
}

/**
 * Returns `image` (a 3D contiguous input: its `slice`, by default the middle one across the last axis) as a contiguous C-order 2D array, keeping its element type
 * (`Uint8ClampedArray` is read as `Uint8Array`, `number[]` becomes `Float64Array`).
 * No copy is made for contiguous typed-array inputs.
 * @throws {DimensionError} when the shape is not 2D; {@link EmptyImageError} for an
 *   empty axis; {@link ShapeMismatchError} when a plain input's data length is not
 *   `rows·cols`; {@link DtypeError} for unsupported data.
 */
export function to2D(image: ImageInput, what: string, slice?: VolumeSlice): Contiguous2D {
  if (typeof image !== 'object' || image === null || !('data' in image) || !('shape' in image)) {
    throw new InvalidArgumentError(`${what} must be an ndarray, a { data, shape } object or a Volume.`);
  }
  const plain = !('stride' in image) || (image as Image2DInput).stride === undefined;
  if (image.shape.length === 3 && plain) {
    const n = image.shape[0] * image.shape[1] * image.shape[2];
    if (image.data.length !== n) throw new ShapeMismatchError(`${what} has ${image.data.length} values but shape [${image.shape.join(', ')}] needs ${n}.`);
    image = sliceOf(image, slice ?? {}, what);
  }
  const input: Image2DInput = image;
  const shape = input.shape;
  if (shape.length !== 2) {
    throw new DimensionError(`${what} must be a 2D image of shape [rows, cols]; got shape [${shape.join(', ')}]. Pass a 2D image, or a contiguous 3D Volume (a slice is taken: option slice).`);
  }
  const rows = shape[0], cols = shape[1];
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
    throw new InvalidArgumentError(`${what} has an invalid shape [${shape.join(', ')}]; axis lengths must be non-negative integers.`);
  }
  if (rows === 0 || cols === 0) throw new EmptyImageError(`${what} has an empty axis (shape [${rows}, ${cols}]); it needs at least one pixel.`);

  let data: NumericArray;
  const raw = input.data;
  if (isTyped(raw)) data = raw;
  else if (raw instanceof Uint8ClampedArray) data = new Uint8Array(raw.buffer, raw.byteOffset, raw.length);
  else if (Array.isArray(raw)) data = Float64Array.from(raw as readonly number[]);
  else throw new DtypeError(`${what} has unsupported data; pass a numeric typed array or a number[].`);

  const stride = input.stride;
  const offset = input.offset ?? 0;
  if (stride === undefined) {
    if (data.length !== rows * cols) {
      throw new ShapeMismatchError(`${what} has ${data.length} values but shape [${rows}, ${cols}] needs ${rows * cols}.`);
    }
    return { data, rows, cols };
  }
  const s0 = stride[0], s1 = stride[1];
  if ((s0 === cols || rows === 1) && (s1 === 1 || cols === 1) && offset === 0 && data.length === rows * cols) {
    return { data, rows, cols };
  }
  const Ctor = data.constructor as new (n: number) => NumericArray;
  const out = new Ctor(rows * cols);
  for (let i = 0, o = 0; i < rows; i++) {
    const b = offset + i * s0;
    for (let j = 0; j < cols; j++) out[o++] = data[b + j * s1];
  }
  return { data: out, rows, cols };
}
