import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EmptyImageError, NonFiniteError } from '@diffeo/core';
import { otsuThreshold } from '@diffeo/median-otsu';
import { floatHistogram } from './otsu.js';

/**
 * Brute-force oracle for integer data: try every integer cut t (class 0 = values ≤ t),
 * score n0·n1·(mean0 − mean1)², keep the first maximum.
 */
function bruteForceInteger(values: number[]): number {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  let best = -1;
  let bestT = lo;
  for (let t = lo; t < hi; t++) {
    const c0 = values.filter((v) => v <= t);
    const c1 = values.filter((v) => v > t);
    const m0 = c0.reduce((a, b) => a + b, 0) / c0.length;
    const m1 = c1.reduce((a, b) => a + b, 0) / c1.length;
    const s = c0.length * c1.length * (m0 - m1) ** 2;
    if (s > best + 1e-9 * Math.abs(best)) {
      best = s;
      bestT = t;
    }
  }
  return bestT;
}

describe('otsuThreshold', () => {
  it('hand example: [1, 1, 2, 8, 9, 9] → 2', () => {
    // cut after 1: 2·4·(1 − 7)² = 288; after 2..7: 3·3·(4/3 − 26/3)² = 484 (first max at 2);
    // after 8: 4·2·(3 − 9)² = 288.
    expect(otsuThreshold(new Uint8Array([1, 1, 2, 8, 9, 9]))).toBe(2);
    expect(otsuThreshold(new Int16Array([9, 1, 8, 2, 1, 9]))).toBe(2);
  });

  it('bimodal integer sample matches the brute-force oracle', () => {
    let s = 17;
    const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
    const values: number[] = [];
    for (let i = 0; i < 3000; i++) values.push(Math.round(60 + 15 * (rnd() + rnd() + rnd() - 1.5)));
    for (let i = 0; i < 2000; i++) values.push(Math.round(170 + 20 * (rnd() + rnd() + rnd() - 1.5)));
    const t = otsuThreshold(Uint16Array.from(values));
    expect(t).toBe(bruteForceInteger(values));
    expect(t).toBeGreaterThan(80);
    expect(t).toBeLessThan(150);
    // negative integers are binned from the minimum
    expect(otsuThreshold(Int16Array.from(values.map((v) => v - 1000)))).toBe(t - 1000);
  });

  it('float data: 256 bins over [min, max], threshold = the winning bin centre (hand computed)', () => {
    // min 0, max 10: width 10/256 = 0.0390625 (exact). 0 → bin 0, 1 → bin 25 (1/0.0390625 = 25.6),
    // 10 → bin 255. Cuts 0..24 separate {0} from the rest: 1·6·(0.0195 − 5.488)² ≈ 179;
    // cuts 25..254 separate {0,1,1,1} from {10,10,10}: 4·3·(0.752 − 9.980)² ≈ 1022, first at 25.
    // Centre of bin 25 = 25.5 · 0.0390625 = 0.99609375.
    const v = [0, 1, 1, 1, 10, 10, 10];
    expect(otsuThreshold(Float32Array.from(v))).toBe(0.99609375);
    expect(otsuThreshold(Float64Array.from(v))).toBe(0.99609375);
  });

  it('a constant image returns its value', () => {
    expect(otsuThreshold(new Float32Array([2.5, 2.5, 2.5]))).toBe(2.5);
    expect(otsuThreshold(new Uint8Array([7]))).toBe(7);
  });

  it('rejects empty and non-finite input', () => {
    expect(() => otsuThreshold(new Float32Array(0))).toThrow(EmptyImageError);
    expect(() => otsuThreshold(new Float32Array([1, NaN]))).toThrow(NonFiniteError);
    expect(() => otsuThreshold(new Float64Array([1, Infinity]))).toThrow(NonFiniteError);
  });
});

const PY = '/usr/bin/python3';
const hasNumpy = existsSync(PY) && spawnSync(PY, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;
if (!hasNumpy) console.warn('otsu.test.ts: numpy not importable from /usr/bin/python3; skipping the numpy.histogram cross-check.');

describe.skipIf(!hasNumpy)('floatHistogram against numpy.histogram', () => {
  it('float32 and float64 samples with awkward ranges', () => {
    let s = 5;
    const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
    const samples = [
      { dtype: 'float32', data: Array.from({ length: 5000 }, () => Math.fround(-3.7 + 1234.567 * rnd() ** 2)) },
      { dtype: 'float32', data: Array.from({ length: 3000 }, (_, i) => Math.fround(0.1 * (i % 257) + 1e-3)) },
      { dtype: 'float64', data: Array.from({ length: 4000 }, () => Math.PI * 1e-3 * Math.floor(rnd() * 3000)) },
    ];
    const script = `
import sys, json, numpy as np
out = []
for c in json.load(sys.stdin):
    h, e = np.histogram(np.array(c['data'], dtype=c['dtype']), 256)
    out.append(dict(counts=h.tolist(), edges=[float(x) for x in e]))
print(json.dumps(out))`;
    const r = spawnSync(PY, ['-c', script], { input: JSON.stringify(samples), encoding: 'utf8', maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new Error(r.stderr);
    const expected = JSON.parse(r.stdout) as { counts: number[]; edges: number[] }[];
    samples.forEach((c, i) => {
      const h = floatHistogram(c.data, 256, c.dtype === 'float32');
      expect(Array.from(h.edges)).toEqual(expected[i].edges);
      expect(Array.from(h.counts)).toEqual(expected[i].counts);
    });
  });
});
