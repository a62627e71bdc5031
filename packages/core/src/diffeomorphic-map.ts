/**
 * `DiffeomorphicMap`: a diffeomorphism of physical space stored as a prealign
 * affine followed by a pair of displacement fields, DIPY's
 * `dipy.align.imwarp.DiffeomorphicMap` (docs/algorithm.md §1.2–§1.6).
 *
 * Model. Let `P` be the prealign affine, `R` the grid-to-world affine of the
 * displacement grid (`Rinv` = `Dinv` in DIPY's warp notation: its inverse), and
 * `forward`/`backward` two float32 fields on that grid holding displacements in
 * **world units** (component `k` along world axis `k`). The map sends a world point
 * `x` to `φ(x) = P·x + forward(Rinv·P·x)`; its inverse sends `y` to
 * `Pinv·(y + backward(Rinv·y))`.
 *
 * Image warping (docs/algorithm.md §1.3). Images are sampled, never pushed: for every
 * voxel `i` of an output grid with grid-to-world `S`,
 * - forward warp: `out[i] = image( W·P·S·[i;1] + W·forward(Rinv·P·S·[i;1]) )`,
 *   by default on the *domain* grid, sampling an image on the *codomain* grid;
 * - backward warp: `out[i] = image( W·Pinv·S·[i;1] + W·Pinv·backward(Rinv·S·[i;1]) )`,
 *   by default on the *codomain* grid, sampling an image on the *domain* grid;
 * where `W` is the sampled image's world-to-grid. As in DIPY the three matrices
 * `A`, `B`, `C` of the generic warp are formed first as double products and then
 * applied to each index, so results match DIPY to the last float32 bit (up to the
 * ulp-level differences of affine inverses, docs/algorithm.md §10, trap 6).
 *
 * `isInverse` swaps which of the two warps `transform` and `transformInverse` run.
 */
import type { Affine, ComposeStats, Dim, NumericArray, Shape, Shape3D, ShapeOf, Volume } from './types.js';
import type { AffineLike } from './affine.js';
import { applyAffine, invertAffine, mulAffine, scalingAffine, toAffine } from './affine.js';
import type { KernelContext } from './registry.js';
import { defaultContext } from './registry.js';
import { checkOptionKeys } from './options.js';
import { DiffeoError, DimensionError, DisposedError, DtypeError, InvalidArgumentError, NonFiniteError, ShapeMismatchError } from './errors.js';
import type { FieldInput, ImageInput, NdArray, PointsInput } from './ndarray.js';
import { isVolume, toField, toFloat32Image, toImage, toPoints, toShape, wrapArray, wrapField } from './ndarray.js';
import type { Interpolation, KernelOptions } from './fields.js';
import { checkInterpolation, nearestImageData, warpRaw } from './fields.js';
import { bilinearVector, trilinearVector } from './kernels/interp.js';
import { simplifyWarpFunctionRaw } from './simplify-warp.js';

/** Constructor options of {@link DiffeomorphicMap} (DIPY's arguments, camelCased). */
export interface DiffeomorphicMapOptions<D extends Dim = Dim> {
  /** Spatial dimension, 2 or 3. */
  readonly dim: D;
  /** Grid shape of the displacement fields (voxels). Required. */
  readonly dispShape: ArrayLike<number>;
  /** Grid-to-world affine of the displacement grid; identity when omitted. */
  readonly dispGridToWorld?: AffineLike | null;
  /** Default sampling grid of forward warps (shape); defaults to `dispShape`. */
  readonly domainShape?: ArrayLike<number> | null;
  /** Grid-to-world affine of the domain grid; identity when omitted. */
  readonly domainGridToWorld?: AffineLike | null;
  /** Grid of the images warped forward (shape); defaults to `domainShape`. */
  readonly codomainShape?: ArrayLike<number> | null;
  /** Grid-to-world affine of the codomain grid; identity when omitted (**not** the domain's). */
  readonly codomainGridToWorld?: AffineLike | null;
  /** Affine applied to input points before the displacement (world → world); identity when omitted. */
  readonly prealign?: AffineLike | null;
  /** Kernel context of the map's calls that pass none (and of `dispose`); default {@link defaultContext}. Fixed for the map's life. */
  readonly context?: KernelContext;
}

/**
 * An affine option of a transform call: omitted (`undefined`) → the map's
 * default; `null` or `'identity'` → the identity; otherwise a matrix.
 */
export type AffineOption = AffineLike | 'identity' | null | undefined;

/** Options of {@link DiffeomorphicMap.transform} and {@link DiffeomorphicMap.transformInverse}. */
export interface MapTransformOptions extends KernelOptions {
  /** `'linear'` (default; float32 output) or `'nearest'` (keeps the image type; float64 → float32). */
  readonly interpolation?: Interpolation;
  /** World-to-grid affine of the input image; default: the codomain's (forward warp) or the domain's (backward warp). */
  readonly imageWorldToGrid?: AffineOption;
  /** Output grid shape; default: the domain shape (forward warp) or the codomain shape (backward warp). */
  readonly outShape?: ArrayLike<number>;
  /** Output grid-to-world affine; default: the domain's (forward warp) or the codomain's (backward warp). */
  readonly outGridToWorld?: AffineOption;
}

