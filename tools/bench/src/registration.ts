/**
 * One bench case's registration, with no Node or browser API: what the Node child
 * (`child-diffeo.ts`) and the browser worker (`browser/worker.ts`) both run, so the
 * two measure the very same calls.
 *
 * A SyN case runs `synRegistration` of `@diffeo/align` (the timed part: SyN's
 * optimize), then warps the moving image (linear) and the moving labels (nearest
 * neighbour) onto the static grid. An affine case (`params.affine`) runs the
 * `affineRegistration` pipeline of `@diffeo/affine` (all of it timed; iterations are
 * L-BFGS iterations per stage and level) and warps the moving image linearly.
 * Frames: the images are voxel arrays; grid-to-world matrices (mm) come from
 * `params.json` as DIPY's nested lists.
 */
import type { Dim, KernelContext, SimilarityMetric } from '@diffeo/core';
import { metricByName, synRegistration } from '@diffeo/align';
import { emMetric } from '@diffeo/metrics-em';
import { affineRegistration, type PipelineStage } from '@diffeo/affine';
import { START_PARALLEL_WORK } from '@diffeo/wasm-kernels';
import type { NpyArray } from '@diffeo/io/npy';
import type { AffineParams, BenchParams, MetricParams } from './cases.js';

/** The metric of `params.json` (DIPY's parameter names) as a diffeo metric. */
export function makeMetric(p: MetricParams): SimilarityMetric<Dim> {
  if (p.metric === 'SSD') {
    return metricByName('ssd', p.dim, { smooth: p.smooth, innerIter: p.inner_iter, stepType: p.step_type === 'gauss_newton' ? 'gaussNewton' : 'demons' });
  }
  if (p.metric === 'EM') {
    return emMetric(p.dim, {
      smooth: p.smooth, innerIter: p.inner_iter, qLevels: p.q_levels, doubleGradient: p.double_gradient,
      stepType: p.step_type === 'demons' ? 'demons' : 'gaussNewton',
    }) as SimilarityMetric<Dim>;
  }
  if (p.metric === 'MI') return metricByName('mi', p.dim, { nbins: p.nbins, smooth: p.smooth });
  if (p.metric === 'CC') return metricByName('cc', p.dim, { sigmaDiff: p.sigma_diff, radius: p.radius });
  throw new Error(`bench: unknown metric ${JSON.stringify((p as { metric: unknown }).metric)} in params.json (rebuild tools/bench after adding a metric).`);
}

/** A nested (d+1)×(d+1) grid-to-world as a row-major Float64Array (null = identity). */
export function gridToWorld(m: number[][] | null): Float64Array | null {
  return m ? Float64Array.from(m.flat()) : null;
}

/** DIPY's stage names → @diffeo/affine's. */
const STAGES: Record<string, PipelineStage> = {
  center_of_mass: 'centerOfMass', translation: 'translation', rigid: 'rigid', affine: 'affine',
  rigid_isoscaling: 'rigidIsoScaling', rigid_scaling: 'rigidScaling',
};

/** The case's input arrays (as read from its `.npy` files). */
export interface CaseInputs {
  static: NpyArray;
  moving: NpyArray;
  /** The moving labels (`params.inputs.moving_labels`), or null. */
  movingLabels: NpyArray | null;
}

/** Called right before and right after the timed call (the Node child reads its peak RSS and kernel profile there). */
export interface RegistrationHooks {
  beforeOptimize?(): void;
  /** Before the outputs are warped; gets the timed call's seconds. */
  afterOptimize?(optimizeSeconds: number): void;
  /** The clock, in milliseconds (default `performance.now`, global in Node and browsers). */
  now?(): number;
}

/** What one registration gives: the timed seconds and the outputs on the static grid. */
export interface CaseOutputs {
  /** Seconds in the timed call (SyN's optimize, or the whole affine pipeline). */
  optimizeSeconds: number;
  /** Iterations per level, coarsest first (affine: per stage and level). */
  iterationsPerLevel: number[];
  /** The warped moving image, float32, static shape (C order). */
  warped: Float32Array;
  /** The warped moving labels (nearest neighbour), int32, or null without labels. */
  warpedLabels: Int32Array | null;
  /** Affine cases: metric evaluations per stage and level, coarsest first (absent for SyN). */
  evaluationsPerLevel?: number[];
  /** Affine cases: the final affine, row-major (d+1)×(d+1); null for SyN. */
  affine: number[] | null;
}

