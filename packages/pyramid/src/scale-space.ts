/**
 * Gaussian scale space (DIPY 1.6 `dipy.align.scalespace.ScaleSpace`, docs/algorithm.md §3):
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
 * Memory. Every level image is a full-resolution float32 copy, so a pyramid of `L`
 * levels holds `L` image-sized arrays. With `lazy: true` a level's image is built on
 * first access and {@link ScaleSpace.release} drops it again, so a coarse-to-fine
 * consumer (SyN) holds one level at a time plus the input; the input itself is
 * dropped once no level is left to build, and level 0 is normalised in place when
 * the scale space owns the float32 input (see `reuseInput`). Values are identical
 * in every mode.
 *
 * Differences from DIPY (documented choices):
 * - a constant image (or a constant smoothed level) throws {@link EmptyImageError}
 *   instead of producing a NaN image, and so does an image whose range `max − min`
 *   overflows float32 (NonFiniteError): every level image is finite, in [0, 1];
 * - a level whose coarse grid would have an empty axis throws {@link ImageTooSmallError};
 * - when `spacing` is omitted it is taken from `gridToWorld` with
 *   `getDirectionAndSpacings` (float32-rounded column norms), as SyN passes it;
 *   DIPY's standalone class would use ones. Pass `spacing` to override.
 */
import {
  DiffeoError,
  DimensionError,
  EmptyImageError,
  ImageTooSmallError,
  InvalidArgumentError,
  NonFiniteError,
  ShapeMismatchError,
  checkOptionKeys,
  describeValue,
  defaultContext,
  nonFiniteText,
  getDirectionAndSpacings,
  invertAffine,
  mulAffine,
  scalingAffine,
  toAffine,
  type Affine,
  type AffineLike,
  type Dim,
  type KernelContext,
  type Kernels,
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
  /**
   * Build each level's image on its first access ({@link ScaleSpace.getImage} or
   * {@link ScaleSpace.getLevel}) instead of in the constructor; default false. The
   * input is kept (by reference when it is a Float32Array) until every level has
   * been built or released. A constant smoothed level (practically impossible unless
   * the input is constant, which the constructor rejects) then throws on access.
   */
  lazy?: boolean;
  /**
   * Let the scale space overwrite `image` (a Float32Array the caller no longer needs):
   * level 0 is then min-max normalised in place when it is the last level built, which
   * saves one image-sized copy. Default false (the input is never modified). Non-float32
   * input is converted into a private copy, which is always reused this way.
   */
  reuseInput?: boolean;
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

// (The voxel loops below are small functions of their own, called with float32 arrays
// only: the JIT optimises them early, where the same loops inside the long constructor
// ran unoptimised for most of a large image.)

/** The flat index of the first NaN or ±∞ among the first `n` values of `a`, or −1. */
function firstNonFinite(a: Float32Array, n: number): number {
  for (let i = 0; i < n; i++) if (!Number.isFinite(a[i])) return i;
  return -1;
}

/** `image > 0` as 1/0 bytes over the first `n` values (DIPY's `mask0`). */
function positiveMask(a: Float32Array, n: number): Uint8Array {
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) mask[i] = a[i] > 0 ? 1 : 0;
  return mask;
}

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

/** The error for an image that cannot be min-max normalised. */
function constantError(what: string, value: number): EmptyImageError {
  return new EmptyImageError(
    `${what} is constant (every voxel equals ${value}), so it cannot be min-max normalised to [0, 1] ` +
      '(DIPY would produce NaN). Pass an image with some contrast.',
  );
}

/** The error for an image whose range `max − min` overflows float32 (its normalisation would hold NaN). */
function rangeError(what: string, mn: number, mx: number): NonFiniteError {
  return new NonFiniteError(
    `${what} spans [${mn}, ${mx}], whose range max − min overflows float32, so it cannot be min-max normalised ` +
      '(DIPY would produce NaN). Rescale the image (for example divide it by its largest absolute value) first.',
  );
}

/**
 * In-place min-max normalisation in float32 arithmetic: `x = f32(f32(x − min) / f32(max − min))`,
 * then `x *= mask` when a mask is given. Throws when the array is constant.
 */
