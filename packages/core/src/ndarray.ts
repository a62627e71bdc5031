/**
 * Interoperability with scijs `ndarray` views — the public array type of diffeo.
 *
 * Public functions accept either an `ndarray` view (any strides, any offset) or a
 * plain `{ data, shape }` object (contiguous, C order — the core `ImageData` and
 * `FieldData` types qualify), and hand the kernels contiguous C-order typed arrays,
 * copying only when the input is not already laid out that way or has to change
 * type. Results are returned as C-order `ndarray` views over fresh typed arrays.
 *
 * Layout conventions (frames and units are those of the caller; nothing here
 * transforms coordinates):
 * - a scalar image has shape `[rows, cols]` (2D) or `[slices, rows, cols]` (3D);
 * - a vector field has shape `[...grid, d]`: the last axis holds the `d` components,
 *   component `k` along array axis `k`, interleaved in memory
 *   (`data[(flat voxel index)·d + k]`);
 * - a point set has shape `[N, d]`.
 *
 * A plain `{ data, shape }` field may give either its full shape `[...grid, d]` or
 * only its grid shape (as `FieldData` does); the two are told apart by `data.length`.
 */
import ndarray from 'ndarray';
import type { Dim, NumericArray, Shape, ShapeOf, Volume } from './types.js';
import { DimensionError, DtypeError, EmptyImageError, InvalidArgumentError, NonFiniteError, ShapeMismatchError } from './errors.js';

/** A scijs `ndarray` view over data of type `T`. */
export type NdArray<T extends ndarray.Data = NumericArray> = ndarray.NdArray<T>;

/** Data arrays accepted in public inputs: typed arrays, `Uint8ClampedArray` (read as `Uint8Array`) or plain `number[]` (read as float64). */
export type InputData = NumericArray | Uint8ClampedArray | readonly number[];

/** A plain contiguous C-order array: `data` holds `prod(shape)` values. `ImageData` and `FieldData` of `@diffeo/core` are of this kind. */
export interface PlainArray<T extends InputData = InputData> {
  readonly data: T;
  readonly shape: readonly number[];
}

/** Anything accepted where an array is expected: an `ndarray` view (any strides and offset) or a {@link PlainArray}. */
export type ArrayInput<T extends InputData = InputData> = NdArray<T & ndarray.Data> | PlainArray<T>;

/** A scalar image input: shape `[rows, cols]` or `[slices, rows, cols]` (voxels). */
export type ImageInput<T extends InputData = InputData> = ArrayInput<T>;

/**
 * A vector-field input: full shape `[...grid, d]` (an `ndarray`, or a plain object),
 * or a plain object with the grid shape only (`FieldData`). Float32 or float64 values.
 */
export type FieldInput = ArrayInput<Float32Array | Float64Array | readonly number[]>;

/** A point-set input: shape `[N, d]` as an `ndarray`, a plain object, or an array of `d`-element rows. */
export type PointsInput = ArrayInput | ReadonlyArray<ArrayLike<number>>;

/** A contiguous C-order scalar image, as the kernels take it. */
export interface ContiguousImage<T extends NumericArray = NumericArray> {
  readonly data: T;
  readonly shape: Shape;
  readonly dim: Dim;
}

/** A contiguous interleaved float32 vector field, as the kernels take it: `data.length = prod(shape)·dim`. */
export interface ContiguousField {
  readonly data: Float32Array;
  /** Grid shape (without the component axis). */
  readonly shape: Shape;
  readonly dim: Dim;
}

/** True for a scijs `ndarray` view (it carries `stride` and `offset`). */
export function isNdArray(x: unknown): x is NdArray<ndarray.Data> {
  if (typeof x !== 'object' || x === null) return false;
  const o = x as { shape?: unknown; stride?: unknown; offset?: unknown; data?: unknown };
  return Array.isArray(o.shape) && Array.isArray(o.stride) && typeof o.offset === 'number' && o.data !== undefined;
}

