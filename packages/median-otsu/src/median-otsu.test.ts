import { describe, expect, it } from 'vitest';
import { DimensionError, InvalidArgumentError, ResourceLimitError } from '@diffeo/core';
import { medianFilter, medianOtsu, otsuThreshold } from '@diffeo/median-otsu';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
}

/** A noisy bright ball in a dim background, uint16, shape [n, n, nz]. */
function phantom(n: number, nz: number, seed = 1): Uint16Array {
  const rnd = lcg(seed);
  const out = new Uint16Array(n * n * nz);
  const c = (n - 1) / 2;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      for (let k = 0; k < nz; k++) {
        const inside = (i - c) ** 2 + (j - c) ** 2 + ((k - (nz - 1) / 2) * 2) ** 2 < (0.35 * n) ** 2;
        out[(i * n + j) * nz + k] = Math.round((inside ? 800 : 60) + 120 * (rnd() - 0.5));
      }
    }
  }
  return out;
}

describe('medianOtsu', () => {
  it('3D: mask = median-filtered volume > Otsu threshold; masked = volume · mask', () => {
    const shape = [24, 24, 8];
    const data = phantom(24, 8);
    const r = medianOtsu({ data, shape }, { medianRadius: 2, numpass: 2 });
    const filtered = medianFilter({ data, shape }, { radius: 2, numpass: 2 }).data;
    const t = otsuThreshold(filtered);
    expect(r.threshold).toBe(t);
    expect(r.mask.shape).toEqual(shape);
    expect(r.masked.data).toBeInstanceOf(Uint16Array);
    for (let i = 0; i < data.length; i++) {
      expect(r.mask.data[i]).toBe(filtered[i] > t ? 1 : 0);
      expect(r.masked.data[i]).toBe(r.mask.data[i] ? data[i] : 0);
    }
    // the ball is found: centre in, corner out
    expect(r.mask.data[(12 * 24 + 12) * 8 + 4]).toBe(1);
    expect(r.mask.data[0]).toBe(0);
  });

  it('2D input uses a 2D window', () => {
    const shape = [30, 20];
    const rnd = lcg(4);
    const data = Float32Array.from({ length: 600 }, (_, i) => ((i % 20) > 9 ? 100 : 10) + rnd());
    const r = medianOtsu({ data, shape }, { medianRadius: 1, numpass: 1 });
    const f = medianFilter({ data, shape }, { radius: 1 }).data;
    const t = otsuThreshold(f);
    expect(Array.from(r.mask.data)).toEqual(Array.from(f, (v) => (v > t ? 1 : 0)));
    expect(r.masked.data).toBeInstanceOf(Float32Array);
  });

  it('4D: b0 = float32 mean of the volIdx volumes (summed in order), mask broadcast over volumes', () => {
    const [nx, ny, nz, nt] = [10, 9, 8, 3];
    const rnd = lcg(9);
    const data = Float32Array.from({ length: nx * ny * nz * nt }, (_, i) => (Math.floor(i / nt) % 7 > 3 ? 500 : 50) * (1 + 0.3 * rnd()) - 20);
    const r = medianOtsu({ data, shape: [nx, ny, nz, nt] }, { medianRadius: 1, numpass: 2, volIdx: [2, 0] });
    const f32 = Math.fround;
    const b0 = new Float32Array(nx * ny * nz);
    for (let v = 0; v < b0.length; v++) b0[v] = f32(f32(f32(0 + data[v * nt + 2]) + data[v * nt]) / 2);
    const filt = medianFilter({ data: b0, shape: [nx, ny, nz] }, { radius: 1, numpass: 2 }).data;
    const t = otsuThreshold(filt);
    expect(r.threshold).toBe(t);
    expect(r.mask.shape).toEqual([nx, ny, nz]);
    expect(r.masked.shape).toEqual([nx, ny, nz, nt]);
    for (let v = 0; v < b0.length; v++) {
      const m = filt[v] > t ? 1 : 0;
      expect(r.mask.data[v]).toBe(m);
      for (let k = 0; k < nt; k++) expect(Object.is(r.masked.data[v * nt + k], data[v * nt + k] * m)).toBe(true);
    }
    // integer 4D data: the mean is float64
    const ints = Int16Array.from(data, (x) => Math.round(x));
    const ri = medianOtsu({ data: ints, shape: [nx, ny, nz, nt] }, { medianRadius: 1, numpass: 1, volIdx: [0, 1, 2] });
    expect(ri.masked.data).toBeInstanceOf(Int16Array);
    expect(() => medianOtsu({ data, shape: [nx, ny, nz, nt] })).toThrow(DimensionError);
    expect(() => medianOtsu({ data, shape: [nx, ny, nz, nt] }, { volIdx: [3] })).toThrow(InvalidArgumentError);
  });

  it('dilate grows the mask by the 6-connected cross, clipped at the border', () => {
    const shape = [7, 7, 7];
    const data = new Uint8Array(343);
    data[(3 * 7 + 3) * 7 + 3] = 200; // one bright voxel: with no filtering the mask is that voxel
    const one = medianOtsu({ data, shape }, { numpass: 0, dilate: 1 });
    const count = (m: Uint8Array) => m.reduce((a, b) => a + b, 0);
    expect(count(one.mask.data)).toBe(7);
    expect(one.mask.data[(3 * 7 + 3) * 7 + 4]).toBe(1);
    expect(one.mask.data[(3 * 7 + 4) * 7 + 4]).toBe(0);
    expect(count(medianOtsu({ data, shape }, { numpass: 0, dilate: 2 }).mask.data)).toBe(25); // 1 + 6 + 18
    const corner = new Uint8Array(343);
    corner[0] = 9;
    expect(count(medianOtsu({ data: corner, shape }, { numpass: 0, dilate: 1 }).mask.data)).toBe(4);
    expect(count(medianOtsu({ data: corner, shape }, { numpass: 0, dilate: 0 }).mask.data)).toBe(343); // until stable
    expect(() => medianOtsu({ data: new Uint8Array(49), shape: [7, 7] }, { numpass: 0, dilate: 1 })).toThrow(DimensionError);
  });

  it('autocrop crops mask and volume to the bounding box of the mask', () => {
    const shape = [6, 7, 8, 2];
    const data = new Int16Array(6 * 7 * 8 * 2);
    const at = (i: number, j: number, k: number, t: number) => ((i * 7 + j) * 8 + k) * 2 + t;
    for (const [i, j, k] of [[1, 2, 3], [4, 2, 6], [2, 5, 4]]) {
      data[at(i, j, k, 0)] = 1000;
      data[at(i, j, k, 1)] = -7;
    }
    const r = medianOtsu({ data, shape }, { numpass: 0, volIdx: [0], autocrop: true });
    expect(r.crop).toEqual({ mins: [1, 2, 3], maxs: [5, 6, 7] });
    expect(r.mask.shape).toEqual([4, 4, 4]);
    expect(r.masked.shape).toEqual([4, 4, 4, 2]);
    const cat = (i: number, j: number, k: number, t: number) => ((i * 4 + j) * 4 + k) * 2 + t;
    expect(r.masked.data[cat(0, 0, 0, 0)]).toBe(1000);
    expect(r.masked.data[cat(0, 0, 0, 1)]).toBe(-7);
    expect(r.masked.data[cat(3, 0, 3, 1)]).toBe(-7);
    expect(r.mask.data.reduce((a, b) => a + b, 0)).toBe(3);
    const empty = medianOtsu({ data: new Uint8Array(27), shape: [3, 3, 3] }, { autocrop: true });
    expect(empty.mask.shape).toEqual([0, 0, 0]);
  });
});

describe('medianOtsu refuses work that would not finish (issue 11 item 6)', () => {
  it('a radius of 1000 on 16^3 is a ResourceLimitError at once; unknown options are refused', () => {
    const vol = { data: new Float32Array(16 ** 3), shape: [16, 16, 16] };
    const t0 = performance.now();
    expect(() => medianOtsu(vol, { medianRadius: 1000 })).toThrow(ResourceLimitError);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(() => medianOtsu(vol, { medianradius: 2 } as never)).toThrow(/did you mean "medianRadius"/);
  });
});