/**
 * Lends the memory of expanded fields ({@link DiffeomorphicMap.expandFields}): `take(n)`
 * returns a `Float32Array` of exactly `n` values (its contents do not matter: every
 * value is written), and `give(field)` gets back an old field the map no longer reads.
 */
export interface FieldBufferPool {
  take(n: number): Float32Array;
  give(field: Float32Array): void;
}

/** Options of {@link DiffeomorphicMap.expandFields}. */
export interface ExpandFieldsOptions extends KernelOptions {
  /** Where the new fields live; default: new arrays. */
  readonly buffers?: FieldBufferPool;
}

/** Options of {@link DiffeomorphicMap.transformPoints}. */
export interface TransformPointsOptions {
  /** Maps input coordinates to world coordinates (for example a grid-to-world); identity when omitted (points in world units). */
  readonly coordToWorld?: AffineLike | null;
  /** Maps warped world points to output coordinates (for example a world-to-grid); identity when omitted (output in world units). */
  readonly worldToCoord?: AffineLike | null;
}

/** Throws the "not ready" error for a missing field. */
function notReady(which: string): never {
  throw new DiffeoError('NOT_READY', `The ${which} displacement field is not set; call allocate() or set${which === 'forward' ? 'Forward' : 'Backward'}Field() first.`);
}

function disposed(): never {
  throw new DisposedError(
    'this DiffeomorphicMap was disposed (by its own dispose(), or by that of the map it shares its fields with through inverse() or shallowCopy()): its fields were released and may hold other data now. Keep the map until you are done with it and its inverses, or set new fields first.',
  );
}

function product(shape: readonly number[]): number {
  let n = 1;
  for (let k = 0; k < shape.length; k++) n *= shape[k];
  return n;
}

/**
 * A diffeomorphic transformation of physical space: a prealign affine followed
 * by a displacement field, with its inverse field (DIPY's `DiffeomorphicMap`).
 *
 * **Directions, for a map returned by SyN** (`SymmetricDiffeomorphicRegistration.optimize`):
 * `map.transform(moving)` warps the **moving** image onto the **static** grid
 * (use it to compare with the static image), and `map.transformInverse(static)` warps
 * the **static** image onto the **moving** grid. The default grids and affines
 * come from the map, so no options are needed for the registered images:
 *
 * ```ts
 * const map = await syn.optimize({ static: fixed, moving, staticGridToWorld, movingGridToWorld });
 * const movedOntoStatic = map.transform(moving);          // shape of `fixed`
 * const staticOntoMoving = map.transformInverse(fixed);   // shape of `moving`
 * const nearestLabels = map.transform(movingLabels, { interpolation: 'nearest' }); // keeps Int32Array
 * ```
 *
 * **`isInverse`.** The two fields never move; `isInverse` only swaps which warp
 * `transform` and `transformInverse` (and the point and field getters) run: when
 * false, `transform` is the forward warp (field `forward`, output on the domain grid,
 * input on the codomain grid) and `transformInverse` the backward warp; when true the
 * roles are exchanged. SyN returns maps with `isInverse = true` (docs/algorithm.md §10, trap 7),
 * so their `transform` uses the `backward` field.
 *
 * Images are accepted as `ndarray` views, plain `{ data, shape }` objects, or
 * {@link Volume}s `{ data, shape, gridToWorld }`. For an `ndarray` or plain object the
 * sampled image's geometry is the map's default (codomain or domain) unless
 * `imageWorldToGrid` is given, and the result is an `ndarray` view over a new array; a
 * Volume's non-null `gridToWorld` places the image itself, and the result is a Volume
 * carrying the output grid's `gridToWorld`.
 */
export class DiffeomorphicMap<D extends Dim = Dim> {
  /** Spatial dimension. */
  readonly dim: D;
  /** Grid shape of the displacement fields (voxels). */
  dispShape: ShapeOf<D>;
  /** Default output grid of forward warps; `null` forces callers to pass `outShape`. */
  domainShape: ShapeOf<D> | null;
  /** Default output grid of backward warps; `null` forces callers to pass `outShape`. */
  codomainShape: ShapeOf<D> | null;
  /** Swaps the roles of `transform` and `transformInverse` (see the class documentation). */
  isInverse = false;
  /** The kernel context given at construction ({@link DiffeomorphicMapOptions.context}). */
  private readonly kernelContext: KernelContext;

  private dispG2W: Affine;
  private dispW2G: Affine;
  private domainG2W: Affine;
  private domainW2G: Affine;
  private codomainG2W: Affine;
  private codomainW2G: Affine;
  private pre: Affine;
  private preInv: Affine;
  private fwd: Float32Array | null = null;
  private bwd: Float32Array | null = null;
  /**
   * Shared by this map and every map made from it by `inverse()` / `shallowCopy()` (they
   * share the field arrays); `dispose()` marks it, so none of them reads released memory.
   */
  private lease: { disposed: boolean } = { disposed: false };
  private fwdShape: ShapeOf<D>;
  private bwdShape: ShapeOf<D>;

