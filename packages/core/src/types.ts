/**
 * Shared types of diffeo.
 *
 * Frames: "grid" is voxel index space (array-index order: (row, col) in 2D,
 * (slice, row, col) in 3D, last index fastest, C order); "world" is physical
 * space (usually mm), reached through a grid-to-world affine.
 *
 * Vector fields are stored interleaved: `data[(flat voxel index) * d + k]` is the
 * component along array axis `k` (not x/y/z in the ITK sense). Displacements of
 * SyN fields are in world units.
 */

/** Spatial dimension: 2 or 3. */
export type Dim = 2 | 3;

/** Grid shape of a 2D image: `[rows, cols]` (voxels). */
export type Shape2D = readonly [number, number];
/** Grid shape of a 3D volume: `[slices, rows, cols]` (voxels). */
export type Shape3D = readonly [number, number, number];
/** Grid shape for dimension `D`. */
export type ShapeOf<D extends Dim> = D extends 2 ? Shape2D : Shape3D;
/** Grid shape of either dimension (length 2 or 3). */
export type Shape = Shape2D | Shape3D;

/**
 * A homogeneous `(d+1)×(d+1)` matrix stored row-major in a `Float64Array`
 * of length `(d+1)²`, or `null` meaning the identity (DIPY's `None`).
 * A grid-to-world affine maps the column vector `(i, j[, k], 1)` (grid) to world
 * coordinates.
 */
export type Affine = Float64Array | null;

/** Typed arrays diffeo accepts as image data. */
export type NumericArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array;

/**
 * A scalar image on a grid: contiguous C-order data of `shape` product length.
 * `gridToWorld` is the grid-to-world affine (`null` = identity, world units = voxels).
 */
export interface ImageData<D extends Dim = Dim, T extends NumericArray = Float32Array> {
  readonly shape: ShapeOf<D>;
  readonly data: T;
  readonly gridToWorld: Affine;
}

/**
 * The one plain-data image type of diffeo (the ITK-Wasm `Image` idea): voxel values in
 * C order over `shape` (array-index order, last index fastest), and the grid-to-world
 * affine that places voxel indices in world space (mm). `gridToWorld` is a row-major
 * `(d+1)×(d+1)` matrix, or `null` for the identity (world units = voxels).
 *
 * `ImageData` is the same shape of object; new APIs (the affine stage, the batch runner,
 * QC) take and return `Volume`s.
 */
export interface Volume<D extends Dim = Dim, T extends NumericArray = NumericArray> {
  readonly data: T;
  readonly shape: ShapeOf<D>;
  readonly gridToWorld: Affine;
}

/**
 * A vector field on a grid: contiguous C-order data of length `prod(shape) * d`,
 * component `k` along array axis `k`, in world units unless stated otherwise.
 */
export interface FieldData<D extends Dim = Dim> {
  readonly shape: ShapeOf<D>;
  readonly data: Float32Array;
  readonly gridToWorld: Affine;
}

/**
 * The three composition statistics DIPY returns, taken over "inside" voxels only,
 * with `q = |out[i]|²`: `[sqrt(max q), sqrt(mean q), sqrt(std of q)]`.
 * (The second is an RMS norm, the third the square root of the std of squared norms.)
 */
export type ComposeStats = [number, number, number];

/** Number of voxels of a shape. */
export function voxelCount(shape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  return n;
}
