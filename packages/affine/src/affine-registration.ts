/**
 * Multi-resolution affine registration (DIPY 1.6 `imaffine.AffineRegistration`) and the
 * pipeline facade (DIPY's `align._public.affine_registration`, in 2D and 3D).
 *
 * `optimize` finds the affine `A = T(θ*)·P` (static world → moving world, mm) maximising the
 * mutual information, coarse to fine. Both images are min-max normalised (over their masks
 * when given) and put in an {@link IsotropicScaleSpace} (`factors`, `sigmas`). At each level
 * the smoothed static image is resampled on the level's coarse grid, the moving image stays
 * on its own (full-resolution) grid, and L-BFGS ({@link minimizeLbfgs}, `gtol` 1e-4,
 * `maxfun` = that level's `levelIters`) runs from the identity parameters; the result is
 * folded into the starting affine `P ← T(θ*)·P` for the next level.
 *
 * The facade runs a pipeline of stages: `'centerOfMass'` sets `P` to the translation
 * between the (masked) centres of mass; `'translation'`, `'rigid'`, `'rigidIsoScaling'`,
 * `'rigidScaling'`, `'affine'` (and `'scaling'`, `'rotation'`) each run `optimize` with that
 * transform from the current `P`; the level images (which depend only on the pair, its masks,
 * `factors` and `sigmas`) are built once for all the stages.
 *
 * Differences from DIPY (documented choices): an all-zero or wrong-sized mask is an error
 * (DIPY ignores an all-zero mask with a warning); constant images are errors; parameters that
 * are not finite after a level raise {@link NonFiniteParametersError}.
 */
import {
  AbortError, EmptyImageError, InvalidArgumentError, ShapeMismatchError, checkOptionKeys, defaultContext,
  type Dim, type KernelContext, type NumericArray, type Shape2D, type Shape3D, type Volume,
} from '@diffeo/core';
import { AffineMap, checkAffine } from './affine-map.js';
import { AffineInversionError, NonFiniteParametersError } from './errors.js';
import { transformCentersOfMass } from './initializers.js';
import { resampleAffine } from './interpolation.js';
import { minimizeLbfgs } from './lbfgs.js';
import { eye, invert, matMul, spacingsOf } from './matrix.js';
import { MutualInformationMetric } from './mutual-information.js';
import { IsotropicScaleSpace } from './scale-space.js';
import { getTransform, type Transform, type TransformName } from './transforms.js';

/** Progress events of {@link AffineRegistration.optimize} and {@link affineRegistration}. */
export type AffineProgressEvent =
  | { readonly type: 'stageStart'; readonly stage: string; readonly index: number; readonly count: number }
  | { readonly type: 'stageEnd'; readonly stage: string; readonly index: number; readonly count: number; readonly affine: Float64Array }
  | { readonly type: 'levelStart'; readonly stage: string; readonly level: number; readonly maxIterations: number }
  | { readonly type: 'iteration'; readonly stage: string; readonly level: number; readonly iteration: number; readonly value: number }
  | { readonly type: 'levelEnd'; readonly stage: string; readonly level: number; readonly iterations: number; readonly evaluations: number; readonly value: number; readonly message: string };

/** Options of {@link AffineRegistration}. */
export interface AffineRegistrationOptions {
  /** Metric; default `new MutualInformationMetric()` (32 bins, dense). */
  readonly metric?: MutualInformationMetric;
  /** Maximum evaluations per level, coarsest first; default `[10000, 1000, 100]`. */
  readonly levelIters?: readonly number[];
  /** Gaussian sigmas per level (voxels), coarsest first; default `[3, 1, 0]`. */
  readonly sigmas?: readonly number[];
  /** Shrink factors per level, coarsest first; default `[4, 2, 1]`. */
  readonly factors?: readonly number[];
  /** Gradient tolerance of the optimiser (scipy `gtol`); default 1e-4 as DIPY. */
  readonly gtol?: number;
  /**
   * Kernels of the hot loops (resampling, gradients, joint histogram); default
   * {@link defaultContext} (TypeScript). Pass a context with the WebAssembly backend
   * (`@diffeo/align`'s `loadBackend`, or `createContext(await wasmBackend())`) for speed; the
   * results are the same bits. Used by the default metric; a given `metric` keeps its own.
   */
  readonly context?: KernelContext;
}

