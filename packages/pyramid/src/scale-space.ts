/**
 * Gaussian scale space (DIPY 1.6 `dipy.align.scalespace.ScaleSpace`, ALGORITHM §3):
 * the multi-resolution pyramid that SyN builds for the static and for the moving image.
 *
 * Maths. With input spacing `s` (world units per voxel, one value per array axis),
 * `smin = min(s)` and `L` levels, level `i` has
 *
 *     scaling_k    = 2^i · smin / s_k
 *     spacing_k    = s_k · scaling_k                (= 2^i·smin: coarse levels are isotropic)
 *     domainShape_k = trunc(n_k · (s_k / spacing_k) + 0.5)
 *     sigma_k      = sigmaFactor · (spacing_k / s_k − 1)      (voxels of the ORIGINAL grid)
 *     affine       = gridToWorld · diag(scaling, 1)           (translation unchanged)
 *     image        = minmax(gaussian_filter(input, sigma))     (level 0: minmax(input))
 *
 * where `minmax(x) = f32(f32(x − min) / f32(max − min))` is evaluated in float32
 * arithmetic exactly as NumPy does on float32 arrays. Level images are NOT
 * sub-sampled: every level stores a full-resolution smoothed image on the input
 * grid; `domainShape`/`affine` describe the coarse grid on which SyN's displacement
 * fields live, and SyN samples the level image onto it through its transforms.
 *
 * Frames and units: images live on the input grid (array-index order, C order);
 * `affine` maps the coarse grid of a level to world coordinates, `affineInv` is its
 * inverse; spacings are world units (usually mm); sigmas are voxels of the input grid.
 *
 * Differences from DIPY (documented choices):
 * - a constant image (or a constant smoothed level) throws {@link EmptyImageError}
 *   instead of producing a NaN image;
 * - a level whose coarse grid would have an empty axis throws {@link ImageTooSmallError};
 * - when `spacing` is omitted it is taken from `gridToWorld` with
 *   `getDirectionAndSpacings` (float32-rounded column norms), as SyN passes it;
 *   DIPY's standalone class would use ones. Pass `spacing` to override.
 */
import {
  DimensionError,
  EmptyImageError,
  ImageTooSmallError,
  InvalidArgumentError,
  NonFiniteError,
  ShapeMismatchError,
  defaultContext,
  getDirectionAndSpacings,
  invertAffine,
  mulAffine,
  scalingAffine,
  toAffine,
  type Affine,
  type AffineLike,
  type Dim,
  type KernelContext,
  type NumericArray,
  type Shape,
  type ShapeOf,
} from '@diffeo/core';

/** Options of {@link ScaleSpace}. */
export interface ScaleSpaceOptions<D extends Dim = Dim> {
  /**
   * The input image, `prod(shape)` values in C order. Float32 data is used as is;
   * other numeric types are first rounded to float32 (as SyN casts its inputs).
   */
  image: NumericArray;
  /** Grid shape of the image: `[rows, cols]` or `[slices, rows, cols]` (voxels). */
  shape: ShapeOf<D> | Shape;
  /** Grid-to-world affine of the image (`(d+1)×(d+1)`, row-major or nested rows); `null`/omitted = identity. */
  gridToWorld?: AffineLike | null;
  /**
   * Voxel spacing (world units per voxel, one value per array axis). Default: the
   * float32-rounded column norms of `gridToWorld` (`getDirectionAndSpacings`), ones
   * without an affine.
   */
  spacing?: ArrayLike<number> | null;
  /** Number of levels `L ≥ 1`; level 0 is the finest (the input grid), level `L−1` the coarsest. */
  numLevels: number;
  /** Smoothing factor (DIPY's `sigma_factor`, SyN's `ss_sigma_factor`); default 0.2. */
  sigmaFactor?: number;
  /** If true, every level is multiplied by the mask `image > 0` of the input (DIPY's `mask0`); default false. */
  mask0?: boolean;
  /** Kernel context providing `gaussianFilter`; default {@link defaultContext}. */
  context?: KernelContext;
  /** Name of the image in error messages, for example `"static"` or `"moving"`; default `"input"`. */
  name?: string;
}

