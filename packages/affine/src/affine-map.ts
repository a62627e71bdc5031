/**
 * AffineMap (DIPY 1.6 `dipy.align.imaffine.AffineMap`): a world-space affine `A` between a
 * domain (static) grid and a codomain (moving) grid.
 *
 * `A` maps static world points to moving world points (mm → mm). `transform(moving)`
 * resamples a codomain image on the domain grid: for each domain voxel `i`,
 * `out[i] = moving(W_m⁻¹ · A · G_s · [i; 1])`, where `G_s` is the sampling grid's
 * grid-to-world matrix and `W_m` the image's. `transformInverse(static)` does the opposite
 * with `A⁻¹`, sampling on the codomain grid. Linear interpolation gives float64 images,
 * nearest keeps the image's type; samples outside the image are 0.
 */
import { ShapeMismatchError, InvalidArgumentError, checkOptionKeys, type Dim, type NumericArray, type Volume, type Shape } from '@diffeo/core';
import { AffineInvalidValuesError, AffineInversionError } from './errors.js';
import { resampleAffine } from './interpolation.js';
import { eye, invert, matMul } from './matrix.js';

/** A `(d+1)×(d+1)` matrix: flat row-major values or nested rows. */
export type MatrixLike = ArrayLike<number> | ReadonlyArray<ArrayLike<number>>;

/** The grids an {@link AffineMap} resamples between (all optional, like DIPY's). */
export interface AffineMapGrids {
  /** Shape of the domain (static) grid (voxels). */
  readonly domainShape?: Shape | readonly number[] | null;
  /** Grid-to-world matrix of the domain grid (`null` = identity). */
  readonly domainGridToWorld?: MatrixLike | null;
  /** Shape of the codomain (moving) grid (voxels). */
  readonly codomainShape?: Shape | readonly number[] | null;
  /** Grid-to-world matrix of the codomain grid (`null` = identity). */
  readonly codomainGridToWorld?: MatrixLike | null;
}

/** Options of {@link AffineMap.transform} and {@link AffineMap.transformInverse}. */
export interface AffineTransformOptions {
  /** `'linear'` (default, float64 output) or `'nearest'` (output of the image's type). */
  readonly interpolation?: 'linear' | 'nearest';
  /** Shape of the sampling grid; default the domain grid (transform) or codomain grid (inverse). */
  readonly samplingShape?: Shape | readonly number[];
  /** Grid-to-world matrix of the sampling grid; default that of the default grid (identity if unknown). */
  readonly samplingGridToWorld?: MatrixLike | null;
  /** Ignore the affine (resample through the grids only); default false. */
  readonly resampleOnly?: boolean;
}

function flatten(a: MatrixLike, what: string): Float64Array {
  if (a.length > 0 && typeof (a as ArrayLike<unknown>)[0] !== 'number') {
    const rows = a as ReadonlyArray<ArrayLike<number>>;
    const m = rows.length;
    const out = new Float64Array(m * m);
    for (let i = 0; i < m; i++) {
      if (rows[i].length !== m) throw new AffineInversionError(`${what} must be a square matrix; row ${i} has ${rows[i].length} entries, not ${m}.`);
      for (let j = 0; j < m; j++) out[i * m + j] = rows[i][j];
    }
    return out;
  }
  return Float64Array.from(a as ArrayLike<number>);
}

function sideOf(len: number, what: string): number {
  const m = Math.round(Math.sqrt(len));
  if (m * m !== len || (m !== 3 && m !== 4)) {
    throw new AffineInversionError(`${what} must be a 3×3 (2D) or 4×4 (3D) matrix, got ${len} values.`);
  }
  return m;
}

/**
 * Checks a homogeneous affine as DIPY's `AffineMap.set_affine` does and returns it with its inverse.
 * @throws AffineInvalidValuesError for non-finite entries or a last row other than `[0,…,0,1]`.
 * @throws AffineInversionError for a non-square or singular matrix.
 */
export function checkAffine(affine: MatrixLike, what = 'affine'): { affine: Float64Array; inverse: Float64Array; dim: Dim } {
  const a = flatten(affine, what);
  const m = sideOf(a.length, what);
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) throw new AffineInvalidValuesError(`${what} contains a non-finite entry (row ${Math.floor(i / m)}, column ${i % m}).`);
  }
  for (let j = 0; j < m - 1; j++) {
    if (a[(m - 1) * m + j] !== 0) throw new AffineInvalidValuesError(`the last row of ${what} must be [0, …, 0, 1]; column ${j} is ${a[(m - 1) * m + j]}.`);
  }
  if (a[m * m - 1] !== 1) throw new AffineInvalidValuesError(`the last row, last column of ${what} must be 1, got ${a[m * m - 1]}.`);
  let inverse: Float64Array;
  try {
    inverse = invert(a, m, what);
  } catch {
    throw new AffineInversionError(`${what} is singular and cannot be inverted; pass an invertible affine.`);
  }
  return { affine: a, inverse, dim: (m - 1) as Dim };
}

/** The keys {@link AffineTransformOptions} may have. */
const AFFINE_TRANSFORM_OPTION_KEYS = ['interpolation', 'samplingShape', 'samplingGridToWorld', 'resampleOnly'] as const;

