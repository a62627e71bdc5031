/** logRounded against the C library's log (DIPY's), fixtures/lbfgs case libm_log, and Math.log as a baseline. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { logRounded } from './log.js';

const manifest = JSON.parse(readFileSync(fileURLToPath(new URL('../../../fixtures/lbfgs/manifest.json', import.meta.url)), 'utf8')) as
  { cases: { name: string; values: { x: number[]; log: number[] } }[] };
const ref = manifest.cases.find((c) => c.name === 'libm_log')!.values;

/** Distance in units in the last place between two finite doubles of the same sign. */
function ulps(a: number, b: number): number {
  const f = new Float64Array([a, b]), i = new BigInt64Array(f.buffer);
  const d = i[0] - i[1];
  return Number(d < 0n ? -d : d);
}

describe('logRounded', () => {
  it('agrees with the C library log on ≥ 99.9 % of MI-like arguments and is within 1 ulp on all', () => {
    let same = 0, sameMath = 0;
    for (let k = 0; k < ref.x.length; k++) {
      const v = logRounded(ref.x[k]);
      expect(ulps(v, ref.log[k])).toBeLessThanOrEqual(1);
      if (v === ref.log[k]) same++;
      if (Math.log(ref.x[k]) === ref.log[k]) sameMath++;
    }
    expect(same / ref.x.length).toBeGreaterThanOrEqual(0.999);
    expect(same).toBeGreaterThan(sameMath); // Math.log differs from it far more often
  });

  it('exact cases and the edges', () => {
    expect(logRounded(1)).toBe(0);
    expect(logRounded(2)).toBe(Math.LN2);
    expect(logRounded(0)).toBe(-Infinity);
    expect(logRounded(-1)).toBeNaN();
    expect(logRounded(Infinity)).toBe(Infinity);
    expect(logRounded(5e-324)).toBeCloseTo(-744.4400719213812, 12);
  });
});
