/**
 * Reference handlers for the EM metric (DIPY 1.6's `dipy.align.expectmax` and
 * `EMMetric`), cases made by tools/reference/python/make_em_fixtures.py:
 * - `unit_em_kernels`: `quantize_positive_2d/3d` (classes, levels, histogram at
 *   several level counts and on a one-valued image), `compute_masked_class_stats_2d/3d`
 *   (means, variances) and `compute_em_demons_step_2d/3d` (step and energy), run
 *   through `ctx.kernels` so that any backend is checked;
 * - `unit_em_metric`: the real {@link EMMetric} prepared once on the case's images
 *   (masks `image > 0`, no warping: the image dynamics are the identity), with the
 *   case's spacing and direction; forward/backward steps and energies per option set.
 */
import type { Dim, ImageDynamics, MetricInputs, NumericArray, ShapeOf } from '@diffeo/core';
import { EMMetric, type EMMetricOptions } from '@diffeo/metrics-em';
import type { NpyArray } from '@diffeo/io';
import type { CaseContext, CaseHandler, Comparison, Tolerance } from '../types.js';

const KERNELS_FUNCTION =
  'dipy.align.expectmax.quantize_positive_2d/3d, compute_masked_class_stats_2d/3d, compute_em_demons_step_2d/3d';
const METRIC_FUNCTION = 'dipy.align.metrics.EMMetric';

function float32(a: NpyArray, what: string): Float32Array {
  if (!(a.data instanceof Float32Array)) throw new Error(`${what} must be float32 (got ${a.dtype})`);
  return a.data;
}

function int32(a: NpyArray, what: string): Int32Array {
  if (!(a.data instanceof Int32Array)) throw new Error(`${what} must be int32 (got ${a.dtype})`);
  return a.data;
}

function scalarTolerance(ctx: CaseContext, key: string): Tolerance {
  const raw = ctx.case.scalar_outputs[key] as { tolerance?: Tolerance } | null;
  if (raw && typeof raw === 'object' && raw.tolerance) return raw.tolerance;
  return ctx.case.tolerance.steps;
}

function runKernels(ctx: CaseContext): Comparison[] {
  const rows: Comparison[] = [];
  const k = ctx.kernels;
  const qs = (ctx.case.params.q_levels as number[] | undefined) ?? [];
  const sigmaSqX = ctx.case.params.sigma_sq_x as number;
  for (const tag of ['2d', '3d'] as const) {
    if (!ctx.case.inputs['image' + tag]) continue;
    const imgArr = ctx.input('image' + tag);
    const image = float32(imgArr, 'image' + tag);
    const other = float32(ctx.input('other' + tag), 'other' + tag);
    const mask = int32(ctx.input('mask' + tag), 'mask' + tag);
    const n = image.length;
    for (const q of qs) {
      const labels = new Int32Array(n);
      const levels = new Float32Array(q);
      const hist = new Int32Array(q);
      k.kernel('quantizePositive')(labels, levels, hist, image, q);
      rows.push(ctx.compare(`quantized${tag}_q${q}`, labels));
      rows.push(ctx.compare(`levels${tag}_q${q}`, levels));
      rows.push(ctx.compare(`hist${tag}_q${q}`, hist));
      const means = new Float32Array(q);
      const variances = new Float32Array(q);
      k.kernel('maskedClassStats')(means, variances, new Int32Array(q), mask, other, labels, q);
      rows.push(ctx.compare(`means${tag}_q${q}`, means));
      rows.push(ctx.compare(`variances${tag}_q${q}`, variances));
    }
    if (ctx.case.inputs['const' + tag]) {
      const c = float32(ctx.input('const' + tag), 'const' + tag);
      const labels = new Int32Array(n);
      const levels = new Float32Array(256);
      const hist = new Int32Array(256);
      k.kernel('quantizePositive')(labels, levels, hist, c, 256);
      rows.push(ctx.compare(`const_quantized${tag}`, labels));
      rows.push(ctx.compare(`const_levels${tag}`, levels));
      rows.push(ctx.compare(`const_hist${tag}`, hist));
    }
    if (ctx.case.inputs['delta' + tag]) {
      const dArr = ctx.input('delta' + tag);
      const delta = float32(dArr, 'delta' + tag);
      const sigma = float32(ctx.input('sigma_sq' + tag), 'sigma_sq' + tag);
      const grad = float32(ctx.input('grad' + tag), 'grad' + tag);
      const d = dArr.shape.length;
      const out = new Float32Array(delta.length * d);
      const e = d === 2
        ? k.kernel('emDemonsStep2d')(out, delta, sigma, grad, [dArr.shape[0], dArr.shape[1]], sigmaSqX)
        : k.kernel('emDemonsStep3d')(out, delta, sigma, grad, [dArr.shape[0], dArr.shape[1], dArr.shape[2]], sigmaSqX);
      rows.push(ctx.compare('demons' + tag, out));
      rows.push(ctx.compareScalar('demons_energy' + tag, e, scalarTolerance(ctx, 'demons_energy' + tag)));
    }
  }
  return rows;
}

