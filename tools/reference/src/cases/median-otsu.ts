/**
 * Reference handler for DIPY's `dipy.segment.mask.median_otsu` (manifest case
 * `unit_median_otsu`), run through `@diffeo/median-otsu`.
 *
 * Manifest format read (nothing is hard-coded):
 * - `params.median_radius`, `params.numpass` (DIPY's defaults 4 / 4 when absent), and when
 *   present `params.autocrop`, `params.dilate`, `params.vol_idx`. Other params (such as
 *   `slice_2d`, which only says where an input came from) are informational.
 * - outputs come in pairs `masked<S>` / `mask<S>` for a suffix `S` (`""`, `"2d"`, ...). The
 *   input run for suffix `S` is the input whose shape equals `masked<S>`'s shape (or, with
 *   `autocrop`, any input), preferring the key `volume` for `S = ""` and a key ending in `S`
 *   otherwise.
 * - scalar outputs `otsu_threshold<S>` are compared with the threshold of that run, at the
 *   scalar's own tolerance.
 * Anything not recognised is reported as unsupported, so nothing is skipped silently.
 */
import { medianOtsu, type MedianOtsuOptions } from '@diffeo/median-otsu';
import type { CaseContext, CaseHandler, Comparison, ManifestArray, Tolerance } from '../types.js';

const DEFAULT_SCALAR_TOL: Tolerance = { metric: 'allclose', rtol: 1e-9, atol: 0 };

function num(v: unknown, what: string): number {
  if (typeof v !== 'number') throw new Error(`${what} must be a number, got ${JSON.stringify(v)}`);
  return v;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function pickInput(ctx: CaseContext, suffix: string, masked: ManifestArray, autocrop: boolean, taken: Set<string>): string | undefined {
  const inputs = Object.entries(ctx.case.inputs).filter(([k]) => !taken.has(k));
  let cands = autocrop ? inputs : inputs.filter(([, a]) => sameShape(a.shape, masked.shape));
  if (cands.length > 1) {
    const pref = cands.filter(([k]) => (suffix === '' ? k === 'volume' : k.toLowerCase().endsWith(suffix.toLowerCase())));
    if (pref.length > 0) cands = pref;
  }
  return cands[0]?.[0];
}

function scalarValue(ctx: CaseContext, key: string): { value: unknown; tolerance?: Tolerance } {
  const raw = ctx.case.scalar_outputs[key];
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw) && 'value' in raw) return raw as { value: unknown; tolerance?: Tolerance };
  return { value: raw };
}

const handler: CaseHandler = {
  dipyFunctions: ['dipy.segment.mask.median_otsu'],
  run(ctx) {
    const p = ctx.case.params;
    const options: MedianOtsuOptions = {
      medianRadius: p.median_radius === undefined ? 4 : num(p.median_radius, 'params.median_radius'),
      numpass: p.numpass === undefined ? 4 : num(p.numpass, 'params.numpass'),
      autocrop: p.autocrop === true,
      dilate: p.dilate === undefined || p.dilate === null ? null : num(p.dilate, 'params.dilate'),
    };
    if (Array.isArray(p.vol_idx)) options.volIdx = p.vol_idx.map((v, i) => num(v, `params.vol_idx[${i}]`));
    const autocrop = options.autocrop === true;

    const rows: Comparison[] = [];
    const handledOutputs = new Set<string>();
    const handledScalars = new Set<string>();
    const taken = new Set<string>();
    const suffixes = Object.keys(ctx.case.outputs)
      .filter((k) => k.startsWith('masked'))
      .map((k) => k.slice('masked'.length))
      .sort((a, b) => a.length - b.length); // '' first: it prefers the key 'volume'
    for (const suffix of suffixes) {
      const maskedKey = `masked${suffix}`;
      const maskKey = `mask${suffix}`;
      const inputKey = pickInput(ctx, suffix, ctx.case.outputs[maskedKey], autocrop, taken);
      if (inputKey === undefined) continue;
      taken.add(inputKey);
      const input = ctx.input(inputKey);
      const result = medianOtsu({ data: input.data, shape: input.shape }, options);
      rows.push(ctx.compare(maskedKey, result.masked.data));
      handledOutputs.add(maskedKey);
      if (ctx.case.outputs[maskKey]) {
        rows.push(ctx.compare(maskKey, result.mask.data));
        handledOutputs.add(maskKey);
      }
      const thrKey = `otsu_threshold${suffix}`;
      if (ctx.case.scalar_outputs[thrKey] !== undefined) {
        const entry = scalarValue(ctx, thrKey);
        rows.push(ctx.compareScalar(thrKey, result.threshold, entry.tolerance ?? ctx.case.tolerance[thrKey] ?? DEFAULT_SCALAR_TOL));
        handledScalars.add(thrKey);
      }
    }

    for (const key of Object.keys(ctx.case.outputs)) {
      if (!handledOutputs.has(key)) rows.push({ output: key, measured: '-', tolerance: '-', status: 'unsupported', detail: 'output not recognised by the median_otsu handler (or no input of its shape)' });
    }
    for (const key of Object.keys(ctx.case.scalar_outputs)) {
      if (!handledScalars.has(key)) rows.push({ output: key, measured: '-', tolerance: '-', status: 'unsupported', detail: 'scalar output not recognised by the median_otsu handler' });
    }
    return rows;
  },
};

/** Handlers of this file. */
export const handlers: CaseHandler[] = [handler];