/** Inputs of {@link AffineRegistration.optimize}. */
export interface AffineOptimizeInput {
  readonly static: Volume;
  readonly moving: Volume;
  /** The transform (or its name) whose parameters are optimised. */
  readonly transform: Transform | TransformName;
  /** Starting parameters; default the identity parameters. */
  readonly params0?: ArrayLike<number> | null;
  /** Starting affine P (static world → moving world), `(d+1)²` row-major; default identity. */
  readonly startingAffine?: ArrayLike<number> | null;
  /** Static mask (static grid, non-zero = used). */
  readonly staticMask?: ArrayLike<number> | null;
  /** Moving mask (moving grid, non-zero = used). */
  readonly movingMask?: ArrayLike<number> | null;
  /** Aborts between metric evaluations (throws AbortError). */
  readonly signal?: AbortSignal;
  /** Progress events (per level and iteration). */
  readonly onProgress?: (e: AffineProgressEvent) => void;
  /** Stage name used in events; default the transform name. */
  readonly stageName?: string;
}

/** Result of {@link AffineRegistration.optimize}. */
export interface AffineOptimizeResult {
  /** The AffineMap with the final affine and both grids. */
  readonly map: AffineMap;
  /** Optimal parameters at the finest level. */
  readonly params: Float64Array;
  /** Metric value (−MI) at the finest level. */
  readonly value: number;
}

function dimOf(v: Volume, what: string): Dim {
  const d = v.shape.length;
  if (d !== 2 && d !== 3) throw new ShapeMismatchError(`${what} must be 2D or 3D, got ${d} axes.`);
  const n = v.shape.reduce((a, b) => a * b, 1);
  if (v.data.length !== n) throw new ShapeMismatchError(`${what} has ${v.data.length} values but shape [${v.shape.join(', ')}] needs ${n}.`);
  for (let i = 0; i < v.data.length; i++) {
    if (!Number.isFinite(v.data[i])) throw new InvalidArgumentError(`${what} has a non-finite value at voxel ${i}; pass finite intensities.`);
  }
  return d as Dim;
}

/** Validates a mask against its image: right size, not empty. Returns 0/1 Int32 values or null. */
export function checkMask(mask: ArrayLike<number> | null | undefined, image: Volume, what: string): Int32Array | null {
  if (mask == null) return null;
  const n = image.data.length;
  if (mask.length !== n) {
    throw new ShapeMismatchError(`${what} has ${mask.length} values but its image has ${n} (shape [${image.shape.join(', ')}]); pass a mask on the image's grid.`);
  }
  const out = new Int32Array(n);
  let any = false;
  for (let i = 0; i < n; i++) if (mask[i] !== 0) { out[i] = 1; any = true; }
  if (!any) throw new EmptyImageError(`${what} is empty (all zeros); pass a mask that covers the object, or no mask.`);
  return out;
}

/** Min-max normalisation to float64 `(x − min)/(max − min)`, range over the mask (as DIPY). */
function normalise(v: Volume, mask: Int32Array | null, what: string): Float64Array {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < v.data.length; i++) {
    if (mask && mask[i] !== 1) continue;
    const x = v.data[i];
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  if (!(hi > lo)) throw new EmptyImageError(`${what} is constant${mask ? ' under its mask' : ''} (every voxel equals ${lo}); mutual information needs contrast.`);
  const out = new Float64Array(v.data.length);
  const den = hi - lo;
  for (let i = 0; i < out.length; i++) out[i] = (v.data[i] - lo) / den;
  return out;
}

/** DIPY's AffineRegistration (see the module documentation). */
export class AffineRegistration {
  readonly metric: MutualInformationMetric;
  readonly levelIters: readonly number[];
  readonly sigmas: readonly number[];
  readonly factors: readonly number[];
  readonly gtol: number;
  /** The kernels' context. */
  readonly context: KernelContext;

  constructor(options: AffineRegistrationOptions = {}) {
    checkOptionKeys(options, ['metric', 'levelIters', 'sigmas', 'factors', 'gtol', 'context'], 'AffineRegistration options');
    this.context = options.context ?? options.metric?.context ?? defaultContext;
    this.metric = options.metric ?? new MutualInformationMetric({ context: this.context });
    this.levelIters = options.levelIters ?? [10000, 1000, 100];
    this.factors = options.factors ?? [4, 2, 1];
    this.sigmas = options.sigmas ?? [3, 1, 0];
    this.gtol = options.gtol ?? 1e-4;
    if (this.levelIters.length === 0) throw new InvalidArgumentError('levelIters cannot be empty; pass one maximum per level, e.g. [10000, 1000, 100].');
    if (this.factors.length !== this.levelIters.length || this.sigmas.length !== this.levelIters.length) {
      throw new InvalidArgumentError(`levelIters (${this.levelIters.length}), factors (${this.factors.length}) and sigmas (${this.sigmas.length}) must have one entry per level.`);
    }
    for (const it of this.levelIters) if (!Number.isInteger(it) || it < 0) throw new InvalidArgumentError(`levelIters must be integers ≥ 0, got ${it}.`);
  }

