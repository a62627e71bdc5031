/**
 * Public, validated vector-field and image-warping functions (DIPY's
 * `dipy.align.vector_fields`, names in camelCase). Each function checks its
 * inputs once, converts them to contiguous C-order typed arrays (see
 * `ndarray.ts`) and calls the kernels of a {@link KernelContext}
 * (`defaultContext` unless `options.context` is given). Results are returned as
 * `ndarray` views over fresh arrays.
 *
 * Frames and units (docs/algorithm.md §0, §2):
 * - grid coordinates are voxel indices in array-axis order ((row, col) in 2D,
 *   (slice, row, col) in 3D); vector component `k` runs along array axis `k`;
 * - affines are `(d+1)×(d+1)` homogeneous matrices (`null` = identity); a point
 *   uses homogeneous coordinate 1, a displacement 0;
 * - a generic warp samples `image` at `x = B·[i;1] + C·[v;0]` with
 *   `v = field(A·[i;1])` (linear interpolation of the field, zero padded), for each
 *   voxel `i` of the output grid. The units of `v` are whatever `C` maps to grid
 *   units of the image (world units with `C = image world-to-grid`);
 * - composition: `out(x) = d1(x) + t·d2(A·x + B·d1(x))`, zero where the sample of
 *   `d2` is not strictly inside its grid;
 * - storage is float32, arithmetic double, exactly as DIPY 1.6 (the kernels).
 */
import type { Affine, ComposeStats, Dim, NumericArray, Shape } from './types.js';
import type { AffineLike } from './affine.js';
import { applyAffine, getDirectionAndSpacings, identityAffine, invertAffine, toAffine } from './affine.js';
import type { KernelContext } from './registry.js';
import { defaultContext } from './registry.js';
import type { InversionResult } from './kernels/types.js';
import { DtypeError, ImageTooSmallError, InvalidArgumentError, ShapeMismatchError } from './errors.js';
import type { FieldInput, ImageInput, NdArray } from './ndarray.js';
import {
  isNdArray, sameShape, scatterInto, toContiguous, toField, toFloat32Image, toImage, toOutputField, toShape,
  wrapArray, wrapField,
} from './ndarray.js';

/** Options shared by every function that runs kernels. */
export interface KernelOptions {
  /** Kernel context to run on (backends); `defaultContext` when omitted. */
  readonly context?: KernelContext;
}

/** Image interpolation: `'linear'` (bi/trilinear, zero padded, float32 output) or `'nearest'` (ties round down, keeps the image type). */
export type Interpolation = 'linear' | 'nearest';

function ctxOf(options: KernelOptions | undefined): KernelContext {
  return options?.context ?? defaultContext;
}

/** Validates an interpolation option (`undefined` → `'linear'`). @internal */
export function checkInterpolation(interp: unknown): Interpolation {
  if (interp === undefined || interp === 'linear') return 'linear';
  if (interp === 'nearest') return 'nearest';
  throw new InvalidArgumentError(`interpolation must be 'linear' or 'nearest'; got ${JSON.stringify(interp)}.`);
}

/**
 * Image data prepared for a nearest-neighbour warp, with DIPY's dtype rules
 * (docs/algorithm.md §1.3): float64 (and `number[]`) become float32; every other type is
 * passed through and kept in the output (DIPY would turn int64 into int32 and
 * reject uint8/bool; diffeo has no int64 input and accepts the 8-bit types).
 * @internal
 */
export function nearestImageData(data: NumericArray): NumericArray {
  return data instanceof Float64Array ? Float32Array.from(data) : data;
}

function newLike(data: NumericArray, n: number): NumericArray {
  const Ctor = data.constructor as new (len: number) => NumericArray;
  return new Ctor(n);
}

/**
 * Runs the generic warp kernel (docs/algorithm.md §2.3) on contiguous arrays: allocates
 * and returns the output. When `A` is null and the field grid differs from the
 * output grid, `A` is taken as the identity so the field is sampled at `i` rather
 * than read out of range.
 * @internal
 */
export function warpRaw(
  ctx: KernelContext, dim: Dim, interpolation: Interpolation,
  outShape: Shape, image: NumericArray, imageShape: Shape,
  field: Float32Array | null, fieldShape: Shape, A: Affine, B: Affine, C: Affine,
): NumericArray {
  const n = outShape.reduce((a, b) => a * b, 1);
  let a = A;
  if (field !== null && a === null && !sameShape(fieldShape, outShape)) a = identityAffine(dim);
  if (interpolation === 'linear') {
    const out = new Float32Array(n);
    const img = image as Float32Array;
    ctx.kernelsFor(dim).warp(out, outShape, img, imageShape, field, fieldShape, a, B, C);
    return out;
  }
  const out = newLike(image, n);
  ctx.kernelsFor(dim).warpNearest(out, outShape, image, imageShape, field, fieldShape, a, B, C);
  return out;
}

