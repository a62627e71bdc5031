/**
 * Unbounded L-BFGS with the stopping rules and line search of scipy's L-BFGS-B
 * (`scipy.optimize.minimize(method='L-BFGS-B')`, L-BFGS-B 3.0), the optimiser DIPY's
 * AffineRegistration uses. No JavaScript L-BFGS-B package reproduces scipy's rules, so this
 * is our own implementation of the published algorithm (Byrd, Lu, Nocedal & Zhu 1995;
 * Moré & Thuente 1994).
 *
 * Without bounds, L-BFGS-B's step is the L-BFGS quasi-Newton step `d = −H·g` with the compact
 * inverse-Hessian of the last `m` pairs `(s, y)` and `H₀ = (sᵀy / yᵀy)·I`; here it is computed
 * by the two-loop recursion. With no pairs (first iteration, or after a restart) `d = −g`.
 *
 * Line search: Moré–Thuente (MINPACK-2 `dcsrch`/`dcstep`), `ftol = 1e−3`, `gtol = 0.9`,
 * `xtol = 0.1`, steps in `[0, 1e10]`; the first trial step is `1/‖d‖` on the first iteration
 * and 1 afterwards; at most `maxls` (20) evaluations. A failed search (or an ascent direction)
 * restarts from `d = −g` with an empty memory; if the memory was already empty, the run ends
 * ("abnormal termination") at the last accepted point.
 *
 * Stopping, checked after each accepted step in this order:
 * 1. iterations ≥ `maxiter`, or evaluations > `maxfun` (scipy's driver, evaluations include the first);
 * 2. `max_i |g_i| ≤ gtol` (also checked at the start);
 * 3. `(f_old − f) ≤ ftol · max(|f_old|, |f|, 1)` (scipy's `ftol`, factr·ε);
 * a pair with `sᵀy ≤ ε·(−g_oldᵀ s)` is not stored.
 *
 * Deviation: a non-finite trial value inside the line search (DIPY returns +∞ for a singular
 * affine) is handled by bisecting towards the best step, where Fortran would propagate NaNs.
 */
import { AbortError } from '@diffeo/core';

/** Options of {@link minimizeLbfgs} (scipy's names, camelCase). */
export interface LbfgsOptions {
  /** Memory size (scipy `maxcor`), default 10. */
  readonly maxcor?: number;
  /** Relative reduction tolerance (scipy `ftol`), default 2.220446049250313e-9. */
  readonly ftol?: number;
  /** Gradient tolerance on `max |g_i|` (scipy `gtol`), default 1e-5 (DIPY passes 1e-4). */
  readonly gtol?: number;
  /** Maximum evaluations (scipy `maxfun`), default 15000. */
  readonly maxfun?: number;
  /** Maximum iterations (scipy `maxiter`), default 15000. */
  readonly maxiter?: number;
  /** Maximum evaluations per line search (scipy `maxls`), default 20. */
  readonly maxls?: number;
  /** Aborts between evaluations (throws core's AbortError). */
  readonly signal?: AbortSignal;
  /** Called after each accepted iteration with the iteration number, the point and value. */
  readonly onIteration?: (iteration: number, x: Float64Array, f: number) => void;
}

/** Result of {@link minimizeLbfgs}. */
export interface LbfgsResult {
  /** Final point. */
  readonly x: Float64Array;
  /** Value at `x`. */
  readonly f: number;
  /** Gradient at `x`. */
  readonly g: Float64Array;
  /** Accepted iterations. */
  readonly iterations: number;
  /** Evaluations of the function (with gradient). */
  readonly evaluations: number;
  /** Why it stopped (scipy's messages). */
  readonly message: string;
  /** True for the two convergence tests. */
  readonly converged: boolean;
}

const EPS = 2.220446049250313e-16;

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Moré–Thuente line search state (MINPACK-2 dcsrch). */
class LineSearch {
  private brackt = false;
  private stage = 1;
  private ginit = 0;
  private gtest = 0;
  private finit = 0;
  private width = 0;
  private width1 = 0;
  private stx = 0;
  private fx = 0;
  private gx = 0;
  private sty = 0;
  private fy = 0;
  private gy = 0;
  private stmin = 0;
  private stmax = 0;
  stp: number;

