/**
 * Symmetric diffeomorphic registration (SyN), a port of DIPY 1.6's
 * `SymmetricDiffeomorphicRegistration` (docs/algorithm.md §4).
 *
 * Both images are registered towards a reference ("midpoint") space, which is the
 * static image's world space discretised at each pyramid level by the static scale
 * space's grid. Two half-way maps are kept, `staticToRef` and `movingToRef`, each
 * with a forward and a backward displacement field in world units on the reference
 * grid. Every iteration:
 *
 * 1. warps both level images onto the reference grid through the backward fields;
 * 2. asks the metric for a forward and a backward step;
 * 3. zeroes the outermost voxel layer of each step;
 * 4. normalises each step by its largest norm measured in voxels (component / spacing);
 * 5. composes it into the forward fields, scaled by `stepLength` (voxels of the level);
 * 6. re-inverts the four fields by warm-started fixed-point iteration.
 *
 * The level stops after `levelIters` iterations or when the slope of a quadratic
 * fitted to the last 12 normalised energies (taken before the current energy is
 * appended) drops to `optTol`. Fields are expanded (not rescaled) between levels.
 * The result composes the two half-way maps into one static↔moving map with
 * `isInverse = true`, so that `map.transform(moving)` lands on the static grid.
 *
 * Memory (same numbers as DIPY, less storage): every field- and image-sized buffer is
 * allocated once for the largest level grid and reused by every level and iteration
 * (four half-way fields, one spare field that holds the steps and the inversions'
 * scratch and receives expanded fields, two warped images). The two full-resolution
 * pyramid images of a level are computed into unused parts of those buffers (at the
 * finest level, recomputed every iteration from the caller's float32 input, or
 * normalised in place in the private float32 copy of other input) instead of being
 * kept for every level as DIPY does. The metric frees its buffers at the end of each
 * level, and the result is composed into the memory of the half-way forward fields.
 * At the finest level of a 3D CC run this is 5 fields, 2 images and the CC factors
 * (5 floats): 22 float32 values per voxel plus two thin slabs, besides the inputs.
 *
 * Masks (`staticMask`, `movingMask`, optional): each mask (non-zero = 1) is carried onto
 * the reference grid every iteration exactly as its image is (static mask by the static
 * half-map's backward field, moving mask by the moving one's), by linear interpolation,
 * then thresholded at > 0.5; a missing mask counts as all ones. Their product is the
 * midpoint mask. It is given to the metric as `MetricInputs.mask` (metrics with
 * `supportsMask`, CC, SSD and EM, then compute energy and raw step from voxels inside only),
 * and SyN multiplies each step by it right after the metric returns it, before step 3
 * (boundary zeroing and normalisation, which only scale), so the update composed into
 * the fields is exactly zero outside the mask. This is the semantics of greedy's
 * `-gm`/`-mm` (both masks restrict the metric in the common space, the moving one
 * resampled through the current warp), not ANTs' `-x`, whose masks only select metric
 * sample points while the smoothed update still spreads outside. Without masks nothing
 * changes (bit-identical to DIPY).
 */
import { checkSynMemory } from './memory.js';
import {
  AbortError,
  DiffeomorphicMap,
  DimensionError,
  EmptyImageError,
  ImageTooSmallError,
  InvalidArgumentError,
  checkOptionKeys,
  NonFiniteError,
  ShapeMismatchError,
  defaultContext,
  getDirectionAndSpacings,
  invertAffine,
  linearToAffine,
  mulAffine,
  scalingAffine,
  toAffine,
  toContiguous,
  type Affine,
  type AffineLike,
  type Dim,
  type ImageDynamics,
  type ImageInput,
  type KernelContext,
  type MetricInputs,
  type NumericArray,
  type ShapeOf,
  type SimilarityMetric,
} from '@diffeo/core';
import { ScaleSpace } from '@diffeo/pyramid';
import { RegistrationStages, type HalfwayFields, type LevelImage, type RegistrationEvent, type RegistrationEventHandler, type RegistrationStage } from './events.js';

/** Options of {@link SymmetricDiffeomorphicRegistration}; defaults are DIPY's. */
export interface SynOptions<D extends Dim = Dim> {
  /** Maximum iterations per level, **coarsest level first**; its length is the number of pyramid levels. Default `[100, 100, 25]`. */
  levelIters?: readonly number[];
  /** Largest update per iteration, in voxels of the current level. Default 0.25. */
  stepLength?: number;
  /** Pyramid smoothing factor: level L is smoothed with sigma `ssSigmaFactor·(2^L − 1)` original voxels. Default 0.2. */
  ssSigmaFactor?: number;
  /** Convergence threshold on the energy-profile slope. Default 1e-5. */
  optTol?: number;
  /** Maximum fixed-point iterations per field inversion. Default 20. */
  invIter?: number;
  /** Inversion tolerance (mean residual, voxels). Default 1e-3. */
  invTol?: number;
  /** Receives the typed stage events. */
  onEvent?: RegistrationEventHandler<D>;
  /** Cancels the run between iterations; `optimize` then rejects with {@link AbortError}. */
  signal?: AbortSignal;
  /** Kernel context (backends); default {@link defaultContext} (TypeScript kernels). */
  context?: KernelContext;
  /**
   * Keep the two half-way maps of the run in {@link SymmetricDiffeomorphicRegistration.intermediateMaps}
   * (DIPY's `static_to_ref` and `moving_to_ref`). Default false: the result is then composed
   * into the half-way fields' memory, which saves two fields at the end of the run.
   */
  keepIntermediateMaps?: boolean;
  /**
   * Leave the result's two fields in the memory the context allocated them in
   * (`context.allocFloat32`, e.g. the WebAssembly backend's memory) instead of copying
   * them into ordinary arrays when the run ends. That saves two fields at the end of
   * the run (peak memory) and lets that backend use them without copies; the price:
   * the fields are shared memory that stays allocated until you call the returned
   * map's `dispose()` (garbage collection does not release it). Without such a
   * backend, or with `keepIntermediateMaps`, the option changes nothing. Default false.
   */
  resultInContextMemory?: boolean;
}