/** Options of {@link warpImage}. */
export interface WarpImageOptions extends KernelOptions {
  /** `'linear'` (default) or `'nearest'`. */
  readonly interpolation?: Interpolation;
  /** `A`: maps an output grid index to the field's grid (point); identity when omitted. */
  readonly affineIdxIn?: AffineLike | null;
  /** `B`: maps an output grid index to the image's grid (point); identity when omitted. */
  readonly affineIdxOut?: AffineLike | null;
  /** `C`: maps the interpolated displacement to the image's grid units (vector); identity when omitted. */
  readonly affineDisp?: AffineLike | null;
  /** Output grid shape (voxels); defaults to the field's grid shape, or the image's shape when there is no field. */
  readonly outShape?: ArrayLike<number>;
}

/**
 * Warps a 2D or 3D image with a displacement field and affines, DIPY's
 * `warp_2d/3d` (linear) and `warp_2d/3d_nn` (nearest):
 * `out[i] = image( B·[i;1] + C·[field(A·[i;1]); 0] )` for each voxel `i` of the
 * output grid (docs/algorithm.md §2.3). The field is always interpolated linearly.
 * With `field = null` this is an affine-only transform, `out[i] = image(B·[i;1])`
 * (DIPY's `transform_2d/3d_affine`).
 *
 * @param image - `[rows, cols]` or `[slices, rows, cols]`, any numeric type
 *   (linear: converted to float32; nearest: float64 → float32, other types kept).
 * @param field - `[...grid, d]` float32/float64 displacement (units: whatever `C`
 *   maps to the image's voxels), or `null`.
 * @returns an `ndarray` of `outShape`: float32 for linear, the image's type for nearest.
 * @throws {DimensionError} image/field dimensions differ; {@link ShapeMismatchError}
 *   field's last axis ≠ d; {@link NonFiniteError} NaN in the field;
 *   {@link InvalidAffineError} malformed or non-finite affine; {@link DtypeError}.
 *
 * @example
 * ```ts
 * // identity field: the image comes back unchanged
 * const img = ndarray(new Float32Array(64 * 64), [64, 64]);
 * const zero = ndarray(new Float32Array(64 * 64 * 2), [64, 64, 2]);
 * const same = warpImage(img, zero);
 * ```
 */
export function warpImage(image: ImageInput, field: FieldInput | null, options?: WarpImageOptions & { interpolation?: 'linear' }): NdArray<Float32Array>;
export function warpImage(image: ImageInput, field: FieldInput | null, options: WarpImageOptions & { interpolation: 'nearest' }): NdArray<NumericArray>;
export function warpImage(image: ImageInput, field: FieldInput | null, options?: WarpImageOptions): NdArray<NumericArray>;
export function warpImage(image: ImageInput, field: FieldInput | null, options: WarpImageOptions = {}): NdArray<NumericArray> {
  const interpolation = checkInterpolation(options.interpolation);
  const img = interpolation === 'linear' ? toFloat32Image(image, 'image') : toImage(image, 'image');
  const dim = img.dim;
  const f = field === null || field === undefined ? null : toField(field, 'field', dim);
  const A = toAffine(options.affineIdxIn, dim, 'affineIdxIn');
  const B = toAffine(options.affineIdxOut, dim, 'affineIdxOut');
  const C = toAffine(options.affineDisp, dim, 'affineDisp');
  const outShape: Shape = options.outShape !== undefined
    ? toShape(options.outShape, dim, 'outShape')
    : (f ? f.shape : img.shape);
  const data = interpolation === 'nearest' ? nearestImageData(img.data) : img.data;
  const out = warpRaw(ctxOf(options), dim, interpolation, outShape, data, img.shape, f ? f.data : null, f ? f.shape : outShape, A, B, C);
  return wrapArray(out, outShape);
}

/** Options of {@link transformAffine}. */
export interface TransformAffineOptions extends KernelOptions {
  /** `'linear'` (default) or `'nearest'`. */
  readonly interpolation?: Interpolation;
}