/** Everything stored for one pyramid level (see the module documentation for the formulas). */
export interface ScaleSpaceLevel<D extends Dim = Dim> {
  /** Smoothed, min-max normalised image on the INPUT grid (full resolution), `prod(inputShape)` float32 values. */
  readonly image: Float32Array;
  /** Shape of the coarse grid of this level (voxels). */
  readonly domainShape: ShapeOf<D>;
  /** Voxel spacing of the coarse grid (world units per voxel). */
  readonly spacing: Float64Array;
  /** Coarse voxel size over input voxel size, per axis. */
  readonly scaling: Float64Array;
  /** Gaussian sigmas used for this level, per axis, in voxels of the input grid (zeros at level 0). */
  readonly sigmas: Float64Array;
  /** Grid-to-world affine of the coarse grid (`null` = identity, only possible at level 0). */
  readonly affine: Affine;
  /** World-to-grid affine of the coarse grid (inverse of `affine`; `null` when `affine` is). */
  readonly affineInv: Affine;
}

const DEFAULT_SIGMA_FACTOR = 0.2;

/** Min and max of a float32 array (finite values assumed). */
function minMax(a: Float32Array): [number, number] {
  let mn = a[0], mx = a[0];
  for (let i = 1; i < a.length; i++) {
    const v = a[i];
    if (v < mn) mn = v;
    else if (v > mx) mx = v;
  }
  return [mn, mx];
}

/**
 * In-place min-max normalisation in float32 arithmetic: `x = f32(f32(x − min) / f32(max − min))`,
 * then `x *= mask` when a mask is given. Throws when the array is constant.
 */
function normalise(a: Float32Array, mask: Uint8Array | null, what: string): void {
  const [mn, mx] = minMax(a);
  const range = Math.fround(mx - mn);
  if (range === 0) {
    throw new EmptyImageError(
      `${what} is constant (every voxel equals ${mn}), so it cannot be min-max normalised to [0, 1] ` +
        '(DIPY would produce NaN). Pass an image with some contrast.',
    );
  }
  const f = Math.fround;
  if (mask === null) {
    for (let i = 0; i < a.length; i++) a[i] = f(a[i] - mn) / range;
  } else {
    for (let i = 0; i < a.length; i++) a[i] = mask[i] ? f(a[i] - mn) / range : 0;
  }
}

/**
 * Gaussian scale space of a 2D or 3D image, bit-compatible with DIPY 1.6's
 * `ScaleSpace` (see the module documentation). All levels are computed by the
 * constructor. Accessors taking a `level` throw {@link InvalidArgumentError} unless
 * `0 ≤ level < numLevels`.
 *
 * @example
 * ```ts
 * const ss = new ScaleSpace({ image, shape: [256, 256], numLevels: 4 });
 * ss.getSigmas(3);      // Float64Array [1.4, 1.4]  (input voxels)
 * ss.getDomainShape(3); // [32, 32]
 * ```
 */
export class ScaleSpace<D extends Dim = Dim> {
  /** Spatial dimension (2 or 3). */
  readonly dim: D;
  /** Number of levels. */
  readonly numLevels: number;
  /** Shape of the input grid (and of every level image), voxels. */
  readonly imageShape: ShapeOf<D>;
  /** Smoothing factor used. */
  readonly sigmaFactor: number;
  /** Whether the levels are masked by `image > 0`. */
  readonly mask0: boolean;
  private readonly levels: ScaleSpaceLevel<D>[];