  /**
   * Runs the multi-resolution optimisation of one transform (DIPY's `optimize`). The kernel
   * contexts (this one and the metric's) are held for the run: backends cannot be added or
   * removed while it runs (`ContextFrozenError`).
   */
  optimize(input: AffineOptimizeInput): AffineOptimizeResult {
    return runOptimize(this, input, null);
  }
}

/**
 * The per-level images of one image pair, which depend only on the images, their masks and the
 * scale-space parameters (not on the transform or the starting affine): the smoothed static image
 * resampled on the level's grid (float64) with its mask, and the smoothed moving image (float64,
 * its own grid). {@link affineRegistration} builds them once for all its stages.
 */
interface LevelImages {
  readonly staticVol: Volume;
  readonly staticMask: Int32Array | null;
  readonly movingVol: Volume;
}

/** A holder for the {@link LevelImages} of one pipeline run (filled by its first optimisation). */
interface LevelCache {
  levels: LevelImages[] | null;
}

function levelImages(reg: AffineRegistration, input: AffineOptimizeInput, dim: Dim, smask: Int32Array | null, mmask: Int32Array | null,
  sG2w: Float64Array, mG2w: Float64Array): LevelImages[] {
  const m = dim + 1;
  const sSpacing = spacingsOf(sG2w, dim), mSpacing = spacingsOf(mG2w, dim);
  const st = normalise(input.static, smask, 'static'), mv = normalise(input.moving, mmask, 'moving');
  const sShape = [...input.static.shape], mShape = [...input.moving.shape];
  const sss = new IsotropicScaleSpace(st, sShape, reg.factors, reg.sigmas, sG2w, sSpacing, 'static');
  const mss = new IsotropicScaleSpace(mv, mShape, reg.factors, reg.sigmas, mG2w, mSpacing, 'moving');
  const sW2g = invert(sG2w, m, "the static image's gridToWorld");
  const K = reg.context.kernelsFor(dim);
  const out: LevelImages[] = [];
  const smoothed = new Float64Array(st.length);
  for (let level = 0; level < reg.levelIters.length; level++) {
    const sl = sss.levels[level];
    const comp = matMul(sW2g, sl.gridToWorld, m);
    const curStatic = new Float64Array(sl.domainShape.reduce((a, b) => a * b, 1));
    smoothed.set(sl.image);
    K.resampleAffineLinear(curStatic, sl.domainShape as unknown as Shape2D & Shape3D, smoothed, sShape as unknown as Shape2D & Shape3D, comp);
    const curMask = smask ? (resampleAffine(smask, sShape, sl.domainShape, comp, 'nearest') as Int32Array) : null;
    out.push({
      staticVol: { data: curStatic, shape: sl.domainShape as unknown as Volume['shape'], gridToWorld: sl.gridToWorld },
      staticMask: curMask,
      movingVol: { data: Float64Array.from(mss.levels[level].image), shape: mShape as unknown as Volume['shape'], gridToWorld: mG2w },
    });
  }
  return out;
}

/** {@link AffineRegistration.optimize}, with the contexts held; `cache` shares the level images between calls on one pair. */
function runOptimize(reg: AffineRegistration, input: AffineOptimizeInput, cache: LevelCache | null): AffineOptimizeResult {
  const releases = [reg.context.hold('a running AffineRegistration.optimize')];
  if (reg.metric.context !== reg.context) releases.push(reg.metric.context.hold('a running AffineRegistration.optimize'));
  try {
    return optimizeHeld(reg, input, cache);
  } finally {
    // the level's images and the histogram's arrays in the context's memory
    reg.metric.release();
    for (const r of releases) r();
  }
}