/**
 * True for a plain-data {@link Volume} `{ data, shape, gridToWorld }`: an object (not an
 * `ndarray` view) with `data`, `shape` and a `gridToWorld` key (`null` = identity). APIs that
 * accept a Volume read the image's grid from it (and return a Volume).
 */
export function isVolume(x: unknown): x is Volume {
  if (typeof x !== 'object' || x === null || isNdArray(x)) return false;
  return 'data' in x && 'shape' in x && 'gridToWorld' in x;
}

function describeShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function checkShape(shape: readonly number[], what: string): void {
  for (let k = 0; k < shape.length; k++) {
    const n = shape[k];
    if (!Number.isInteger(n) || n < 0) {
      throw new InvalidArgumentError(`${what} has an invalid shape ${describeShape(shape)}: every axis length must be a non-negative integer.`);
    }
  }
  if (shape.some((n) => n === 0)) {
    throw new EmptyImageError(`${what} has shape ${describeShape(shape)} with an empty axis; every axis needs at least one sample.`);
  }
}

function product(shape: readonly number[]): number {
  let n = 1;
  for (let k = 0; k < shape.length; k++) n *= shape[k];
  return n;
}

function dataKind(data: unknown): string {
  if (Array.isArray(data)) return 'Array';
  if (data === null || data === undefined) return String(data);
  if (typeof data === 'object') return (data as object).constructor?.name ?? 'object';
  return typeof data;
}

/**
 * Normalises input data to a {@link NumericArray}: typed arrays pass through,
 * `Uint8ClampedArray` becomes a `Uint8Array` over the same memory, plain `number[]`
 * is copied into a `Float64Array`. Anything else (BigInt arrays, generic storage)
 * throws {@link DtypeError}.
 */
function normaliseData(data: unknown, what: string): { arr: NumericArray; copied: boolean } {
  if (
    data instanceof Float32Array || data instanceof Float64Array || data instanceof Int8Array || data instanceof Uint8Array ||
    data instanceof Int16Array || data instanceof Uint16Array || data instanceof Int32Array || data instanceof Uint32Array
  ) {
    return { arr: data, copied: false };
  }
  if (data instanceof Uint8ClampedArray) return { arr: new Uint8Array(data.buffer, data.byteOffset, data.length), copied: false };
  if (Array.isArray(data)) {
    const out = new Float64Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (typeof v !== 'number') throw new DtypeError(`${what} is a plain array with a non-number element at ${i} (${typeof v}); pass numbers or a typed array.`);
      out[i] = v;
    }
    return { arr: out, copied: true };
  }
  throw new DtypeError(
    `${what} has data of type ${dataKind(data)}; diffeo accepts Float32Array, Float64Array, (Uint)Int8/16/32Array, Uint8ClampedArray or number[]` +
      ` (convert BigInt64 data to Int32Array or Float64Array first).`,
  );
}

function isCContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let k = shape.length - 1; k >= 0; k--) {
    if (shape[k] !== 1 && stride[k] !== expected) return false;
    expected *= shape[k];
  }
  return true;
}

/** Typed-array constructor of the same element type as `a`. */
function sameKind<T extends NumericArray>(a: T, length: number): T {
  const Ctor = a.constructor as new (n: number) => T;
  return new Ctor(length);
}

/**
 * Checks that every element a strided view addresses lies inside its data: with
 * `p = offset + Σ i_k·stride_k` over `0 ≤ i_k < shape_k`, the smallest and largest `p`
 * must be in `[0, length)`. Strides and the offset must be integers.
 * @throws {ShapeMismatchError} naming the view and the index range it would read.
 */