function normalise(a: Float32Array, mask: Uint8Array | null, what: string): void {
  normaliseInto(a, a, minMax(a), mask, what);
}

/**
 * {@link normalise} of `src` written into `out` (which may be `src`), with the min and
 * max of `src` already known: one pass instead of a copy, a min-max pass and a
 * normalisation pass.
 */
function normaliseInto(out: Float32Array, src: Float32Array, [mn, mx]: readonly [number, number], mask: Uint8Array | null, what: string): void {
  const range = Math.fround(mx - mn);
  if (range === 0) throw constantError(what, mn);
  // A range beyond float32 would give NaN (∞/∞) voxels; SyN relies on finite level images.
  if (!Number.isFinite(range)) throw rangeError(what, mn, mx);
  const f = Math.fround;
  const n = src.length;
  if (mask === null) {
    for (let i = 0; i < n; i++) out[i] = f(src[i] - mn) / range;
  } else {
    for (let i = 0; i < n; i++) out[i] = mask[i] ? f(src[i] - mn) / range : 0;
  }
}

/** A level's geometry (everything but the image). */
type LevelGeometry<D extends Dim> = Omit<ScaleSpaceLevel<D>, 'image'>;

/** The keys ScaleSpace's options may have. */
const SCALE_SPACE_OPTION_KEYS = ['image', 'shape', 'gridToWorld', 'spacing', 'numLevels', 'sigmaFactor', 'mask0', 'context', 'name', 'lazy', 'reuseInput'] as const;

/**
 * The advice when level `failing` has an empty axis: the real maximum number of levels,
 * both for the pyramid itself (every axis ≥ 1 voxel: `failing`) and for registration,
 * whose image gradients need every axis of every level ≥ 2 voxels (`shapeOf(j)` is level j's grid).
 */
function fewerLevelsAdvice(failing: number, shapeOf: (level: number) => number[]): string {
  let withGradients = 0;
  while (withGradients < failing && shapeOf(withGradients).every((n) => n >= 2)) withGradients++;
  return `this image supports at most ${failing} pyramid level${failing === 1 ? '' : 's'} (numLevels ≤ ${failing}), and at most ${withGradients} ` +
    `for a registration (whose image gradients need 2 voxels along every axis of every level); use fewer levels (a shorter levelIters) or a larger image.`;
}

