/**
 * Reference handler for DIPY's `dipy.align.scalespace.ScaleSpace` (manifest case
 * `unit_scalespace`), run through `@diffeo/pyramid` with the case's kernel context.
 *
 * Manifest format read (nothing is hard-coded):
 * - `params.<name>` objects holding `num_levels` are datasets; `<name>` is also the
 *   key of the input image. The grid-to-world matrix comes from the input
 *   `<name>_grid2world` when present, else from `params.<name>.grid2world` (null =
 *   identity). `params.<name>.spacing` (when a list) is passed as the spacing;
 *   otherwise it is derived from the affine (float32 column norms, as SyN does).
 *   `sigma_factor` / `mask0` are taken from `params.<name>` or `params` (DIPY's
 *   defaults 0.2 / false when absent).
 * - outputs `<name>_image_L<k>`: level images, compared at their own tolerance;
 * - scalar outputs `<name>_L<k>` (domain_shape, spacing, scaling, sigmas, affine,
 *   affine_inv), `<name>_expand_factors` (get_expand_factors(k+1, k)) and
 *   `<name>_input_spacing`, compared at the scalar's tolerance, or a tight allclose
 *   (exact for shapes) when it has none.
 * Any output or scalar output the handler does not recognise is reported as
 * unsupported, so nothing is skipped silently.
 */
import { ScaleSpace } from '@diffeo/pyramid';
import type { Affine } from '@diffeo/core';
import type { CaseContext, CaseHandler, Comparison, Tolerance } from '../types.js';

const TIGHT: Tolerance = { metric: 'allclose', rtol: 1e-12, atol: 1e-12, why: 'geometry computed in double by the same formulas' };
const EXACT: Tolerance = { metric: 'exact', rtol: 0, atol: 0, why: 'integer shapes' };

type Json = unknown;

function flatten(v: Json, what: string): number[] {
  const out: number[] = [];
  const walk = (x: Json): void => {
    if (typeof x === 'number') out.push(x);
    else if (Array.isArray(x)) x.forEach(walk);
    else throw new Error(`${what} must be a (nested) list of numbers, got ${JSON.stringify(x)}`);
  };
  walk(v);
  return out;
}

function scalarEntry(ctx: CaseContext, key: string): { value: Json; tolerance?: Tolerance } | undefined {
  const raw = ctx.case.scalar_outputs[key] as Json;
  if (raw === undefined) return undefined;
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw) && 'value' in raw) {
    return raw as { value: Json; tolerance?: Tolerance };
  }
  return { value: raw };
}

/** Compares an affine that may be `null` (DIPY's None) with the expected value (null or nested rows). */
function compareAffine(ctx: CaseContext, key: string, actual: Affine, expected: Json, tol: Tolerance): Comparison {
  if (expected === null || actual === null) {
    const ok = expected === null && actual === null;
    return {
      output: key,
      measured: actual === null ? 'None' : 'matrix',
      tolerance: expected === null ? 'None' : 'matrix',
      status: ok ? 'pass' : 'fail',
      detail: ok ? undefined : 'one side is None (identity, not given) and the other a matrix',
    };
  }
  return ctx.compareScalar(key, actual, tol, flatten(expected, key));
}