export function checkViewExtent(shape: readonly number[], stride: readonly number[], offset: number, length: number, what: string): void {
  if (stride.length !== shape.length) {
    throw new ShapeMismatchError(`${what}: view has ${shape.length} dimensions but ${stride.length} strides.`);
  }
  if (!Number.isSafeInteger(offset)) throw new InvalidArgumentError(`${what}: view offset must be an integer; got ${offset}.`);
  let lo = offset;
  let hi = offset;
  for (let k = 0; k < shape.length; k++) {
    if (shape[k] === 0) return; // an empty view reads nothing
    const s = stride[k];
    if (!Number.isSafeInteger(s)) throw new InvalidArgumentError(`${what}: view stride ${k} must be an integer; got ${s}.`);
    const reach = (shape[k] - 1) * s;
    if (reach < 0) lo += reach;
    else hi += reach;
  }
  if (lo < 0 || hi >= length) {
    throw new ShapeMismatchError(
      `${what}: view of shape ${describeShape(shape)} with strides [${stride.join(', ')}] at offset ${offset} addresses elements ${lo} to ${hi}, but its data has ${length}; the view runs past its data (check the strides and the offset).`,
    );
  }
}

/** Copies a strided view into a new contiguous C-order array of the same element type. */
function gather<T extends NumericArray>(data: T, shape: readonly number[], stride: readonly number[], offset: number): T {
  const n = product(shape);
  const out = sameKind(data, n);
  const nd = shape.length;
  if (nd === 1) {
    const s0 = stride[0];
    for (let i = 0; i < shape[0]; i++) out[i] = data[offset + i * s0];
    return out;
  }
  if (nd === 2) {
    const [n0, n1] = shape, [s0, s1] = stride;
    let o = 0;
    for (let i = 0; i < n0; i++) {
      const b = offset + i * s0;
      for (let j = 0; j < n1; j++) out[o++] = data[b + j * s1];
    }
    return out;
  }
  if (nd === 3) {
    const [n0, n1, n2] = shape, [s0, s1, s2] = stride;
    let o = 0;
    for (let i = 0; i < n0; i++) {
      for (let j = 0; j < n1; j++) {
        const b = offset + i * s0 + j * s1;
        for (let k = 0; k < n2; k++) out[o++] = data[b + k * s2];
      }
    }
    return out;
  }
  // General case (4D fields and beyond): odometer over the index.
  const idx = new Array<number>(nd).fill(0);
  for (let o = 0; o < n; o++) {
    let p = offset;
    for (let k = 0; k < nd; k++) p += idx[k] * stride[k];
    out[o] = data[p];
    for (let k = nd - 1; k >= 0; k--) {
      if (++idx[k] < shape[k]) break;
      idx[k] = 0;
    }
  }
  return out;
}

/**
 * Returns the values of `input` as a contiguous C-order typed array with its
 * shape. No copy is made when the input already is contiguous C order (an
 * offset becomes a `subarray` view); strided views are gathered into a new array;
 * `number[]` data is copied into a `Float64Array`.
 *
 * @param what - name used in error messages, for example `"moving image"`.
 * @param shapeOverride - for plain inputs whose `shape` is not the full shape (internal use).
 * @throws {DtypeError} for unsupported data types; {@link ShapeMismatchError} when a
 *   plain input's `data.length` is not `prod(shape)`.
 */
export function toContiguous(input: ArrayInput, what = 'array', shapeOverride?: readonly number[]): { data: NumericArray; shape: number[]; copied: boolean } {
  if (typeof input !== 'object' || input === null || !('data' in input) || !('shape' in input)) {
    throw new InvalidArgumentError(`${what} must be an ndarray or a { data, shape } object; got ${dataKind(input)}.`);
  }
  if (isNdArray(input)) {
    const shape = input.shape.slice();
    checkShape(shape, what);
    const n = product(shape);
    const { arr, copied } = normaliseData(input.data, what);
    const stride = input.stride;
    const offset = input.offset;
    checkViewExtent(shape, stride, offset, arr.length, what);
    if (isCContiguous(shape, stride)) {
      if (offset < 0 || offset + n > arr.length) {
        throw new ShapeMismatchError(`${what}: view of shape ${describeShape(shape)} at offset ${offset} runs past its data of length ${arr.length}.`);
      }
      const data = offset === 0 && arr.length === n ? arr : (arr.subarray(offset, offset + n) as NumericArray);
      return { data, shape, copied };
    }
    return { data: gather(arr, shape, stride, offset), shape, copied: true };
  }
  const shape = (shapeOverride ?? input.shape).slice();
  checkShape(shape, what);
  const { arr, copied } = normaliseData(input.data, what);
  const n = product(shape);
  if (arr.length !== n) {
    throw new ShapeMismatchError(
      `${what} has shape ${describeShape(shape)} (${n} values) but its data holds ${arr.length}; pass contiguous C-order data of exactly prod(shape) values, or an ndarray view.`,
    );
  }
  return { data: arr, shape, copied };
}