/**
 * Gaussian scale space of a 2D or 3D image, bit-compatible with DIPY 1.6's
 * `ScaleSpace` (see the module documentation). All levels are computed by the
 * constructor, unless `lazy` is set (then on first access). Accessors taking a
 * `level` throw {@link InvalidArgumentError} unless `0 ≤ level < numLevels`;
 * the image accessors throw a `DiffeoError` with code `'NOT_READY'` for a level
 * whose image was {@link release}d.
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
  private readonly levels: LevelGeometry<D>[];
  /** Level images; null while not built (lazy) or after release. */
  private readonly images: (Float32Array | null)[];
  private readonly released: boolean[];
  /** The float32 input, while some level is still to be built. */
  private source: Float32Array | null;
  /** Whether `source` may be overwritten (normalised in place as level 0). */
  private readonly ownsSource: boolean;
  /** The array of a released level, reused by the next level built (lazy mode). */
  private recycled: Float32Array | null = null;
  /** Min and max of the input, found by the constructor (level 0 normalises with them). */
  private readonly sourceMinMax: readonly [number, number];
  private mask: Uint8Array | null;
  private readonly gaussian: Kernels['gaussianFilter'];
  private readonly name: string;

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
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError(`ScaleSpace needs an options object { image, shape, numLevels, ... }; got ${options === null ? 'null' : typeof options}.`);
    }
    checkOptionKeys(options, SCALE_SPACE_OPTION_KEYS, 'ScaleSpace options');
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
      throw new InvalidArgumentError(`numLevels must be an integer ≥ 1; got ${describeValue(numLevels)}.`);
    }
    const sigmaFactor = options.sigmaFactor ?? DEFAULT_SIGMA_FACTOR;
    if (typeof sigmaFactor !== 'number' || !Number.isFinite(sigmaFactor) || sigmaFactor < 0) {
      throw new InvalidArgumentError(`sigmaFactor must be a finite number ≥ 0; got ${describeValue(sigmaFactor)}.`);
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

    const isF32 = image instanceof Float32Array;
    const img32 = isF32 ? image : Float32Array.from(image as ArrayLike<number>);
    const bad = firstNonFinite(img32, nvox);
    if (bad >= 0) {
      throw new NonFiniteError(`the ${name} image has a non-finite value at flat index ${bad}: ${nonFiniteText(Number(image[bad]), img32[bad])}.`);
    }
    const mask = mask0 ? positiveMask(img32, nvox) : null;

    const inputShape = Array.from(shape) as unknown as ShapeOf<D>;
    let smin = spacing[0];
    for (let k = 1; k < dim; k++) if (spacing[k] < smin) smin = spacing[k];

    // A constant input cannot be normalised (checked up front, also for lazy levels).
    const [mn, mx] = minMax(img32);
    if (Math.fround(mx - mn) === 0) throw constantError(`The ${name} image`, mn);
    if (!Number.isFinite(Math.fround(mx - mn))) throw rangeError(`The ${name} image`, mn, mx);
    this.sourceMinMax = [mn, mx];

    const levels: LevelGeometry<D>[] = [];
    levels.push({
      domainShape: inputShape,
      spacing: spacing.slice(),
      scaling: new Float64Array(dim).fill(1),
      sigmas: new Float64Array(dim),
      affine: g2w === null ? null : g2w.slice(),
      affineInv: invertAffine(g2w, 'gridToWorld'),
    });

    // The coarse grid of level i, axis k (DIPY's rounding): shared by the levels and the error message.
    const levelAxis = (i: number, k: number): number => {
      if (i === 0) return shape[k];
      const sc = (2 ** i * smin) / spacing[k];
      return Math.trunc(shape[k] * (spacing[k] / (spacing[k] * sc)) + 0.5);
    };
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
            `spacing [${Array.from(spacing).join(', ')}]); ${fewerLevelsAdvice(i, (j) => Array.from({ length: dim }, (_, k) => levelAxis(j, k)))}`,
        );
      }
      const affine = mulAffine(g2w, scalingAffine(scaling)) as Float64Array;
      levels.push({
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
    this.images = new Array<Float32Array | null>(numLevels).fill(null);
    this.released = new Array<boolean>(numLevels).fill(false);
    this.source = img32;
    this.ownsSource = !isF32 || options.reuseInput === true;
    this.mask = mask;
    this.gaussian = (options.context ?? defaultContext).kernel('gaussianFilter');
    this.name = name;
    if (options.lazy !== true) {
      // Coarse levels first, so that level 0 (the last one) may reuse the input.
      for (let i = numLevels - 1; i >= 0; i--) this.build(i);
    }
  }

  /** Computes the image of `level` from the input (see the module documentation). */
  private build(level: number): Float32Array {
    const src = this.sourceFor(level);
    let img: Float32Array;
    const reuse = this.recycled;
    this.recycled = null;
    if (level === 0) {
      const othersDone = this.images.every((im, i) => i === 0 || im !== null || this.released[i]);
      img = this.ownsSource && othersDone ? src : (reuse ?? new Float32Array(src.length));
    } else {
      img = reuse ?? new Float32Array(src.length);
    }
    this.compute(level, img, src);
    this.images[level] = img;
    this.dropSourceIfDone();
    return img;
  }

  private sourceFor(level: number): Float32Array {
    if (this.source === null) {
      throw new DiffeoError('NOT_READY', `The ${this.name} scale space has no input left to build level ${level} from.`);
    }
    return this.source;
  }

  /** Writes the image of `level` into `out` (which may be `src` for level 0); every value is written. */
  private compute(level: number, out: Float32Array, src: Float32Array): void {
    if (level === 0) {
      // The input is not modified before its level 0 is built, so its min and max are known.
      normaliseInto(out, src, this.sourceMinMax, this.mask, `The ${this.name} image`);
    } else {
      this.gaussian(out, src, this.imageShape, 1, this.levels[level].sigmas);
      normalise(out, this.mask, `The smoothed ${this.name} image of level ${level}`);
    }
  }

  /** Drops the input (and the mask) once every level is built or released. */
  private dropSourceIfDone(): void {
    if (this.images.every((im, i) => im !== null || this.released[i])) {
      this.source = null;
      this.mask = null;
      this.recycled = null;
    }
  }

  /** The image of a level, built on demand (unless `build` is false: then null if not built); throws for a released level. */
  private imageOf(level: number, build: false): Float32Array | null;
  private imageOf(level: number, build?: true): Float32Array;
  private imageOf(level: number, build = true): Float32Array | null {
    this.level(level);
    if (this.released[level]) {
      throw new DiffeoError(
        'NOT_READY',
        `The image of pyramid level ${level} of the ${this.name} scale space was released (ScaleSpace.release); ` +
          'it can no longer be read. Read the levels you need before releasing them, or create a new ScaleSpace.',
      );
    }
    return this.images[level] ?? (build ? this.build(level) : null);
  }

  /**
   * Drops the image of a level (its geometry stays available) so that its memory can
   * be reclaimed; afterwards {@link getImage} and {@link getLevel} throw a `DiffeoError`
   * with code `'NOT_READY'` for it. Releasing a level not built yet (lazy) means it will
   * never be built. Releasing twice is harmless. The released array may be overwritten
   * by the next level built (lazy mode reuses it instead of allocating), so do not keep
   * using an array obtained for a released level.
   */
  release(level: number): void {
    this.level(level);
    const img = this.images[level];
    this.released[level] = true;
    this.images[level] = null;
    this.dropSourceIfDone();
    if (img !== null && this.source !== null && img !== this.source) this.recycled = img;
  }

  /**
   * Writes the image of a level into `out` without keeping it: the values of
   * {@link getImage}, for a caller that has a buffer to spare and would rather
   * recompute the image than hold it (level 0 costs one copy and one normalisation
   * pass; a coarser level a Gaussian filter). A level already built is copied. Such a
   * caller does not need the array of a released level kept for reuse either, so this
   * lets it go.
   * @param out - `prod(imageShape)` float32 values, overwritten.
   * @throws ShapeMismatchError for a wrong `out`; DiffeoError (code `'NOT_READY'`) for a
   *   released level or once the input was dropped (every level built or released).
   */
  computeImage(level: number, out: Float32Array): void {
    this.imageOf(level, false);
    const n = (this.imageShape as readonly number[]).reduce((p, v) => p * v, 1);
    if (!(out instanceof Float32Array) || out.length !== n) {
      throw new ShapeMismatchError(`computeImage needs a Float32Array of ${n} values (the input grid); got ${out instanceof Float32Array ? out.length : typeof out}.`);
    }
    this.recycled = null;
    const stored = this.images[level];
    if (stored !== null) out.set(stored);
    else this.compute(level, out, this.sourceFor(level));
  }

  /** Whether the image of a level was released with {@link release}. */
  isReleased(level: number): boolean {
    this.level(level);
    return this.released[level];
  }

  private level(level: number, what = 'level'): LevelGeometry<D> {
    if (!Number.isInteger(level) || level < 0 || level >= this.numLevels) {
      throw new InvalidArgumentError(`Invalid pyramid ${what} ${String(level)}: must be an integer in [0, ${this.numLevels - 1}].`);
    }
    return this.levels[level];
  }

  /**
   * All stored data of a level, without copies (treat it as read-only); builds the
   * image first when the scale space is lazy.
   * @param level - 0 (finest) to `numLevels − 1` (coarsest).
   * @throws DiffeoError (code `'NOT_READY'`) if the level was released.
   */
  getLevel(level: number): Readonly<ScaleSpaceLevel<D>> {
    const image = this.imageOf(level);
    return { ...this.levels[level], image };
  }

  /**
   * The smoothed, normalised image of a level: full resolution on the input grid
   * (`imageShape`), values in [0, 1]. The stored array itself is returned; do not modify it.
   * @throws DiffeoError (code `'NOT_READY'`) if the level was released.
   */
  getImage(level: number): Float32Array {
    return this.imageOf(level);
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