interface MetricConfig {
  key: string;
  dim: number;
  levels_below: number;
  smooth: number;
  inner_iter: number;
  q_levels: number;
  double_gradient: boolean;
  step_type: string;
}

/** Image dynamics with no warping: the original is the image itself, warps are copies. */
function identityDynamics<D extends Dim>(shape: ShapeOf<D>, data: Float32Array): ImageDynamics<D> {
  return {
    original: { shape, data, gridToWorld: null },
    warpToReference: (a: NumericArray): NumericArray => a.slice(),
  };
}

function runMetric(ctx: CaseContext): Comparison[] {
  const rows: Comparison[] = [];
  const configs = ctx.case.params.configs as MetricConfig[];
  for (const cfg of configs) {
    const tag = `${cfg.dim}d`;
    const sArr = ctx.input('static' + tag);
    const staticImage = float32(sArr, 'static' + tag);
    const movingImage = float32(ctx.input('moving' + tag), 'moving' + tag);
    const dim = cfg.dim as Dim;
    const shape = sArr.shape as unknown as ShapeOf<Dim>;
    const spacing = Float64Array.from(ctx.case.params['spacing' + tag] as number[]);
    const direction = Float64Array.from((ctx.case.params['direction' + tag] as number[][]).flat());
    const options: EMMetricOptions = {
      smooth: cfg.smooth,
      innerIter: cfg.inner_iter,
      qLevels: cfg.q_levels,
      doubleGradient: cfg.double_gradient,
      stepType: cfg.step_type === 'gauss_newton' ? 'gaussNewton' : 'demons',
    };
    const metric = new EMMetric(dim, options);
    const inputs: MetricInputs<Dim> = {
      dim,
      shape,
      static: staticImage,
      moving: movingImage,
      gridToWorld: null,
      spacing,
      direction,
      level: 0,
      levelsBelow: cfg.levels_below,
      levelsAbove: 0,
      context: ctx.kernels,
      staticDynamics: identityDynamics(shape, staticImage),
      movingDynamics: identityDynamics(shape, movingImage),
    };
    const step = metric.prepare(inputs);
    const out = new Float32Array(staticImage.length * dim);
    const ef = step.forward(out);
    rows.push(ctx.compare('forward_' + cfg.key, out));
    rows.push(ctx.compareScalar('energy_forward_' + cfg.key, ef, scalarTolerance(ctx, 'energy_forward_' + cfg.key)));
    const eb = step.backward(out);
    rows.push(ctx.compare('backward_' + cfg.key, out));
    rows.push(ctx.compareScalar('energy_backward_' + cfg.key, eb, scalarTolerance(ctx, 'energy_backward_' + cfg.key)));
    step.dispose();
    metric.releaseBuffers();
  }
  return rows;
}

/** Handlers of this module. */
export const handlers: CaseHandler[] = [
  { dipyFunctions: [KERNELS_FUNCTION], run: runKernels },
  { dipyFunctions: [METRIC_FUNCTION], run: runMetric },
];
