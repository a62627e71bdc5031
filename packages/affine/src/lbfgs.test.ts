/**
 * minimizeLbfgs against scipy 1.10.1's L-BFGS-B (unbounded): the whole sequence of evaluated points must be
 * the same float64 bits (fixtures/lbfgs, made by tools/reference/python/make_lbfgs_fixtures.py), then the
 * older end-point fixtures of fixtures/affine; the fused multiply-add emulation against exact rationals.
 */
import { describe, expect, it } from 'vitest';
import { AbortError, InvalidArgumentError } from '@diffeo/core';
import { fusedMultiplyAdd, minimizeLbfgs } from './lbfgs.js';
import { fixtureCase } from './fixtures.test-util.js';
import { FUNCTIONS, rosen, traceCases } from './lbfgs-functions.test-util.js';

describe('minimizeLbfgs vs scipy L-BFGS-B (unbounded): evaluation sequences', () => {
  for (const c of traceCases()) {
    it(`${c.name}: every evaluated point identical`, () => {
      const fn = FUNCTIONS[c.params.function];
      const seen: number[][] = [];
      const o = c.params.options;
      const r = minimizeLbfgs((x) => { seen.push(Array.from(x)); return fn(x); }, c.params.x0,
        { gtol: o.gtol, maxfun: o.maxfun, maxiter: o.maxiter, maxcor: o.maxcor });
      expect(seen.length).toBe(c.values.trace.length);
      for (let k = 0; k < seen.length; k++) expect(seen[k], `evaluation ${k}`).toEqual(c.values.trace[k]);
      expect(Array.from(r.x)).toEqual(c.values.x);
      expect(r.f).toBe(c.values.fun);
      expect(r.iterations).toBe(c.values.nit);
      expect(r.evaluations).toBe(c.values.nfev);
      expect(r.message).toBe(c.values.message);
    });
  }
});

describe('minimizeLbfgs vs scipy L-BFGS-B (unbounded): end points of fixtures/affine', () => {
  for (const name of ['lbfgs_rosen_2d', 'lbfgs_rosen_5d', 'lbfgs_rosen_5d_maxfun']) {
    it(name, () => {
      const c = fixtureCase(name);
      const o = c.params.options as { gtol: number; maxfun?: number };
      const r = minimizeLbfgs(rosen, c.params.x0 as number[], { gtol: o.gtol, maxfun: o.maxfun });
      expect(r.message).toBe(c.values.message);
      expect(r.iterations).toBe(c.values.nit);
      expect(r.evaluations).toBe(c.values.nfev);
      // scipy's own rosen/rosen_der round differently from our scalar mirror: close, not identical
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

describe('fusedMultiplyAdd', () => {
  /** Exact a·b + c as a rational (BigInt numerator over a power of two), rounded to nearest even. */
  function exactFma(a: number, b: number, c: number): number {
    const parts = (v: number): [bigint, number] => {
      // v = mant · 2^exp with integer mant
      if (v === 0) return [0n, 0];
      const buf = new DataView(new ArrayBuffer(8));
      buf.setFloat64(0, v);
      const bits = buf.getBigUint64(0);
      const sign = bits >> 63n ? -1n : 1n;
      const e = Number((bits >> 52n) & 0x7ffn);
      const frac = bits & ((1n << 52n) - 1n);
      return e === 0 ? [sign * frac, -1074] : [sign * (frac | (1n << 52n)), e - 1075];
    };
    const [ma, ea] = parts(a), [mb, eb] = parts(b), [mc, ec] = parts(c);
    const ep = ea + eb, e = Math.min(ep, ec);
    const num = ma * mb * (1n << BigInt(ep - e)) + mc * (1n << BigInt(ec - e));
    if (num === 0n) return 0;
    // round num·2^e to 53 bits, ties to even
    const neg = num < 0n; let mag = neg ? -num : num; let exp = e;
    let shift = 0;
    while ((mag >> BigInt(shift)) >= (1n << 53n)) shift++;
    if (shift > 0) {
      const half = 1n << BigInt(shift - 1), rem = mag & ((1n << BigInt(shift)) - 1n);
      let q = mag >> BigInt(shift);
      if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
      mag = q; exp += shift;
    }
    const v = Number(mag) * 2 ** exp;
    return neg ? -v : v;
  }

  it('rounds once, like a hardware FMA (random and cancelling operands)', () => {
    let seed = 12345;
    const r31 = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
    const rnd = () => r31() + r31() * 2 ** -31 - 0.5; // 62 random bits
    let differsFromUnfused = 0;
    for (let k = 0; k < 3000; k++) {
      const a = rnd() * 2 ** Math.floor(rnd() * 20), b = rnd() * 2 ** Math.floor(rnd() * 20);
      const c = k % 3 === 0 ? -(a * b) : rnd() * 2 ** Math.floor(rnd() * 40);
      const want = exactFma(a, b, c);
      expect(fusedMultiplyAdd(a, b, c)).toBe(want);
      if (a * b + c !== want) differsFromUnfused++;
    }
    expect(differsFromUnfused).toBeGreaterThan(100);
  });
});

describe('minimizeLbfgs algorithm option', () => {
  it("'twoLoop' (the earlier port) reaches scipy's end points on Rosenbrock too; an unknown algorithm is a typed error", () => {
    const c = fixtureCase('lbfgs_rosen_5d');
    const r = minimizeLbfgs(rosen, c.params.x0 as number[], { gtol: 1e-4, algorithm: 'twoLoop' });
    expect(r.message).toBe(c.values.message);
    const xr = c.values.x as number[];
    for (let i = 0; i < xr.length; i++) expect(Math.abs(r.x[i] - xr[i])).toBeLessThan(1e-6);
    expect(() => minimizeLbfgs(rosen, [0, 0], { algorithm: 'bfgs' as never })).toThrow(InvalidArgumentError);
  });
});