function affineCase(inputs: CaseInputs, context: KernelContext, params: BenchParams, a: AffineParams, hooks: RegistrationHooks): CaseOutputs {
  const now = hooks.now ?? (() => performance.now());
  const { static: stat, moving: mov } = inputs;
  const staticImg = { data: stat.data, shape: stat.shape as [number, number, number], gridToWorld: gridToWorld(params.static_grid2world) };
  const movingImg = { data: mov.data, shape: mov.shape as [number, number, number], gridToWorld: gridToWorld(params.moving_grid2world) };
  const iterations: number[] = [];
  const evaluations: number[] = [];
  hooks.beforeOptimize?.();
  const t0 = now();
  const r = affineRegistration({
    static: staticImg, moving: movingImg,
    pipeline: a.pipeline.map((s) => {
      const st = STAGES[s];
      if (!st) throw new Error(`unknown affine stage ${s}`);
      return st;
    }),
    nbins: a.nbins, samplingProportion: a.sampling_proportion, levelIters: a.level_iters, sigmas: a.sigmas, factors: a.factors,
    context,
    onProgress: (e) => {
      if (e.type === 'levelEnd') {
        iterations.push(e.iterations);
        evaluations.push(e.evaluations);
      }
    },
  });
  const optimizeSeconds = (now() - t0) / 1000;
  hooks.afterOptimize?.(optimizeSeconds);
  const warped = r.map.transform(movingImg);
  return { optimizeSeconds, iterationsPerLevel: iterations, evaluationsPerLevel: evaluations, warped: Float32Array.from(warped.data as ArrayLike<number>), warpedLabels: null, affine: Array.from(r.affine) };
}

/**
 * Affine cases on the WebAssembly backend: its default (lazy) worker threads are started before
 * the timed call (`startThreads`) when the static grid has at least `START_PARALLEL_WORK` voxels,
 * the size from which the backend's own policy starts them in a SyN registration. The affine stage
 * is synchronous, so workers started lazily during it could not join it. Smaller grids (the
 * 128×128 T1 slice) stay on one thread, as they would in SyN; explicit `--wasm-threads` counts are
 * running already. Nothing to do for SyN cases or other backends.
 */
export async function startAffineThreads(params: BenchParams, staticVoxels: number,
  wasm: { startThreads?(): Promise<number> } | null): Promise<void> {
  if (!params.affine || wasm?.startThreads === undefined || staticVoxels < START_PARALLEL_WORK) return;
  await wasm.startThreads();
}

/**
 * Runs the case described by `params` on `inputs` with the kernels of `context`.
 * The result's fields may stay in the backend's memory (`resultInContextMemory`: one
 * registration per process or worker), so read the outputs before the next run.
 */
export async function registerCase(params: BenchParams, inputs: CaseInputs, context: KernelContext, hooks: RegistrationHooks = {}): Promise<CaseOutputs> {
  if (params.affine) return affineCase(inputs, context, params, params.affine, hooks);
  const now = hooks.now ?? (() => performance.now());
  const metric = makeMetric(params.metric);
  const { static: stat, moving: mov, movingLabels: labels } = inputs;
  const s = params.syn;
  const staticImg = { data: stat.data, shape: stat.shape };
  const movingImg = { data: mov.data, shape: mov.shape };
  hooks.beforeOptimize?.();
  const t0 = now();
  const { mapping: map, registration: reg } = await synRegistration({
    static: staticImg,
    moving: movingImg,
    staticGridToWorld: params.static_grid2world,
    movingGridToWorld: params.moving_grid2world,
    prealign: params.prealign,
    metric,
    levelIters: s.level_iters,
    stepLength: s.step_length,
    ssSigmaFactor: s.ss_sigma_factor,
    optTol: s.opt_tol,
    invIter: s.inv_iter,
    invTol: s.inv_tol,
    // the opt-in faster mode (`pnpm bench --syn-inversion-mode`); absent: DIPY's inversions
    ...(s.inversion_mode === undefined ? {} : { inversionMode: s.inversion_mode }),
    context,
    // one registration per process: the result may stay in the backend's memory (no copy)
    resultInContextMemory: true,
  });
  const optimizeSeconds = (now() - t0) / 1000;
  hooks.afterOptimize?.(optimizeSeconds);
  const warped = map.transform(movingImg);
  let warpedLabels: Int32Array | null = null;
  if (labels) {
    const wl = map.transform({ data: labels.data, shape: labels.shape }, { interpolation: 'nearest' });
    warpedLabels = wl.data instanceof Int32Array ? wl.data : Int32Array.from(wl.data as ArrayLike<number>);
  }
  return {
    optimizeSeconds,
    iterationsPerLevel: [...reg.iterationsPerLevel],
    warped: warped.data instanceof Float32Array ? warped.data : Float32Array.from(warped.data as ArrayLike<number>),
    warpedLabels,
    affine: null,
  };
}