/** Inputs of {@link SymmetricDiffeomorphicRegistration.optimize}. */
export interface OptimizeInput {
  /** Static (reference) image: an ndarray or `{data, shape}`, 2D `(rows, cols)` or 3D `(slices, rows, cols)`. Converted to float32. */
  static: ImageInput;
  /** Moving image, same dimension as `static` (its shape may differ). */
  moving: ImageInput;
  /** Grid-to-world affine of the static image (`(d+1)×(d+1)`); default identity (world units = voxels). */
  staticGridToWorld?: AffineLike;
  /** Grid-to-world affine of the moving image; default identity. */
  movingGridToWorld?: AffineLike;
  /**
   * World-space affine mapping static points to moving points (what an affine
   * registration of moving onto static returns); applied before the fields. Default none.
   */
  prealign?: AffineLike;
  /**
   * Optional mask of the static image (same shape and grid as `static`; non-zero = inside).
   * See the module header, "Masks": the data term is used only where both masks, carried
   * to the reference grid by their half-maps, are inside; the step is zero elsewhere.
   */
  staticMask?: ImageInput;
  /** Optional mask of the moving image (same shape and grid as `moving`; non-zero = inside). */
  movingMask?: ImageInput;
}

/** One half-way map during optimisation: two fields on the reference grid plus the affines the warps need. */
interface HalfMap<D extends Dim> {
  /** The fields on the current grid: views of the first values of `fwdBuf`/`bwdBuf`. */
  forward: Float32Array;
  backward: Float32Array;
  /** Buffers sized for the largest level grid. */
  fwdBuf: Float32Array;
  bwdBuf: Float32Array;
  dispShape: ShapeOf<D>;
  dispG2W: Affine;
  dispW2G: Affine;
  /** world-to-grid of the image this map warps (its domain) */
  domainW2G: Affine;
  /** DIPY's `prealign_inv` of the map (null for the static map) */
  prealignInv: Affine;
}

const WINDOW = 12;

/** True when `a` spans its whole (ordinary) ArrayBuffer, so handing it out pins nothing else. */
function ownsWholeBuffer(a: Float32Array): boolean {
  return a.byteOffset === 0 && a.length * 4 === a.buffer.byteLength && !(typeof SharedArrayBuffer !== 'undefined' && a.buffer instanceof SharedArrayBuffer);
}
/** Placeholder for a half-way field that was handed over or dropped. */
const EMPTY_FIELD = new Float32Array(0);
/** Weights of the closed-form slope at x = 6 of a quadratic least-squares fit on x = 0..11 (times 4004). */
const SLOPE_WEIGHTS = [-99, -101, -97, -87, -71, -49, -21, 13, 53, 99, 151, 209];

/**
 * DIPY's convergence value: the last 12 energies divided by `−|Σ|` (when Σ ≠ 0), fitted by a
 * quadratic on x = 0..11, differentiated at the window centre x = 6.
 * @throws InvalidArgumentError with fewer than 12 energies.
 */
export function energyDerivative(energies: readonly number[]): number {
  if (energies.length < WINDOW) {
    throw new InvalidArgumentError(`the energy derivative needs at least ${WINDOW} energies; got ${energies.length}.`);
  }
  const y = energies.slice(energies.length - WINDOW);
  let s = 0;
  for (let i = 0; i < WINDOW; i++) s += y[i];
  if (s !== 0) {
    const den = -Math.abs(s);
    for (let i = 0; i < WINDOW; i++) y[i] = y[i] / den;
  }
  let acc = 0;
  for (let i = 0; i < WINDOW; i++) acc += SLOPE_WEIGHTS[i] * y[i];
  return acc / 4004;
}

function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { setImmediate?: (cb: () => void) => unknown };
  return new Promise((resolve) => (g.setImmediate ? g.setImmediate(resolve) : setTimeout(resolve, 0)));
}

function shapeText(s: readonly number[]): string {
  return `(${s.join(', ')})`;
}


/** Largest accepted `ssSigmaFactor`: sigma = factor·(2^level − 1) voxels, so 10 already blurs level 3 by 70 voxels. */
const MAX_SS_SIGMA_FACTOR = 10;

const SYN_OPTION_KEYS = [
  'levelIters', 'stepLength', 'ssSigmaFactor', 'optTol', 'invIter', 'invTol', 'onEvent', 'signal', 'context',
  'keepIntermediateMaps', 'resultInContextMemory',
] as const;

