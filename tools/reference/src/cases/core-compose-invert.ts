/**
 * Reference handlers for the composition and fixed-point inversion kernels of
 * `@diffeo/core` (docs/algorithm.md §2.1, §2.2): cases whose `dipy_function` is DIPY's
 * `compose_vector_fields_2d/3d` or `invert_vector_field_fixed_point_2d/3d`.
 *
 * Everything (fields, affines, spacings, iteration limits, tolerances) is read
 * from the manifest case; kernels come from `ctx.kernels`, so any backend can be
 * checked. Frames: fields are in world units, affines map world to grid (or grid
 * to grid for `premult_index`), as in the manifest descriptions.
 */
import { toAffine, type Affine, type ComposeStats, type Dim, type Shape2D, type Shape3D } from '@diffeo/core';
import type { NpyArray } from '@diffeo/io';
import type { CaseContext, CaseHandler, Comparison } from '../types.js';

type Shape = Shape2D | Shape3D;

function float32(a: NpyArray, what: string): Float32Array {
  if (!(a.data instanceof Float32Array)) throw new Error(`${what} must be float32 (got ${a.dtype})`);
  return a.data;
}

/** Grid shape and dimension of a field array of shape `grid + (d,)`. */
function fieldGrid(a: NpyArray, what: string): { shape: Shape; dim: Dim } {
  const s = a.shape;
  const dim = s[s.length - 1];
  if ((dim !== 2 && dim !== 3) || s.length !== dim + 1) throw new Error(`${what} must have shape grid+(d,) with d = 2 or 3, got (${s.join(', ')})`);
  return { shape: s.slice(0, dim) as unknown as Shape, dim };
}

/** An affine from an input array (by key) or a manifest value (nested lists); `null` for None/absent. */
function affineFrom(ctx: CaseContext, name: string | null, dim: Dim): Affine {
  if (name === null) return null;
  if (ctx.case.inputs[name]) return toAffine(Float64Array.from(ctx.input(name).data), dim, name);
  const p = ctx.case.params[name];
  if (p === undefined || p === null) return null;
  return toAffine(p as ReadonlyArray<ArrayLike<number>>, dim, `params.${name}`);
}

function compose(ctx: CaseContext, out: Float32Array, d1: Float32Array, d2: Float32Array, shape1: Shape, shape2: Shape,
  A: Affine, B: Affine, t: number): ComposeStats {
  return ctx.kernels.kernelsFor(shape1.length).compose(out, d1, shape1, d2, shape2, A, B, t);
}

/** Rows saying which outputs of the case no handler code compared. */
function uncovered(ctx: CaseContext, done: Set<string>): Comparison[] {
  return Object.keys(ctx.case.outputs)
    .filter((k) => !done.has(k))
    .map((k) => ({ output: k, measured: '-', tolerance: '-', status: 'unsupported' as const, detail: 'output not recognised by core-compose-invert' }));
}

interface ComposeCall { d1: string; d2: string; A: string | null; B: string | null; t: number }

/**
 * How output `comp<suffix>` was computed: when its description spells the call,
 * `compose(d1, d2, A, B, t)` (names of inputs, `None`, and a number or a param
 * name for t), that call; otherwise inputs `d1`, `d2`, `premult_index`,
 * `premult_disp` and `params.time_scaling`.
 */
function composeCallOf(ctx: CaseContext, key: string): ComposeCall {
  const desc = ctx.case.outputs[key].description ?? '';
  const m = /compose\(([^)]*)\)/.exec(desc);
  const noneOr = (s: string): string | null => (s === 'None' || s === 'null' ? null : s);
  if (m) {
    const args = m[1].split(',').map((s) => s.trim());
    if (args.length !== 5) throw new Error(`cannot read the call in the description of ${key}: ${m[0]}`);
    const tArg = args[4];
    const t = /^[-+0-9.eE]+$/.test(tArg) ? Number(tArg) : Number(ctx.case.params[tArg]);
    if (!Number.isFinite(t)) throw new Error(`time scaling '${tArg}' of ${key} is not a number`);
    return { d1: args[0], d2: args[1], A: noneOr(args[2]), B: noneOr(args[3]), t };
  }
  const t = Number(ctx.case.params.time_scaling);
  if (!Number.isFinite(t)) throw new Error('params.time_scaling is missing');
  return {
    d1: 'd1', d2: 'd2',
    A: ctx.case.inputs.premult_index ? 'premult_index' : null,
    B: ctx.case.inputs.premult_disp ? 'premult_disp' : null,
    t,
  };
}

/**
 * `compose_vector_fields_2d/3d`. Outputs `comp<suffix>` (the field) and `stats<suffix>`
 * (the three statistics). The field is also recomputed in place (`out = d1`) and compared
 * to the same expected output, as SyN updates its fields that way.
 */
