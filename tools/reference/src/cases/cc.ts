/**
 * Reference handler for the local cross-correlation kernels and metric
 * (`unit_cc_kernels`): DIPY's `precompute_cc_factors_2d/3d`,
 * `compute_cc_forward_step_2d/3d`, `compute_cc_backward_step_2d/3d` and the
 * `CCMetric` steps after Gaussian smoothing (docs/algorithm.md §5.2).
 *
 * Everything comes from the case: the images `static{2d,3d}`, `moving{2d,3d}`
 * and their gradients `grad_static*`, `grad_moving*` (numpy.gradient, unit
 * spacing, identity direction) from `inputs`; the window radius from
 * `params.radius` and the metric's smoothing from `params.metric_sigma_diff`
 * (or `params.sigma_diff`; DIPY's default 2.0 when absent). Output keys name what
 * was computed, for `<d>` in `2d`/`3d`:
 * - `factors<d>`: the five factors per voxel;
 * - `forward<d>` / `backward<d>`: the kernel steps (band of width r is zero), with
 *   scalars `energy_forward<d>` / `energy_backward<d>`;
 * - `metric_forward<d>` / `metric_backward<d>`: the public `CCMetric` steps
 *   (gradients computed by the metric itself, unit spacing, identity direction).
 * Every output the manifest lists is compared; unknown ones are reported as
 * unsupported. Kernels come from `ctx.kernels`, so any backend can be checked.
 */
import type { Dim, Shape2D, Shape3D } from '@diffeo/core';
import { CCMetric } from '@diffeo/metrics-cc';
import type { NpyArray } from '@diffeo/io';
import type { CaseContext, CaseHandler, Comparison, Tolerance } from '../types.js';

const DIPY_FUNCTION =
  'dipy.align.crosscorr.precompute_cc_factors_2d/3d, compute_cc_forward_step_2d/3d, compute_cc_backward_step_2d/3d';

type Shape = Shape2D | Shape3D;

function float32(a: NpyArray, what: string): Float32Array {
  if (!(a.data instanceof Float32Array)) throw new Error(`${what} must be float32 (got ${a.dtype})`);
  return a.data;
}

function num(v: unknown, what: string): number {
  if (typeof v !== 'number' || Number.isNaN(v)) throw new Error(`param ${what} must be a number, got ${JSON.stringify(v)}`);
  return v;
}

/** Tolerance of a scalar output: its own block, else the case's `energy` block, else the first one. */
function scalarTolerance(ctx: CaseContext, key: string): Tolerance {
  const raw = ctx.case.scalar_outputs[key] as { tolerance?: Tolerance } | null;
  if (raw && typeof raw === 'object' && raw.tolerance) return raw.tolerance;
  const blocks = Object.values(ctx.case.tolerance);
  if (blocks.length === 0) throw new Error(`no tolerance for scalar '${key}'`);
  return ctx.case.tolerance.energy ?? blocks[0];
}

interface DimData {
  dim: Dim;
  shape: Shape;
  n: number;
  staticImage: Float32Array;
  movingImage: Float32Array;
}

function loadDim(ctx: CaseContext, tag: '2d' | '3d'): DimData | null {
  const sKey = `static${tag}`;
  const mKey = `moving${tag}`;
  if (!ctx.case.inputs[sKey] || !ctx.case.inputs[mKey]) return null;
  const sIn = ctx.input(sKey);
  const mIn = ctx.input(mKey);
  const dim = (tag === '2d' ? 2 : 3) as Dim;
  if (sIn.shape.length !== dim || mIn.shape.join() !== sIn.shape.join()) {
    throw new Error(`${sKey} and ${mKey} must be ${dim}D arrays of one shape; got [${sIn.shape.join(', ')}] and [${mIn.shape.join(', ')}]`);
  }
  const shape = sIn.shape.slice() as unknown as Shape;
  const n = sIn.shape.reduce((a, b) => a * b, 1);
  return { dim, shape, n, staticImage: float32(sIn, sKey), movingImage: float32(mIn, mKey) };
}