function checkDim(nd: number, what: string, dim: Dim | undefined, kind: string): Dim {
  if (nd !== 2 && nd !== 3) {
    throw new DimensionError(`${what} must be a 2D or 3D ${kind}; got ${nd} axes.`);
  }
  if (dim !== undefined && nd !== dim) {
    throw new DimensionError(`${what} must be a ${dim}D ${kind}; got a ${nd}D one.`);
  }
  return nd;
}

/**
 * A scalar image as a contiguous C-order typed array of its own element type
 * (see {@link toContiguous}).
 * @param dim - required dimension, if any ({@link DimensionError} otherwise).
 */
export function toImage(input: ImageInput, what = 'image', dim?: Dim): ContiguousImage {
  const { data, shape } = toContiguous(input, what);
  const d = checkDim(shape.length, what, dim, 'image (shape [rows, cols] or [slices, rows, cols])');
  return { data, shape: shape as unknown as Shape, dim: d };
}

/**
 * A scalar image as contiguous float32 (values of other types are converted,
 * float64 rounded to nearest float32 — DIPY's `np.asarray(image, dtype=float32)`).
 * Float32 contiguous inputs are returned without a copy.
 */
export function toFloat32Image(input: ImageInput, what = 'image', dim?: Dim): ContiguousImage<Float32Array> {
  const img = toImage(input, what, dim);
  const data = img.data instanceof Float32Array ? img.data : Float32Array.from(img.data);
  return { data, shape: img.shape, dim: img.dim };
}

/** Throws {@link NonFiniteError} at the first NaN or infinity of `data`. */
export function assertFinite(data: ArrayLike<number>, what: string, ncomp = 1): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v - v !== 0) {
      const where = ncomp > 1 ? `voxel ${Math.floor(i / ncomp)}, component ${i % ncomp}` : `index ${i}`;
      throw new NonFiniteError(`${what} has a non-finite value (${v}) at ${where} (flat C-order); replace NaN/Infinity (for example with 0) before using it.`);
    }
  }
}

/** Resolves the full shape `[...grid, d]` of a field input. */
function fieldFullShape(input: FieldInput, what: string): readonly number[] {
  if (typeof input !== 'object' || input === null || !('shape' in input) || !Array.isArray(input.shape)) {
    throw new InvalidArgumentError(`${what} must be an ndarray of shape [...grid, d] or a { data, shape } object; got ${dataKind(input)}.`);
  }
  const shape = input.shape as readonly number[];
  if (isNdArray(input)) return shape;
  const len = (input.data as ArrayLike<number> | undefined)?.length;
  const n = product(shape);
  if (len === n) return shape; // full shape given
  if (len === n * shape.length && (shape.length === 2 || shape.length === 3)) return [...shape, shape.length]; // grid shape (FieldData)
  return shape; // let toContiguous report the mismatch
}