function optimizeHeld(reg: AffineRegistration, input: AffineOptimizeInput, cache: LevelCache | null): AffineOptimizeResult {
  checkOptionKeys(input, ['static', 'moving', 'transform', 'params0', 'startingAffine', 'staticMask', 'movingMask', 'signal', 'onProgress', 'stageName'], 'AffineRegistration.optimize input');
  const dim = dimOf(input.static, 'static');
  if (dimOf(input.moving, 'moving') !== dim) throw new ShapeMismatchError(`static is ${dim}D but moving is ${input.moving.shape.length}D.`);
  const transform = typeof input.transform === 'string' ? getTransform(input.transform, dim) : input.transform;
  if (transform.dim !== dim) throw new ShapeMismatchError(`the transform is ${transform.dim}D but the images are ${dim}D.`);
  const m = dim + 1;
  const stage = input.stageName ?? transform.name;
  const smask = checkMask(input.staticMask, input.static, 'staticMask');
  const mmask = checkMask(input.movingMask, input.moving, 'movingMask');
  let params0 = input.params0 ? Float64Array.from(input.params0) : transform.identityParameters();
  if (params0.length !== transform.numberOfParameters) {
    throw new InvalidArgumentError(`params0 has ${params0.length} values; ${transform.name} (${dim}D) takes ${transform.numberOfParameters}.`);
  }
  let start = input.startingAffine ? checkAffine(input.startingAffine, 'startingAffine').affine : eye(m);
  const sG2w = input.static.gridToWorld ? Float64Array.from(input.static.gridToWorld) : eye(m);
  const mG2w = input.moving.gridToWorld ? Float64Array.from(input.moving.gridToWorld) : eye(m);
  const sShape = [...input.static.shape], mShape = [...input.moving.shape];
  let levels = cache?.levels ?? null;
  if (!levels) {
    levels = levelImages(reg, input, dim, smask, mmask, sG2w, mG2w);
    if (cache) cache.levels = levels;
  }
  let params = params0, value = NaN;
  for (let level = reg.levelIters.length - 1; level >= 0; level--) {
    if (input.signal?.aborted) throw new AbortError('the affine registration was aborted.');
    const maxIter = reg.levelIters[reg.levelIters.length - 1 - level];
    input.onProgress?.({ type: 'levelStart', stage, level, maxIterations: maxIter });
    const { staticVol, staticMask: curMask, movingVol } = levels[level];
    reg.metric.setup({ transform, static: staticVol, moving: movingVol, startingAffine: start, staticMask: curMask, movingMask: mmask });
    // the two-loop port, not the exact L-BFGS-B one: the metric still rounds differently from DIPY's in the
    // last bits (its logarithms), so neither port follows DIPY's trajectory for long, and the two-loop one is
    // the one the DIPY fixtures of this package were checked against (see lbfgs.ts)
    const res = minimizeLbfgs((x) => reg.metric.distanceAndGradient(x), params0, {
      algorithm: 'twoLoop', gtol: reg.gtol, maxfun: maxIter, signal: input.signal,
      onIteration: (iteration, _x, f) => input.onProgress?.({ type: 'iteration', stage, level, iteration, value: f }),
    });
    params = res.x;
    value = res.f;
    for (let k = 0; k < params.length; k++) {
      if (!Number.isFinite(params[k])) {
        throw new NonFiniteParametersError(`the optimiser produced non-finite ${transform.name} parameters at level ${level} (${Array.from(params).join(', ')}); check the images and the starting affine.`);
      }
    }
    const T = transform.paramToMatrix(params);
    start = matMul(T, start, m);
    try {
      checkAffine(start, 'the affine after this level');
    } catch (e) {
      throw new NonFiniteParametersError(`the optimiser produced an invalid ${transform.name} affine at level ${level}: ${(e as Error).message}`);
    }
    params0 = transform.identityParameters();
    input.onProgress?.({ type: 'levelEnd', stage, level, iterations: res.iterations, evaluations: res.evaluations, value: res.f, message: res.message });
  }
  const map = new AffineMap(start, { domainShape: sShape, domainGridToWorld: sG2w, codomainShape: mShape, codomainGridToWorld: mG2w });
  return { map, params, value };
}

/** Stage names of {@link affineRegistration}'s pipeline. */
export type PipelineStage = 'centerOfMass' | TransformName;

/** All pipeline stage names. */
export const PIPELINE_STAGES: readonly PipelineStage[] = [
  'centerOfMass', 'translation', 'rotation', 'rigid', 'rigidIsoScaling', 'rigidScaling', 'scaling', 'affine',
];

/** Options of {@link affineRegistration}. */
export interface AffineRegistrationInput {
  readonly static: Volume;
  readonly moving: Volume;
  /** Stages in order; default `['centerOfMass', 'translation', 'rigid', 'affine']` (DIPY's default). */
  readonly pipeline?: readonly PipelineStage[];
  /** Starting affine (static world → moving world) for the first optimised stage; a later `'centerOfMass'` replaces it. */
  readonly startingAffine?: ArrayLike<number> | null;
  /** Histogram bins (default 32). */
  readonly nbins?: number;
  /** Sampling proportion in (0, 1]; omitted = dense. */
  readonly samplingProportion?: number | null;
  readonly levelIters?: readonly number[];
  readonly sigmas?: readonly number[];
  readonly factors?: readonly number[];
  readonly staticMask?: ArrayLike<number> | null;
  readonly movingMask?: ArrayLike<number> | null;
  readonly signal?: AbortSignal;
  readonly onProgress?: (e: AffineProgressEvent) => void;
  /** Kernels of the hot loops (see {@link AffineRegistrationOptions.context}); default TypeScript. */
  readonly context?: KernelContext;
}