  constructor(f: number, g: number, stp: number, ftol: number, private readonly gtol: number,
    private readonly xtol: number, private readonly stpmin: number, private readonly stpmax: number) {
    this.stp = stp;
    this.finit = f; this.ginit = g; this.gtest = ftol * g;
    this.width = stpmax - stpmin; this.width1 = this.width / 0.5;
    this.stx = 0; this.fx = f; this.gx = g; this.sty = 0; this.fy = f; this.gy = g;
    this.stmin = 0; this.stmax = stp + 4.0 * stp;
  }

  /** Takes f and g at `stp`; returns 'FG' (evaluate at the new `stp`), 'CONV' or 'WARN'. */
  next(f: number, g: number): 'FG' | 'CONV' | 'WARN' {
    const { gtol, xtol, stpmin, stpmax } = this;
    let stp = this.stp;
    const ftest = this.finit + stp * this.gtest;
    if (this.stage === 1 && f <= ftest && g >= 0) this.stage = 2;
    let task: 'FG' | 'CONV' | 'WARN' = 'FG';
    if (this.brackt && (stp <= this.stmin || stp >= this.stmax)) task = 'WARN';
    if (this.brackt && this.stmax - this.stmin <= xtol * this.stmax) task = 'WARN';
    if (stp === stpmax && f <= ftest && g <= this.gtest) task = 'WARN';
    if (stp === stpmin && (f > ftest || g >= this.gtest)) task = 'WARN';
    if (f <= ftest && Math.abs(g) <= gtol * -this.ginit) task = 'CONV';
    if (task !== 'FG') return task;
    if (!Number.isFinite(f) || !Number.isFinite(g)) {
      // not in MINPACK: halve the step back towards the best step so far
      this.stp = this.stx + 0.5 * (stp - this.stx);
      return 'FG';
    }
    if (this.stage === 1 && f <= this.fx && f > ftest) {
      const gt = this.gtest;
      const r = dcstep(this.stx, this.fx - this.stx * gt, this.gx - gt, this.sty, this.fy - this.sty * gt, this.gy - gt,
        stp, f - stp * gt, g - gt, this.brackt, this.stmin, this.stmax);
      this.stx = r.stx; this.sty = r.sty; this.brackt = r.brackt; stp = r.stp;
      this.fx = r.fx + r.stx * gt; this.fy = r.fy + r.sty * gt; this.gx = r.dx + gt; this.gy = r.dy + gt;
    } else {
      const r = dcstep(this.stx, this.fx, this.gx, this.sty, this.fy, this.gy, stp, f, g, this.brackt, this.stmin, this.stmax);
      this.stx = r.stx; this.fx = r.fx; this.gx = r.dx; this.sty = r.sty; this.fy = r.fy; this.gy = r.dy;
      this.brackt = r.brackt; stp = r.stp;
    }
    if (this.brackt) {
      if (Math.abs(this.sty - this.stx) >= 0.66 * this.width1) stp = this.stx + 0.5 * (this.sty - this.stx);
      this.width1 = this.width;
      this.width = Math.abs(this.sty - this.stx);
      this.stmin = Math.min(this.stx, this.sty);
      this.stmax = Math.max(this.stx, this.sty);
    } else {
      this.stmin = stp + 1.1 * (stp - this.stx);
      this.stmax = stp + 4.0 * (stp - this.stx);
    }
    stp = Math.max(stp, stpmin);
    stp = Math.min(stp, stpmax);
    if ((this.brackt && (stp <= this.stmin || stp >= this.stmax)) || (this.brackt && this.stmax - this.stmin <= xtol * this.stmax)) stp = this.stx;
    this.stp = stp;
    return 'FG';
  }
}