/**
 * Affine-only resampling, DIPY's `transform_2d/3d_affine(_nn)`:
 * `out[i] = image(affine·[i;1])` for each voxel `i` of a grid of `refShape`.
 * `affine` maps output grid indices to the image's grid indices (`null` = identity,
 * which returns the image unchanged when shapes agree).
 * @param image - 2D or 3D image (see {@link warpImage} for types).
 * @param refShape - output grid shape (voxels).
 * @returns float32 `ndarray` (linear) or the image's type (nearest), of `refShape`.
 */
export function transformAffine(image: ImageInput, refShape: ArrayLike<number>, affine: AffineLike | null, options: TransformAffineOptions = {}): NdArray<NumericArray> {
  const interpolation = checkInterpolation(options.interpolation);
  const img = interpolation === 'linear' ? toFloat32Image(image, 'image') : toImage(image, 'image');
  const dim = img.dim;
  const outShape = toShape(refShape, dim, 'refShape');
  const M = toAffine(affine, dim, 'affine');
  const data = interpolation === 'nearest' ? nearestImageData(img.data) : img.data;
  const out = warpRaw(ctxOf(options), dim, interpolation, outShape, data, img.shape, null, outShape, null, M, null);
  return wrapArray(out, outShape);
}

/** Options of {@link composeVectorFields}. */
export interface ComposeOptions extends KernelOptions {
  /** `A` (DIPY `premult_index`): maps a voxel of d1's grid to d2's grid (point); identity when omitted. */
  readonly premultIndex?: AffineLike | null;
  /** `B` (DIPY `premult_disp`): maps d1's displacement to d2's grid units (vector); identity when omitted. */
  readonly premultDisp?: AffineLike | null;
  /** `t`, the scaling of d2 (DIPY `time_scaling`); default 1. */
  readonly timeScaling?: number;
  /**
   * Output buffer (DIPY `comp`): a contiguous float32 field of d1's shape. It may be
   * d1 itself (in-place update, as SyN does) but must not share memory with d2.
   */
  readonly out?: FieldInput;
}

/** Result of {@link composeVectorFields}. */
export interface ComposeResult {
  /** The composition, shape `[...d1 grid, d]`, float32, in d1's units. */
  readonly field: NdArray<Float32Array>;
  /** `[sqrt(max |c|²), sqrt(mean |c|²), sqrt(std |c|²)]` over inside voxels (NaN if none). */
  readonly stats: ComposeStats;
}

function overlaps(a: Float32Array, b: Float32Array): boolean {
  if (a.buffer !== b.buffer) return false;
  const a0 = a.byteOffset, a1 = a0 + a.byteLength, b0 = b.byteOffset, b1 = b0 + b.byteLength;
  return a0 < b1 && b0 < a1;
}

/**
 * Composition of two displacement fields, DIPY's `compose_vector_fields_2d/3d`
 * (docs/algorithm.md §2.1): for each voxel `i` of d1's grid,
 * `out[i] = d1[i] + t·d2(A·[i;1] + B·[d1[i];0])` when that sample is strictly
 * inside d2's grid, else `0`. Meaning: "first d1, then t·d2".
 *
 * @param d1 - first field `[...grid1, d]`, float32/float64.
 * @param d2 - second field `[...grid2, d]` (grids may differ).
 * @returns the composed field and DIPY's three statistics.
 * @throws {DimensionError}, {@link ShapeMismatchError}, {@link NonFiniteError},
 *   {@link InvalidAffineError}, {@link InvalidArgumentError} (bad `t`, `out` aliasing d2).
 */
export function composeVectorFields(d1: FieldInput, d2: FieldInput, options: ComposeOptions = {}): ComposeResult {
  const f1 = toField(d1, 'd1');
  const f2 = toField(d2, 'd2', f1.dim);
  const dim = f1.dim;
  const A = toAffine(options.premultIndex, dim, 'premultIndex');
  const B = toAffine(options.premultDisp, dim, 'premultDisp');
  const t = options.timeScaling ?? 1;
  if (typeof t !== 'number' || !Number.isFinite(t)) {
    throw new InvalidArgumentError(`timeScaling must be a finite number; got ${String(t)}.`);
  }
  let out: Float32Array;
  let view: NdArray<Float32Array> | null = null;
  if (options.out !== undefined) {
    out = toOutputField(options.out, f1.shape, dim, 'out');
    if (overlaps(out, f2.data)) {
      throw new InvalidArgumentError('out shares memory with d2; composition can only run in place on d1. Pass a separate buffer.');
    }
    if (out !== f1.data && overlaps(out, f1.data) && (out.byteOffset !== f1.data.byteOffset)) {
      throw new InvalidArgumentError('out partially overlaps d1; pass d1 itself (exactly) or a separate buffer.');
    }
    if (isNdArray(options.out)) view = options.out as NdArray<Float32Array>;
  } else {
    out = new Float32Array(f1.data.length);
  }
  const ctx = ctxOf(options);
  const stats = ctx.kernelsFor(dim).compose(out, f1.data, f1.shape, f2.data, f2.shape, A, B, t);
  return { field: view ?? wrapField(out, f1.shape), stats };
}