  /**
   * Builds every level.
   * @throws DimensionError if `shape` is not 2D or 3D.
   * @throws ShapeMismatchError if the image length is not `prod(shape)` or `spacing` has the wrong length.
   * @throws InvalidArgumentError for a bad `numLevels`, `sigmaFactor`, `shape` entry or `spacing` value.
   * @throws InvalidAffineError for a malformed or singular `gridToWorld`.
   * @throws NonFiniteError if the image contains NaN or infinite values.
   * @throws EmptyImageError if the image has no voxels or is constant.
   * @throws ImageTooSmallError if a level's coarse grid would have an empty axis.
   */
  constructor(options: ScaleSpaceOptions<D>) {
    const { image, shape } = options;
    const name = options.name ?? 'input';
    if (!Array.isArray(shape) || (shape.length !== 2 && shape.length !== 3)) {
      throw new DimensionError(
        `ScaleSpace needs a 2D [rows, cols] or 3D [slices, rows, cols] shape; got ${Array.isArray(shape) ? `[${shape.join(', ')}]` : String(shape)}.`,
      );
    }
    const dim = shape.length as D;
    for (const n of shape) {
      if (!Number.isInteger(n) || n < 0) {
        throw new InvalidArgumentError(`shape entries must be non-negative integers; got [${shape.join(', ')}].`);
      }
    }
    const nvox = shape.reduce((p, v) => p * v, 1);
    if (!ArrayBuffer.isView(image) || image instanceof DataView) {
      throw new InvalidArgumentError(`the ${name} image must be a typed array (Float32Array preferred) of prod(shape) values.`);
    }
    if (image.length !== nvox) {
      throw new ShapeMismatchError(`the ${name} image has ${image.length} values but shape [${shape.join(', ')}] needs ${nvox}.`);
    }
    if (nvox === 0) throw new EmptyImageError(`the ${name} image of shape [${shape.join(', ')}] has no voxels.`);

    const numLevels = options.numLevels;
    if (!Number.isInteger(numLevels) || numLevels < 1) {
      throw new InvalidArgumentError(`numLevels must be an integer ≥ 1; got ${String(numLevels)}.`);
    }
    const sigmaFactor = options.sigmaFactor ?? DEFAULT_SIGMA_FACTOR;
    if (typeof sigmaFactor !== 'number' || !Number.isFinite(sigmaFactor) || sigmaFactor < 0) {
      throw new InvalidArgumentError(`sigmaFactor must be a finite number ≥ 0; got ${String(sigmaFactor)}.`);
    }
    const mask0 = options.mask0 ?? false;
    const g2w = toAffine(options.gridToWorld ?? null, dim, 'gridToWorld', true);

    let spacing: Float64Array;
    if (options.spacing !== undefined && options.spacing !== null) {
      if (options.spacing.length !== dim) {
        throw new ShapeMismatchError(`spacing must have ${dim} values (one per array axis); got ${options.spacing.length}.`);
      }
      spacing = Float64Array.from(options.spacing);
      for (let k = 0; k < dim; k++) {
        if (!Number.isFinite(spacing[k]) || spacing[k] <= 0) {
          throw new InvalidArgumentError(`spacing must be finite and positive (world units per voxel); got [${Array.from(spacing).join(', ')}].`);
        }
      }
    } else {
      spacing = getDirectionAndSpacings(g2w, dim).spacing;
    }

    const img32 = image instanceof Float32Array ? image : Float32Array.from(image as ArrayLike<number>);
    for (let i = 0; i < nvox; i++) {
      if (!Number.isFinite(img32[i])) {
        throw new NonFiniteError(`the ${name} image has a non-finite value (${img32[i]}) at flat index ${i}; replace NaN/Inf voxels first.`);
      }
    }
    let mask: Uint8Array | null = null;
    if (mask0) {
      mask = new Uint8Array(nvox);
      for (let i = 0; i < nvox; i++) mask[i] = img32[i] > 0 ? 1 : 0;
    }

    const gaussian = (options.context ?? defaultContext).kernel('gaussianFilter');
    const inputShape = Array.from(shape) as unknown as ShapeOf<D>;
    let smin = spacing[0];
    for (let k = 1; k < dim; k++) if (spacing[k] < smin) smin = spacing[k];

    const levels: ScaleSpaceLevel<D>[] = [];
    const level0 = Float32Array.from(img32);
    normalise(level0, mask, `The ${name} image`);
    levels.push({
      image: level0,
      domainShape: inputShape,
      spacing: spacing.slice(),
      scaling: new Float64Array(dim).fill(1),
      sigmas: new Float64Array(dim),
      affine: g2w === null ? null : g2w.slice(),
      affineInv: invertAffine(g2w, 'gridToWorld'),
    });

    for (let i = 1; i < numLevels; i++) {
      const factor = 2 ** i;
      const scaling = new Float64Array(dim);
      const outSpacing = new Float64Array(dim);
      const sigmas = new Float64Array(dim);
      const domain: number[] = [];
      for (let k = 0; k < dim; k++) {
        scaling[k] = (factor * smin) / spacing[k];
        outSpacing[k] = spacing[k] * scaling[k];
        domain.push(Math.trunc(shape[k] * (spacing[k] / outSpacing[k]) + 0.5));
        sigmas[k] = sigmaFactor * (outSpacing[k] / spacing[k] - 1.0);
      }
      if (domain.some((n) => n < 1)) {
        throw new ImageTooSmallError(
          `pyramid level ${i} of the ${name} image would have a coarse grid of shape [${domain.join(', ')}] (input shape [${shape.join(', ')}], ` +
            `spacing [${Array.from(spacing).join(', ')}]); use fewer levels (numLevels ≤ ${i}) or a larger image.`,
        );
      }
      const affine = mulAffine(g2w, scalingAffine(scaling)) as Float64Array;
      const filtered = new Float32Array(nvox);
      gaussian(filtered, img32, inputShape, 1, sigmas);
      normalise(filtered, mask, `The smoothed ${name} image of level ${i}`);
      levels.push({
        image: filtered,
        domainShape: domain as unknown as ShapeOf<D>,
        spacing: outSpacing,
        scaling,
        sigmas,
        affine,
        affineInv: invertAffine(affine, `level ${i} affine`),
      });
    }

    this.dim = dim;
    this.numLevels = numLevels;
    this.imageShape = inputShape;
    this.sigmaFactor = sigmaFactor;
    this.mask0 = mask0;
    this.levels = levels;
  }