/**
 * A vector field as a contiguous interleaved `Float32Array` plus its grid shape.
 *
 * Accepts float32 data without copying when it is already contiguous; float64 and
 * `number[]` data are rounded to float32 (a copy). The field's last axis must equal
 * the dimension (`[rows, cols, 2]` or `[slices, rows, cols, 3]`).
 *
 * @param dim - required dimension, if any.
 * @param gridShape - required grid shape, if any ({@link ShapeMismatchError} otherwise).
 * @throws {DtypeError} for integer data; {@link ShapeMismatchError} when the last axis is
 *   not `d`; {@link DimensionError} for a field that is not 2D or 3D (or not `dim`-D);
 *   {@link NonFiniteError} for NaN or infinite components.
 */
export function toField(input: FieldInput, what = 'displacement field', dim?: Dim, gridShape?: readonly number[]): ContiguousField {
  const full = fieldFullShape(input, what);
  const nd = full.length - 1;
  if (nd !== 2 && nd !== 3) {
    throw new DimensionError(
      `${what} must have shape [rows, cols, 2] (2D) or [slices, rows, cols, 3] (3D); got ${describeShape(full)}.`,
    );
  }
  const last = full[nd];
  if (last !== nd) {
    throw new ShapeMismatchError(
      `${what} has shape ${describeShape(full)}: its last axis holds ${last} components but a ${nd}D grid needs ${nd}; vector fields are [...grid, d] with d = number of grid axes.`,
    );
  }
  if (dim !== undefined && nd !== dim) {
    throw new DimensionError(`${what} must be a ${dim}D field (shape [...${dim} grid axes, ${dim}]); got ${describeShape(full)}.`);
  }
  const raw = (input as { data: unknown }).data;
  if (!(raw instanceof Float32Array || raw instanceof Float64Array || Array.isArray(raw))) {
    throw new DtypeError(`${what} has ${dataKind(raw)} data; displacement fields must be Float32Array (or Float64Array / number[], rounded to float32).`);
  }
  const { data } = toContiguous(input as ArrayInput, what, isNdArray(input) ? undefined : full);
  const f32 = data instanceof Float32Array ? data : Float32Array.from(data);
  const grid = full.slice(0, nd);
  if (gridShape !== undefined && !sameShape(grid, gridShape)) {
    throw new ShapeMismatchError(`${what} has grid shape ${describeShape(grid)} but ${describeShape(gridShape)} is required here.`);
  }
  assertFinite(f32, what, nd);
  return { data: f32, shape: grid as unknown as Shape, dim: nd };
}

/**
 * An output field buffer supplied by the caller: must be a contiguous C-order
 * `Float32Array` (plain or an ndarray view without gaps) of grid shape `gridShape`
 * and `dim` components. Returns the typed array to write into (no copy).
 */
export function toOutputField(out: FieldInput, gridShape: readonly number[], dim: Dim, what = 'out'): Float32Array {
  const full = fieldFullShape(out, what);
  const expected = [...gridShape, dim];
  if (!sameShape(full, expected)) {
    throw new ShapeMismatchError(`${what} has shape ${describeShape(full)}; it must be ${describeShape(expected)}.`);
  }
  if (!(out.data instanceof Float32Array)) {
    throw new DtypeError(`${what} must hold Float32Array data to be written in place; got ${dataKind(out.data)}.`);
  }
  if (isNdArray(out) && !isCContiguous(full, out.stride)) {
    throw new InvalidArgumentError(`${what} must be a contiguous C-order view to be written in place; pass a fresh array or a contiguous view.`);
  }
  const n = product(full);
  const offset = isNdArray(out) ? out.offset : 0;
  if (isNdArray(out)) checkViewExtent(out.shape, out.stride, offset, out.data.length, what);
  if (offset + n > out.data.length) throw new ShapeMismatchError(`${what} runs past the end of its data.`);
  return offset === 0 && out.data.length === n ? out.data : out.data.subarray(offset, offset + n);
}

/**
 * A point set `[N, d]` as a contiguous `Float64Array` of `N·d` values (a copy).
 * @throws {ShapeMismatchError} when the rows do not have `dim` coordinates; {@link NonFiniteError} for non-finite coordinates.
 */