/** Options of {@link invertVectorFieldFixedPoint}. */
export interface InvertOptions extends KernelOptions {
  /** World-to-grid affine of the field's grid (DIPY `d_world2grid`); identity when omitted. */
  readonly worldToGrid?: AffineLike | null;
  /** Voxel spacing of the field's grid (world units per voxel, length d); only scales the stopping measure. Default: ones. */
  readonly spacing?: ArrayLike<number>;
  /** Maximum number of iterations (DIPY `max_iter`); default 20 (SyN's `inv_iter`). */
  readonly maxIter?: number;
  /** Stop when the mean residual (voxels) is ≤ this (DIPY `tolerance`); default 1e-3 (SyN's `inv_tol`). */
  readonly tolerance?: number;
  /** Initial guess of the inverse (DIPY `start`), same shape as the field; zeros when omitted. Not modified. */
  readonly start?: FieldInput | null;
}

/** Result of {@link invertVectorFieldFixedPoint}. */
export interface InvertResult {
  /** The inverse field, same grid and units as the input. */
  readonly field: NdArray<Float32Array>;
  /** Iterations run and the last measured residuals (voxel units). */
  readonly result: InversionResult;
}

/**
 * Inverse of a displacement field by fixed-point iteration, DIPY's
 * `invert_vector_field_fixed_point_2d/3d` (docs/algorithm.md §2.2): iterates
 * `p ← p − ε·(p ∘ d)` (ε = 0.75 first, then 0.5, steps clipped against the largest
 * residual) until `maxIter` iterations or the mean residual ≤ `tolerance`
 * (3D also stops once the largest residual is ≤ 0.1 voxel).
 *
 * @param d - field `[...grid, d]` in world units of the grid whose inverse
 *   affine is `worldToGrid`.
 * @returns the inverse (world units, same grid) and the iteration record.
 */
export function invertVectorFieldFixedPoint(d: FieldInput, options: InvertOptions = {}): InvertResult {
  const f = toField(d, 'field');
  const dim = f.dim;
  const W = toAffine(options.worldToGrid, dim, 'worldToGrid');
  const spacing = toSpacing(options.spacing, dim, 'spacing');
  const maxIter = options.maxIter ?? 20;
  if (!Number.isInteger(maxIter) || maxIter < 0) throw new InvalidArgumentError(`maxIter must be a non-negative integer; got ${maxIter}.`);
  const tol = options.tolerance ?? 1e-3;
  if (typeof tol !== 'number' || Number.isNaN(tol)) throw new InvalidArgumentError(`tolerance must be a number; got ${String(tol)}.`);
  const inv = new Float32Array(f.data.length);
  if (options.start !== undefined && options.start !== null) {
    const s = toField(options.start, 'start', dim, f.shape);
    inv.set(s.data);
  }
  const scratch = new Float32Array(f.data.length);
  const ctx = ctxOf(options);
  const result = ctx.kernelsFor(dim).invert(inv, f.data, f.shape, W, spacing, maxIter, tol, scratch);
  return { field: wrapField(inv, f.shape), result };
}

function toSpacing(s: ArrayLike<number> | undefined, dim: Dim, what: string): Float64Array {
  if (s === undefined) return new Float64Array(dim).fill(1);
  if (s === null || typeof s !== 'object' || s.length !== dim) {
    throw new ShapeMismatchError(`${what} must have ${dim} entries (world units per voxel along each axis); got ${s === null || typeof s !== 'object' ? String(s) : s.length}.`);
  }
  const out = Float64Array.from(s);
  for (let k = 0; k < dim; k++) {
    if (!Number.isFinite(out[k]) || out[k] <= 0) {
      throw new InvalidArgumentError(`${what}[${k}] is ${out[k]}; spacings must be positive finite numbers.`);
    }
  }
  return out;
}