const composeHandler: CaseHandler = {
  dipyFunctions: ['dipy.align.vector_fields.compose_vector_fields_2d', 'dipy.align.vector_fields.compose_vector_fields_3d'],
  run(ctx) {
    const rows: Comparison[] = [];
    const done = new Set<string>();
    for (const key of Object.keys(ctx.case.outputs)) {
      const m = /^comp(.*)$/.exec(key);
      if (!m) continue;
      const suffix = m[1];
      const call = composeCallOf(ctx, key);
      const d1a = ctx.input(call.d1), d2a = ctx.input(call.d2);
      const g1 = fieldGrid(d1a, call.d1), g2 = fieldGrid(d2a, call.d2);
      if (g1.dim !== g2.dim) throw new Error(`${call.d1} and ${call.d2} have different dimensions`);
      const A = affineFrom(ctx, call.A, g1.dim), B = affineFrom(ctx, call.B, g1.dim);
      const d1 = float32(d1a, call.d1), d2 = float32(d2a, call.d2);

      const out = new Float32Array(d1.length);
      const stats = compose(ctx, out, d1, d2, g1.shape, g2.shape, A, B, call.t);
      rows.push(ctx.compare(key, out));
      done.add(key);
      const statsKey = `stats${suffix}`;
      if (ctx.case.outputs[statsKey]) {
        rows.push(ctx.compare(statsKey, stats));
        done.add(statsKey);
      }

      const inPlace = d1.slice();
      compose(ctx, inPlace, inPlace, d2, g1.shape, g2.shape, A, B, call.t);
      rows.push({ ...ctx.compare(key, inPlace), output: `${key} (in place)` });
    }
    return [...rows, ...uncovered(ctx, done)];
  },
};

interface InvertRun { maxIter: number; tol: number; start: string | null }

/** The runs of an inversion case: `params.runs` (name → {max_iter, tolerance, start?}) or one run `default` from the top-level params. */
function invertRuns(ctx: CaseContext): Map<string, InvertRun> {
  const p = ctx.case.params;
  const read = (o: Record<string, unknown>, where: string): InvertRun => {
    const maxIter = Number(o.max_iter);
    const tol = Number(o.tolerance ?? o.tol);
    if (!Number.isInteger(maxIter) || !Number.isFinite(tol)) throw new Error(`${where} needs integer max_iter and numeric tolerance`);
    const start = typeof o.start === 'string' ? o.start : null;
    return { maxIter, tol, start };
  };
  const runs = new Map<string, InvertRun>();
  if (p.runs && typeof p.runs === 'object') {
    for (const [name, r] of Object.entries(p.runs as Record<string, Record<string, unknown>>)) runs.set(name, read(r, `params.runs.${name}`));
  } else {
    runs.set('default', read(p, 'params'));
  }
  return runs;
}

/**
 * `invert_vector_field_fixed_point_2d/3d`. For each run, output `inverse_<run>` is the
 * inverse and `residual_stats_<run>` the stats of `compose(d, inverse, None, world2grid, 1)`
 * (DIPY 1.6 discards the inversion's own stats). The field's world-to-grid and spacing are the
 * inputs `world2grid` / `spacing`, or the params of those names.
 */
const invertHandler: CaseHandler = {
  dipyFunctions: ['dipy.align.vector_fields.invert_vector_field_fixed_point_2d', 'dipy.align.vector_fields.invert_vector_field_fixed_point_3d'],
  run(ctx) {
    const rows: Comparison[] = [];
    const done = new Set<string>();
    const da = ctx.input('d');
    const { shape, dim } = fieldGrid(da, 'd');
    const d = float32(da, 'd');
    const W = affineFrom(ctx, 'world2grid', dim);
    const spacing = ctx.case.inputs.spacing ? Array.from(ctx.input('spacing').data) : (ctx.case.params.spacing as number[] | undefined);
    if (!spacing || spacing.length !== dim) throw new Error(`spacing must have ${dim} entries`);
    const scratch = new Float32Array(d.length);

    for (const [name, run] of invertRuns(ctx)) {
      const inv = run.start ? float32(ctx.input(run.start), run.start).slice() : new Float32Array(d.length);
      const res = ctx.kernels.kernelsFor(dim).invert(inv, d, shape, W, spacing, run.maxIter, run.tol, scratch);
      const invKey = `inverse_${name}`;
      if (ctx.case.outputs[invKey]) {
        rows.push(ctx.compare(invKey, inv));
        done.add(invKey);
      }
      const statsKey = `residual_stats_${name}`;
      if (ctx.case.outputs[statsKey]) {
        const stats = compose(ctx, new Float32Array(d.length), d, inv, shape, shape, null, W, 1);
        rows.push(ctx.compare(statsKey, stats));
        done.add(statsKey);
      }
      rows.push({
        output: `iterations_${name}`,
        measured: `${res.iterations} (error ${res.error.toExponential(3)}, max ${res.maxResidual.toExponential(3)} voxel)`,
        tolerance: '-',
        status: 'info',
      });
    }
    return [...rows, ...uncovered(ctx, done)];
  },
};

/** Handlers of this module. */
export const handlers: CaseHandler[] = [composeHandler, invertHandler];