/** One safeguarded step of Moré–Thuente (MINPACK-2 dcstep), returning the updated interval. */
function dcstep(stx: number, fx: number, dx: number, sty: number, fy: number, dy: number, stp: number, fp: number, dp: number,
  brackt: boolean, stpmin: number, stpmax: number) {
  const sgnd = dp * (dx / Math.abs(dx));
  let stpf: number;
  if (fp > fx) {
    const theta = (3 * (fx - fp)) / (stp - stx) + dx + dp;
    const s = Math.max(Math.abs(theta), Math.abs(dx), Math.abs(dp));
    let gamma = s * Math.sqrt((theta / s) ** 2 - (dx / s) * (dp / s));
    if (stp < stx) gamma = -gamma;
    const p = (gamma - dx) + theta, q = ((gamma - dx) + gamma) + dp, r = p / q;
    const stpc = stx + r * (stp - stx);
    const stpq = stx + ((dx / ((fx - fp) / (stp - stx) + dx)) / 2) * (stp - stx);
    stpf = Math.abs(stpc - stx) < Math.abs(stpq - stx) ? stpc : stpc + (stpq - stpc) / 2;
    brackt = true;
  } else if (sgnd < 0) {
    const theta = (3 * (fx - fp)) / (stp - stx) + dx + dp;
    const s = Math.max(Math.abs(theta), Math.abs(dx), Math.abs(dp));
    let gamma = s * Math.sqrt((theta / s) ** 2 - (dx / s) * (dp / s));
    if (stp > stx) gamma = -gamma;
    const p = (gamma - dp) + theta, q = ((gamma - dp) + gamma) + dx, r = p / q;
    const stpc = stp + r * (stx - stp);
    const stpq = stp + (dp / (dp - dx)) * (stx - stp);
    stpf = Math.abs(stpc - stp) > Math.abs(stpq - stp) ? stpc : stpq;
    brackt = true;
  } else if (Math.abs(dp) < Math.abs(dx)) {
    const theta = (3 * (fx - fp)) / (stp - stx) + dx + dp;
    const s = Math.max(Math.abs(theta), Math.abs(dx), Math.abs(dp));
    let gamma = s * Math.sqrt(Math.max(0, (theta / s) ** 2 - (dx / s) * (dp / s)));
    if (stp > stx) gamma = -gamma;
    const p = (gamma - dp) + theta, q = (gamma + (dx - dp)) + gamma, r = p / q;
    let stpc: number;
    if (r < 0 && gamma !== 0) stpc = stp + r * (stx - stp);
    else if (stp > stx) stpc = stpmax;
    else stpc = stpmin;
    const stpq = stp + (dp / (dp - dx)) * (stx - stp);
    if (brackt) {
      stpf = Math.abs(stpc - stp) < Math.abs(stpq - stp) ? stpc : stpq;
      stpf = stp > stx ? Math.min(stp + 0.66 * (sty - stp), stpf) : Math.max(stp + 0.66 * (sty - stp), stpf);
    } else {
      stpf = Math.abs(stpc - stp) > Math.abs(stpq - stp) ? stpc : stpq;
      stpf = Math.min(stpmax, stpf);
      stpf = Math.max(stpmin, stpf);
    }
  } else if (brackt) {
    const theta = (3 * (fp - fy)) / (sty - stp) + dy + dp;
    const s = Math.max(Math.abs(theta), Math.abs(dy), Math.abs(dp));
    let gamma = s * Math.sqrt((theta / s) ** 2 - (dy / s) * (dp / s));
    if (stp > sty) gamma = -gamma;
    const p = (gamma - dp) + theta, q = ((gamma - dp) + gamma) + dy, r = p / q;
    stpf = stp + r * (sty - stp);
  } else {
    stpf = stp > stx ? stpmax : stpmin;
  }
  if (fp > fx) {
    sty = stp; fy = fp; dy = dp;
  } else {
    if (sgnd < 0) { sty = stx; fy = fx; dy = dx; }
    stx = stp; fx = fp; dx = dp;
  }
  return { stx, fx, dx, sty, fy, dy, stp: stpf, brackt };
}

/**
 * Minimises `fg(x) → { value, gradient }` from `x0` (see the module documentation).
 * @throws AbortError when `signal` aborts.
 */
