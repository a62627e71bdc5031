/**
 * Reference handler for the SSD kernels and metric (`unit_ssd_kernels`): DIPY's
 * `compute_ssd_demons_step_2d/3d`, `compute_energy_ssd_2d/3d`, one
 * `iterate_residual_displacement_field_ssd_2d` sweep, one `v_cycle_2d`, and the
 * `SSDMetric(2)` demons steps after Gaussian smoothing (docs/algorithm.md §5.1).
 *
 * Inputs: `delta2d/3d` (static − moving, float32) and `grad2d/3d`
 * (`numpy.gradient(static)`, float32; unit spacing, identity direction), all on
 * one voxel grid. Parameters (`sigma_sq_x`, `v_cycle.{n,k,lambda_param}`, optional
 * `gs_lambda` and `metric_smooth`) come from the case; every output or scalar the
 * manifest lists is compared, absent ones are skipped. Kernels come from
 * `ctx.kernels`, so any backend can be checked.
 *
 * The metric rows. The case gives `δ` and `∇static` but not the images
 * themselves, so the real {@link SSDMetric} is driven with `static = δ`,
 * `moving = 0` (hence `δ_forward = δ`, `δ_backward = −δ`, bit for bit), unit
 * spacing and identity direction, and a kernel context whose `numpyGradient`
 * returns the case's gradient for the static image. The backward step needs
 * `∇moving`, which the case does not store: it is reconstructed as
 * `f32(∇static − numpy.gradient(δ))` (exact in real arithmetic, float32 rounding
 * aside), so `metric_backward2d` is compared at its tolerance but is not expected
 * to be bit-exact. An `info` row says so.
 */
import { createContext, orientGradient, type KernelContext, type Kernels, type Shape2D, type Shape3D } from '@diffeo/core';
import { SSDMetric, ssdEnergy, vCycle2d } from '@diffeo/metrics-ssd';
import type { NpyArray } from '@diffeo/io';
import type { CaseContext, CaseHandler, Comparison, Tolerance } from '../types.js';

const DIPY_FUNCTION =
  'dipy.align.sumsqdiff.compute_ssd_demons_step_2d/3d, compute_energy_ssd_2d/3d, iterate_residual_displacement_field_ssd_2d, dipy.align.metrics.v_cycle_2d';

function float32(a: NpyArray, what: string): Float32Array {
  if (!(a.data instanceof Float32Array)) throw new Error(`${what} must be float32 (got ${a.dtype})`);
  return a.data;
}

function num(v: unknown, what: string): number {
  if (typeof v !== 'number' || Number.isNaN(v)) throw new Error(`param ${what} must be a number, got ${JSON.stringify(v)}`);
  return v;
}

function hasOutput(ctx: CaseContext, key: string): boolean {
  return ctx.case.outputs[key] !== undefined;
}

function hasScalar(ctx: CaseContext, key: string): boolean {
  return ctx.case.scalar_outputs[key] !== undefined;
}

/** Tolerance of a scalar output: its own block, else the case's `steps`/first block. */
function scalarTolerance(ctx: CaseContext, key: string): Tolerance {
  const raw = ctx.case.scalar_outputs[key] as { tolerance?: Tolerance } | null;
  if (raw && typeof raw === 'object' && raw.tolerance) return raw.tolerance;
  const blocks = Object.values(ctx.case.tolerance);
  if (blocks.length === 0) throw new Error(`no tolerance for scalar '${key}'`);
  return ctx.case.tolerance.steps ?? blocks[0];
}

function shape2(a: NpyArray, what: string): Shape2D {
  if (a.shape.length !== 2) throw new Error(`${what} must be 2D, got shape [${a.shape.join(', ')}]`);
  return [a.shape[0], a.shape[1]];
}

function shape3(a: NpyArray, what: string): Shape3D {
  if (a.shape.length !== 3) throw new Error(`${what} must be 3D, got shape [${a.shape.join(', ')}]`);
  return [a.shape[0], a.shape[1], a.shape[2]];
}