/** The function- and object-valued options, checked when the registration is built rather than failing inside `optimize`. */
function checkSynHandles(options: SynOptions<Dim>): void {
  if (options.onEvent !== undefined && typeof options.onEvent !== 'function') {
    throw new InvalidArgumentError(`onEvent must be a function (event) => void; got ${JSON.stringify(options.onEvent) ?? typeof options.onEvent}.`);
  }
  const c = options.context as Partial<KernelContext> | undefined;
  if (c !== undefined && (c === null || typeof c !== 'object' || typeof c.kernel !== 'function' || typeof c.allocFloat32 !== 'function' || typeof c.freeFloat32 !== 'function')) {
    throw new InvalidArgumentError('context must be a kernel context made by createContext(...) (for example createContext(await wasmBackend())); got an object without kernel/allocFloat32/freeFloat32.');
  }
  const sig = options.signal as Partial<AbortSignal> | undefined;
  if (sig !== undefined && (sig === null || typeof sig !== 'object' || typeof sig.aborted !== 'boolean' || typeof sig.addEventListener !== 'function')) {
    throw new InvalidArgumentError('signal must be an AbortSignal (for example new AbortController().signal).');
  }
}

/**
 * A user mask as 0/1 float32 on its image's grid.
 * @throws ShapeMismatchError when its shape differs from the image's, EmptyImageError when no voxel is non-zero.
 */
function maskOf(input: ImageInput, name: string, imageShape: readonly number[]): Float32Array {
  const m = toContiguous(input, name);
  if (m.shape.length !== imageShape.length || m.shape.some((n, i) => n !== imageShape[i])) {
    throw new ShapeMismatchError(`${name} has shape ${shapeText(m.shape)} but its image has shape ${shapeText(imageShape)}; give a mask on the image's own grid.`);
  }
  const out = new Float32Array(m.data.length);
  let inside = 0;
  for (let i = 0; i < out.length; i++) {
    const v = Number(m.data[i]);
    if (v !== 0 && !Number.isNaN(v)) { out[i] = 1; inside++; }
  }
  if (inside === 0) throw new EmptyImageError(`${name} has no non-zero voxel; an empty mask would leave nothing to register. Pass a mask with the region of interest set to 1, or no mask.`);
  return out;
}

/** Multiplies a step field (`mask.length·d` values) by the midpoint mask, voxel by voxel. */
function maskStep(step: Float32Array, mask: Uint8Array, d: number): void {
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] === 0) for (let k = 0; k < d; k++) step[i * d + k] = 0;
  }
}

/**
 * SyN registration. Construct with a metric (for example `ccMetric(3)` or
 * `ssdMetric(2)`) and options, then call {@link optimize}:
 *
 * ```ts
 * const syn = new SymmetricDiffeomorphicRegistration(ssdMetric(2), { levelIters: [200, 100, 50, 25], invIter: 50 });
 * const map = await syn.optimize({ static: cImage, moving: circleImage });
 * const warped = map.transform(circleImage);        // the circle, deformed onto the C's grid
 * const back = map.transformInverse(cImage);         // the C, deformed onto the circle's grid
 * ```
 */
export class SymmetricDiffeomorphicRegistration<D extends Dim = Dim> {
  /** The metric. */
  readonly metric: SimilarityMetric<D>;
  /** Spatial dimension (the metric's). */
  readonly dim: D;
  /** Iterations cap per level, coarsest first. */
  readonly levelIters: readonly number[];
  readonly stepLength: number;
  readonly ssSigmaFactor: number;
  readonly optTol: number;
  readonly invIter: number;
  readonly invTol: number;
  /** fw + bw energy of every iteration of the last run, coarsest level first. */
  fullEnergyProfile: number[] = [];
  /** Iterations run per level in the last run, coarsest level first. */
  iterationsPerLevel: number[] = [];
  /**
   * The two half-way maps of the last run (static→reference and moving→reference), at the
   * finest level; only kept with the option `keepIntermediateMaps` (otherwise null).
   */
  intermediateMaps: { staticToRef: DiffeomorphicMap; movingToRef: DiffeomorphicMap } | null = null;
  /** Whether {@link intermediateMaps} is filled (option `keepIntermediateMaps`). */
  readonly keepIntermediateMaps: boolean;
  /** Whether the result's fields stay in the context's memory (option `resultInContextMemory`). */
  readonly resultInContextMemory: boolean;

  private readonly onEvent?: RegistrationEventHandler<D>;
  private readonly signal?: AbortSignal;
  private readonly context: KernelContext;
  private running = false;
  /** Run buffers from `context.allocFloat32`, released when `optimize` ends. */
  private owned: Float32Array[] = [];

