import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DimensionError, NonFiniteError, ShapeMismatchError, type NumericArray } from '@diffeo/core';
import { medianFilter } from '@diffeo/median-otsu';
import { reflectTable } from './median-filter.js';

/** scipy 'reflect' index, by repeated mirroring (independent of reflectTable's modular formula). */
function mirror(i: number, n: number): number {
  while (i < 0 || i >= n) {
    if (i < 0) i = -i - 1;
    if (i >= n) i = 2 * n - i - 1;
  }
  return i;
}

/** Naive oracle: gather the full (2r+1)^d window with reflection, sort, take the middle. */
function naiveMedian(data: ArrayLike<number>, shape: number[], r: number): number[] {
  const s3 = shape.length === 2 ? [1, shape[0], shape[1]] : shape;
  const r3 = shape.length === 2 ? [0, r, r] : [r, r, r];
  const out: number[] = [];
  const win: number[] = [];
  for (let i = 0; i < s3[0]; i++) {
    for (let j = 0; j < s3[1]; j++) {
      for (let k = 0; k < s3[2]; k++) {
        win.length = 0;
        for (let a = -r3[0]; a <= r3[0]; a++) {
          for (let b = -r3[1]; b <= r3[1]; b++) {
            for (let c = -r3[2]; c <= r3[2]; c++) {
              win.push(data[(mirror(i + a, s3[0]) * s3[1] + mirror(j + b, s3[1])) * s3[2] + mirror(k + c, s3[2])]);
            }
          }
        }
        win.sort((x, y) => x - y);
        out.push(win[(win.length - 1) / 2]);
      }
    }
  }
  return out;
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

describe('reflectTable', () => {
  it("matches scipy's reflect extension of [a b c] by hand", () => {
    // ... c c b a | a b c | c b a a b ...  for p = -4 .. 6
    expect(Array.from(reflectTable(3, 4))).toEqual([2, 2, 1, 0, 0, 1, 2, 2, 1, 0, 0]);
    expect(Array.from(reflectTable(1, 2))).toEqual([0, 0, 0, 0, 0]);
  });
});

describe('medianFilter against the naive oracle', () => {
  const cases: { shape: number[]; r: number; kind: 'u16' | 'f32' | 'i8' | 'f64' }[] = [
    { shape: [6, 7, 5], r: 1, kind: 'u16' },
    { shape: [6, 7, 5], r: 2, kind: 'f32' },
    { shape: [3, 5, 4], r: 3, kind: 'i8' }, // window wider than every axis: repeated reflection
    { shape: [9, 11], r: 2, kind: 'f64' },
    { shape: [4, 13], r: 5, kind: 'u16' },
    { shape: [5, 4, 6], r: 0, kind: 'f32' },
  ];
  for (const c of cases) {
    it(`${c.kind} shape [${c.shape}] radius ${c.r}`, () => {
      const rnd = lcg(c.shape.reduce((a, b) => a * 31 + b, c.r));
      const n = c.shape.reduce((a, b) => a * b, 1);
      let data: NumericArray;
      if (c.kind === 'u16') data = Uint16Array.from({ length: n }, () => Math.floor(rnd() * 3000));
      else if (c.kind === 'i8') data = Int8Array.from({ length: n }, () => Math.floor(rnd() * 256) - 128);
      else if (c.kind === 'f32') data = Float32Array.from({ length: n }, () => (rnd() - 0.3) * 1e3);
      else data = Float64Array.from({ length: n }, () => Math.floor(rnd() * 20) / 7 - 1); // many ties
      const out = medianFilter({ data, shape: c.shape }, { radius: c.r });
      expect(out.data.constructor).toBe(data.constructor);
      expect(out.shape).toEqual(c.shape);
      expect(Array.from(out.data)).toEqual(naiveMedian(data, c.shape, c.r));
    });
  }

  it('numpass repeats the filter', () => {
    const rnd = lcg(7);
    const shape = [5, 6, 7];
    const data = Uint8Array.from({ length: 210 }, () => Math.floor(rnd() * 256));
    let expected: number[] = Array.from(data);
    for (let p = 0; p < 3; p++) expected = naiveMedian(expected, shape, 1);
    expect(Array.from(medianFilter({ data, shape }, { radius: 1, numpass: 3 }).data)).toEqual(expected);
    expect(Array.from(medianFilter({ data, shape }, { radius: 1, numpass: 0 }).data)).toEqual(Array.from(data));
  });

  it('wide integer ranges and uint32 use the rank coding', () => {
    const rnd = lcg(3);
    const shape = [4, 5, 6];
    const data = Uint32Array.from({ length: 120 }, () => Math.floor(rnd() * 4294967295));
    expect(Array.from(medianFilter({ data, shape }, { radius: 2 }).data)).toEqual(naiveMedian(data, shape, 2));
  });

  it('rejects NaN, bad shapes and dimensions', () => {
    expect(() => medianFilter({ data: new Float32Array([1, NaN, 2, 3]), shape: [2, 2] })).toThrow(NonFiniteError);
    expect(() => medianFilter({ data: new Float32Array(5), shape: [2, 2] })).toThrow(ShapeMismatchError);
    expect(() => medianFilter({ data: new Float32Array(4), shape: [4] })).toThrow(DimensionError);
  });
});

const PY = '/usr/bin/python3';
const hasScipy = existsSync(PY) && spawnSync(PY, ['-c', 'import scipy.ndimage'], { stdio: 'ignore' }).status === 0;
if (!hasScipy) console.warn('median-filter.test.ts: scipy not importable from /usr/bin/python3; skipping the scipy cross-check.');

describe.skipIf(!hasScipy)('medianFilter against scipy.ndimage.median_filter', () => {
  it('random volumes, several dtypes and radii', () => {
    const script = `
import sys, json, numpy as np
from scipy.ndimage import median_filter
cases = json.load(sys.stdin); out = []
for c in cases:
    a = np.array(c['data'], dtype=c['dtype']).reshape(c['shape'])
    out.append(median_filter(a, size=2 * c['r'] + 1, mode='reflect').ravel().tolist())
print(json.dumps(out))`;
    const rnd = lcg(99);
    const cases = [
      { shape: [12, 9, 7], r: 4, dtype: 'uint16' },
      { shape: [10, 8, 6], r: 2, dtype: 'float32' },
      { shape: [7, 3, 5], r: 4, dtype: 'float64' },
      { shape: [20, 17], r: 4, dtype: 'int16' },
    ].map((c) => {
      const n = c.shape.reduce((a, b) => a * b, 1);
      const data = Array.from({ length: n }, () => (c.dtype.startsWith('float') ? Math.fround((rnd() - 0.2) * 500) : Math.floor(rnd() * 4000) - (c.dtype === 'int16' ? 2000 : 0)));
      return { ...c, data };
    });
    const r = spawnSync(PY, ['-c', script], { input: JSON.stringify(cases), encoding: 'utf8', maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new Error(r.stderr);
    const expected = JSON.parse(r.stdout) as number[][];
    const ctor = { uint16: Uint16Array, float32: Float32Array, float64: Float64Array, int16: Int16Array } as const;
    cases.forEach((c, i) => {
      const data = (ctor as Record<string, { from(a: number[]): NumericArray }>)[c.dtype].from(c.data);
      expect(Array.from(medianFilter({ data, shape: c.shape }, { radius: c.r }).data), c.dtype).toEqual(expected[i]);
    });
  });
});