  /**
   * @throws {DimensionError} `dim` not 2 or 3, or shapes of the wrong length;
   *   {@link InvalidArgumentError} missing `dispShape`; {@link InvalidAffineError}
   *   malformed, non-finite or singular affines (all of them are inverted).
   */
  constructor(options: DiffeomorphicMapOptions<D>) {
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError('DiffeomorphicMap needs an options object { dim, dispShape, ... }.');
    }
    checkOptionKeys(options, ['dim', 'dispShape', 'dispGridToWorld', 'domainShape', 'domainGridToWorld', 'codomainShape', 'codomainGridToWorld', 'prealign', 'context'], 'DiffeomorphicMap options');
    const c = options.context as Partial<KernelContext> | undefined;
    if (c !== undefined && (c === null || typeof c !== 'object' || typeof c.kernelsFor !== 'function' || typeof c.freeFloat32 !== 'function')) {
      throw new InvalidArgumentError('DiffeomorphicMap: context must be a kernel context made by createContext(...); got something else.');
    }
    this.kernelContext = options.context ?? defaultContext;
    const dim = options.dim;
    if (dim !== 2 && dim !== 3) throw new DimensionError(`dim must be 2 or 3; got ${String(dim)}.`);
    this.dim = dim;
    if (options.dispShape === null || options.dispShape === undefined) {
      throw new InvalidArgumentError('dispShape is required: the grid shape of the displacement fields (DIPY raises "Invalid displacement field discretization").');
    }
    this.dispShape = toShape(options.dispShape, dim, 'dispShape');
    this.dispG2W = toAffine(options.dispGridToWorld, dim, 'dispGridToWorld', true);
    this.dispW2G = invertAffine(this.dispG2W, 'dispGridToWorld');
    this.domainShape = options.domainShape === null || options.domainShape === undefined
      ? this.dispShape : toShape(options.domainShape, dim, 'domainShape');
    this.domainG2W = toAffine(options.domainGridToWorld, dim, 'domainGridToWorld', true);
    this.domainW2G = invertAffine(this.domainG2W, 'domainGridToWorld');
    this.codomainShape = options.codomainShape === null || options.codomainShape === undefined
      ? this.domainShape : toShape(options.codomainShape, dim, 'codomainShape');
    this.codomainG2W = toAffine(options.codomainGridToWorld, dim, 'codomainGridToWorld', true);
    this.codomainW2G = invertAffine(this.codomainG2W, 'codomainGridToWorld');
    this.pre = toAffine(options.prealign, dim, 'prealign', true);
    this.preInv = invertAffine(this.pre, 'prealign');
    this.fwdShape = this.dispShape;
    this.bwdShape = this.dispShape;
  }

  /** Kernel context used when a call passes none (and by {@link dispose}): the constructor's `context`, else {@link defaultContext}. Read-only. */
  get context(): KernelContext { return this.kernelContext; }

  /**
   * A map equal to this one (same metadata, `isInverse`, and **shared** fields, as
   * {@link shallowCopy}) whose default kernel context is `context`: the replacement of
   * assigning `map.context`, which is not possible any more.
   */
  withContext(context: KernelContext): DiffeomorphicMap<D> {
    const c = context as Partial<KernelContext> | undefined;
    if (c === undefined || c === null || typeof c !== 'object' || typeof c.kernelsFor !== 'function' || typeof c.freeFloat32 !== 'function') {
      throw new InvalidArgumentError('withContext needs a kernel context made by createContext(...).');
    }
    const m = this.copyMeta(this.isInverse);
    (m as unknown as { kernelContext: KernelContext }).kernelContext = context;
    return m;
  }

  /** Grid-to-world affine of the displacement grid (`null` = identity). Read-only: use {@link expandFields} to change it. */
  get dispGridToWorld(): Affine { return this.dispG2W; }
  /** World-to-grid affine of the displacement grid (the inverse of {@link dispGridToWorld}). */
  get dispWorldToGrid(): Affine { return this.dispW2G; }
  /** Grid-to-world affine of the domain grid. */
  get domainGridToWorld(): Affine { return this.domainG2W; }
  /** World-to-grid affine of the domain grid. */
  get domainWorldToGrid(): Affine { return this.domainW2G; }
  /** Grid-to-world affine of the codomain grid. */
  get codomainGridToWorld(): Affine { return this.codomainG2W; }
  /** World-to-grid affine of the codomain grid. */
  get codomainWorldToGrid(): Affine { return this.codomainW2G; }
  /** Prealign affine (world → world). */
  get prealign(): Affine { return this.pre; }
  /** Inverse of the prealign affine. */
  get prealignInv(): Affine { return this.preInv; }

  /**
   * The raw forward field: interleaved float32, `prod(dispShape)·d` values, world
   * units; `null` until {@link allocate} or an assignment. Not affected by
   * `isInverse`. Assigning checks the length against `dispShape` and shares the array.
   */
  get forward(): Float32Array | null { return this.held(this.fwd); }
  set forward(f: Float32Array | null) { const c = this.checkRaw(f, 'forward'); this.renew(); this.fwd = c; this.fwdShape = this.dispShape; }
  /** The raw backward field (see {@link forward}). */
  get backward(): Float32Array | null { return this.held(this.bwd); }
  set backward(f: Float32Array | null) { const c = this.checkRaw(f, 'backward'); this.renew(); this.bwd = c; this.bwdShape = this.dispShape; }

  /** `f`, unless it is an array a `dispose()` released (then {@link DisposedError}). */
  private held(f: Float32Array | null): Float32Array | null {
    if (f !== null && this.lease.disposed) disposed();
    return f;
  }

  /** Before new fields are set on a disposed map: drop every released array, start a new lease. */
  private renew(): void {
    if (!this.lease.disposed) return;
    this.lease = { disposed: false };
    this.fwd = null;
    this.bwd = null;
  }

  private checkRaw(f: Float32Array | null, which: string): Float32Array | null {
    if (f === null) return null;
    if (!(f instanceof Float32Array)) {
      throw new DtypeError(`${which} must be a Float32Array of prod(dispShape)·${this.dim} values; use set${which === 'forward' ? 'Forward' : 'Backward'}Field() for ndarray or float64 input.`);
    }
    const n = product(this.dispShape) * this.dim;
    if (f.length !== n) {
      throw new ShapeMismatchError(`${which} has ${f.length} values; a field on the displacement grid [${this.dispShape.join(', ')}] needs ${n}.`);
    }
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(f[i])) {
        throw new NonFiniteError(`${which} has a non-finite value (${f[i]}) at index ${i}; a displacement field must be finite everywhere.`);
      }
    }
    return f;
  }

  /** Grid shape of the raw `forward` (`'forward'`) or `backward` field: `dispShape`, except for maps built by {@link getSimplifiedTransform}. */
  fieldShape(which: 'forward' | 'backward'): ShapeOf<D> {
    return which === 'forward' ? this.fwdShape : this.bwdShape;
  }

  /** Sets both fields to zeros on the displacement grid (the identity transformation). */
  allocate(): void {
    this.renew();
    const n = product(this.dispShape) * this.dim;
    this.fwd = new Float32Array(n);
    this.bwd = new Float32Array(n);
    this.fwdShape = this.dispShape;
    this.bwdShape = this.dispShape;
  }

  /**
   * Sets the raw forward field from an `ndarray` `[...dispShape, d]` or plain
   * input (float32 shared when contiguous; float64 rounded into a new array).
   * @throws {ShapeMismatchError} grid ≠ `dispShape` or last axis ≠ d; {@link NonFiniteError} NaN/∞.
   */
  setForwardField(field: FieldInput): void {
    const f = toField(field, 'forward field', this.dim, this.dispShape).data;
    this.renew();
    this.fwd = f;
    this.fwdShape = this.dispShape;
  }

  /** Sets the raw backward field (see {@link setForwardField}). */
  setBackwardField(field: FieldInput): void {
    const f = toField(field, 'backward field', this.dim, this.dispShape).data;
    this.renew();
    this.bwd = f;
    this.bwdShape = this.dispShape;
  }

  /**
   * The field that warps in the forward direction of this map: `backward` if
   * `isInverse`, else `forward` — as an `ndarray` view `[...grid, d]` sharing memory
   * (world units).
   */
  getForwardField(): NdArray<Float32Array> {
    return this.isInverse ? this.view('backward') : this.view('forward');
  }

  /** The field that warps in the backward direction: `forward` if `isInverse`, else `backward` (shared view). */
  getBackwardField(): NdArray<Float32Array> {
    return this.isInverse ? this.view('forward') : this.view('backward');
  }

  private view(which: 'forward' | 'backward'): NdArray<Float32Array> {
    if (this.lease.disposed) disposed();
    const f = which === 'forward' ? this.fwd : this.bwd;
    if (f === null) notReady(which);
    return wrapField(f, this.fieldShape(which));
  }

  private raw(which: 'forward' | 'backward'): Float32Array {
    if (this.lease.disposed) disposed();
    const f = which === 'forward' ? this.fwd : this.bwd;
    if (f === null) notReady(which);
    const shape = this.fieldShape(which);
    if (f.length !== product(shape) * this.dim) {
      throw new ShapeMismatchError(`the ${which} field has ${f.length} values but its grid [${shape.join(', ')}] needs ${product(shape) * this.dim}.`);
    }
    return f;
  }

  private ctx(options: KernelOptions | undefined): KernelContext {
    return options?.context ?? this.kernelContext;
  }

  private optAffine(a: AffineOption, fallback: Affine, what: string): Affine {
    if (a === undefined) return fallback;
    if (a === 'identity' || a === null) return null;
    if (typeof a === 'string') throw new InvalidArgumentError(`${what} must be a matrix, null or 'identity'; got the string ${JSON.stringify(a)}.`);
    return toAffine(a, this.dim, what);
  }

  private prepareImage(image: ImageInput | Volume, interpolation: Interpolation): { data: NumericArray; shape: Shape } {
    if (interpolation === 'linear') {
      const img = toFloat32Image(image, 'image', this.dim);
      return { data: img.data, shape: img.shape };
    }
    const img = toImage(image, 'image', this.dim);
    return { data: nearestImageData(img.data), shape: img.shape };
  }

  /**
   * The three matrices of the generic warp kernel (`ctx.kernelsFor(dim).warp(out, outShape,
   * image, imageShape, field, fieldShape, A, B, C)`) for a warp with the raw `which` field
   * (not affected by `isInverse`), formed as double products as DIPY forms them:
   * - forward: `A = Rinv·P·S`, `B = W·P·S`, `C = W`;
   * - backward: `A = Rinv·S`, `B = W·Pinv·S`, `C = W·Pinv`;
   *
   * with `S` the output grid's grid-to-world, `W` the sampled image's world-to-grid, `P`
   * the prealign and `Rinv` the displacement grid's world-to-grid (`null` = identity).
   * This is what {@link transform} and {@link transformInverse} run; callers that warp
   * the same grids many times (SyN's iterations) form the matrices once with it.
   * @param outGridToWorld - `S`; default the domain's (forward) or the codomain's (backward) grid-to-world.
   * @param imageWorldToGrid - `W`; default the codomain's (forward) or the domain's (backward) world-to-grid.
   */
  warpMatrices(which: 'forward' | 'backward', outGridToWorld?: Affine, imageWorldToGrid?: Affine): { A: Affine; B: Affine; C: Affine } {
    if (which === 'forward') {
      const S = outGridToWorld === undefined ? this.domainG2W : outGridToWorld;
      const W = imageWorldToGrid === undefined ? this.codomainW2G : imageWorldToGrid;
      const PS = mulAffine(this.pre, S);
      return { A: mulAffine(this.dispW2G, PS), B: mulAffine(W, PS), C: W };
    }
    if (which !== 'backward') throw new InvalidArgumentError(`warpMatrices needs 'forward' or 'backward'; got ${JSON.stringify(which)}.`);
    const S = outGridToWorld === undefined ? this.codomainG2W : outGridToWorld;
    const W = imageWorldToGrid === undefined ? this.domainW2G : imageWorldToGrid;
    return { A: mulAffine(this.dispW2G, S), B: mulAffine(W, mulAffine(this.preInv, S)), C: mulAffine(W, this.preInv) };
  }

  /**
   * World-to-grid of the sampled image: `imageWorldToGrid` when given, else the inverse of a
   * Volume's own non-null `gridToWorld`, else the map's default (`fallback`).
   */
  private imageWorldToGrid(image: ImageInput | Volume, options: MapTransformOptions, fallback: Affine): Affine {
    // A null gridToWorld leaves the map's default, as for a plain { data, shape } image (ImageData callers keep their results).
    if (options.imageWorldToGrid !== undefined || !isVolume(image) || image.gridToWorld === null) return this.optAffine(options.imageWorldToGrid, fallback, 'imageWorldToGrid');
    return invertAffine(toAffine(image.gridToWorld, this.dim, 'the image Volume\'s gridToWorld', true), 'the image Volume\'s gridToWorld');
  }

  /** The warp's result: an `ndarray`, or a Volume on the output grid when the input was a Volume. */
  private result(image: ImageInput | Volume, out: NumericArray, outShape: Shape, S: Affine): NdArray<NumericArray> | Volume {
    if (!isVolume(image)) return wrapArray(out, outShape);
    return { data: out, shape: [...outShape] as unknown as ShapeOf<D>, gridToWorld: S === null ? null : S.slice() };
  }

  private warpForward(image: ImageInput | Volume, options: MapTransformOptions): NdArray<NumericArray> | Volume {
    const interpolation = checkInterpolation(options.interpolation);
    const img = this.prepareImage(image, interpolation);
    const field = this.raw('forward');
    const W = this.imageWorldToGrid(image, options, this.codomainW2G);
    let outShape: Shape;
    if (options.outShape !== undefined) outShape = toShape(options.outShape, this.dim, 'outShape');
    else if (this.domainShape === null) {
      throw new InvalidArgumentError('Cannot infer the sampling grid of a forward warp: domainShape is null. Pass outShape (and outGridToWorld).');
    } else outShape = this.domainShape;
    const S = this.optAffine(options.outGridToWorld, this.domainG2W, 'outGridToWorld');
    const { A, B, C } = this.warpMatrices('forward', S, W);
    const out = warpRaw(this.ctx(options), this.dim, interpolation, outShape, img.data, img.shape, field, this.fwdShape, A, B, C);
    return this.result(image, out, outShape, S);
  }

  private warpBackward(image: ImageInput | Volume, options: MapTransformOptions): NdArray<NumericArray> | Volume {
    const interpolation = checkInterpolation(options.interpolation);
    const img = this.prepareImage(image, interpolation);
    const field = this.raw('backward');
    const W = this.imageWorldToGrid(image, options, this.domainW2G);
    let outShape: Shape;
    if (options.outShape !== undefined) outShape = toShape(options.outShape, this.dim, 'outShape');
    else if (this.codomainShape === null) {
      throw new InvalidArgumentError('Cannot infer the sampling grid of a backward warp: codomainShape is null. Pass outShape (and outGridToWorld).');
    } else outShape = this.codomainShape;
    const S = this.optAffine(options.outGridToWorld, this.codomainG2W, 'outGridToWorld');
    const { A, B, C } = this.warpMatrices('backward', S, W);
    const out = warpRaw(this.ctx(options), this.dim, interpolation, outShape, img.data, img.shape, field, this.bwdShape, A, B, C);
    return this.result(image, out, outShape, S);
  }

  /**
   * Warps an image in this map's forward direction (the backward warp when
   * `isInverse`). For a SyN result: moving image → static grid.
   *
   * @param image - `[rows, cols]` / `[slices, rows, cols]` image on the grid given by
   *   `imageWorldToGrid` (default: codomain grid, or domain grid when `isInverse`), or a
   *   {@link Volume}, whose own `gridToWorld` places it unless `imageWorldToGrid` is given
   *   (a `null` one leaves the default grid, as for a plain `{ data, shape }` image).
   * @returns an `ndarray` on the output grid (default: domain grid, or codomain grid
   *   when `isInverse`) — a {@link Volume} `{ data, shape, gridToWorld }` of that grid when
   *   `image` is a Volume: float32 for linear interpolation, the image's own type for
   *   nearest (float64 becomes float32; integer images keep their type).
   * @throws {DiffeoError} `NOT_READY` when the needed field is not set;
   *   {@link InvalidArgumentError} no output shape available; {@link DimensionError};
   *   {@link InvalidAffineError}; {@link DtypeError}.
   */
  transform(image: Volume<D>, options?: MapTransformOptions & { interpolation?: 'linear' }): Volume<D, Float32Array>;
  transform(image: Volume<D>, options: MapTransformOptions & { interpolation: 'nearest' }): Volume<D>;
  transform(image: Volume<D>, options?: MapTransformOptions): Volume<D>;
  transform(image: ImageInput, options?: MapTransformOptions & { interpolation?: 'linear' }): NdArray<Float32Array>;
  transform(image: ImageInput, options: MapTransformOptions & { interpolation: 'nearest' }): NdArray<NumericArray>;
  transform(image: ImageInput, options?: MapTransformOptions): NdArray<NumericArray>;
  transform(image: ImageInput | Volume<D>, options: MapTransformOptions = {}): NdArray<NumericArray> | Volume<D> {
    return this.isInverse ? this.warpBackward(image, options) : this.warpForward(image, options);
  }

  /**
   * Warps an image in this map's backward direction (the forward warp when
   * `isInverse`). For a SyN result: static image → moving grid.
   * Arguments and result as {@link transform}, with the default grids exchanged.
   */
  transformInverse(image: Volume<D>, options?: MapTransformOptions & { interpolation?: 'linear' }): Volume<D, Float32Array>;
  transformInverse(image: Volume<D>, options: MapTransformOptions & { interpolation: 'nearest' }): Volume<D>;
  transformInverse(image: Volume<D>, options?: MapTransformOptions): Volume<D>;
  transformInverse(image: ImageInput, options?: MapTransformOptions & { interpolation?: 'linear' }): NdArray<Float32Array>;
  transformInverse(image: ImageInput, options: MapTransformOptions & { interpolation: 'nearest' }): NdArray<NumericArray>;
  transformInverse(image: ImageInput, options?: MapTransformOptions): NdArray<NumericArray>;
  transformInverse(image: ImageInput | Volume<D>, options: MapTransformOptions = {}): NdArray<NumericArray> | Volume<D> {
    return this.isInverse ? this.warpForward(image, options) : this.warpBackward(image, options);
  }

  private warpPoints(points: PointsInput, options: TransformPointsOptions, which: 'forward' | 'backward'): NdArray<Float64Array> {
    const dim = this.dim;
    const { data, count } = toPoints(points, dim, 'points');
    const c2w = toAffine(options.coordToWorld, dim, 'coordToWorld');
    const w2c = toAffine(options.worldToCoord, dim, 'worldToCoord');
    const field = this.raw(which);
    const shape = this.fieldShape(which);
    let inToWorld: Affine;
    let worldToOut: Affine;
    if (which === 'forward') {
      inToWorld = mulAffine(this.pre, c2w);
      worldToOut = w2c;
    } else {
      inToWorld = c2w;
      worldToOut = mulAffine(w2c, this.preInv);
    }
    // Points → displacement grid: a double product, as DIPY forms it.
    const inToGrid = inToWorld === null ? this.dispW2G : this.dispW2G === null ? inToWorld : mulAffine(this.dispW2G, inToWorld);
    const out = new Float64Array(count * dim);
    const x = new Float64Array(3), w = new Float64Array(3), g = new Float64Array(3), v = new Float64Array(3), y = new Float64Array(3);
    for (let p = 0; p < count; p++) {
      const o = p * dim;
      for (let k = 0; k < dim; k++) x[k] = data[o + k];
      applyAffine(inToWorld, x, 1, w, dim);
      applyAffine(inToGrid, x, 1, g, dim);
      if (dim === 2) bilinearVector(field, shape[0], shape[1], g[0], g[1], v, 0);
      else trilinearVector(field, shape[0], shape[1], (shape as Shape3D)[2], g[0], g[1], g[2], v, 0);
      for (let k = 0; k < dim; k++) w[k] += v[k];
      applyAffine(worldToOut, w, 1, y, dim);
      for (let k = 0; k < dim; k++) out[o + k] = y[k];
    }
    return wrapArray(out, [count, dim]);
  }

  /**
   * Maps points in this map's forward direction (backward when `isInverse`),
   * docs/algorithm.md §1.4: `y = worldToCoord·(P·c2w·x + forward(Rinv·P·c2w·x))`, the field
   * interpolated linearly (zero padded). For a SyN result this maps points of the
   * static image to the moving image (what {@link transform} samples).
   *
   * @param points - `[N, d]` coordinates (array-axis order), float64.
   * @returns float64 `ndarray` `[N, d]` in `worldToCoord`'s frame (world units when omitted).
   */
  transformPoints(points: PointsInput, options: TransformPointsOptions = {}): NdArray<Float64Array> {
    return this.warpPoints(points, options, this.isInverse ? 'backward' : 'forward');
  }

  /**
   * Maps points in this map's backward direction (forward when `isInverse`):
   * `y = worldToCoord·Pinv·(c2w·x + backward(Rinv·c2w·x))`.
   * @returns float64 `ndarray` `[N, d]`.
   */
  transformPointsInverse(points: PointsInput, options: TransformPointsOptions = {}): NdArray<Float64Array> {
    return this.warpPoints(points, options, this.isInverse ? 'forward' : 'backward');
  }

  private copyMeta(isInverse: boolean): DiffeomorphicMap<D> {
    const m = Object.create(DiffeomorphicMap.prototype) as DiffeomorphicMap<D>;
    const self = this as unknown as Record<string, unknown>;
    const target = m as unknown as Record<string, unknown>;
    for (const key of Object.keys(self)) target[key] = self[key];
    m.isInverse = isInverse;
    return m;
  }

  /**
   * The inverse transformation: a new map with the same grids and affines that
   * **shares** (does not copy) both field arrays, with `isInverse` toggled, so its
   * `transform` is this map's `transformInverse` and vice versa.
   *
   * Note: DIPY always sets `is_inverse = True` here, so in DIPY the `inverse()` of
   * an already inverted map (such as a SyN result) is equivalent to the map itself;
   * diffeo toggles the flag, so `map.inverse().inverse()` behaves as `map`.
   */
  inverse(): DiffeomorphicMap<D> {
    return this.copyMeta(!this.isInverse);
  }

  /**
   * Releases both fields: arrays that came from a backend's memory
   * (`context.allocFloat32`, e.g. a SyN result with `resultInContextMemory`) go back
   * to that backend through this map's {@link DiffeomorphicMap.context}; ordinary
   * arrays are simply dropped. The fields are `null` afterwards (transforms throw
   * until new fields are set). Maps sharing the arrays (`inverse()`,
   * `shallowCopy()`) must not be used afterwards either; calling it twice is harmless.
   */
  dispose(): void {
    if (!this.lease.disposed) {
      for (const f of [this.fwd, this.bwd]) if (f !== null && f.length > 0) this.kernelContext.freeFloat32(f);
    }
    this.lease.disposed = true;
    this.fwd = null;
    this.bwd = null;
  }

  /** A new map with the same metadata and `isInverse`, sharing both field arrays. */
  shallowCopy(): DiffeomorphicMap<D> {
    return this.copyMeta(this.isInverse);
  }

  /**
   * Up-samples both fields onto a finer displacement grid (docs/algorithm.md §1.6):
   * each field is resampled with `out[i] = field(i ⊙ factors)` (values unchanged:
   * they are world displacements), `dispShape ← newShape`,
   * `dispGridToWorld ← dispGridToWorld·diag(factors, 1)` and its inverse recomputed.
   * New arrays replace the old ones (maps sharing the old arrays keep them), unless
   * `options.buffers` lends them: then each new field is `buffers.take(n)` and each old
   * field goes back with `buffers.give(old)` as soon as it is resampled (forward first),
   * so one spare buffer is enough to expand both fields.
   * @param factors - new voxel size over old voxel size, per axis (0.5 doubles the resolution).
   * @param newShape - the new displacement grid shape.
   */
  expandFields(factors: ArrayLike<number>, newShape: ArrayLike<number>, options?: ExpandFieldsOptions): void {
    const dim = this.dim;
    if (factors === null || typeof factors !== 'object' || factors.length !== dim) {
      throw new ShapeMismatchError(`expandFields needs ${dim} factors; got ${factors === null || typeof factors !== 'object' ? String(factors) : factors.length}.`);
    }
    const fac = Float64Array.from(factors);
    for (let k = 0; k < dim; k++) {
      if (!Number.isFinite(fac[k]) || fac[k] === 0) throw new InvalidArgumentError(`expandFields factor ${k} is ${fac[k]}; factors must be finite and non-zero.`);
    }
    const shape = toShape(newShape, dim, 'newShape');
    const ctx = this.ctx(options);
    const pool = options?.buffers;
    if (pool !== undefined && (pool === null || typeof pool.take !== 'function' || typeof pool.give !== 'function')) {
      throw new InvalidArgumentError('expandFields: buffers must be an object with take(n) and give(field) methods (a FieldBufferPool).');
    }
    const n = product(shape) * dim;
    const resample = (f: Float32Array, from: ShapeOf<D>): Float32Array => {
      const out = pool === undefined ? new Float32Array(n) : pool.take(n);
      if (!(out instanceof Float32Array) || out.length !== n) {
        throw new InvalidArgumentError(`expandFields: buffers.take(${n}) must return a Float32Array of ${n} values; got ${out instanceof Float32Array ? `${out.length} values` : typeof out}.`);
      }
      ctx.kernelsFor(dim).resampleField(out, shape, f, from, fac);
      // the old field is not read any more: its memory can hold the next resampled field
      pool?.give(f);
      return out;
    };
    const g2w = mulAffine(this.dispG2W, scalingAffine(fac));
    const w2g = invertAffine(g2w, 'expanded dispGridToWorld');
    const fwd = this.fwd === null ? null : resample(this.raw('forward'), this.fwdShape);
    const bwd = this.bwd === null ? null : resample(this.raw('backward'), this.bwdShape);
    this.fwd = fwd;
    this.bwd = bwd;
    this.dispShape = shape;
    this.fwdShape = shape;
    this.bwdShape = shape;
    this.dispG2W = g2w;
    this.dispW2G = w2g;
  }

  /**
   * Inversion error of the field pair (docs/algorithm.md §1.6): the composition
   * `backward ∘ forward` on the displacement grid,
   * `r[i] = backward[i] + forward(i + Rinv·backward[i])` (zero where not inside),
   * and its statistics. A perfect pair gives `r = 0`.
   * @returns the residual field (float32, world units) and `[max, rms, sqrt(std)]` of its norms.
   */
  computeInversionError(options?: KernelOptions): { field: NdArray<Float32Array>; stats: ComposeStats } {
    const b = this.raw('backward');
    const f = this.raw('forward');
    const out = new Float32Array(b.length);
    const ctx = this.ctx(options);
    const stats = ctx.kernelsFor(this.dim).compose(out, b, this.bwdShape, f, this.fwdShape, null, this.dispW2G, 1.0);
    return { field: wrapField(out, this.bwdShape), stats };
  }

  /**
   * Composition with an endomorphism `phi` on the same displacement grid
   * (docs/algorithm.md §1.6): a shallow copy of this map whose forward field is
   * `compose(d1, d2)` and whose backward field is `compose(d2⁻¹, d1⁻¹)`, with
   * `d1`/`d2` the forward fields of this map and `phi` (per `isInverse`), so that
   * `C(x) = phi(self(x))`. Assumes `phi` shares the grid and has no prealign.
   */
  warpEndomorphism(phi: DiffeomorphicMap<D>, options?: KernelOptions): DiffeomorphicMap<D> {
    if (!(phi instanceof DiffeomorphicMap) || phi.dim !== this.dim) {
      throw new DimensionError(`warpEndomorphism needs a ${this.dim}D DiffeomorphicMap.`);
    }
    const pick = (m: DiffeomorphicMap<D>, fwdDir: boolean): { data: Float32Array; shape: ShapeOf<D> } => {
      const which: 'forward' | 'backward' = (fwdDir !== m.isInverse) ? 'forward' : 'backward';
      return { data: m.raw(which), shape: m.fieldShape(which) };
    };
    const d1 = pick(this, true), d2 = pick(phi, true), d1i = pick(this, false), d2i = pick(phi, false);
    const W = this.dispW2G;
    const ctx = this.ctx(options);
    const compose = (a: { data: Float32Array; shape: ShapeOf<D> }, b: { data: Float32Array; shape: ShapeOf<D> }): Float32Array => {
      const out = new Float32Array(a.data.length);
      ctx.kernelsFor(this.dim).compose(out, a.data, a.shape, b.data, b.shape, null, W, 1.0);
      return out;
    };
    const result = this.shallowCopy();
    result.fwd = compose(d1, d2);
    result.fwdShape = d1.shape;
    result.bwd = compose(d2i, d1i);
    result.bwdShape = d2i.shape;
    return result;
  }

  /**
   * An equivalent map with every affine baked into its fields, so that its
   * prealign and all grid-to-world affines are the identity and it operates
   * directly on voxel indices: the forward field lives on the **domain** grid and
   * satisfies `transform(img)[i] = img(i + s_fwd[i])` for an image on the codomain
   * grid; the backward field lives on the **codomain** grid (voxel units).
   *
   * Forward: `s[i] = Cinv·forward(Rinv·P·D·[i;1]) + Cinv·P·D·[i;1] − i` on the domain grid;
   * backward: `s[j] = Dinv·Pinv·backward(Rinv·C·[j;1]) + Dinv·Pinv·C·[j;1] − j` on the
   * codomain grid (`D`, `C`, `R` = domain, codomain, displacement grid-to-world).
   *
   * This follows DIPY **master**. DIPY 1.6.0 has a bug in the backward part (it uses
   * the codomain *world-to-grid* where `C` is meant), so its simplified backward field
   * differs whenever the codomain affine is not the identity. The result's
   * `dispShape` is the domain shape (DIPY keeps the old displacement shape, which
   * describes neither field); use {@link fieldShape} for each field's grid. The raw
   * `forward`/`backward` members are used (not affected by `isInverse`), and the
   * result has `isInverse = false`, as in DIPY.
   * @throws {InvalidArgumentError} when the domain or codomain shape is null.
   */
  getSimplifiedTransform(): DiffeomorphicMap<D> {
    if (this.domainShape === null || this.codomainShape === null) {
      throw new InvalidArgumentError('getSimplifiedTransform needs domainShape and codomainShape.');
    }
    const D = this.domainG2W, P = this.pre, Rinv = this.dispW2G, Cinv = this.codomainW2G;
    const PD = mulAffine(P, D);
    const fwd = simplifyWarpFunctionRaw(this.raw('forward'), this.fwdShape, mulAffine(Rinv, PD), mulAffine(Cinv, PD), Cinv, this.domainShape);
    const C = this.codomainG2W, Pinv = this.preInv, Dinv = this.domainW2G;
    const bwd = simplifyWarpFunctionRaw(
      this.raw('backward'), this.bwdShape, mulAffine(Rinv, C), mulAffine(Dinv, mulAffine(Pinv, C)), mulAffine(Dinv, Pinv), this.codomainShape,
    );
    const simplified = new DiffeomorphicMap<D>({
      dim: this.dim, dispShape: this.domainShape, domainShape: this.domainShape, codomainShape: this.codomainShape, context: this.kernelContext,
    });
    simplified.fwd = fwd;
    simplified.fwdShape = this.domainShape;
    simplified.bwd = bwd;
    simplified.bwdShape = this.codomainShape;
    return simplified;
  }
}

