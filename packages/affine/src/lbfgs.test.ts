import { describe, expect, it } from 'vitest';
import { AbortError } from '@diffeo/core';
import { minimizeLbfgs } from './lbfgs.js';
import { fixtureCase } from './fixtures.test-util.js';

/** Rosenbrock function and gradient (scipy's rosen / rosen_der), an independent oracle. */
function rosen(x: Float64Array): { value: number; gradient: Float64Array } {
  const n = x.length;
  let v = 0;
  const g = new Float64Array(n);
  for (let i = 0; i < n - 1; i++) {
    const a = x[i + 1] - x[i] * x[i], b = 1 - x[i];
    v += 100 * a * a + b * b;
    g[i] += -400 * x[i] * a - 2 * b;
    g[i + 1] += 200 * a;
  }
  return { value: v, gradient: g };
}

describe('minimizeLbfgs vs scipy L-BFGS-B (unbounded)', () => {
  for (const name of ['lbfgs_rosen_2d', 'lbfgs_rosen_5d', 'lbfgs_rosen_5d_maxfun']) {
    it(name, () => {
      const c = fixtureCase(name);
      const o = c.params.options as { gtol: number; maxfun?: number };
      const r = minimizeLbfgs(rosen, c.params.x0 as number[], { gtol: o.gtol, maxfun: o.maxfun });
      expect(r.message).toBe(c.values.message);
      expect(r.iterations).toBe(c.values.nit);
      expect(r.evaluations).toBe(c.values.nfev);
      const xr = c.values.x as number[];
      for (let i = 0; i < xr.length; i++) expect(Math.abs(r.x[i] - xr[i])).toBeLessThan(1e-8);
    });
  }

  it('stops at once when the start is stationary, and aborts on a signal', () => {
    const r = minimizeLbfgs(rosen, [1, 1]);
    expect(r.iterations).toBe(0);
    expect(r.converged).toBe(true);
    const ac = new AbortController();
    ac.abort();
    expect(() => minimizeLbfgs(rosen, [0, 0], { signal: ac.signal })).toThrow(AbortError);
  });
});