const scaleSpaceHandler: CaseHandler = {
  dipyFunctions: ['dipy.align.scalespace.ScaleSpace'],
  run(ctx) {
    const rows: Comparison[] = [];
    const params = ctx.case.params;
    const handledOutputs = new Set<string>();
    const handledScalars = new Set<string>();
    const datasets = Object.keys(params).filter((k) => {
      const v = params[k] as Json;
      return v !== null && typeof v === 'object' && !Array.isArray(v) && 'num_levels' in v;
    });
    if (datasets.length === 0) throw new Error(`case ${ctx.case.name}: no params.<name> with num_levels`);

    for (const name of datasets) {
      const p = params[name] as Record<string, Json>;
      const numLevels = p.num_levels as number;
      const input = ctx.input(name);
      if (!(input.data instanceof Float32Array)) throw new Error(`input ${name} must be float32 (got ${input.dtype})`);
      const g2wKey = `${name}_grid2world`;
      const gridToWorld = ctx.case.inputs[g2wKey]
        ? Float64Array.from(ctx.input(g2wKey).data)
        : p.grid2world === null || p.grid2world === undefined ? null : flatten(p.grid2world, `params.${name}.grid2world`);
      const spacing = Array.isArray(p.spacing) ? flatten(p.spacing, `params.${name}.spacing`) : undefined;
      const sigmaFactor = (p.sigma_factor ?? params.sigma_factor ?? 0.2) as number;
      const mask0 = (p.mask0 ?? params.mask0 ?? false) as boolean;

      const ss = new ScaleSpace({
        image: input.data,
        shape: input.shape as unknown as [number, number],
        gridToWorld,
        spacing,
        numLevels,
        sigmaFactor,
        mask0,
        context: ctx.kernels,
      });

      const inSpacingKey = `${name}_input_spacing`;
      const inSpacing = scalarEntry(ctx, inSpacingKey);
      if (inSpacing) {
        handledScalars.add(inSpacingKey);
        rows.push(ctx.compareScalar(inSpacingKey, ss.getSpacing(0), inSpacing.tolerance ?? TIGHT, flatten(inSpacing.value, inSpacingKey)));
      }

      for (let level = 0; level < numLevels; level++) {
        const imageKey = `${name}_image_L${level}`;
        if (ctx.case.outputs[imageKey]) {
          handledOutputs.add(imageKey);
          rows.push(ctx.compare(imageKey, ss.getImage(level), ctx.case.outputs[imageKey].tolerance ?? ctx.case.tolerance.images));
        }
        const levelKey = `${name}_L${level}`;
        const entry = scalarEntry(ctx, levelKey);
        if (!entry) continue;
        handledScalars.add(levelKey);
        const tol = entry.tolerance ?? TIGHT;
        const v = entry.value as Record<string, Json>;
        for (const field of Object.keys(v)) {
          const key = `${levelKey}.${field}`;
          switch (field) {
            case 'domain_shape':
              rows.push(ctx.compareScalar(key, ss.getDomainShape(level), EXACT, flatten(v[field], key)));
              break;
            case 'spacing':
              rows.push(ctx.compareScalar(key, ss.getSpacing(level), tol, flatten(v[field], key)));
              break;
            case 'scaling':
              rows.push(ctx.compareScalar(key, ss.getScaling(level), tol, flatten(v[field], key)));
              break;
            case 'sigmas':
              rows.push(ctx.compareScalar(key, ss.getSigmas(level), tol, flatten(v[field], key)));
              break;
            case 'affine':
              rows.push(compareAffine(ctx, key, ss.getAffine(level), v[field], tol));
              break;
            case 'affine_inv':
              rows.push(compareAffine(ctx, key, ss.getAffineInv(level), v[field], tol));
              break;
            default:
              rows.push({ output: key, measured: '-', tolerance: '-', status: 'unsupported', detail: `unknown level property '${field}'` });
          }
        }
      }

      const expandKey = `${name}_expand_factors`;
      const expand = scalarEntry(ctx, expandKey);
      if (expand) {
        handledScalars.add(expandKey);
        const actual: number[] = [];
        for (let level = 0; level + 1 < numLevels; level++) actual.push(...ss.getExpandFactors(level + 1, level));
        rows.push(ctx.compareScalar(expandKey, actual, expand.tolerance ?? TIGHT, flatten(expand.value, expandKey)));
      }
    }

    for (const key of Object.keys(ctx.case.outputs)) {
      if (!handledOutputs.has(key)) rows.push({ output: key, measured: '-', tolerance: '-', status: 'unsupported', detail: 'output not recognised by the scalespace handler' });
    }
    for (const key of Object.keys(ctx.case.scalar_outputs)) {
      if (!handledScalars.has(key)) rows.push({ output: key, measured: '-', tolerance: '-', status: 'unsupported', detail: 'scalar output not recognised by the scalespace handler' });
    }
    return rows;
  },
};

/** Handlers of this file. */
export const handlers: CaseHandler[] = [scaleSpaceHandler];