export function toPoints(input: PointsInput, dim: Dim, what = 'points'): { data: Float64Array; count: number } {
  if (Array.isArray(input) && (input.length === 0 || typeof input[0] === 'object')) {
    const rows = input as ReadonlyArray<ArrayLike<number>>;
    const out = new Float64Array(rows.length * dim);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      if (!r || r.length !== dim) {
        throw new ShapeMismatchError(`${what}[${i}] has ${r ? r.length : 0} coordinates; each point needs ${dim}.`);
      }
      for (let k = 0; k < dim; k++) out[i * dim + k] = r[k];
    }
    assertFinite(out, what, dim);
    return { data: out, count: rows.length };
  }
  const arr = input as ArrayInput;
  const shape = arr.shape;
  if (!shape || shape.length !== 2 || shape[1] !== dim) {
    throw new ShapeMismatchError(`${what} must have shape [N, ${dim}]; got ${shape ? describeShape(shape) : 'no shape'}.`);
  }
  if (shape[0] === 0) return { data: new Float64Array(0), count: 0 };
  const { data } = toContiguous(arr, what);
  const out = Float64Array.from(data);
  assertFinite(out, what, dim);
  return { data: out, count: shape[0] };
}

/** True when two shapes are equal axis by axis. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

/**
 * Validates a grid shape given by the caller: `dim` positive integers.
 * @throws {InvalidArgumentError} or {@link DimensionError}.
 */
export function toShape<D extends Dim>(shape: ArrayLike<number> | null | undefined, dim: D, what = 'shape'): ShapeOf<D> {
  if (shape === null || shape === undefined || typeof shape !== 'object' || typeof shape.length !== 'number') {
    throw new InvalidArgumentError(`${what} is required: pass ${dim} axis lengths.`);
  }
  if (shape.length !== dim) {
    throw new DimensionError(`${what} must have ${dim} axis lengths for a ${dim}D grid; got ${shape.length}.`);
  }
  const out: number[] = [];
  for (let k = 0; k < dim; k++) {
    const n = Number(shape[k]);
    if (!Number.isInteger(n) || n < 1) {
      throw new InvalidArgumentError(`${what} axis ${k} is ${shape[k]}; axis lengths must be positive integers.`);
    }
    out.push(n);
  }
  return out as unknown as ShapeOf<D>;
}

/** Wraps contiguous C-order `data` as an `ndarray` view of the given shape (no copy). */
export function wrapArray<T extends NumericArray>(data: T, shape: readonly number[]): NdArray<T> {
  return ndarray(data, shape.slice());
}

/** Wraps an interleaved vector field as an `ndarray` view of shape `[...grid, d]` (no copy). */
export function wrapField(data: Float32Array, gridShape: readonly number[]): NdArray<Float32Array> {
  return ndarray(data, [...gridShape, gridShape.length]);
}

/**
 * Writes contiguous C-order `values` into an `ndarray` view of the same size
 * (any strides), element by element, converting to the view's element type.
 */
export function scatterInto(view: NdArray<ndarray.Data<number>>, values: ArrayLike<number>): void {
  const shape = view.shape;
  const n = product(shape);
  if (values.length !== n) throw new ShapeMismatchError(`cannot write ${values.length} values into a view of shape ${describeShape(shape)}.`);
  checkViewExtent(shape, view.stride, view.offset, (view.data as unknown as ArrayLike<number>).length, 'output view');
  const nd = shape.length;
  const stride = view.stride;
  const data = view.data as unknown as { [i: number]: number };
  const idx = new Array<number>(nd).fill(0);
  for (let o = 0; o < n; o++) {
    let p = view.offset;
    for (let k = 0; k < nd; k++) p += idx[k] * stride[k];
    data[p] = values[o];
    for (let k = nd - 1; k >= 0; k--) {
      if (++idx[k] < shape[k]) break;
      idx[k] = 0;
    }
  }
}
