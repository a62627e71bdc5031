/**
 * Reading 2D image inputs: a plain C-order `{ data, shape }` object (such as
 * `ImageData` of `@diffeo/core`) or a scijs `ndarray` view with any strides and offset.
 * Element `(row, col)` is `data[offset + row·stride[0] + col·stride[1]]`.
 */
import { DimensionError, DtypeError, EmptyImageError, InvalidArgumentError, ShapeMismatchError } from '@diffeo/core';
import type { NumericArray } from '@diffeo/core';

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
 * Returns `input` as a contiguous C-order 2D array, keeping its element type
 * (`Uint8ClampedArray` is read as `Uint8Array`, `number[]` becomes `Float64Array`).
 * No copy is made for contiguous typed-array inputs.
 * @throws {DimensionError} when the shape is not 2D; {@link EmptyImageError} for an
 *   empty axis; {@link ShapeMismatchError} when a plain input's data length is not
 *   `rows·cols`; {@link DtypeError} for unsupported data.
 */
export function to2D(input: Image2DInput, what: string): Contiguous2D {
  if (typeof input !== 'object' || input === null || !('data' in input) || !('shape' in input)) {
    throw new InvalidArgumentError(`${what} must be an ndarray or a { data, shape } object.`);
  }
  const shape = input.shape;
  if (shape.length !== 2) {
    throw new DimensionError(`${what} must be a 2D image of shape [rows, cols]; got shape [${shape.join(', ')}]. Take a 2D slice of a volume first.`);
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