export function minimizeLbfgs(
  fg: (x: Float64Array) => { value: number; gradient: Float64Array }, x0: ArrayLike<number>, options: LbfgsOptions = {},
): LbfgsResult {
  const m = options.maxcor ?? 10, ftol = options.ftol ?? 2.2204460492503131e-9, pgtol = options.gtol ?? 1e-5;
  const maxfun = options.maxfun ?? 15000, maxiter = options.maxiter ?? 15000, maxls = options.maxls ?? 20;
  const n = x0.length;
  let evaluations = 0;
  const evaluate = (x: Float64Array) => {
    if (options.signal?.aborted) throw new AbortError('the affine registration was aborted.');
    evaluations++;
    const r = fg(x);
    return { f: r.value, g: Float64Array.from(r.gradient) };
  };
  let x = Float64Array.from(x0);
  let { f, g } = evaluate(x);
  const done = (message: string, converged: boolean, iterations: number): LbfgsResult => ({ x, f, g, iterations, evaluations, message, converged });
  const infNorm = (v: Float64Array) => { let s = 0; for (let i = 0; i < n; i++) s = Math.max(s, Math.abs(v[i])); return s; };
  if (infNorm(g) <= pgtol) return done('CONVERGENCE: NORM_OF_PROJECTED_GRADIENT_<=_PGTOL', true, 0);
  const S: Float64Array[] = [], Y: Float64Array[] = [], RHO: number[] = [];
  let theta = 1;
  let iter = 0;
  const d = new Float64Array(n);
  for (;;) {
    // search direction d = −H g
    const q = Float64Array.from(g);
    const alpha = new Array<number>(S.length);
    for (let i = S.length - 1; i >= 0; i--) {
      alpha[i] = RHO[i] * dot(S[i], q);
      for (let k = 0; k < n; k++) q[k] -= alpha[i] * Y[i][k];
    }
    for (let k = 0; k < n; k++) q[k] /= theta;
    for (let i = 0; i < S.length; i++) {
      const b = RHO[i] * dot(Y[i], q);
      for (let k = 0; k < n; k++) q[k] += S[i][k] * (alpha[i] - b);
    }
    for (let k = 0; k < n; k++) d[k] = -q[k];
    // line search
    const t = x, r = g, fold = f;
    const dnorm = Math.sqrt(dot(d, d));
    let stp = iter === 0 ? Math.min(1 / dnorm, 1e10) : 1;
    let gd = dot(g, d);
    const gdold = gd;
    let ok = gd < 0;
    if (ok) {
      const ls = new LineSearch(f, gd, stp, 1e-3, 0.9, 0.1, 0, 1e10);
      let fc = f, gc = g, ifun = 0;
      for (;;) {
        const task = ifun === 0 ? 'FG' : ls.next(fc, gd);
        if (task !== 'FG') { stp = ls.stp; break; }
        ifun++;
        if (ifun - 1 >= maxls) { ok = false; break; }
        stp = ls.stp;
        const xt = new Float64Array(n);
        for (let k = 0; k < n; k++) xt[k] = stp * d[k] + t[k];
        const e = evaluate(xt);
        fc = e.f; gc = e.g; x = xt; f = fc; g = gc;
        gd = dot(gc, d);
      }
    }
    if (!ok) {
      x = t; f = fold; g = r;
      if (S.length === 0) return done('ABNORMAL_TERMINATION_IN_LNSRCH', false, iter);
      S.length = 0; Y.length = 0; RHO.length = 0; theta = 1;
      continue;
    }
    iter++;
    options.onIteration?.(iter, x, f);
    if (iter >= maxiter) return done('STOP: TOTAL NO. of ITERATIONS REACHED LIMIT', false, iter);
    if (evaluations > maxfun) return done('STOP: TOTAL NO. of f AND g EVALUATIONS EXCEEDS LIMIT', false, iter);
    if (infNorm(g) <= pgtol) return done('CONVERGENCE: NORM_OF_PROJECTED_GRADIENT_<=_PGTOL', true, iter);
    if (fold - f <= ftol * Math.max(Math.abs(fold), Math.abs(f), 1)) return done('CONVERGENCE: REL_REDUCTION_OF_F_<=_FACTR*EPSMCH', true, iter);
    const s = new Float64Array(n), y = new Float64Array(n);
    for (let k = 0; k < n; k++) { s[k] = stp * d[k]; y[k] = g[k] - r[k]; }
    const dr = stp === 1 ? gd - gdold : (gd - gdold) * stp;
    const ddum = stp === 1 ? -gdold : -gdold * stp;
    if (dr <= EPS * ddum) continue;
    if (S.length === m) { S.shift(); Y.shift(); RHO.shift(); }
    S.push(s); Y.push(y); RHO.push(1 / dr);
    theta = dot(y, y) / dr;
  }
}