function gradientInput(ctx: CaseContext, key: string, d: DimData): Float32Array {
  const g = float32(ctx.input(key), key);
  if (g.length !== d.n * d.dim) throw new Error(`${key} must have shape ${d.shape.join('x')}x${d.dim}`);
  return g;
}

function runDim(ctx: CaseContext, tag: '2d' | '3d', radius: number, sigmaDiff: number, done: Set<string>): Comparison[] {
  const rows: Comparison[] = [];
  const d = loadDim(ctx, tag);
  if (d === null) return rows;
  const k = ctx.kernels;
  const outs = ctx.case.outputs;
  const scalars = ctx.case.scalar_outputs;

  const factors = new Float32Array(d.n * 5);
  const kd = k.kernelsFor(d.dim);
  kd.ccFactors(factors, d.staticImage, d.movingImage, d.shape, radius);
  if (outs[`factors${tag}`]) {
    rows.push(ctx.compare(`factors${tag}`, factors));
    done.add(`factors${tag}`);
  }

  for (const dir of ['forward', 'backward'] as const) {
    const outKey = `${dir}${tag}`;
    const eKey = `energy_${dir}${tag}`;
    if (!outs[outKey] && scalars[eKey] === undefined) continue;
    const grad = gradientInput(ctx, dir === 'forward' ? `grad_static${tag}` : `grad_moving${tag}`, d);
    const step = new Float32Array(d.n * d.dim);
    const energy = dir === 'forward'
      ? kd.ccForwardStep(step, grad, factors, d.shape, radius)
      : kd.ccBackwardStep(step, grad, factors, d.shape, radius);
    if (outs[outKey]) {
      rows.push(ctx.compare(outKey, step));
      done.add(outKey);
    }
    if (scalars[eKey] !== undefined) {
      rows.push(ctx.compareScalar(eKey, energy, scalarTolerance(ctx, eKey)));
      done.add(eKey);
    }
  }

  const fwKey = `metric_forward${tag}`;
  const bwKey = `metric_backward${tag}`;
  if (outs[fwKey] || outs[bwKey]) {
    const metric = new CCMetric(d.dim, { sigmaDiff, radius });
    const identity = new Float64Array((d.dim + 1) * (d.dim + 1));
    for (let i = 0; i <= d.dim; i++) identity[i * (d.dim + 2)] = 1;
    const step = metric.prepare({
      dim: d.dim,
      shape: d.shape,
      static: d.staticImage,
      moving: d.movingImage,
      gridToWorld: null,
      spacing: new Float64Array(d.dim).fill(1),
      direction: identity,
      level: 0,
      levelsBelow: 0,
      levelsAbove: 0,
      context: k,
    });
    const out = new Float32Array(d.n * d.dim);
    if (outs[fwKey]) {
      step.forward(out);
      rows.push(ctx.compare(fwKey, out));
      done.add(fwKey);
    }
    if (outs[bwKey]) {
      step.backward(out);
      rows.push(ctx.compare(bwKey, out));
      done.add(bwKey);
    }
    step.dispose();
  }
  return rows;
}

const ccHandler: CaseHandler = {
  dipyFunctions: [DIPY_FUNCTION],
  run(ctx) {
    const p = ctx.case.params;
    const radius = num(p.radius, 'radius');
    if (!Number.isInteger(radius) || radius < 0) throw new Error(`params.radius must be a non-negative integer, got ${radius}`);
    const sigmaRaw = p.metric_sigma_diff ?? p.sigma_diff;
    const sigmaDiff = sigmaRaw === undefined ? 2.0 : num(sigmaRaw, 'metric_sigma_diff');
    const done = new Set<string>();
    const rows = [...runDim(ctx, '2d', radius, sigmaDiff, done), ...runDim(ctx, '3d', radius, sigmaDiff, done)];
    for (const key of [...Object.keys(ctx.case.outputs), ...Object.keys(ctx.case.scalar_outputs)]) {
      if (!done.has(key)) {
        rows.push({ output: key, measured: '-', tolerance: '-', status: 'unsupported', detail: 'output not recognised by the cc handler' });
      }
    }
    return rows;
  },
};

export const handlers: CaseHandler[] = [ccHandler];
