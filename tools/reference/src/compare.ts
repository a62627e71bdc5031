/**
 * Comparison metrics named in the fixture manifests (see fixtures/reference/README.md):
 * allclose, exact, mismatch_fraction<=X, max_abs, mean_abs, mean_abs_rel,
 * endpoint_error (mean and optional p99 of per-voxel vector differences),
 * energy_profile, abs, range and informative_only.
 */
import type { Comparison, Tolerance } from './types.js';

/** Formats a number compactly for the table. */
export function fmt(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1e-3 && a < 1e5 ? x.toPrecision(4) : x.toExponential(2);
}

function tolText(t: Tolerance): string {
  const parts = [t.metric];
  if (t.rtol) parts.push(`rtol=${fmt(t.rtol)}`);
  if (t.atol !== null && t.atol !== undefined && t.atol !== 0) parts.push(`atol=${fmt(t.atol)}`);
  if (typeof t.p99_atol === 'number') parts.push(`p99<=${fmt(t.p99_atol)}`);
  return parts.join(' ');
}

/** Compares two equally long numeric arrays (`b` is DIPY's) with tolerance `t`; `vectorDim` is needed for endpoint_error. */
export function compareArrays(output: string, a: ArrayLike<number>, b: ArrayLike<number>, t: Tolerance, vectorDim = 1): Comparison {
  const tolerance = tolText(t);
  if (a.length !== b.length) {
    return { output, measured: `length ${a.length} vs ${b.length}`, tolerance, status: 'fail', detail: 'size mismatch' };
  }
  const n = a.length;
  const metric = t.metric;
  const atol = t.atol ?? 0;
  const rtol = t.rtol ?? 0;
  if (metric === 'informative_only') {
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.abs(a[i] - b[i]);
    return { output, measured: `mean|d|=${fmt(s / Math.max(1, n))}`, tolerance, status: 'info' };
  }
  if (metric === 'allclose') {
    let maxAbs = 0;
    let worst = -Infinity;
    let bad = 0;
    for (let i = 0; i < n; i++) {
      const x = a[i], y = b[i];
      if (Number.isNaN(x) || Number.isNaN(y)) {
        if (!(Number.isNaN(x) && Number.isNaN(y))) bad++;
        continue;
      }
      if (x === y) continue; // also covers equal infinities
      const d = Math.abs(x - y);
      if (d > maxAbs) maxAbs = d;
      const excess = d - (atol + rtol * Math.abs(y));
      if (excess > worst) worst = excess;
      if (excess > 0 || !Number.isFinite(d)) bad++;
    }
    return {
      output,
      measured: maxAbs === 0 && bad === 0 ? 'bit-exact' : `max|d|=${fmt(maxAbs)}`,
      tolerance,
      status: bad === 0 ? 'pass' : 'fail',
      detail: bad ? `${bad} of ${n} values outside tolerance` : undefined,
    };
  }
  if (metric === 'exact' || metric.startsWith('mismatch_fraction')) {
    let bad = 0;
    for (let i = 0; i < n; i++) if (!(a[i] === b[i] || (Number.isNaN(a[i]) && Number.isNaN(b[i])))) bad++;
    const frac = bad / Math.max(1, n);
    const limit = metric === 'exact' ? 0 : Number(metric.split('<=')[1]);
    return {
      output,
      measured: bad === 0 ? 'bit-exact' : `mismatch ${bad}/${n} (${fmt(frac)})`,
      tolerance,
      status: frac <= limit ? 'pass' : 'fail',
    };
  }
  if (metric === 'max_abs' || metric === 'mean_abs' || metric === 'mean_abs_rel' || metric === 'abs') {
    let maxAbs = 0, sum = 0, maxRef = 0;
    for (let i = 0; i < n; i++) {
      const d = Math.abs(a[i] - b[i]);
      if (d > maxAbs || Number.isNaN(d)) maxAbs = Number.isNaN(d) ? Infinity : d;
      sum += d;
      maxRef = Math.max(maxRef, Math.abs(b[i]));
    }
    const value = metric === 'max_abs' || metric === 'abs' ? maxAbs : metric === 'mean_abs' ? sum / Math.max(1, n) : sum / Math.max(1, n) / (maxRef || 1);
    const ok = value <= atol + (metric === 'abs' ? rtol * maxRef : 0);
    return { output, measured: `${metric === 'max_abs' || metric === 'abs' ? 'max' : 'mean'}=${fmt(value)}`, tolerance, status: ok ? 'pass' : 'fail' };
  }
  if (metric === 'endpoint_error') {
    const m = Math.floor(n / vectorDim);
    const e = new Float64Array(m);
    let sum = 0;
    for (let i = 0; i < m; i++) {
      let s = 0;
      for (let k = 0; k < vectorDim; k++) {
        const d = a[i * vectorDim + k] - b[i * vectorDim + k];
        s += d * d;
      }
      e[i] = Math.sqrt(s);
      sum += e[i];
    }
    const mean = sum / Math.max(1, m);
    const sorted = Float64Array.from(e).sort();
    // numpy.percentile's default (linear interpolation between closest ranks)
    let p99 = 0;
    if (sorted.length) {
      const pos = 0.99 * (sorted.length - 1);
      const lo = Math.floor(pos);
      const hi = Math.min(sorted.length - 1, lo + 1);
      p99 = sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
    const p99tol = typeof t.p99_atol === 'number' ? t.p99_atol : Infinity;
    const ok = mean <= atol && p99 <= p99tol;
    return { output, measured: `mean=${fmt(mean)} p99=${fmt(p99)}`, tolerance, status: ok ? 'pass' : 'fail' };
  }
  if (metric === 'energy_profile') {
    const head = Math.min(10, n);
    let maxRelHead = 0, maxRelRest = 0;
    for (let i = 0; i < n; i++) {
      const r = Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), 1e-300);
      if (i < head) maxRelHead = Math.max(maxRelHead, r);
      else maxRelRest = Math.max(maxRelRest, r);
    }
    const rtolRest = typeof t.rtol_rest === 'number' ? t.rtol_rest : null;
    const ok = maxRelHead <= rtol && (rtolRest === null || maxRelRest <= rtolRest);
    return {
      output,
      measured: `first10 rel=${fmt(maxRelHead)}${rtolRest === null ? '' : ` rest rel=${fmt(maxRelRest)}`}`,
      tolerance: `${tolerance}${rtolRest === null ? '' : ` rest<=${fmt(rtolRest)}`}`,
      status: ok ? 'pass' : 'fail',
    };
  }
  if (metric === 'range') {
    const lo = t.observed_min as number[] | undefined;
    const hi = t.observed_max as number[] | undefined;
    let ok = !!lo && !!hi && lo.length === n;
    for (let i = 0; ok && i < n; i++) ok = a[i] >= lo![i] && a[i] <= hi![i];
    return { output, measured: `[${Array.from(a).join(',')}]`, tolerance: `range [${lo?.join(',')}]..[${hi?.join(',')}]`, status: ok ? 'pass' : 'fail' };
  }
  return { output, measured: '-', tolerance, status: 'unsupported', detail: `unknown comparison metric '${metric}'` };
}