  constructor(metric: SimilarityMetric<D>, options: SynOptions<D> = {}) {
    if (!metric || typeof metric.prepare !== 'function') {
      throw new InvalidArgumentError('SymmetricDiffeomorphicRegistration needs a similarity metric (for example ccMetric(dim) or ssdMetric(dim)).');
    }
    if (metric.dim !== 2 && metric.dim !== 3) {
      throw new DimensionError(`the metric's dimension must be 2 or 3; got ${String(metric.dim)}.`);
    }
    checkOptionKeys(options, SYN_OPTION_KEYS, 'SymmetricDiffeomorphicRegistration options');
    checkSynHandles(options);
    this.metric = metric;
    this.dim = metric.dim;
    const levelIters = options.levelIters ?? [100, 100, 25];
    if (!Array.isArray(levelIters) || levelIters.length === 0) {
      throw new InvalidArgumentError('levelIters must be a non-empty array of iteration counts (coarsest level first), for example [100, 100, 25].');
    }
    levelIters.forEach((n, i) => {
      if (!Number.isInteger(n) || n < 0) {
        throw new InvalidArgumentError(`levelIters[${i}] must be a non-negative integer; got ${typeof n === 'number' ? String(n) : `${JSON.stringify(n)} (a ${typeof n})`}.`);
      }
    });
    this.levelIters = [...levelIters];
    const num = (v: number | undefined, d: number, name: string, positive: boolean): number => {
      const x = v ?? d;
      if (typeof x !== 'number' || !Number.isFinite(x) || (positive ? x <= 0 : x < 0)) {
        throw new InvalidArgumentError(`${name} must be a finite ${positive ? 'positive' : 'non-negative'} number; got ${typeof x === 'number' ? String(x) : `${JSON.stringify(x)} (a ${typeof x})`}.`);
      }
      return x;
    };
    this.stepLength = num(options.stepLength, 0.25, 'stepLength', true);
    this.ssSigmaFactor = num(options.ssSigmaFactor, 0.2, 'ssSigmaFactor', false);
    if (this.ssSigmaFactor > MAX_SS_SIGMA_FACTOR) {
      // The smoothing kernel grows with sigma (in voxels): beyond this the scale space costs explode.
      throw new InvalidArgumentError(`ssSigmaFactor must be at most ${MAX_SS_SIGMA_FACTOR} (DIPY's default is 0.2); got ${this.ssSigmaFactor}, whose smoothing kernels would be far larger than any image.`);
    }
    this.optTol = num(options.optTol, 1e-5, 'optTol', false);
    this.invIter = num(options.invIter, 20, 'invIter', false);
    if (!Number.isInteger(this.invIter)) throw new InvalidArgumentError(`invIter must be an integer; got ${this.invIter}.`);
    this.invTol = num(options.invTol, 1e-3, 'invTol', false);
    this.onEvent = options.onEvent;
    this.signal = options.signal;
    this.context = options.context ?? defaultContext;
    this.keepIntermediateMaps = options.keepIntermediateMaps === true;
    this.resultInContextMemory = options.resultInContextMemory === true;
  }

  /**
   * Registers `moving` onto `static` and returns the map. The map has `isInverse = true`
   * (as DIPY's): `map.transform(moving)` warps the moving image onto the static grid and
   * `map.transformInverse(static)` warps the static image onto the moving grid.
   *
   * Rejects with {@link AbortError} if `signal` fires (checked between iterations), with
   * typed errors for bad input (dimension mismatch, non-finite voxels, singular affines,
   * images too small for the pyramid or the metric, constant images).
   *
   * Float32 input data is read in place and never modified; other types are converted
   * into private float32 copies. Do not modify the inputs while the promise is pending.
   */
  async optimize(input: OptimizeInput): Promise<DiffeomorphicMap> {
    if (this.running) throw new InvalidArgumentError('this registration is already running; create another instance for concurrent runs.');
    this.running = true;
    try {
      return await this.run(input);
    } finally {
      this.running = false;
      this.metric.releaseBuffers?.();
      // Buffers of the run that came from a backend (e.g. WebAssembly memory) go back to it;
      // everything that outlives the run was copied out before.
      for (const a of this.owned) this.context.freeFloat32(a);
      this.owned = [];
    }
  }

  /** Allocates a run buffer through the kernel context, so a backend can use it without copies. */
  private alloc(n: number): Float32Array {
    const a = this.context.allocFloat32(n);
    this.owned.push(a);
    return a;
  }

  private checkAbort(): void {
    if (this.signal?.aborted) {
      const reason = this.signal.reason as unknown;
      throw reason instanceof AbortError ? reason : new AbortError(`The registration was aborted${reason instanceof Error ? `: ${reason.message}` : ''}.`);
    }
  }

  private emit(event: RegistrationEvent<D>): void {
    this.onEvent?.(event);
  }