function toFactors(s: ArrayLike<number>, dim: Dim, what: string): Float64Array {
  if (s === null || typeof s !== 'object' || s.length !== dim) {
    throw new ShapeMismatchError(`${what} must have ${dim} entries; got ${s === null || typeof s !== 'object' ? String(s) : s.length}.`);
  }
  const out = Float64Array.from(s);
  for (let k = 0; k < dim; k++) {
    if (!Number.isFinite(out[k])) throw new InvalidArgumentError(`${what}[${k}] is ${out[k]}; factors must be finite.`);
  }
  return out;
}

/**
 * Resamples a displacement field on a new grid, DIPY's
 * `resample_displacement_field_2d/3d` (docs/algorithm.md §2.4):
 * `out[i] = field(i_0·f_0, …, i_{d−1}·f_{d−1})` (linear, zero padded). Values are
 * not rescaled.
 * @param factors - grid-index scaling from the new grid to the old (length d; 0.5 doubles the resolution).
 * @param outShape - the new grid shape (voxels).
 * @returns float32 field `[...outShape, d]`.
 */
export function resampleDisplacementField(field: FieldInput, factors: ArrayLike<number>, outShape: ArrayLike<number>, options: KernelOptions = {}): NdArray<Float32Array> {
  const f = toField(field, 'field');
  const dim = f.dim;
  const fac = toFactors(factors, dim, 'factors');
  const shape = toShape(outShape, dim, 'outShape');
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1) * dim);
  const ctx = ctxOf(options);
  ctx.kernelsFor(dim).resampleField(out, shape, f.data, f.shape, fac);
  return wrapField(out, shape);
}

function halfShape(shape: Shape): Shape {
  return shape.map((n) => (n + 1) >> 1) as unknown as Shape;
}

/**
 * Downsamples a scalar image by 2 (block means, partial blocks at odd sizes),
 * DIPY's `downsample_scalar_field_2d/3d` (docs/algorithm.md §2.5), in float32.
 * @param image - 2D or 3D image (converted to float32).
 * @returns float32 image of shape `ceil(n/2)` per axis.
 */
export function downsampleScalarField(image: ImageInput, options: KernelOptions = {}): NdArray<Float32Array> {
  const img = toFloat32Image(image, 'image');
  const shape = halfShape(img.shape);
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  const ctx = ctxOf(options);
  ctx.kernelsFor(img.dim).downsample(out, img.data, img.shape, 1);
  return wrapArray(out, shape);
}

/**
 * Downsamples a displacement field by 2 (per-component block means), DIPY's
 * `downsample_displacement_field_2d/3d` (docs/algorithm.md §2.5). Values are not rescaled.
 * @returns float32 field of grid shape `ceil(n/2)` per axis.
 */
export function downsampleDisplacementField(field: FieldInput, options: KernelOptions = {}): NdArray<Float32Array> {
  const f = toField(field, 'field');
  const shape = halfShape(f.shape);
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1) * f.dim);
  const ctx = ctxOf(options);
  ctx.kernelsFor(f.dim).downsample(out, f.data, f.shape, f.dim);
  return wrapField(out, shape);
}

/** Options of {@link gradient}. */
export interface GradientOptions extends KernelOptions {
  /** World-to-grid affine of the image; identity when omitted. */
  readonly imageWorldToGrid?: AffineLike | null;
  /** Image voxel spacing (world units), length d; defaults to the column norms of the image's grid-to-world (float32-rounded, as DIPY's spacings). */
  readonly imageSpacing?: ArrayLike<number>;
  /** Sampling grid shape; defaults to the image's shape. */
  readonly outShape?: ArrayLike<number>;
  /** Grid-to-world affine of the sampling grid; identity when omitted. */
  readonly outGridToWorld?: AffineLike | null;
}

/**
 * Image gradient in physical space, DIPY's `vector_fields.gradient` (used by
 * affine registration, not by SyN): at each sampling-grid voxel, central
 * differences at `x ± spacing/2` along each world axis, sampled bilinearly in the
 * image; a component whose samples are not inside the image is 0 and the voxel's
 * `inside` flag is 0 (with DIPY's shifted-point quirk near the border).
 * @param image - 2D or 3D image (converted to float32).
 * @returns `gradient` (float32 `[...outShape, d]`, image units per world unit,
 *   component k along world axis k) and `inside` (int32 `outShape`, 1/0).
 */