/** A context equal to `base` except that `numpyGradient` (and `physicalGradient`, before its spacing and rotation) answer from `lookup` for the listed images. */
function contextWithGradients(base: KernelContext, lookup: Map<Float32Array, Float32Array>): KernelContext {
  const table: Kernels = { ...base.kernels };
  const fallback = base.kernel('numpyGradient');
  table.numpyGradient = (out, image, shape) => {
    const g = lookup.get(image);
    if (g) out.set(g);
    else fallback(out, image, shape);
  };
  // The metrics take gradients through physicalGradient: the injected voxel-unit
  // gradient, then the kernel's own spacing division and rotation.
  const physical = base.kernel('physicalGradient');
  table.physicalGradient = (out, image, shape, spacing, direction) => {
    const g = lookup.get(image);
    if (!g) return physical(out, image, shape, spacing, direction);
    out.set(g);
    orientGradient(out, shape, spacing, direction);
  };
  return createContext({ name: 'ssd-case-gradients', priority: 0, kernels: table });
}

function runSsdCase(ctx: CaseContext): Comparison[] {
  const rows: Comparison[] = [];
  const p = ctx.case.params;
  const k = ctx.kernels;

  // ---- 2D ----
  if (ctx.case.inputs.delta2d && ctx.case.inputs.grad2d) {
    const dIn = ctx.input('delta2d');
    const delta = float32(dIn, 'delta2d');
    const grad = float32(ctx.input('grad2d'), 'grad2d');
    const shape = shape2(dIn, 'delta2d');
    const n = shape[0] * shape[1];
    if (grad.length !== 2 * n) throw new Error('grad2d must have shape delta2d.shape + (2,)');

    if (hasOutput(ctx, 'demons2d') || hasScalar(ctx, 'demons_energy2d')) {
      const out = new Float32Array(2 * n);
      const e = k.kernel('ssdDemonsStep2d')(out, delta, grad, shape, num(p.sigma_sq_x, 'sigma_sq_x'));
      if (hasOutput(ctx, 'demons2d')) rows.push(ctx.compare('demons2d', out));
      if (hasScalar(ctx, 'demons_energy2d')) rows.push(ctx.compareScalar('demons_energy2d', e, scalarTolerance(ctx, 'demons_energy2d')));
    }
    if (hasScalar(ctx, 'energy_ssd2d')) {
      rows.push(ctx.compareScalar('energy_ssd2d', ssdEnergy(delta), scalarTolerance(ctx, 'energy_ssd2d')));
    }
    const vc = (p.v_cycle ?? {}) as Record<string, unknown>;
    if (hasOutput(ctx, 'gs_sweep2d') || hasScalar(ctx, 'gs_sweep2d_max_step')) {
      const lambda = num(p.gs_lambda ?? vc.lambda_param, 'gs_lambda / v_cycle.lambda_param');
      const u = new Float32Array(2 * n);
      k.kernel('gaussSeidelSweep2d')(u, delta, null, grad, null, lambda, shape);
      if (hasOutput(ctx, 'gs_sweep2d')) rows.push(ctx.compare('gs_sweep2d', u));
      if (hasScalar(ctx, 'gs_sweep2d_max_step')) {
        // From a zero start the change is the new value itself (DIPY measures it before the float32 store).
        let m = 0;
        for (let i = 0; i < n; i++) m = Math.max(m, u[2 * i] * u[2 * i] + u[2 * i + 1] * u[2 * i + 1]);
        rows.push(ctx.compareScalar('gs_sweep2d_max_step', Math.sqrt(m), scalarTolerance(ctx, 'gs_sweep2d_max_step')));
      }
    }
    if (hasOutput(ctx, 'vcycle2d') || hasScalar(ctx, 'vcycle2d_energy')) {
      const u = new Float32Array(2 * n);
      const e = vCycle2d(num(vc.n, 'v_cycle.n'), num(vc.k, 'v_cycle.k'), delta, null, grad, null,
        num(vc.lambda_param, 'v_cycle.lambda_param'), u, shape, k);
      if (hasOutput(ctx, 'vcycle2d')) rows.push(ctx.compare('vcycle2d', u));
      if (hasScalar(ctx, 'vcycle2d_energy')) rows.push(ctx.compareScalar('vcycle2d_energy', e, scalarTolerance(ctx, 'vcycle2d_energy')));
    }
    if (hasOutput(ctx, 'metric_forward2d') || hasOutput(ctx, 'metric_backward2d')) {
      const staticImage = Float32Array.from(delta); // static − moving = δ exactly
      const movingImage = new Float32Array(n);
      // ∇moving = ∇(static − δ): reconstructed, see the module header.
      const gradDelta = new Float32Array(2 * n);
      k.kernel('numpyGradient')(gradDelta, delta, shape);
      const gradMoving = new Float32Array(2 * n);
      for (let i = 0; i < 2 * n; i++) gradMoving[i] = grad[i] - gradDelta[i];
      const metricCtx = contextWithGradients(k, new Map([[staticImage, grad], [movingImage, gradMoving]]));
      const smooth = p.metric_smooth === undefined ? undefined : num(p.metric_smooth, 'metric_smooth');
      const metric = new SSDMetric(2, smooth === undefined ? {} : { smooth });
      const step = metric.prepare({
        dim: 2,
        shape,
        static: staticImage,
        moving: movingImage,
        gridToWorld: null,
        spacing: new Float64Array([1, 1]),
        direction: new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]),
        level: 0,
        levelsBelow: 0,
        levelsAbove: 0,
        context: metricCtx,
      });
      const out = new Float32Array(2 * n);
      if (hasOutput(ctx, 'metric_forward2d')) {
        step.forward(out);
        rows.push(ctx.compare('metric_forward2d', out));
      }
      if (hasOutput(ctx, 'metric_backward2d')) {
        step.backward(out);
        rows.push(ctx.compare('metric_backward2d', out));
        rows.push({
          output: 'metric_backward2d (note)',
          measured: 'grad(moving) rebuilt as grad(static) - grad(delta)',
          tolerance: '-',
          status: 'info',
        });
      }
      step.dispose();
    }
  }

  // ---- 3D ----
  if (ctx.case.inputs.delta3d && ctx.case.inputs.grad3d) {
    const dIn = ctx.input('delta3d');
    const delta = float32(dIn, 'delta3d');
    const grad = float32(ctx.input('grad3d'), 'grad3d');
    const shape = shape3(dIn, 'delta3d');
    const n = shape[0] * shape[1] * shape[2];
    if (grad.length !== 3 * n) throw new Error('grad3d must have shape delta3d.shape + (3,)');
    if (hasOutput(ctx, 'demons3d') || hasScalar(ctx, 'demons_energy3d')) {
      const out = new Float32Array(3 * n);
      const e = k.kernel('ssdDemonsStep3d')(out, delta, grad, shape, num(p.sigma_sq_x, 'sigma_sq_x'));
      if (hasOutput(ctx, 'demons3d')) rows.push(ctx.compare('demons3d', out));
      if (hasScalar(ctx, 'demons_energy3d')) rows.push(ctx.compareScalar('demons_energy3d', e, scalarTolerance(ctx, 'demons_energy3d')));
    }
    if (hasScalar(ctx, 'energy_ssd3d')) {
      rows.push(ctx.compareScalar('energy_ssd3d', ssdEnergy(delta), scalarTolerance(ctx, 'energy_ssd3d')));
    }
  }
  return rows;
}

/** Handlers of this module. */
export const handlers: CaseHandler[] = [{ dipyFunctions: [DIPY_FUNCTION], run: runSsdCase }];