/** A world-space affine between two grids (see the module documentation). */
export class AffineMap {
  private aff: Float64Array | null = null;
  private affInv: Float64Array | null = null;
  /** Shape of the domain (static) grid, or null. */
  readonly domainShape: readonly number[] | null;
  /** Grid-to-world matrix of the domain grid (row-major), or null (identity). */
  readonly domainGridToWorld: Float64Array | null;
  /** Shape of the codomain (moving) grid, or null. */
  readonly codomainShape: readonly number[] | null;
  /** Grid-to-world matrix of the codomain grid (row-major), or null (identity). */
  readonly codomainGridToWorld: Float64Array | null;

  /**
   * @param affine - `(d+1)×(d+1)` static-world → moving-world matrix (mm), or null (identity, DIPY's `None`).
   * @param grids - the domain and codomain grids.
   */
  constructor(affine: MatrixLike | null, grids: AffineMapGrids = {}) {
    checkOptionKeys(grids, ['domainShape', 'domainGridToWorld', 'codomainShape', 'codomainGridToWorld', 'interpolation'], 'AffineMap grids');
    this.setAffine(affine);
    this.domainShape = grids.domainShape ? [...grids.domainShape] : null;
    this.codomainShape = grids.codomainShape ? [...grids.codomainShape] : null;
    this.domainGridToWorld = grids.domainGridToWorld ? flatten(grids.domainGridToWorld, 'domainGridToWorld') : null;
    this.codomainGridToWorld = grids.codomainGridToWorld ? flatten(grids.codomainGridToWorld, 'codomainGridToWorld') : null;
  }

  /** The affine (a copy, `(d+1)²` row-major), or null for the identity. */
  get affine(): Float64Array | null {
    return this.aff ? this.aff.slice() : null;
  }

  /** The inverse affine (a copy), or null. */
  get affineInv(): Float64Array | null {
    return this.affInv ? this.affInv.slice() : null;
  }

  /** Replaces the affine (checked as in the constructor). */
  setAffine(affine: MatrixLike | null): void {
    if (affine === null) { this.aff = null; this.affInv = null; return; }
    const c = checkAffine(affine);
    this.aff = c.affine;
    this.affInv = c.inverse;
  }

  /** Resamples a codomain (moving) image on the domain grid. */
  transform<T extends NumericArray>(image: Volume<Dim, T>, options: AffineTransformOptions = {}): Volume<Dim, Float64Array | T> {
    checkOptionKeys(options, AFFINE_TRANSFORM_OPTION_KEYS, 'AffineMap.transform options');
    return this.apply(image, options, false);
  }

  /** Resamples a domain (static) image on the codomain grid, through the inverse affine. */
  transformInverse<T extends NumericArray>(image: Volume<Dim, T>, options: AffineTransformOptions = {}): Volume<Dim, Float64Array | T> {
    checkOptionKeys(options, AFFINE_TRANSFORM_OPTION_KEYS, 'AffineMap.transformInverse options');
    return this.apply(image, options, true);
  }

  private apply<T extends NumericArray>(image: Volume<Dim, T>, options: AffineTransformOptions, inverse: boolean): Volume<Dim, Float64Array | T> {
    const interpolation = options.interpolation ?? 'linear';
    if (interpolation !== 'linear' && interpolation !== 'nearest') {
      throw new InvalidArgumentError(`unknown interpolation '${String(interpolation)}'; use 'linear' or 'nearest'.`);
    }
    const shape = options.samplingShape ? [...options.samplingShape] : inverse ? this.codomainShape : this.domainShape;
    if (!shape) {
      throw new InvalidArgumentError('unknown sampling grid: pass samplingShape, or build the AffineMap with domainShape/codomainShape.');
    }
    const dim = shape.length;
    if ((dim !== 2 && dim !== 3) || image.shape.length !== dim) {
      throw new ShapeMismatchError(`the image is ${image.shape.length}D but the sampling grid is ${dim}D; both must be 2D or both 3D.`);
    }
    const m = dim + 1;
    const size = image.shape.reduce((a, b) => a * b, 1);
    if (image.data.length !== size) {
      throw new ShapeMismatchError(`the image has ${image.data.length} values but its shape [${image.shape.join(', ')}] needs ${size}.`);
    }
    let samplingG2w: Float64Array | null = options.samplingGridToWorld ? flatten(options.samplingGridToWorld, 'samplingGridToWorld') : null;
    if (!options.samplingGridToWorld) samplingG2w = inverse ? this.codomainGridToWorld : this.domainGridToWorld;
    const S = samplingG2w ?? eye(m);
    const W = image.gridToWorld ? invert(image.gridToWorld, m, "the image's gridToWorld") : eye(m);
    const A = inverse ? this.affInv : this.aff;
    const comp = A === null || options.resampleOnly ? matMul(W, S, m) : matMul(W, matMul(A, S, m), m);
    const data = resampleAffine(image.data, image.shape, shape, comp, interpolation);
    return { data, shape: shape as unknown as Volume['shape'], gridToWorld: samplingG2w ? samplingG2w.slice() : null };
  }
}
