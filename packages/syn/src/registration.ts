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
 * 6. re-inverts the four fields by warm-started fixed-point iteration (option
 *    `inversionMode: 'backward-only'`, an opt-in faster mode that is not DIPY's: only the
 *    two backward fields).
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
import { RunBuffers, ownsWholeBuffer, type PlacedLevelImage } from './run-buffers.js';
import {
  AbortError,
  DiffeomorphicMap,
  DimensionError,
  EmptyImageError,
  ShapeMismatchError,
  ImageTooSmallError,
  InvalidArgumentError,
  checkOptionKeys,
  describeValue,
  nonFiniteText,
  NonFiniteError,
  defaultContext,
  getDirectionAndSpacings,
  invertAffine,
  isVolume,
  linearToAffine,
  toAffine,
  toContiguous,
  type Affine,
  type AffineLike,
  type Dim,
  type DimKernels,
  type ImageDynamics,
  type ImageInput,
  type KernelContext,
  type MetricInputs,
  type NumericArray,
  type ShapeOf,
  type Volume,
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
  /**
   * Which fields are re-inverted after each iteration's update (step 6 of the module
   * documentation). `'dipy'` (default): DIPY's four inversions — each backward field
   * from its updated forward field, then each forward field again from its new
   * backward field; the results are DIPY 1.6's bit for bit. `'backward-only'` (opt-in
   * faster mode, **not DIPY's arithmetic**): only the two backward fields are
   * inverted; each forward field keeps its composed update. About 35–45 % fewer
   * inversion passes on the bench's 2D and small 3D cases (fewer on others); the
   * number of iterations per level and the result change (the bench's quality scores
   * stayed within about 0.3 % of DIPY's or above them, see the README's benchmark section).
   */
  inversionMode?: 'dipy' | 'backward-only';
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
  /**
   * Static (reference) image: an ndarray, `{data, shape}` or a {@link Volume} `{data, shape, gridToWorld}`,
   * 2D `(rows, cols)` or 3D `(slices, rows, cols)`. Converted to float32.
   */
  static: ImageInput | Volume;
  /** Moving image, same dimension as `static` (its shape may differ); an ndarray, `{data, shape}` or a {@link Volume}. */
  moving: ImageInput | Volume;
  /**
   * Grid-to-world affine of the static image (`(d+1)×(d+1)`, world units usually mm); default: the
   * static Volume's `gridToWorld`, else identity (world units = voxels). Given, it wins over the Volume's.
   */
  staticGridToWorld?: AffineLike;
  /** Grid-to-world affine of the moving image; default: the moving Volume's `gridToWorld`, else identity. */
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

const WINDOW = 12;

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

/**
 * Lets the event loop run (a message such as a cancel can arrive): `setImmediate` in
 * Node; in browsers a message through a fresh `MessageChannel`, not `setTimeout(0)`,
 * which browsers clamp to 4 ms once timers nest (about 4 ms lost per yield, some 15%
 * of a registration whose iterations are short).
 */
function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { setImmediate?: (cb: () => void) => unknown };
  if (g.setImmediate) return new Promise((resolve) => g.setImmediate!(resolve));
  if (typeof MessageChannel === 'function') {
    return new Promise((resolve) => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => {
        ch.port1.close();
        resolve();
      };
      ch.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * The flat index of the first NaN or ±∞ of `a`, or −1. A function of its own, called
 * with float32 arrays only: the JIT optimises its loop early, where the same loop
 * inside the long `initOptimizer` ran unoptimised for most of a large image.
 */
function firstNonFinite(a: Float32Array): number {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return i;
  return -1;
}

function shapeText(s: readonly number[]): string {
  return `(${s.join(', ')})`;
}


/** Largest accepted `ssSigmaFactor`: sigma = factor·(2^level − 1) voxels, so 10 already blurs level 3 by 70 voxels. */
const MAX_SS_SIGMA_FACTOR = 10;

const SYN_OPTION_KEYS = [
  'levelIters', 'stepLength', 'ssSigmaFactor', 'optTol', 'invIter', 'invTol', 'onEvent', 'signal', 'context',
  'keepIntermediateMaps', 'resultInContextMemory', 'inversionMode',
] as const;

/** The function- and object-valued options, checked when the registration is built rather than failing inside `optimize`. */
/**
 * A metric brought by the caller must have every member SyN calls: `prepare` (a function),
 * `name` (a string), `mask0` (a boolean), and, when present, `checkLevelShapes` and
 * `releaseBuffers` as functions. Checked in the constructor, naming the missing member,
 * rather than failing as a TypeError in the middle of a run.
 */
function checkMetricMembers(metric: object): void {
  const m = metric as Record<string, unknown>;
  const label = typeof m.name === 'string' ? `the metric "${m.name}"` : 'the metric';
  const how = 'implement SimilarityMetric (see @diffeo/core metric.ts) or use ccMetric/ssdMetric/emMetric';
  if (typeof m.prepare !== 'function') {
    throw new InvalidArgumentError(`${label} has no prepare(inputs) method (got ${typeof m.prepare}); ${how}.`);
  }
  if (typeof m.name !== 'string') throw new InvalidArgumentError(`the metric has no name (a string, for example "CC"; got ${typeof m.name}); ${how}.`);
  if (typeof m.mask0 !== 'boolean') throw new InvalidArgumentError(`${label} has no mask0 (a boolean; got ${typeof m.mask0}); ${how}.`);
  for (const optional of ['checkLevelShapes', 'releaseBuffers'] as const) {
    if (m[optional] !== undefined && typeof m[optional] !== 'function') {
      throw new InvalidArgumentError(`${label}'s ${optional} must be a method when given; got ${typeof m[optional]}.`);
    }
  }
}

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
  /** Which fields are re-inverted every iteration (option `inversionMode`). */
  readonly inversionMode: 'dipy' | 'backward-only';
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
  /** The buffers of the running optimisation (released when `optimize` ends). */
  private runBuffers: RunBuffers<D> | null = null;
  /** Private float32 copies of non-float32 inputs (from the context; freed when the run ends). */
  private inputCopies: Float32Array[] = [];

  constructor(metric: SimilarityMetric<D>, options: SynOptions<D> = {}) {
    if (metric === null || typeof metric !== 'object') {
      throw new InvalidArgumentError(`SymmetricDiffeomorphicRegistration needs a similarity metric (for example ccMetric(dim) or ssdMetric(dim)); got ${metric === null ? 'null' : typeof metric}.`);
    }
    checkMetricMembers(metric);
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
        throw new InvalidArgumentError(`levelIters[${i}] must be a non-negative integer; got ${describeValue(n)}.`);
      }
    });
    this.levelIters = [...levelIters];
    const num = (v: number | undefined, d: number, name: string, positive: boolean): number => {
      const x = v ?? d;
      if (typeof x !== 'number' || !Number.isFinite(x) || (positive ? x <= 0 : x < 0)) {
        throw new InvalidArgumentError(`${name} must be a finite ${positive ? 'positive' : 'non-negative'} number; got ${describeValue(x)}.`);
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
    const mode = options.inversionMode ?? 'dipy';
    if (mode !== 'dipy' && mode !== 'backward-only') {
      throw new InvalidArgumentError(`inversionMode must be 'dipy' (default, DIPY's results) or 'backward-only' (faster, not DIPY's arithmetic); got ${describeValue(mode)}.`);
    }
    this.inversionMode = mode;
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
    // The kernels are fixed for the whole run: use()/remove() on the context throw ContextFrozenError until it ends.
    const releaseContext = this.context.hold('a running SymmetricDiffeomorphicRegistration.optimize');
    let run: RunState<D> | null = null;
    try {
      run = this.initOptimizer(input);
      await this.optimizeLevels(run);
      return this.composeResult(run);
    } finally {
      this.running = false;
      this.endOptimizer(run);
      releaseContext();
    }
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

  /** The common part of every event. */
  private stamp<S extends RegistrationStage>(run: RunState<D>, stage: S, level: number, iteration: number) {
    return { stage, stageCode: RegistrationStages[stage], level, iteration, elapsedMs: performance.now() - run.startTime };
  }

  /**
   * DIPY's `_init_optimizer`: checks the input, builds the two (lazy) scale spaces, the
   * run buffers and the two half-way maps at the identity on the coarsest reference grid.
   */
  private initOptimizer(input: OptimizeInput): RunState<D> {
    const startTime = performance.now();
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
    // private copy, which the scale space may then normalise in place as level 0. The copy
    // comes from the context (a backend's memory, as the run buffers), so the finest
    // level's warps read it in place instead of copying it in every iteration; the same
    // float32 values as Float32Array.from (set rounds each value the same way).
    const asFloat32 = (c: { data: NumericArray; copied: boolean }) => {
      if (c.data instanceof Float32Array) return { data: c.data, isPrivate: c.copied };
      const data = ctx.allocFloat32(c.data.length);
      this.inputCopies.push(data);
      data.set(c.data as ArrayLike<number>);
      return { data, isPrivate: true };
    };
    const { data: staticData, isPrivate: staticIsPrivate } = asFloat32(stat);
    const { data: movingData, isPrivate: movingIsPrivate } = asFloat32(mov);
    for (const [name, arr, shape] of [['static', staticData, stat.shape], ['moving', movingData, mov.shape]] as const) {
      if (arr.length === 0) throw new ImageTooSmallError(`the ${name} image ${shapeText(shape)} has no voxels.`);
      const i = firstNonFinite(arr);
      if (i >= 0) {
        throw new NonFiniteError(`the ${name} image has a non-finite voxel at flat index ${i}: ${nonFiniteText(Number((name === 'static' ? stat : mov).data[i]), arr[i])}.`);
      }
    }
    const staticShape = stat.shape as unknown as ShapeOf<D>;
    const movingShape = mov.shape as unknown as ShapeOf<D>;
    const staticMask = input.staticMask === undefined ? null : maskOf(input.staticMask, 'staticMask', stat.shape);
    const movingMask = input.movingMask === undefined ? null : maskOf(input.movingMask, 'movingMask', mov.shape);
    // Fail fast on what cannot fit, before the pyramids and fields are allocated.
    checkSynMemory(stat.shape, mov.shape, ctx.backendNames.includes('wasm'));
    // An explicit affine wins; else a Volume's own (null = identity).
    const gridOf = (explicit: AffineLike | undefined, image: ImageInput | Volume): AffineLike | undefined =>
      (explicit !== undefined ? explicit : isVolume(image) ? image.gridToWorld : undefined);
    const staticGridToWorld = toAffine(gridOf(input.staticGridToWorld, input.static), dim, 'staticGridToWorld', true);
    const movingGridToWorld = toAffine(gridOf(input.movingGridToWorld, input.moving), dim, 'movingGridToWorld', true);
    const prealign = toAffine(input.prealign, dim, 'prealign', true);

    const { spacing: staticSpacing, direction: staticDir } = getDirectionAndSpacings(staticGridToWorld, dim);
    const { spacing: movingSpacing } = getDirectionAndSpacings(movingGridToWorld, dim);
    const levels = this.levelIters.length;
    const mask0 = this.metric.mask0 === true;

    // Lazy pyramids: a level's two images are built when the level starts and released
    // when it ends (every level image is full resolution; DIPY keeps all of them).
    const movingSS = new ScaleSpace({
      image: movingData, shape: movingShape, gridToWorld: movingGridToWorld, spacing: movingSpacing, numLevels: levels,
      sigmaFactor: this.ssSigmaFactor, mask0, context: ctx, name: 'moving', lazy: true, reuseInput: movingIsPrivate,
    });
    const staticSS = new ScaleSpace({
      image: staticData, shape: staticShape, gridToWorld: staticGridToWorld, spacing: staticSpacing, numLevels: levels,
      sigmaFactor: this.ssSigmaFactor, mask0, context: ctx, name: 'static', lazy: true, reuseInput: staticIsPrivate,
    });

    // Every level's reference grid must support numpy.gradient (≥ 2 voxels per axis).
    const levelShapes: ShapeOf<D>[] = [];
    for (let level = 0; level < levels; level++) {
      const shape = staticSS.getDomainShape(level) as unknown as ShapeOf<D>;
      levelShapes.push(shape);
      if ((shape as readonly number[]).some((n) => n < 2)) {
        throw new ImageTooSmallError(
          `pyramid level ${level} of the static image ${shapeText(staticShape)} has shape ${shapeText(shape)}; every axis needs at least 2 voxels. Use fewer levels (levelIters has ${levels} entries).`,
        );
      }
    }
    this.metric.checkLevelShapes?.(levelShapes);

    // Every buffer of the run, sized for the largest level grid (normally the finest).
    const maxVox = levelShapes.reduce((m, sh) => Math.max(m, (sh as readonly number[]).reduce((a, b) => a * b, 1)), 0);
    const buffers = new RunBuffers<D>(ctx, dim, maxVox);

    // The two half-way maps (DIPY's static_to_ref and moving_to_ref), on the coarsest
    // reference grid, at the identity. The moving map carries DIPY's inv(prealign).
    const coarsest = levels - 1;
    const dispShape = staticSS.getDomainShape(coarsest) as unknown as ShapeOf<D>;
    const dispGridToWorld = staticSS.getAffine(coarsest);
    const halfwayMap = (domainShape: ShapeOf<D>, domainGridToWorld: Affine, mapPrealign: Affine): DiffeomorphicMap<D> => {
      const map = new DiffeomorphicMap<D>({
        dim, dispShape, dispGridToWorld, domainShape, domainGridToWorld,
        codomainShape: staticShape, codomainGridToWorld: staticGridToWorld, prealign: mapPrealign, context: ctx,
      });
      const n = buffers.fieldValues(dispShape);
      map.forward = buffers.take(n).fill(0);
      map.backward = buffers.take(n).fill(0);
      return map;
    };
    const staticToRef = halfwayMap(staticShape, staticGridToWorld, null);
    const movingToRef = halfwayMap(movingShape, movingGridToWorld, prealign === null ? null : invertAffine(prealign));

    const kernels = ctx.kernelsFor(dim);
    this.fullEnergyProfile = [];
    this.iterationsPerLevel = [];
    this.intermediateMaps = null;
    const run: RunState<D> = {
      startTime, levels, kernels, buffers, staticSS, movingSS, staticIsPrivate, movingIsPrivate,
      staticShape, movingShape, staticGridToWorld, movingGridToWorld,
      staticDirection: linearToAffine(staticDir, dim), staticToRef, movingToRef, lastYield: performance.now(),
      masks: staticMask === null && movingMask === null ? null
        : { static: staticMask, moving: movingMask, mid: new Uint8Array(maxVox), scratch: new Float32Array(maxVox) },
    };
    this.runBuffers = buffers;
    return run;
  }

  /** DIPY's `_optimize`: the levels, coarsest first, each iterated to its cap or to convergence. */
  private async optimizeLevels(run: RunState<D>): Promise<void> {
    this.emit({ ...this.stamp(run, 'OPT_START', -1, 0) });
    for (let level = run.levels - 1; level >= 0; level--) {
      const lvl = this.initLevel(run, level);
      this.emit({ ...this.stamp(run, 'SCALE_START', level, 0), shape: lvl.shape } as RegistrationEvent<D>);
      let derivative = Infinity;
      while (lvl.iterations < lvl.cap && this.optTol < derivative) {
        this.checkAbort();
        derivative = this.iterate(run, lvl);
        lvl.iterations++;
        if (performance.now() - run.lastYield > 20) {
          await yieldToEventLoop();
          run.lastYield = performance.now();
        }
      }
      this.endLevel(run, lvl);
    }
    this.checkAbort();
  }

  /**
   * Starts a level: expands the half-way fields onto its reference grid (not at the
   * coarsest level; the spare buffer receives each field, DIPY's `expand_fields`), forms
   * the warp matrices (they change only here), and places the two level images.
   */
  private initLevel(run: RunState<D>, level: number): LevelState<D> {
    const { staticSS, movingSS, buffers, staticToRef, movingToRef } = run;
    const shape = staticSS.getDomainShape(level) as unknown as ShapeOf<D>;
    const refGridToWorld = staticSS.getAffine(level);
    if (level < run.levels - 1) {
      const factors = staticSS.getExpandFactors(level + 1, level);
      const options = { buffers };
      staticToRef.expandFields(factors, shape, options);
      movingToRef.expandFields(factors, shape, options);
    }
    const nvox = (shape as readonly number[]).reduce((a, b) => a * b, 1);
    const cap = this.levelIters[run.levels - 1 - level];
    const fieldValues = nvox * this.dim;
    buffers.beginLevel(fieldValues, cap > 0);
    const staticImage = cap === 0 ? null : buffers.placeLevelImage(staticSS, level, run.staticIsPrivate);
    const movingImage = cap === 0 ? null : buffers.placeLevelImage(movingSS, level, run.movingIsPrivate);
    const lvl: LevelState<D> = {
      level, shape, nvox, cap, refGridToWorld,
      refWorldToGrid: staticSS.getAffineInv(level),
      spacing: Float64Array.from(staticSS.getSpacing(level)),
      staticWarpMatrices: staticToRef.warpMatrices('backward', refGridToWorld),
      movingWarpMatrices: movingToRef.warpMatrices('backward', refGridToWorld),
      staticWarped: buffers.staticWarpedBuffer.subarray(0, nvox),
      movingWarped: buffers.movingWarpedBuffer.subarray(0, nvox),
      step: buffers.spare(fieldValues),
      staticImage, movingImage,
      staticDynamics: undefined, movingDynamics: undefined,
      energies: [], iterations: 0,
    };
    if (staticImage !== null && movingImage !== null) {
      lvl.staticDynamics = this.dynamics(run, lvl, staticToRef, staticImage, run.staticShape, run.staticGridToWorld, lvl.staticWarpMatrices);
      lvl.movingDynamics = this.dynamics(run, lvl, movingToRef, movingImage, run.movingShape, run.movingGridToWorld, lvl.movingWarpMatrices);
    }
    return lvl;
  }

  /** What a metric may ask about one image at this level: its original and warps of other data onto the reference grid. */
  private dynamics(run: RunState<D>, lvl: LevelState<D>, map: DiffeomorphicMap<D>, image: PlacedLevelImage<D>, originalShape: ShapeOf<D>,
    originalGridToWorld: Affine, mats: WarpMatrices): ImageDynamics<D> {
    const { warp, warpNearest } = run.kernels;
    const { level, shape, nvox } = lvl;
    return {
      // A recomputed image is overwritten by the steps: a metric that asks gets it computed
      // again, into an array of its own (not kept by the pyramid, which would hold the
      // finest level's image for the rest of the run).
      get original() {
        let data = image.data;
        if (image.recompute) {
          data = new Float32Array(image.data.length);
          image.ss.computeImage(level, data);
        }
        return { shape: originalShape, data, gridToWorld: originalGridToWorld };
      },
      warpToReference: (data: NumericArray, interpolation: 'linear' | 'nearest', into?: NumericArray): NumericArray => {
        const field = map.backward!;
        if (into !== undefined && (into === null || into.length !== nvox || (interpolation === 'linear' && !(into instanceof Float32Array)))) {
          throw new ShapeMismatchError(`warpToReference: out must be ${interpolation === 'linear' ? 'a Float32Array' : 'an array'} of ${nvox} values (the reference grid ${shapeText(shape)}).`);
        }
        if (interpolation === 'linear') {
          const out = (into as Float32Array | undefined) ?? new Float32Array(nvox);
          const src = data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
          warp(out, shape, src, originalShape, field, map.dispShape, mats.A, mats.B, mats.C);
          return out;
        }
        const out = into ?? new (data.constructor as new (n: number) => NumericArray)(nvox);
        warpNearest(out, shape, data, originalShape, field, map.dispShape, mats.A, mats.B, mats.C);
        return out;
      },
    };
  }

  /**
   * The midpoint mask of this iteration: each user mask carried onto the reference grid
   * by its half-map's backward warp (as its image), linear, thresholded at > 0.5; their product.
   * @throws EmptyImageError when it is empty (the masks do not overlap).
   */
  private midpointMask(run: RunState<D>, lvl: LevelState<D>, masks: RunMasks): Uint8Array {
    const { warp } = run.kernels;
    const { shape, nvox } = lvl;
    const mid = masks.mid.subarray(0, nvox).fill(1);
    const tmp = masks.scratch.subarray(0, nvox);
    const carry = (m: Float32Array | null, src: ShapeOf<D>, map: DiffeomorphicMap<D>, w: WarpMatrices) => {
      if (m === null) return;
      warp(tmp, shape, m, src, map.backward!, map.dispShape, w.A, w.B, w.C);
      for (let i = 0; i < nvox; i++) if (!(tmp[i] > 0.5)) mid[i] = 0;
    };
    carry(masks.static, run.staticShape, run.staticToRef, lvl.staticWarpMatrices);
    carry(masks.moving, run.movingShape, run.movingToRef, lvl.movingWarpMatrices);
    if (!mid.includes(1)) {
      throw new EmptyImageError(`the static and moving masks do not overlap on the reference grid at level ${lvl.level}, iteration ${lvl.iterations}; check that the masks belong to their images and that the images are roughly aligned (use prealign).`);
    }
    return mid;
  }

  /**
   * DIPY's `_iterate`, one symmetric iteration: warp both level images onto the
   * reference grid, take the metric's forward and backward steps, condition them (zero
   * boundary layer, normalised by the largest norm in voxels), compose them into the
   * forward fields, then re-invert the four fields ({@link invertModels}).
   * @returns the convergence value of the energies before this iteration's.
   */
  private iterate(run: RunState<D>, lvl: LevelState<D>): number {
    const { kernels: { warp, compose, conditionStep }, staticToRef, movingToRef, staticSS, movingSS } = run;
    const { level, shape, spacing, refWorldToGrid, staticWarped, movingWarped, step: stepField } = lvl;
    const staticImage = lvl.staticImage!;
    const movingImage = lvl.movingImage!;
    const sm = lvl.staticWarpMatrices;
    const mm = lvl.movingWarpMatrices;
    // 1. warp both level images onto the reference grid (every voxel is written)
    if (staticImage.recompute) staticSS.computeImage(level, staticImage.data);
    if (movingImage.recompute) movingSS.computeImage(level, movingImage.data);
    warp(staticWarped, shape, staticImage.data, run.staticShape, staticToRef.backward!, staticToRef.dispShape, sm.A, sm.B, sm.C);
    warp(movingWarped, shape, movingImage.data, run.movingShape, movingToRef.backward!, movingToRef.dispShape, mm.A, mm.B, mm.C);
    const midMask = run.masks === null ? undefined : this.midpointMask(run, lvl, run.masks);

    // 2. the metric's step object for this iteration
    const inputs: MetricInputs<D> = {
      dim: this.dim,
      shape,
      static: staticWarped,
      moving: movingWarped,
      gridToWorld: lvl.refGridToWorld,
      spacing,
      direction: run.staticDirection,
      level,
      levelsBelow: run.levels - level,
      levelsAbove: level,
      context: this.context,
      staticDynamics: lvl.staticDynamics,
      movingDynamics: lvl.movingDynamics,
      // Finite by construction (checked inputs → finite pyramid images → linear warps with
      // weights in [0, 1]): the metric need not scan both images again every iteration.
      checkedFinite: true,
      ...(midMask === undefined ? {} : { mask: midMask }),
    };
    const metricStep = this.metric.prepare(inputs);
    let fwEnergy: number;
    let bwEnergy: number;
    try {
      // (no listener, no event objects: they would be garbage of every iteration)
      if (this.onEvent !== undefined) {
        this.emit({
          ...this.stamp(run, 'ITER_START', level, lvl.iterations), staticWarped: { shape, data: staticWarped }, movingWarped: { shape, data: movingWarped },
        } as RegistrationEvent<D>);
      }
      // 3-5. forward step (metrics write every value of `out`, so no clearing)
      fwEnergy = metricStep.forward(stepField);
      if (midMask !== undefined) maskStep(stepField, midMask, this.dim);
      conditionStep(stepField, shape, spacing);
      compose(staticToRef.forward!, staticToRef.forward!, shape, stepField, shape, null, refWorldToGrid, this.stepLength, false);
      // backward step
      bwEnergy = metricStep.backward(stepField);
      if (midMask !== undefined) maskStep(stepField, midMask, this.dim);
      conditionStep(stepField, shape, spacing);
      compose(movingToRef.forward!, movingToRef.forward!, shape, stepField, shape, null, refWorldToGrid, this.stepLength, false);
    } finally {
      // The metric is done once both steps exist (DIPY frees it only after the
      // inversions; the numbers do not depend on it).
      metricStep.dispose();
    }

    // 6. convergence value on the previous energies, then record this one
    const derivative = lvl.energies.length >= WINDOW ? energyDerivative(lvl.energies) : Infinity;
    const energy = fwEnergy + bwEnergy;
    if (!Number.isFinite(energy)) {
      throw new NonFiniteError(`the ${this.metric.name} metric returned a non-finite energy (${energy}) at level ${level}, iteration ${lvl.iterations}; check the images for constant or empty regions.`);
    }
    lvl.energies.push(energy);

    this.invertModels(run, lvl);

    if (this.onEvent !== undefined) {
      this.emit({
        ...this.stamp(run, 'ITER_END', level, lvl.iterations), energy, derivative,
        staticWarped: { shape, data: staticWarped }, movingWarped: { shape, data: movingWarped }, fields: halfwayFields(run, shape),
      } as RegistrationEvent<D>);
    }
    return derivative;
  }

  /**
   * DIPY's `__invert_models`: the four warm-started inversions, in DIPY's order (the step
   * buffer is their scratch); with `inversionMode: 'backward-only'`, only the first two.
   */
  private invertModels(run: RunState<D>, lvl: LevelState<D>): void {
    const { invert } = run.kernels;
    const { shape, refWorldToGrid, spacing, step: scratch } = lvl;
    const s2r = run.staticToRef;
    const m2r = run.movingToRef;
    invert(s2r.backward!, s2r.forward!, shape, refWorldToGrid, spacing, this.invIter, this.invTol, scratch);
    invert(m2r.backward!, m2r.forward!, shape, refWorldToGrid, spacing, this.invIter, this.invTol, scratch);
    if (this.inversionMode === 'backward-only') return;
    invert(s2r.forward!, s2r.backward!, shape, refWorldToGrid, spacing, this.invIter, this.invTol, scratch);
    invert(m2r.forward!, m2r.backward!, shape, refWorldToGrid, spacing, this.invIter, this.invTol, scratch);
  }

  /** Ends a level: releases its pyramid images and metric buffers, records its energies, emits SCALE_END. */
  private endLevel(run: RunState<D>, lvl: LevelState<D>): void {
    const { level, shape, iterations } = lvl;
    run.staticSS.release(level);
    run.movingSS.release(level);
    this.metric.releaseBuffers?.();
    this.fullEnergyProfile.push(...lvl.energies);
    this.iterationsPerLevel.push(iterations);
    // The next level overwrites the warped images, and run buffers are released when
    // optimize ends, so the event gets copies unless the view is the whole of an
    // ordinary array that nothing writes any more (after the finest level).
    // (No listener, no copies: they would be two images on top of the run's peak.)
    if (this.onEvent !== undefined) {
      const img = (d: Float32Array): LevelImage<D> => ({ shape, data: level > 0 || !ownsWholeBuffer(d) ? d.slice() : d });
      this.emit({
        ...this.stamp(run, 'SCALE_END', level, iterations), energies: [...lvl.energies],
        staticWarped: iterations > 0 ? img(lvl.staticWarped) : null, movingWarped: iterations > 0 ? img(lvl.movingWarped) : null,
        fields: halfwayFields(run, shape),
      } as RegistrationEvent<D>);
    }
  }

  /**
   * The end of DIPY's `_optimize`: static_to_moving =
   * `moving_to_ref.warp_endomorphism(static_to_ref.inverse()).inverse()`, on the finest
   * reference grid. Without `keepIntermediateMaps` the two result fields overwrite the
   * half-way forward fields (compose may write over its first field; neither result is
   * read by the other), and their memory is handed over by the run buffers.
   */
  private composeResult(run: RunState<D>): DiffeomorphicMap {
    const { compose } = run.kernels;
    const { staticToRef, movingToRef, buffers } = run;
    const finalShape = movingToRef.dispShape;
    const keep = this.keepIntermediateMaps;
    const n = buffers.fieldValues(finalShape);
    const composedForward = keep ? new Float32Array(n) : movingToRef.forward!;
    const composedBackward = keep ? new Float32Array(n) : staticToRef.forward!;
    compose(composedForward, movingToRef.forward!, finalShape, staticToRef.backward!, finalShape, null, movingToRef.dispWorldToGrid, 1, false);
    compose(composedBackward, staticToRef.forward!, finalShape, movingToRef.backward!, finalShape, null, movingToRef.dispWorldToGrid, 1, false);
    // A view shorter than its buffer (a coarse level had the largest grid, or the buffer is
    // a backend's memory, released when optimize ends) is copied out; with
    // resultInContextMemory, a result filling a whole run buffer stays where it is and
    // the map owns that buffer (released by map.dispose()).
    const inContext = !keep && this.resultInContextMemory;
    const forward = buffers.handOver(composedForward, inContext);
    const backward = buffers.handOver(composedBackward, inContext);

    if (keep) {
      const own = (a: Float32Array) => (ownsWholeBuffer(a) ? a : a.slice());
      for (const map of [staticToRef, movingToRef]) {
        map.forward = own(map.forward!);
        map.backward = own(map.backward!);
      }
      this.intermediateMaps = { staticToRef, movingToRef };
    }

    // Fields left in the context's memory: the map transforms with (and disposes into) that context.
    const inContextMemory = forward.inContextMemory || backward.inContextMemory;
    const result = new DiffeomorphicMap<D>({
      dim: this.dim, dispShape: finalShape, dispGridToWorld: movingToRef.dispGridToWorld,
      domainShape: run.movingShape, domainGridToWorld: run.movingGridToWorld,
      codomainShape: run.staticShape, codomainGridToWorld: run.staticGridToWorld,
      prealign: movingToRef.prealign, context: inContextMemory ? this.context : undefined,
    });
    result.forward = forward.data;
    result.backward = backward.data;
    const inverted = result.inverse();
    this.emit({
      ...this.stamp(run, 'OPT_END', -1, 0), fullEnergyProfile: [...this.fullEnergyProfile], iterationsPerLevel: [...this.iterationsPerLevel],
    } as RegistrationEvent<D>);
    return inverted;
  }

  /** DIPY's `_end_optimizer`: the metric's and the run's buffers go back (also after an error). */
  private endOptimizer(run: RunState<D> | null): void {
    this.metric.releaseBuffers?.();
    // Buffers of the run that came from a backend (e.g. WebAssembly memory) go back to it;
    // everything that outlives the run was copied out or handed over before.
    this.runBuffers?.release();
    this.runBuffers = null;
    for (const a of this.inputCopies) this.context.freeFloat32(a);
    this.inputCopies = [];
    void run;
  }
}

/** The three matrices of a warp kernel call (see `DiffeomorphicMap.warpMatrices`). */
interface WarpMatrices {
  readonly A: Affine;
  readonly B: Affine;
  readonly C: Affine;
}

/** What a run keeps from `initOptimizer` to `composeResult`. */
interface RunState<D extends Dim> {
  readonly startTime: number;
  /** Number of pyramid levels. */
  readonly levels: number;
  readonly kernels: DimKernels<D>;
  readonly buffers: RunBuffers<D>;
  readonly staticSS: ScaleSpace<D>;
  readonly movingSS: ScaleSpace<D>;
  /** Whether the scale space owns (and may normalise in place) its input. */
  readonly staticIsPrivate: boolean;
  readonly movingIsPrivate: boolean;
  readonly staticShape: ShapeOf<D>;
  readonly movingShape: ShapeOf<D>;
  readonly staticGridToWorld: Affine;
  readonly movingGridToWorld: Affine;
  /** The static image's direction cosines, as an affine (the metrics' `direction`). */
  readonly staticDirection: Float64Array;
  /** DIPY's `static_to_ref` and `moving_to_ref`: fields on the current reference grid, in the run buffers. */
  readonly staticToRef: DiffeomorphicMap<D>;
  readonly movingToRef: DiffeomorphicMap<D>;
  /** When the run last yielded to the event loop (ms). */
  lastYield: number;
  /** The user's masks (0/1 on their images' grids) and the midpoint-mask buffers, or null without masks. */
  readonly masks: RunMasks | null;
}

/** Masks of a run: each on its image's grid (null = none), the midpoint mask and a scratch image, sized for the largest level. */
interface RunMasks {
  readonly static: Float32Array | null;
  readonly moving: Float32Array | null;
  readonly mid: Uint8Array;
  readonly scratch: Float32Array;
}

/** What one level keeps between iterations. */
interface LevelState<D extends Dim> {
  readonly level: number;
  /** The reference grid of the level (the static scale space's domain). */
  readonly shape: ShapeOf<D>;
  readonly nvox: number;
  /** The iteration cap of the level. */
  readonly cap: number;
  readonly refGridToWorld: Affine;
  readonly refWorldToGrid: Affine;
  /** Voxel size of the reference grid (world units). */
  readonly spacing: Float64Array;
  /** Backward warps of the static and moving level images onto the reference grid. */
  readonly staticWarpMatrices: WarpMatrices;
  readonly movingWarpMatrices: WarpMatrices;
  readonly staticWarped: Float32Array;
  readonly movingWarped: Float32Array;
  /** The spare field: the forward step, then the backward step, then the inversions' scratch. */
  readonly step: Float32Array;
  readonly staticImage: PlacedLevelImage<D> | null;
  readonly movingImage: PlacedLevelImage<D> | null;
  staticDynamics: ImageDynamics<D> | undefined;
  movingDynamics: ImageDynamics<D> | undefined;
  readonly energies: number[];
  iterations: number;
}

/** The four half-way fields, as the events show them (views of the run buffers). */
function halfwayFields<D extends Dim>(run: RunState<D>, shape: ShapeOf<D>): HalfwayFields<D> {
  return {
    shape,
    staticToRefForward: run.staticToRef.forward!,
    staticToRefBackward: run.staticToRef.backward!,
    movingToRefForward: run.movingToRef.forward!,
    movingToRefBackward: run.movingToRef.backward!,
  };
}