  private level(level: number, what = 'level'): ScaleSpaceLevel<D> {
    if (!Number.isInteger(level) || level < 0 || level >= this.numLevels) {
      throw new InvalidArgumentError(`Invalid pyramid ${what} ${String(level)}: must be an integer in [0, ${this.numLevels - 1}].`);
    }
    return this.levels[level];
  }

  /**
   * All stored data of a level, without copies (treat it as read-only).
   * @param level - 0 (finest) to `numLevels − 1` (coarsest).
   */
  getLevel(level: number): Readonly<ScaleSpaceLevel<D>> {
    return this.level(level);
  }

  /**
   * The smoothed, normalised image of a level: full resolution on the input grid
   * (`imageShape`), values in [0, 1]. The stored array itself is returned; do not modify it.
   */
  getImage(level: number): Float32Array {
    return this.level(level).image;
  }

  /** Shape (voxels) of the coarse grid of a level (a copy). Level 0 is the input shape. */
  getDomainShape(level: number): ShapeOf<D> {
    return Array.from(this.level(level).domainShape) as unknown as ShapeOf<D>;
  }

  /** Voxel spacing (world units per voxel) of the coarse grid of a level (a copy). */
  getSpacing(level: number): Float64Array {
    return this.level(level).spacing.slice();
  }

  /** Coarse over input voxel size per axis at a level (a copy); ones at level 0. */
  getScaling(level: number): Float64Array {
    return this.level(level).scaling.slice();
  }

  /** Grid-to-world affine of the coarse grid of a level (a copy; `null` = identity). */
  getAffine(level: number): Affine {
    const a = this.level(level).affine;
    return a === null ? null : a.slice();
  }

  /** World-to-grid affine of the coarse grid of a level (a copy; `null` = identity). */
  getAffineInv(level: number): Affine {
    const a = this.level(level).affineInv;
    return a === null ? null : a.slice();
  }

  /** Gaussian sigmas per axis used for a level, in voxels of the input grid (a copy; zeros at level 0). */
  getSigmas(level: number): Float64Array {
    return this.level(level).sigmas.slice();
  }

  /**
   * Ratio of voxel sizes `spacing(to) / spacing(from)` per axis: the factor that maps
   * grid coordinates of level `to` onto level `from` when expanding a field (DIPY's
   * `get_expand_factors`; 0.5 per axis between consecutive isotropic levels).
   */
  getExpandFactors(fromLevel: number, toLevel: number): Float64Array {
    const from = this.level(fromLevel, 'level (fromLevel)').spacing;
    const to = this.level(toLevel, 'level (toLevel)').spacing;
    const out = new Float64Array(this.dim);
    for (let k = 0; k < this.dim; k++) out[k] = to[k] / from[k];
    return out;
  }
}