  private async run(input: OptimizeInput): Promise<DiffeomorphicMap> {
    const t0 = performance.now();
    const dim = this.dim;
    const ctx = this.context;
    this.checkAbort();
    if (!input || input.static === undefined || input.moving === undefined) {
      throw new InvalidArgumentError('optimize needs { static, moving } images.');
    }
    const stat = toContiguous(input.static, 'static');
    const mov = toContiguous(input.moving, 'moving');
    if (stat.shape.length !== mov.shape.length) {
      throw new DimensionError(`static is ${stat.shape.length}D ${shapeText(stat.shape)} but moving is ${mov.shape.length}D ${shapeText(mov.shape)}; register images of the same dimension.`);
    }
    if (stat.shape.length !== dim) {
      throw new DimensionError(`the metric is ${dim}D but the images are ${stat.shape.length}D ${shapeText(stat.shape)}; create the metric with dim ${stat.shape.length}.`);
    }
    // Float32 input is used as is (never modified); anything else is converted into a
    // private copy, which the scale space may then normalise in place as level 0.
    const asFloat32 = (c: { data: NumericArray; copied: boolean }) => (c.data instanceof Float32Array
      ? { data: c.data, owned: c.copied }
      : { data: Float32Array.from(c.data as ArrayLike<number>), owned: true });
    const { data: staticData, owned: staticOwned } = asFloat32(stat);
    const { data: movingData, owned: movingOwned } = asFloat32(mov);
    for (const [name, arr, shape] of [['static', staticData, stat.shape], ['moving', movingData, mov.shape]] as const) {
      if (arr.length === 0) throw new ImageTooSmallError(`the ${name} image ${shapeText(shape)} has no voxels.`);
      for (let i = 0; i < arr.length; i++) {
        if (!Number.isFinite(arr[i])) {
          throw new NonFiniteError(`the ${name} image has a non-finite voxel (${arr[i]}) at flat index ${i}; replace NaN/Inf (for example with 0) before registering.`);
        }
      }
    }
    const staticShape = stat.shape as unknown as ShapeOf<D>;
    const movingShape = mov.shape as unknown as ShapeOf<D>;
    const staticMask = input.staticMask === undefined ? null : maskOf(input.staticMask, 'staticMask', stat.shape);
    const movingMask = input.movingMask === undefined ? null : maskOf(input.movingMask, 'movingMask', mov.shape);
    const masked = staticMask !== null || movingMask !== null;
    // Fail fast on what cannot fit, before the pyramids and fields are allocated.
    checkSynMemory(stat.shape, mov.shape, this.context.backendNames.includes('wasm'));
    const staticG2W = toAffine(input.staticGridToWorld, dim, 'staticGridToWorld', true);
    const movingG2W = toAffine(input.movingGridToWorld, dim, 'movingGridToWorld', true);
    const prealign = toAffine(input.prealign, dim, 'prealign', true);

    const { spacing: staticSpacing, direction: staticDir } = getDirectionAndSpacings(staticG2W, dim);
    const { spacing: movingSpacing } = getDirectionAndSpacings(movingG2W, dim);
    const staticDirection = linearToAffine(staticDir, dim);
    const L = this.levelIters.length;
    const mask0 = this.metric.mask0 === true;

    // Lazy pyramids: a level's two images are built when the level starts and released
    // when it ends (every level image is full resolution; DIPY keeps all of them).
    const movingSS = new ScaleSpace({
      image: movingData, shape: movingShape, gridToWorld: movingG2W, spacing: movingSpacing, numLevels: L,
      sigmaFactor: this.ssSigmaFactor, mask0, context: ctx, name: 'moving', lazy: true, reuseInput: movingOwned,
    });
    const staticSS = new ScaleSpace({
      image: staticData, shape: staticShape, gridToWorld: staticG2W, spacing: staticSpacing, numLevels: L,
      sigmaFactor: this.ssSigmaFactor, mask0, context: ctx, name: 'static', lazy: true, reuseInput: staticOwned,
    });

    // Every level's reference grid must support numpy.gradient (≥ 2 voxels per axis).
    const levelShapes: ShapeOf<D>[] = [];
    for (let level = 0; level < L; level++) {
      const s = staticSS.getDomainShape(level) as unknown as ShapeOf<D>;
      levelShapes.push(s);
      if ((s as readonly number[]).some((n) => n < 2)) {
        throw new ImageTooSmallError(
          `pyramid level ${level} of the static image ${shapeText(staticShape)} has shape ${shapeText(s)}; every axis needs at least 2 voxels. Use fewer levels (levelIters has ${L} entries).`,
        );
      }
    }
    this.metric.checkLevelShapes?.(levelShapes);

    // The two half-way maps, on the coarsest reference grid, starting at the identity.
    const coarse = L - 1;
    const dispShape = staticSS.getDomainShape(coarse);
    const dispG2W = staticSS.getAffine(coarse);
    const nvox0 = (dispShape as readonly number[]).reduce((a, b) => a * b, 1);
    // Every field-sized and image-sized buffer of the run is allocated once, for the
    // largest level grid (normally the finest); a level uses views of their first values.
    // Five field buffers: the four half-way fields, and a spare that receives a field
    // when it is expanded and otherwise holds the steps and the inversions' scratch.
    const maxVox = levelShapes.reduce((m, sh) => Math.max(m, (sh as readonly number[]).reduce((a, b) => a * b, 1)), 0);
    const fieldBuf = () => this.alloc(maxVox * dim);
    let spareBuf: Float32Array = fieldBuf();
    const wsBuf = this.alloc(maxVox);
    const wmBuf = this.alloc(maxVox);
    // With masks: the midpoint mask and one warped-mask scratch image.
    const midMaskBuf = masked ? new Uint8Array(maxVox) : null;
    const maskScratch = masked ? new Float32Array(maxVox) : null;
    const staticW2G = invertAffine(staticG2W);
    const movingW2G = invertAffine(movingG2W);
    const prealignInv = prealign === null ? null : invertAffine(prealign);
    const halfBuffers = () => {
      const fwdBuf = fieldBuf();
      const bwdBuf = fieldBuf();
      return { fwdBuf, bwdBuf, forward: fwdBuf.subarray(0, nvox0 * dim), backward: bwdBuf.subarray(0, nvox0 * dim) };
    };
    const s2r: HalfMap<D> = {
      ...halfBuffers(),
      dispShape, dispG2W, dispW2G: invertAffine(dispG2W), domainW2G: staticW2G, prealignInv: null,
    };
    // DIPY stores inv(inv(prealign)) as the moving map's prealign_inv.
    const m2r: HalfMap<D> = {
      ...halfBuffers(),
      dispShape, dispG2W, dispW2G: invertAffine(dispG2W), domainW2G: movingW2G,
      prealignInv: prealignInv === null ? null : invertAffine(prealignInv),
    };

    const kernels = ctx.kernelsFor(dim);
    const { warp, compose, invert, warpNearest } = kernels;
    // 3-4. zero the step's boundary layer and divide it by its largest norm (voxels)
    const conditionStep = kernels.conditionStep;
    const resample = kernels.resampleField;

    /** Backward warp of `map` applied to `image` (on the map's domain grid), sampled on (shape, G). DIPY's `transform_inverse` of a non-inverted map. */
    const backwardWarpMatrices = (map: HalfMap<D>, G: Affine) => {
      const W = map.domainW2G;
      const A = mulAffine(map.dispW2G, G);
      const B = mulAffine(W, mulAffine(map.prealignInv, G));
      const C = mulAffine(W, map.prealignInv);
      return { A, B, C };
    };

    /** Resamples both fields of `map` onto the new grid, each into the spare buffer, which then takes the field's old buffer. */
    const expand = (map: HalfMap<D>, factors: ArrayLike<number>, newShape: ShapeOf<D>) => {
      const n = (newShape as readonly number[]).reduce((a, b) => a * b, 1) * dim;
      // the resampling writes every value, so the spare's old contents do not matter
      const f = spareBuf.subarray(0, n);
      resample(f, newShape, map.forward, map.dispShape, factors);
      [spareBuf, map.fwdBuf] = [map.fwdBuf, spareBuf];
      const b = spareBuf.subarray(0, n);
      resample(b, newShape, map.backward, map.dispShape, factors);
      [spareBuf, map.bwdBuf] = [map.bwdBuf, spareBuf];
      map.forward = f;
      map.backward = b;
      map.dispShape = newShape;
      map.dispG2W = mulAffine(map.dispG2W ?? scalingAffine(new Array<number>(dim).fill(1)), scalingAffine(factors));
      map.dispW2G = invertAffine(map.dispG2W);
    };

    const fieldsView = (shape: ShapeOf<D>): HalfwayFields<D> => ({
      shape,
      staticToRefForward: s2r.forward,
      staticToRefBackward: s2r.backward,
      movingToRefForward: m2r.forward,
      movingToRefBackward: m2r.backward,
    });

    const elapsed = () => performance.now() - t0;
    const ev = <S extends RegistrationStage>(stage: S, level: number, iteration: number) => ({
      stage, stageCode: RegistrationStages[stage], level, iteration, elapsedMs: elapsed(),
    });

    this.fullEnergyProfile = [];
    this.iterationsPerLevel = [];
    this.intermediateMaps = null;
    this.emit({ ...ev('OPT_START', -1, 0) });
    let lastYield = performance.now();

    for (let level = L - 1; level >= 0; level--) {
      const shape = staticSS.getDomainShape(level);
      const shapeD = shape;
      const G = staticSS.getAffine(level);
      const Winv = staticSS.getAffineInv(level);
      const spacing = Float64Array.from(staticSS.getSpacing(level));
      if (level < L - 1) {
        const factors = staticSS.getExpandFactors(level + 1, level);
        expand(s2r, factors, shape);
        expand(m2r, factors, shape);
      }
      const nvox = (shape as readonly number[]).reduce((a, b) => a * b, 1);
      const cap = this.levelIters[L - 1 - level];
      const staticLevelShape = staticShape;
      const movingLevelShape = movingShape;
      // The warp matrices change only when the fields are expanded (once per level).
      const ms = backwardWarpMatrices(s2r, G);
      const mm = backwardWarpMatrices(m2r, G);
      // Buffers reused by every iteration: the two warped images, and one field-sized
      // buffer (the spare) that holds the forward step, then the backward step, then
      // serves as the inversions' scratch.
      const ws = wsBuf.subarray(0, nvox);
      const wm = wmBuf.subarray(0, nvox);
      const work = spareBuf.subarray(0, nvox * dim);
      // The two level images (full resolution), placed without new memory when possible:
      // 1. in the unused tail of a pool buffer (the fields of a coarse level fill only the
      //    start of theirs), computed once for the level;
      // 2. at the finest level, for an input read in place (the caller's float32 array,
      //    whose level image is just that input normalised), recomputed every iteration
      //    (a copy and a normalisation pass) into the spare buffer, which is free until
      //    the forward step is written;
      // 3. otherwise kept by the scale space (a private float32 input is normalised in
      //    place as level 0, so that costs nothing either).
      const used = nvox * dim;
      const tails = cap === 0 ? [] : [spareBuf, s2r.fwdBuf, s2r.bwdBuf, m2r.fwdBuf, m2r.bwdBuf].map((buf) => ({ buf, end: buf.length }));
      let spareUsed = 0;
      const levelImage = (ss: ScaleSpace<D>, owned: boolean) => {
        if (cap === 0) return null;
        const n = (ss.imageShape as readonly number[]).reduce((a, b) => a * b, 1);
        const t = tails.find((x) => x.end - used >= n);
        if (t !== undefined && !(level === 0 && owned)) {
          t.end -= n;
          const data = t.buf.subarray(t.end, t.end + n);
          ss.computeImage(level, data);
          return { ss, data, recompute: false };
        }
        if (level === 0 && !owned && spareUsed + n <= used && tails[0].end === spareBuf.length) {
          const data = work.subarray(spareUsed, spareUsed + n);
          spareUsed += n;
          return { ss, data, recompute: true };
        }
        return { ss, data: ss.getImage(level), recompute: false };
      };
      const staticImg = levelImage(staticSS, staticOwned);
      const movingImg = levelImage(movingSS, movingOwned);
      const energies: number[] = [];
      let derivative = Infinity;
      let niter = 0;
      this.emit({ ...ev('SCALE_START', level, 0), shape: shapeD } as RegistrationEvent<D>);

      const dynamics = (map: HalfMap<D>, img: { ss: ScaleSpace<D>; data: Float32Array; recompute: boolean }, originalShape: ShapeOf<D>, originalG2W: Affine, mats: { A: Affine; B: Affine; C: Affine }): ImageDynamics<D> => ({
        // A recomputed image is overwritten by the steps: a metric that asks gets the stored one.
        get original() {
          return { shape: originalShape, data: img.recompute ? img.ss.getImage(level) : img.data, gridToWorld: originalG2W };
        },
        warpToReference: (data: NumericArray, interpolation: 'linear' | 'nearest'): NumericArray => {
          if (interpolation === 'linear') {
            const out = new Float32Array(nvox);
            const src = data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
            warp(out, shape, src, originalShape, map.backward, map.dispShape, mats.A, mats.B, mats.C);
            return out;
          }
          const out = new (data.constructor as new (n: number) => NumericArray)(nvox);
          warpNearest(out, shape, data, originalShape, map.backward, map.dispShape, mats.A, mats.B, mats.C);
          return out;
        },
      });
      const staticDynamics = staticImg === null ? undefined : dynamics(s2r, staticImg, staticLevelShape, staticG2W, ms);
      const movingDynamics = movingImg === null ? undefined : dynamics(m2r, movingImg, movingLevelShape, movingG2W, mm);

      while (niter < cap && this.optTol < derivative) {
        this.checkAbort();
        // 1. warp both level images onto the reference grid (every voxel is written)
        if (staticImg!.recompute) staticSS.computeImage(level, staticImg!.data);
        if (movingImg!.recompute) movingSS.computeImage(level, movingImg!.data);
        warp(ws, shape, staticImg!.data, staticLevelShape, s2r.backward, s2r.dispShape, ms.A, ms.B, ms.C);
        warp(wm, shape, movingImg!.data, movingLevelShape, m2r.backward, m2r.dispShape, mm.A, mm.B, mm.C);
        let midMask: Uint8Array | undefined;
        if (masked) {
          midMask = midMaskBuf!.subarray(0, nvox);
          midMask.fill(1);
          const tmp = maskScratch!.subarray(0, nvox);
          const carry = (m: Float32Array | null, src: ShapeOf<D>, map: HalfMap<D>, mats: { A: Affine; B: Affine; C: Affine }) => {
            if (m === null) return;
            warp(tmp, shape, m, src, map.backward, map.dispShape, mats.A, mats.B, mats.C);
            for (let i = 0; i < nvox; i++) if (!(tmp[i] > 0.5)) midMask![i] = 0;
          };
          carry(staticMask, staticShape, s2r, ms);
          carry(movingMask, movingShape, m2r, mm);
          if (!midMask.includes(1)) {
            throw new EmptyImageError(`the static and moving masks do not overlap on the reference grid at level ${level}, iteration ${niter}; check that the masks belong to their images and that the images are roughly aligned (use prealign).`);
          }
        }

        // 2. the metric's step object for this iteration
        const inputs: MetricInputs<D> = {
          dim,
          shape: shapeD,
          static: ws,
          moving: wm,
          gridToWorld: G,
          spacing,
          direction: staticDirection,
          level,
          levelsBelow: L - level,
          levelsAbove: level,
          context: ctx,
          staticDynamics,
          movingDynamics,
          ...(midMask === undefined ? {} : { mask: midMask }),
        };
        const step = this.metric.prepare(inputs);
        let fwEnergy: number;
        let bwEnergy: number;
        try {
          this.emit({ ...ev('ITER_START', level, niter), staticWarped: { shape: shapeD, data: ws }, movingWarped: { shape: shapeD, data: wm } } as RegistrationEvent<D>);
          // 3-5. forward step (metrics write every value of `out`, so no clearing)
          fwEnergy = step.forward(work);
          if (midMask !== undefined) maskStep(work, midMask, dim);
          conditionStep(work, shape, spacing);
          compose(s2r.forward, s2r.forward, shape, work, shape, null, Winv, this.stepLength, false);
          // backward step
          bwEnergy = step.backward(work);
          if (midMask !== undefined) maskStep(work, midMask, dim);
          conditionStep(work, shape, spacing);
          compose(m2r.forward, m2r.forward, shape, work, shape, null, Winv, this.stepLength, false);
        } finally {
          // The metric is done once both steps exist (DIPY frees it only after the
          // inversions; the numbers do not depend on it).
          step.dispose();
        }

        // 6. convergence value on the previous energies, then record this one
        const der = energies.length >= WINDOW ? energyDerivative(energies) : Infinity;
        const energy = fwEnergy + bwEnergy;
        if (!Number.isFinite(energy)) {
          throw new NonFiniteError(`the ${this.metric.name} metric returned a non-finite energy (${energy}) at level ${level}, iteration ${niter}; check the images for constant or empty regions.`);
        }
        energies.push(energy);

        // 7. the four warm-started inversions, in DIPY's order (the step buffer is free: scratch)
        invert(s2r.backward, s2r.forward, shape, Winv, spacing, this.invIter, this.invTol, work);
        invert(m2r.backward, m2r.forward, shape, Winv, spacing, this.invIter, this.invTol, work);
        invert(s2r.forward, s2r.backward, shape, Winv, spacing, this.invIter, this.invTol, work);
        invert(m2r.forward, m2r.backward, shape, Winv, spacing, this.invIter, this.invTol, work);

        this.emit({
          ...ev('ITER_END', level, niter), energy, derivative: der,
          staticWarped: { shape: shapeD, data: ws }, movingWarped: { shape: shapeD, data: wm }, fields: fieldsView(shapeD),
        } as RegistrationEvent<D>);
        derivative = der;
        niter++;
        if (performance.now() - lastYield > 20) {
          await yieldToEventLoop();
          lastYield = performance.now();
        }
      }
      // This level's pyramid images and metric buffers are not needed any more.
      staticSS.release(level);
      movingSS.release(level);
      this.metric.releaseBuffers?.();
      this.fullEnergyProfile.push(...energies);
      this.iterationsPerLevel.push(niter);
      // The next level overwrites ws and wm, and run buffers are released when optimize
      // ends, so the event gets copies unless the view is the whole of an ordinary array
      // that nothing writes any more (after the finest level).
      // (No listener, no copies: they would be two images on top of the run's peak.)
      if (this.onEvent !== undefined) {
        const img = (d: Float32Array): LevelImage<D> => ({ shape: shapeD, data: level > 0 || !ownsWholeBuffer(d) ? d.slice() : d });
        this.emit({
          ...ev('SCALE_END', level, niter), energies: [...energies],
          staticWarped: niter > 0 ? img(ws) : null, movingWarped: niter > 0 ? img(wm) : null, fields: fieldsView(shapeD),
        } as RegistrationEvent<D>);
      }
    }
    this.checkAbort();

    // Final composition: static_to_moving = moving_to_ref.warp_endomorphism(static_to_ref.inverse()).inverse().
    // Without keepIntermediateMaps the two results overwrite the half-way forward fields
    // (compose may write over its first field; neither result is read by the other).
    const finalShape = m2r.dispShape;
    const nFinal = (finalShape as readonly number[]).reduce((a, b) => a * b, 1) * dim;
    const keep = this.keepIntermediateMaps;
    let F = keep ? new Float32Array(nFinal) : m2r.forward;
    let B = keep ? new Float32Array(nFinal) : s2r.forward;
    compose(F, m2r.forward, finalShape, s2r.backward, finalShape, null, m2r.dispW2G, 1, false);
    compose(B, s2r.forward, finalShape, m2r.backward, finalShape, null, m2r.dispW2G, 1, false);
    // A view shorter than its buffer (a coarse level had the largest grid, or the buffer is
    // a backend's memory, released when optimize ends) is copied out; with
    // resultInContextMemory, a result filling a whole run buffer stays where it is and
    // the map owns that buffer (released by map.dispose()).
    let handedOver = false;
    const handOver = (view: Float32Array, buf: Float32Array): Float32Array => {
      if (!keep && this.resultInContextMemory && view.length === buf.length && view.buffer === buf.buffer && view.byteOffset === buf.byteOffset) {
        const i = this.owned.indexOf(buf);
        if (i >= 0) {
          this.owned.splice(i, 1);
          handedOver = true;
          return buf;
        }
      }
      return ownsWholeBuffer(view) ? view : view.slice();
    };
    F = handOver(F, m2r.fwdBuf);
    B = handOver(B, s2r.fwdBuf);

    const mapOf = (h: HalfMap<D>, domainShape: readonly number[], domainG2W: Affine, prealignOfMap: Affine) => {
      const m = new DiffeomorphicMap({
        dim, dispShape: h.dispShape, dispGridToWorld: h.dispG2W,
        domainShape, domainGridToWorld: domainG2W,
        codomainShape: staticShape, codomainGridToWorld: staticG2W,
        prealign: prealignOfMap,
      });
      return m;
    };
    if (keep) {
      const own = (a: Float32Array) => (ownsWholeBuffer(a) ? a : a.slice());
      const staticToRef = mapOf(s2r, staticShape, staticG2W, null);
      staticToRef.forward = own(s2r.forward);
      staticToRef.backward = own(s2r.backward);
      const movingToRef = mapOf(m2r, movingShape, movingG2W, prealignInv);
      movingToRef.forward = own(m2r.forward);
      movingToRef.backward = own(m2r.backward);
      this.intermediateMaps = { staticToRef, movingToRef };
    }

    const result = mapOf(m2r, movingShape, movingG2W, prealignInv);
    result.forward = F;
    result.backward = B;
    // Fields left in the context's memory: the map transforms with (and disposes into) that context.
    if (handedOver) result.context = ctx;
    // Drop the half-way fields not owned by the result (or by intermediateMaps).
    s2r.forward = s2r.backward = m2r.forward = m2r.backward = EMPTY_FIELD;
    s2r.fwdBuf = s2r.bwdBuf = m2r.fwdBuf = m2r.bwdBuf = spareBuf = EMPTY_FIELD;
    const inverted = result.inverse();
    this.emit({ ...ev('OPT_END', -1, 0), fullEnergyProfile: [...this.fullEnergyProfile], iterationsPerLevel: [...this.iterationsPerLevel] } as RegistrationEvent<D>);
    return inverted;
  }
}