/** Result of {@link affineRegistration}. */
export interface AffineRegistrationResult {
  /** Final affine, static world → moving world (mm), `(d+1)²` row-major. */
  readonly affine: Float64Array;
  /** AffineMap with the final affine and both grids (use `transform(moving)` for the warped image). */
  readonly map: AffineMap;
  /** Affine after each stage, in pipeline order. */
  readonly stages: ReadonlyArray<{ readonly stage: PipelineStage; readonly affine: Float64Array }>;
}

/**
 * DIPY's `affine_registration` pipeline in 2D or 3D (see the module documentation).
 * @throws InvalidArgumentError for an unknown stage name or an empty pipeline.
 * @throws AffineInversionError for a singular starting affine.
 * @throws EmptyImageError for constant images or empty masks; ShapeMismatchError for wrong mask sizes.
 */
export function affineRegistration(input: AffineRegistrationInput): AffineRegistrationResult {
  checkOptionKeys(input, ['static', 'moving', 'pipeline', 'startingAffine', 'nbins', 'samplingProportion', 'levelIters', 'sigmas',
    'factors', 'staticMask', 'movingMask', 'signal', 'onProgress', 'context'], 'affineRegistration input');
  const pipeline = input.pipeline ?? ['centerOfMass', 'translation', 'rigid', 'affine'];
  if (pipeline.length === 0) throw new InvalidArgumentError(`the pipeline is empty; pass stages among ${PIPELINE_STAGES.join(', ')}.`);
  pipeline.forEach((s, i) => {
    if (!PIPELINE_STAGES.includes(s)) throw new InvalidArgumentError(`pipeline[${i}] is '${String(s)}', not a stage; use one of ${PIPELINE_STAGES.join(', ')}.`);
  });
  const dim = dimOf(input.static, 'static');
  if (dimOf(input.moving, 'moving') !== dim) throw new ShapeMismatchError(`static is ${dim}D but moving is ${input.moving.shape.length}D.`);
  const smask = checkMask(input.staticMask, input.static, 'staticMask');
  const mmask = checkMask(input.movingMask, input.moving, 'movingMask');
  let start: Float64Array | null = null;
  if (input.startingAffine) {
    const m = dim + 1;
    if (input.startingAffine.length !== m * m) throw new AffineInversionError(`startingAffine must be ${m}×${m} for ${dim}D images, got ${input.startingAffine.length} values.`);
    start = checkAffine(input.startingAffine, 'startingAffine').affine;
  }
  const reg = new AffineRegistration({
    metric: new MutualInformationMetric({ nbins: input.nbins, samplingProportion: input.samplingProportion, context: input.context }),
    levelIters: input.levelIters, sigmas: input.sigmas, factors: input.factors, context: input.context,
  });
  const stages: { stage: PipelineStage; affine: Float64Array }[] = [];
  // every stage registers the same pair with the same scale space: its level images are built once
  const cache: LevelCache = { levels: null };
  pipeline.forEach((stage, index) => {
    if (input.signal?.aborted) throw new AbortError('the affine registration was aborted.');
    input.onProgress?.({ type: 'stageStart', stage, index, count: pipeline.length });
    if (stage === 'centerOfMass') {
      const masked = (v: Volume, mask: Int32Array | null): Volume =>
        (mask ? { ...v, data: Float64Array.from(v.data as ArrayLike<number>, (x, i) => x * mask[i]) as NumericArray } : v);
      start = transformCentersOfMass(masked(input.static, smask), masked(input.moving, mmask)).affine!;
    } else {
      const r = runOptimize(reg, {
        static: input.static, moving: input.moving, transform: stage, startingAffine: start,
        staticMask: smask, movingMask: mmask, signal: input.signal, onProgress: input.onProgress, stageName: stage,
      }, cache);
      start = r.map.affine!;
    }
    stages.push({ stage, affine: start.slice() });
    input.onProgress?.({ type: 'stageEnd', stage, index, count: pipeline.length, affine: start.slice() });
  });
  const affine = start ?? eye(dim + 1);
  const map = new AffineMap(affine, {
    domainShape: input.static.shape, domainGridToWorld: input.static.gridToWorld,
    codomainShape: input.moving.shape, codomainGridToWorld: input.moving.gridToWorld,
  });
  return { affine, map, stages };
}