export function gradient(image: ImageInput, options: GradientOptions = {}): { gradient: NdArray<Float32Array>; inside: NdArray<Int32Array> } {
  const img = toFloat32Image(image, 'image');
  const dim = img.dim;
  const w2g = toAffine(options.imageWorldToGrid, dim, 'imageWorldToGrid', true);
  const spacing = options.imageSpacing !== undefined
    ? toSpacing(options.imageSpacing, dim, 'imageSpacing')
    : getDirectionAndSpacings(invertAffine(w2g, 'imageWorldToGrid'), dim).spacing;
  const outShape = options.outShape !== undefined ? toShape(options.outShape, dim, 'outShape') : img.shape;
  const g2w = toAffine(options.outGridToWorld, dim, 'outGridToWorld');
  const n = outShape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n * dim);
  const inside = new Int32Array(n);
  const ctx = ctxOf(options);
  ctx.kernelsFor(dim).gradientSampler(out, inside, outShape, img.data, img.shape, w2g, spacing, g2w);
  return { gradient: wrapField(out, outShape), inside: wrapArray(inside, outShape) };
}

/**
 * `numpy.gradient(image)` with unit spacing and `edge_order=1`, in float32
 * arithmetic, as the SyN metrics use it (docs/algorithm.md §2.7): central differences
 * inside, one-sided differences at the first and last samples.
 * @param image - 2D or 3D image (converted to float32); every axis needs ≥ 2 samples.
 * @returns float32 `[...shape, d]`, component k = derivative along axis k (per voxel).
 * @throws {ImageTooSmallError} when an axis has a single sample.
 */
export function numpyGradient(image: ImageInput, options: KernelOptions = {}): NdArray<Float32Array> {
  const img = toFloat32Image(image, 'image');
  for (let k = 0; k < img.dim; k++) {
    if (img.shape[k] < 2) {
      throw new ImageTooSmallError(`numpyGradient needs at least 2 samples along every axis; axis ${k} has ${img.shape[k]}.`);
    }
  }
  const out = new Float32Array(img.data.length * img.dim);
  ctxOf(options).kernel('numpyGradient')(out, img.data, img.shape);
  return wrapField(out, img.shape);
}

/**
 * Reorients every vector of a field in place, DIPY's
 * `reorient_vector_field_2d/3d` (docs/algorithm.md §2.6): `v ← M_linear·v` (homogeneous
 * coordinate 0, translation ignored), computed in double and stored in the field's
 * own type (float32 fields are rounded per component). `null` is a no-op.
 *
 * The input is modified (any strides; a strided or `number[]` input is updated
 * element by element). Returns an `ndarray` view of the result: the input itself
 * when it is an `ndarray`.
 * @param field - `[...grid, d]` Float32Array / Float64Array / number[] field.
 */
export function reorientVectorField(field: FieldInput, affine: AffineLike | null): NdArray<Float32Array | Float64Array> {
  // Validate shape and finiteness like any field (this also rejects integer data).
  const checked = toField(field, 'field');
  const dim = checked.dim;
  const M = toAffine(affine, dim, 'affine');
  const fullShape = [...checked.shape, dim];
  const raw = toContiguous(field as Parameters<typeof toContiguous>[0], 'field', isNdArray(field) ? undefined : fullShape);
  const data = raw.data as Float32Array | Float64Array;
  if (!(data instanceof Float32Array || data instanceof Float64Array)) {
    throw new DtypeError('field must hold float32 or float64 values to be reoriented.');
  }
  if (M === null) return isNdArray(field) ? (field as unknown as NdArray<Float32Array | Float64Array>) : wrapArray(data, fullShape);
  const n = data.length;
  const tmp = new Float64Array(dim);
  const res = new Float64Array(dim);
  for (let p = 0; p < n; p += dim) {
    for (let k = 0; k < dim; k++) tmp[k] = data[p + k];
    applyAffine(M, tmp, 0, res, dim);
    for (let k = 0; k < dim; k++) data[p + k] = res[k];
  }
  if (!raw.copied) return isNdArray(field) ? (field as unknown as NdArray<Float32Array | Float64Array>) : wrapArray(data, fullShape);
  if (isNdArray(field)) {
    scatterInto(field as unknown as NdArray<number[]>, data);
    return field as unknown as NdArray<Float32Array | Float64Array>;
  }
  const target = (field as { data: unknown }).data as number[];
  for (let i = 0; i < n; i++) target[i] = data[i];
  return wrapArray(data, fullShape);
}
