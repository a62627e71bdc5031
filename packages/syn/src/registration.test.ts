import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import {
  DisposedError,
  AbortError,
  DimensionError,
  EmptyImageError,
  ImageTooSmallError,
  InvalidAffineError,
  InvalidArgumentError,
  NonFiniteError,
  createHarmonicFields2d,
  defaultContext,
  ContextFrozenError,
  type Dim,
} from '@diffeo/core';
import { parseNpy } from '@diffeo/io';
import { getFnames } from '@diffeo/data/node';
import { ssdMetric } from '@diffeo/metrics-ssd';
import { SymmetricDiffeomorphicRegistration, energyDerivative, type RegistrationEvent, type RegistrationStage } from '@diffeo/syn';

const load = (name: 'reg_o' | 'reg_c') => {
  const a = parseNpy(readFileSync(getFnames(name)));
  return { data: Float32Array.from(a.data as ArrayLike<number>), shape: a.shape };
};

/** Every 4th row and column, as DIPY's `img[::4, ::4]`. */
function sub4(img: { data: Float32Array; shape: number[] }) {
  const [nr, nc] = img.shape;
  const r = Math.ceil(nr / 4), c = Math.ceil(nc / 4);
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[i * c + j] = img.data[4 * i * nc + 4 * j];
  return { data: out, shape: [r, c] };
}

function ssd(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s;
}

function dice(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let inter = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] > 0.5, y = b[i] > 0.5;
    na += +x; nb += +y; inter += +(x && y);
  }
  return (2 * inter) / (na + nb);
}

describe('energyDerivative', () => {
  it('equals the slope at x = 6 of a least-squares quadratic (independent normal-equation solve)', () => {
    const e = [9, 8.1, 7.5, 7.2, 6.1, 5.9, 5.0, 4.7, 4.6, 4.1, 4.0, 3.95, 3.9];
    // normalise the last 12 by -|sum|, then solve the 3x3 normal equations by Cramer's rule
    const y = e.slice(-12);
    const s = y.reduce((a, b) => a + b, 0);
    const yn = y.map((v) => v / -Math.abs(s));
    const S = (p: number) => yn.reduce((a, _v, x) => a + x ** p, 0);
    const T = (p: number) => yn.reduce((a, v, x) => a + v * x ** p, 0);
    const M = [[S(4), S(3), S(2)], [S(3), S(2), S(1)], [S(2), S(1), 12]];
    const r = [T(2), T(1), T(0)];
    const det = (m: number[][]) => m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    const D = det(M);
    const col = (k: number) => M.map((row, i) => row.map((v, j) => (j === k ? r[i] : v)));
    const b0 = det(col(0)) / D, b1 = det(col(1)) / D;
    expect(energyDerivative(e)).toBeCloseTo(2 * b0 * 6 + b1, 12);
    // A decreasing energy gives a positive derivative.
    expect(energyDerivative(e)).toBeGreaterThan(0);
  });
  it('needs at least 12 energies', () => {
    expect(() => energyDerivative([1, 2, 3])).toThrow(InvalidArgumentError);
  });
});

describe('SymmetricDiffeomorphicRegistration: circle to C', () => {
  it('reproduces DIPY 1.6 iteration counts on the 64² example (spec §8.4: 16, 52, 34, 25) and fires every stage', async () => {
    const moving = sub4(load('reg_o'));
    const statik = sub4(load('reg_c'));
    const counts: Partial<Record<RegistrationStage, number>> = {};
    const levels: number[] = [];
    const syn = new SymmetricDiffeomorphicRegistration(ssdMetric(2), {
      levelIters: [200, 100, 50, 25],
      invIter: 10,
      onEvent: (e: RegistrationEvent<Dim>) => {
        counts[e.stage] = (counts[e.stage] ?? 0) + 1;
        if (e.stage === 'SCALE_END') {
          levels.push(e.level);
          expect(e.staticWarped?.data.length).toBe(e.fields.shape.reduce((a, b) => a * b, 1));
        }
      },
    });
    const map = await syn.optimize({ static: statik, moving });
    expect(syn.iterationsPerLevel).toEqual([16, 52, 34, 25]);
    const total = 16 + 52 + 34 + 25;
    expect(syn.fullEnergyProfile.length).toBe(total);
    expect(counts).toEqual({ OPT_START: 1, SCALE_START: 4, ITER_START: total, ITER_END: total, SCALE_END: 4, OPT_END: 1 });
    expect(levels).toEqual([3, 2, 1, 0]);
    expect(map.isInverse).toBe(true);
  });

  it('reaches Dice >= 0.99 at 256² with the seed parameters; transform puts the moving image on the static grid', async () => {
    const moving = load('reg_o'); // circle
    const statik = load('reg_c'); // C
    const syn = new SymmetricDiffeomorphicRegistration(ssdMetric(2), { levelIters: [200, 100, 50, 25], invIter: 50 });
    const map = await syn.optimize({ static: statik, moving });
    const warpedMoving = map.transform(moving).data as Float32Array;
    const warpedStatic = map.transformInverse(statik).data as Float32Array;
    // The circle, deformed, now looks like the C ...
    expect(dice(statik.data, warpedMoving)).toBeGreaterThanOrEqual(0.99);
    expect(dice(statik.data, moving.data)).toBeLessThan(0.7);
    // ... and the C, deformed back, looks like the circle.
    expect(dice(moving.data, warpedStatic)).toBeGreaterThanOrEqual(0.99);
    // DIPY 1.6's SSD after registration is 92.77 (fixture e2e_circle_to_c_ssd); ours within 5 %.
    expect(Math.abs(ssd(statik.data, warpedMoving) - 92.77377367948506) / 92.77377367948506).toBeLessThan(0.05);
  });
});

/** A smooth blob pattern (sum of Gaussians) on a grid. */
function blobs(shape: number[]): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  const d = shape.length;
  const idx = new Array<number>(d).fill(0);
  const centres = [[0.35, 0.4, 0.5], [0.65, 0.6, 0.45], [0.5, 0.3, 0.6]];
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (const c of centres) {
      let r2 = 0;
      for (let k = 0; k < d; k++) r2 += ((idx[k] - c[k] * (shape[k] - 1)) / (shape[k] * 0.18)) ** 2;
      v += Math.exp(-r2);
    }
    out[i] = v;
    for (let k = d - 1; k >= 0; k--) { if (++idx[k] < shape[k]) break; idx[k] = 0; }
  }
  return out;
}

describe('SymmetricDiffeomorphicRegistration: outcome tests (DIPY style)', () => {
  it('2D: reduces the SSD of a harmonic-warped image by more than 90 %', async () => {
    const shape = [64, 64];
    const statik = { data: blobs(shape), shape };
    // moving = static warped by DIPY's harmonic field (b = 0.1, m = 4)
    const { field } = createHarmonicFields2d(64, 64, 0.1, 4);
    const warp = defaultContext.kernel('warp2d');
    const movingData = new Float32Array(64 * 64);
    warp(movingData, [64, 64], statik.data, [64, 64], Float32Array.from(field.data), [64, 64], null, null, null);
    const moving = { data: movingData, shape };
    const syn = new SymmetricDiffeomorphicRegistration(ssdMetric(2), { levelIters: [20, 10, 5] });
    const map = await syn.optimize({ static: statik, moving });
    const warped = map.transform(moving).data as Float32Array;
    const before = ssd(statik.data, moving.data);
    const after = ssd(statik.data, warped);
    expect(1 - after / before).toBeGreaterThan(0.9);
  });

  it("inversionMode 'backward-only' (opt-in, not DIPY's): still reduces the SSD by more than 90 %, with a different result", async () => {
    const shape = [64, 64];
    const statik = { data: blobs(shape), shape };
    const { field } = createHarmonicFields2d(64, 64, 0.1, 4);
    const movingData = new Float32Array(64 * 64);
    defaultContext.kernel('warp2d')(movingData, [64, 64], statik.data, [64, 64], Float32Array.from(field.data), [64, 64], null, null, null);
    const moving = { data: movingData, shape };
    const run = async (inversionMode: 'dipy' | 'backward-only') => {
      const syn = new SymmetricDiffeomorphicRegistration(ssdMetric(2), { levelIters: [20, 10, 5], inversionMode });
      expect(syn.inversionMode).toBe(inversionMode);
      const map = await syn.optimize({ static: statik, moving });
      return map.transform(moving).data as Float32Array;
    };
    const exact = await run('dipy');
    const fast = await run('backward-only');
    const before = ssd(statik.data, moving.data);
    expect(1 - ssd(statik.data, fast) / before).toBeGreaterThan(0.9);
    expect(fast).not.toEqual(exact);
    expect(() => new SymmetricDiffeomorphicRegistration(ssdMetric(2), { inversionMode: 'fast' as 'dipy' })).toThrow(/inversionMode must be 'dipy'/);
  });

  it('3D: reduces the SSD of a translated blob volume by more than 90 %', async () => {
    const shape = [24, 28, 26];
    const statik = { data: blobs(shape), shape };
    // moving: static shifted by a smooth sub-voxel displacement (1.3, -0.8, 0.6 voxels)
    const n = statik.data.length;
    const field = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) { field[3 * i] = 1.3; field[3 * i + 1] = -0.8; field[3 * i + 2] = 0.6; }
    const movingData = new Float32Array(n);
    defaultContext.kernel('warp3d')(movingData, [24, 28, 26], statik.data, [24, 28, 26], field, [24, 28, 26], null, null, null);
    const moving = { data: movingData, shape };
    const syn = new SymmetricDiffeomorphicRegistration(ssdMetric(3), { levelIters: [10, 10], stepLength: 0.25 });
    const map = await syn.optimize({ static: statik, moving });
    const warped = map.transform(moving).data as Float32Array;
    // compare away from the border, where the shift brings in zero padding
    const interior = (a: ArrayLike<number>, b: ArrayLike<number>) => {
      let s = 0;
      for (let z = 3; z < 21; z++) for (let y = 3; y < 25; y++) for (let x = 3; x < 23; x++) {
        const i = (z * 28 + y) * 26 + x;
        s += (a[i] - b[i]) ** 2;
      }
      return s;
    };
    expect(1 - interior(statik.data, warped) / interior(statik.data, moving.data)).toBeGreaterThan(0.9);
  });
});

describe('SymmetricDiffeomorphicRegistration: cancellation', () => {
  const img = { data: blobs([32, 32]), shape: [32, 32] };
  const img2 = { data: blobs([32, 32]).map((v, i) => v + 0.01 * Math.sin(i)), shape: [32, 32] };
  it('rejects at once with a pre-aborted signal', async () => {
    const ac = new AbortController();
    ac.abort();
    const syn = new SymmetricDiffeomorphicRegistration(ssdMetric(2), { signal: ac.signal });
    await expect(syn.optimize({ static: img, moving: img2 })).rejects.toBeInstanceOf(AbortError);
  });
  it('stops between iterations when aborted from an event handler, emitting no further events', async () => {
    const ac = new AbortController();
    let iterEnds = 0;
    let afterAbort = 0;
    const syn = new SymmetricDiffeomorphicRegistration(ssdMetric(2), {
      levelIters: [50, 50],
      signal: ac.signal,
      onEvent: (e) => {
        if (ac.signal.aborted) afterAbort++;
        if (e.stage === 'ITER_END' && ++iterEnds === 3) ac.abort();
      },
    });
    await expect(syn.optimize({ static: img, moving: img2 })).rejects.toBeInstanceOf(AbortError);
    expect(iterEnds).toBe(3);
    expect(afterAbort).toBe(0);
    // The instance is reusable after an abort (no half state left behind).
    const again = new SymmetricDiffeomorphicRegistration(ssdMetric(2), { levelIters: [2, 2] });
    await expect(again.optimize({ static: img, moving: img2 })).resolves.toBeDefined();
  });
});

describe('SymmetricDiffeomorphicRegistration: yielding to the event loop without setImmediate (browsers)', () => {
  it('yields through a MessageChannel, not setTimeout, and a task queued before optimize (a cancel) still runs', async () => {
    const g = globalThis as { setImmediate?: unknown; setTimeout: typeof setTimeout };
    const { setImmediate: immediate, setTimeout: timeout } = g;
    const img = { data: blobs([64, 64]), shape: [64, 64] };
    const img2 = { data: blobs([64, 64]).map((v, i) => v + 0.01 * Math.sin(i)), shape: [64, 64] };
    const ac = new AbortController();
    let zeroDelayTimers = 0;
    let iterations = 0;
    try {
      g.setImmediate = undefined;
      g.setTimeout = ((f: () => void, ms?: number) => {
        if (!ms) zeroDelayTimers++;
        return timeout(f, ms);
      }) as typeof setTimeout;
      // a macrotask queued before optimize: it runs at SyN's first yield (every ~20 ms)
      const channel = new MessageChannel();
      channel.port1.onmessage = () => { channel.port1.close(); ac.abort(); };
      channel.port2.postMessage(null);
      const syn = new SymmetricDiffeomorphicRegistration(ssdMetric(2), {
        levelIters: [1000, 1000], optTol: 0, signal: ac.signal,
        onEvent: (e) => { if (e.stage === 'ITER_END') iterations++; },
      });
      await expect(syn.optimize({ static: img, moving: img2 })).rejects.toBeInstanceOf(AbortError);
    } finally {
      g.setImmediate = immediate;
      g.setTimeout = timeout;
    }
    expect(iterations).toBeGreaterThan(0);
    expect(iterations).toBeLessThan(2000);
    expect(zeroDelayTimers).toBe(0);
  });
});

describe('SymmetricDiffeomorphicRegistration: bad input', () => {
  const a2 = { data: blobs([32, 32]), shape: [32, 32] };
  const a3 = { data: blobs([16, 16, 16]), shape: [16, 16, 16] };
  it('rejects images of different dimensions, and a metric of the wrong dimension', async () => {
    await expect(new SymmetricDiffeomorphicRegistration(ssdMetric(2)).optimize({ static: a2, moving: a3 })).rejects.toBeInstanceOf(DimensionError);
    await expect(new SymmetricDiffeomorphicRegistration(ssdMetric(3)).optimize({ static: a2, moving: a2 })).rejects.toThrow(/metric is 3D but the images are 2D/);
  });
  it('rejects empty or negative levelIters', () => {
    expect(() => new SymmetricDiffeomorphicRegistration(ssdMetric(2), { levelIters: [] })).toThrow(InvalidArgumentError);
    expect(() => new SymmetricDiffeomorphicRegistration(ssdMetric(2), { levelIters: [10, -1] })).toThrow(/levelIters\[1\]/);
    expect(() => new SymmetricDiffeomorphicRegistration(ssdMetric(2), { levelIters: [1.5] })).toThrow(InvalidArgumentError);
  });
  it('rejects images too small for the pyramid', async () => {
    const tiny = { data: blobs([8, 8]), shape: [8, 8] };
    await expect(new SymmetricDiffeomorphicRegistration(ssdMetric(2), { levelIters: [1, 1, 1, 1, 1] }).optimize({ static: tiny, moving: tiny })).rejects.toBeInstanceOf(ImageTooSmallError);
  });
  it('rejects constant images with a clear error instead of producing NaN', async () => {
    const flat = { data: new Float32Array(32 * 32).fill(3), shape: [32, 32] };
    await expect(new SymmetricDiffeomorphicRegistration(ssdMetric(2), { levelIters: [2] }).optimize({ static: flat, moving: a2 })).rejects.toBeInstanceOf(EmptyImageError);
    const zeros = { data: new Float32Array(32 * 32), shape: [32, 32] };
    await expect(new SymmetricDiffeomorphicRegistration(ssdMetric(2), { levelIters: [2] }).optimize({ static: a2, moving: zeros })).rejects.toThrow(/constant/);
  });
  it('rejects non-finite voxels and singular affines', async () => {
    const bad = { data: a2.data.slice(), shape: [32, 32] };
    bad.data[100] = NaN;
    await expect(new SymmetricDiffeomorphicRegistration(ssdMetric(2)).optimize({ static: bad, moving: a2 })).rejects.toBeInstanceOf(NonFiniteError);
    const singular = [[1, 0, 0], [2, 0, 0], [0, 0, 1]];
    await expect(new SymmetricDiffeomorphicRegistration(ssdMetric(2)).optimize({ static: a2, moving: a2, staticGridToWorld: singular })).rejects.toBeInstanceOf(InvalidAffineError);
  });
});

describe('SymmetricDiffeomorphicRegistration: buffers, events and intermediate maps', () => {
  const shape = [40, 36];
  const statik = { data: blobs(shape), shape };
  const moving = { data: blobs(shape).map((v, i) => v * 0.9 + 0.05 * Math.sin(i * 0.05)), shape };
  const rawBits = (a: Float32Array | null) => new Uint32Array((a ?? new Float32Array(0)).slice().buffer);

  it('hands out warped images that hold during their callback; SCALE_END images stay valid after the run', async () => {
    let atStart: { s: Float32Array; m: Float32Array } | null = null;
    let lastIterEnd: { s: Float32Array; m: Float32Array } | null = null;
    const scaleEnds: { level: number; ref: Float32Array; copy: Float32Array; refM: Float32Array; copyM: Float32Array }[] = [];
    let iterChecks = 0;
    const syn = new SymmetricDiffeomorphicRegistration(ssdMetric(2), {
      levelIters: [6, 5, 4],
      onEvent: (e) => {
        if (e.stage === 'ITER_START') {
          atStart = { s: e.staticWarped.data.slice(), m: e.movingWarped.data.slice() };
        } else if (e.stage === 'ITER_END') {
          // the images of ITER_END are those the iteration started from
          expect(e.staticWarped.data).toEqual(atStart!.s);
          expect(e.movingWarped.data).toEqual(atStart!.m);
          expect(e.staticWarped.data.length).toBe(e.fields.shape.reduce((a, b) => a * b, 1));
          lastIterEnd = { s: e.staticWarped.data.slice(), m: e.movingWarped.data.slice() };
          iterChecks++;
        } else if (e.stage === 'SCALE_END' && e.staticWarped && e.movingWarped) {
          expect(e.staticWarped.data).toEqual(lastIterEnd!.s);
          expect(e.movingWarped.data).toEqual(lastIterEnd!.m);
          scaleEnds.push({
            level: e.level, ref: e.staticWarped.data, copy: e.staticWarped.data.slice(),
            refM: e.movingWarped.data, copyM: e.movingWarped.data.slice(),
          });
        }
      },
    });
    await syn.optimize({ static: statik, moving });
    expect(iterChecks).toBe(syn.iterationsPerLevel.reduce((a, b) => a + b, 0));
    expect(scaleEnds.map((x) => x.level)).toEqual([2, 1, 0]);
    for (const x of scaleEnds) {
      expect(x.ref).toEqual(x.copy);
      expect(x.refM).toEqual(x.copyM);
    }
  });

  it('keeps the half-way maps only when asked; the result is the same, and is their composition', async () => {
    const plain = new SymmetricDiffeomorphicRegistration(ssdMetric(2), { levelIters: [8, 6] });
    const kept = new SymmetricDiffeomorphicRegistration(ssdMetric(2), { levelIters: [8, 6], keepIntermediateMaps: true });
    const a = await plain.optimize({ static: statik, moving });
    const b = await kept.optimize({ static: statik, moving });
    expect(plain.intermediateMaps).toBeNull();
    expect(kept.keepIntermediateMaps).toBe(true);
    expect(rawBits(a.forward)).toEqual(rawBits(b.forward));
    expect(rawBits(a.backward)).toEqual(rawBits(b.backward));
    // DIPY: static_to_moving = moving_to_ref.warp_endomorphism(static_to_ref.inverse()).inverse()
    const { staticToRef, movingToRef } = kept.intermediateMaps!;
    const composed = movingToRef.warpEndomorphism(staticToRef.inverse()).inverse();
    expect(rawBits(b.forward)).toEqual(rawBits(composed.forward));
    expect(rawBits(b.backward)).toEqual(rawBits(composed.backward));
    expect(b.isInverse).toBe(composed.isInverse);
  });

  it('gives the same result for float32 input (used as is, unmodified) and other input types (private copies)', async () => {
    const s32 = statik.data.slice();
    const m32 = moving.data.slice();
    const run = async (s: ArrayLike<number> & object, m: ArrayLike<number> & object) => {
      const syn = new SymmetricDiffeomorphicRegistration(ssdMetric(2), { levelIters: [5, 5] });
      return syn.optimize({ static: { data: s as Float32Array, shape }, moving: { data: m as Float32Array, shape } });
    };
    const a = await run(s32, m32);
    expect(s32).toEqual(statik.data);
    expect(m32).toEqual(moving.data);
    const s64 = Float64Array.from(s32);
    const m64 = Float64Array.from(m32);
    const b = await run(s64, m64);
    expect(s64).toEqual(Float64Array.from(statik.data));
    expect(rawBits(a.forward)).toEqual(rawBits(b.forward));
    expect(rawBits(a.backward)).toEqual(rawBits(b.backward));
  });

  it('handles a coarse level whose grid is larger than the finest (strong anisotropy); result fields are compact', async () => {
    // spacing (8, 1): level 1 is 2^1·1 mm isotropic, i.e. 4× finer along axis 0 and 2× coarser along axis 1
    const sh = [8, 64];
    const s = { data: blobs(sh), shape: sh };
    const m = { data: blobs(sh).map((v, i) => v + 0.02 * Math.cos(i * 0.3)), shape: sh };
    const g2w = [[8, 0, 0], [0, 1, 0], [0, 0, 1]];
    const shapes: number[][] = [];
    const syn = new SymmetricDiffeomorphicRegistration(ssdMetric(2), {
      levelIters: [3, 3], keepIntermediateMaps: true,
      onEvent: (e) => { if (e.stage === 'SCALE_START') shapes.push([...e.shape]); },
    });
    const map = await syn.optimize({ static: s, moving: m, staticGridToWorld: g2w, movingGridToWorld: g2w });
    expect(shapes).toEqual([[32, 32], [8, 64]]);
    for (const f of [map.forward!, map.backward!]) {
      expect(f.length).toBe(8 * 64 * 2);
      expect(f.buffer.byteLength).toBe(f.length * 4);
    }
    const { staticToRef, movingToRef } = syn.intermediateMaps!;
    const composed = movingToRef.warpEndomorphism(staticToRef.inverse()).inverse();
    expect(rawBits(map.forward)).toEqual(rawBits(composed.forward));
  });

  it('vouches for finite warped images (checkedFinite), and they are finite', async () => {
    const inner = ssdMetric(2);
    const seen: (boolean | undefined)[] = [];
    let nonFinite = 0;
    const metric = {
      dim: 2 as const, name: 'spy', mask0: false,
      prepare: (i: Parameters<typeof inner.prepare>[0]) => {
        seen.push(i.checkedFinite);
        for (const img of [i.static, i.moving]) for (const v of img) if (!Number.isFinite(v)) nonFinite++;
        return inner.prepare(i);
      },
      releaseBuffers: () => inner.releaseBuffers(),
    };
    await new SymmetricDiffeomorphicRegistration(metric, { levelIters: [3, 3] }).optimize({ static: statik, moving });
    expect(seen.length).toBe(6);
    expect(seen.every((c) => c === true)).toBe(true);
    expect(nonFinite).toBe(0);
  });

  it('releases the metric buffers when the run ends, also when it fails', async () => {
    let released = 0;
    const inner = ssdMetric(2);
    const metric = {
      dim: 2 as const, name: 'spy', mask0: false,
      prepare: (i: Parameters<typeof inner.prepare>[0]) => inner.prepare(i),
      releaseBuffers: () => { released++; inner.releaseBuffers(); },
    };
    await new SymmetricDiffeomorphicRegistration(metric, { levelIters: [2, 2] }).optimize({ static: statik, moving });
    const afterOk = released;
    expect(afterOk).toBeGreaterThanOrEqual(1);
    const ac = new AbortController();
    const failing = new SymmetricDiffeomorphicRegistration(metric, {
      levelIters: [5, 5], signal: ac.signal, onEvent: (e) => { if (e.stage === 'ITER_END') ac.abort(); },
    });
    await expect(failing.optimize({ static: statik, moving })).rejects.toBeInstanceOf(AbortError);
    expect(released).toBeGreaterThan(afterOk);
  });
});

/** A context whose backend hands out views into one pooled buffer, as a WebAssembly backend does. */
async function pooledContext() {
  const pool = new ArrayBuffer(64 << 20);
  let next = 0;
  let count = 0;
  const live = new Set<Float32Array>();
  const pooled = {
    name: 'pooled', priority: 1, kernels: {},
    allocFloat32(n: number) {
      const a = new Float32Array(pool, next, n);
      next += n * 4;
      live.add(a);
      count++;
      return a;
    },
    freeFloat32(a: Float32Array) { return live.delete(a); },
  };
  const { createContext } = await import('@diffeo/core');
  return { pool, live, ctx: createContext(pooled), allocs: () => count };
}

describe('SymmetricDiffeomorphicRegistration: backend-allocated buffers', () => {
  it('allocates its run buffers through the context, frees them all, and returns arrays that do not alias the pool', async () => {
    const { pool, live, ctx, allocs } = await pooledContext();
    const moving = sub4(load('reg_o'));
    const statik = sub4(load('reg_c'));
    const opts = { levelIters: [20, 10, 5], invIter: 10 };
    const plain = await new SymmetricDiffeomorphicRegistration(ssdMetric(2), opts).optimize({ static: statik, moving });
    const events: Float32Array[] = [];
    const syn = new SymmetricDiffeomorphicRegistration(ssdMetric(2), {
      ...opts, context: ctx, keepIntermediateMaps: true,
      onEvent: (e) => { if (e.stage === 'SCALE_END' && e.movingWarped) events.push(e.movingWarped.data); },
    });
    const map = await syn.optimize({ static: statik, moving });
    expect(allocs()).toBeGreaterThanOrEqual(7);
    expect(live.size).toBe(0);
    expect(Array.from(map.forward!)).toEqual(Array.from(plain.forward!));
    expect(Array.from(map.backward!)).toEqual(Array.from(plain.backward!));
    const outlives = [map.forward!, map.backward!, ...events,
      syn.intermediateMaps!.staticToRef.forward!, syn.intermediateMaps!.movingToRef.backward!];
    for (const a of outlives) expect(a.buffer).not.toBe(pool);
  });
  it('with resultInContextMemory leaves the result in the backend memory until map.dispose()', async () => {
    const { pool, live, ctx } = await pooledContext();
    const moving = sub4(load('reg_o'));
    const statik = sub4(load('reg_c'));
    const opts = { levelIters: [20, 10, 5], invIter: 10 };
    const plain = await new SymmetricDiffeomorphicRegistration(ssdMetric(2), opts).optimize({ static: statik, moving });
    const syn = new SymmetricDiffeomorphicRegistration(ssdMetric(2), { ...opts, context: ctx, resultInContextMemory: true });
    const map = await syn.optimize({ static: statik, moving });
    // the same numbers, in two buffers of the pool that are still allocated
    expect(Array.from(map.forward!)).toEqual(Array.from(plain.forward!));
    expect(Array.from(map.backward!)).toEqual(Array.from(plain.backward!));
    expect(map.forward!.buffer).toBe(pool);
    expect(map.backward!.buffer).toBe(pool);
    expect(new Set(live)).toEqual(new Set([map.forward, map.backward]));
    expect(map.context).toBe(ctx);
    // the map works as usual, then gives its fields back
    const warped = map.transform(moving);
    const warpedPlain = plain.transform(moving);
    expect(Array.from(warped.data as Float32Array)).toEqual(Array.from(warpedPlain.data as Float32Array));
    const inverse = map.inverse();
    const copy = map.shallowCopy();
    map.dispose();
    expect(live.size).toBe(0);
    expect(map.forward).toBeNull();
    expect(() => map.transform(moving)).toThrow(DisposedError);
    // maps sharing the released fields refuse too, instead of reading reused memory
    expect(() => inverse.transform(moving)).toThrow(DisposedError);
    expect(() => inverse.forward).toThrow(DisposedError);
    expect(() => copy.getForwardField()).toThrow(DisposedError);
    expect(() => inverse.inverse().transformInverse(moving)).toThrow(DisposedError);
  });
});

describe('options are checked when the registration is built (issue 11 items 8, 9, 12)', () => {
  it('refuses unknown keys (suggesting the name), a non-function onEvent, a context or signal of the wrong kind', () => {
    const m = ssdMetric(2);
    expect(() => new SymmetricDiffeomorphicRegistration(m, { leveliters: [1] } as never)).toThrow(/unknown option "leveliters"; did you mean "levelIters"/);
    expect(() => new SymmetricDiffeomorphicRegistration(m, { onEvent: 'log' } as never)).toThrow(InvalidArgumentError);
    expect(() => new SymmetricDiffeomorphicRegistration(m, { context: {} } as never)).toThrow(/createContext/);
    expect(() => new SymmetricDiffeomorphicRegistration(m, { signal: {} } as never)).toThrow(/AbortSignal/);
    expect(() => new SymmetricDiffeomorphicRegistration(m, { levelIters: ['10'] } as never)).toThrow(/got the string "10"/);
    expect(() => ssdMetric(2, { smoth: 1 } as never)).toThrow(/did you mean "smooth"/);
  });
});

describe('option values whose cost explodes are refused (issue 11 item 6)', () => {
  it('ssSigmaFactor above 10 is an InvalidArgumentError, not a run that never ends', () => {
    expect(() => new SymmetricDiffeomorphicRegistration(ssdMetric(2), { ssSigmaFactor: 1e8 })).toThrow(/ssSigmaFactor must be at most 10/);
    expect(() => new SymmetricDiffeomorphicRegistration(ssdMetric(2), { ssSigmaFactor: 10 })).not.toThrow();
  });
});

describe('SymmetricDiffeomorphicRegistration: allocations per iteration', () => {
  it('makes its 7 run buffers before the first iteration and the same number of context allocations in every iteration of a level', async () => {
    const { ctx, allocs, live } = await pooledContext();
    const moving = sub4(load('reg_o'));
    const statik = sub4(load('reg_c'));
    const atIterStart = new Map<number, number[]>();
    let atOptStart = -1;
    const syn = new SymmetricDiffeomorphicRegistration(ssdMetric(2), {
      levelIters: [15, 10, 6], invIter: 10, context: ctx,
      onEvent: (e) => {
        if (e.stage === 'OPT_START') atOptStart = allocs();
        if (e.stage === 'ITER_START') {
          const list = atIterStart.get(e.level) ?? [];
          list.push(allocs());
          atIterStart.set(e.level, list);
        }
      },
    });
    await syn.optimize({ static: statik, moving });
    // five field buffers and two warped images, allocated once for the whole run
    expect(atOptStart).toBe(7);
    expect([...atIterStart.keys()].sort()).toEqual([0, 1, 2]);
    for (const [level, counts] of atIterStart) {
      expect(counts.length, `level ${level}`).toBeGreaterThan(2);
      const perIteration = counts.slice(1).map((c, i) => c - counts[i]);
      expect(new Set(perIteration).size, `level ${level}: allocations per iteration ${perIteration.join(',')}`).toBe(1);
    }
    expect(live.size).toBe(0);
  });
});

describe('SymmetricDiffeomorphicRegistration: the context is frozen during a run', () => {
  it('rejects with ContextFrozenError when a backend is registered mid-run, and the context thaws afterwards', async () => {
    const { ctx } = await pooledContext();
    const moving = sub4(load('reg_o'));
    const statik = sub4(load('reg_c'));
    const extra = { name: 'late', priority: 5, kernels: {} };
    const syn = new SymmetricDiffeomorphicRegistration(ssdMetric(2), {
      levelIters: [3, 2], context: ctx,
      onEvent: (e) => { if (e.stage === 'ITER_END') ctx.use(extra); },
    });
    await expect(syn.optimize({ static: statik, moving })).rejects.toThrow(ContextFrozenError);
    expect(ctx.frozen).toBe(false);
    ctx.use(extra);
    expect(ctx.backendNames).toContain('late');
  });
});

describe('SymmetricDiffeomorphicRegistration.optimize with Volumes', () => {
  it('takes each grid from its Volume: the same bits as the ndarray form with explicit affines', async () => {
    const moving = sub4(load('reg_o'));
    const statik = sub4(load('reg_c'));
    const sG2W = [1.5, 0, 2, 0, 1.5, -1, 0, 0, 1];
    const mG2W = [1.4, 0.1, 0, -0.1, 1.4, 1, 0, 0, 1];
    const opts = { levelIters: [6, 4], invIter: 10 };
    const viaAffines = await new SymmetricDiffeomorphicRegistration(ssdMetric(2), opts)
      .optimize({ static: statik, moving, staticGridToWorld: sG2W, movingGridToWorld: mG2W });
    const viaVolumes = await new SymmetricDiffeomorphicRegistration(ssdMetric(2), opts).optimize({
      static: { data: statik.data, shape: statik.shape as [number, number], gridToWorld: Float64Array.from(sG2W) },
      moving: { data: moving.data, shape: moving.shape as [number, number], gridToWorld: Float64Array.from(mG2W) },
    });
    expect(Array.from(viaVolumes.forward!)).toEqual(Array.from(viaAffines.forward!));
    expect(Array.from(viaVolumes.backward!)).toEqual(Array.from(viaAffines.backward!));
    expect(Array.from(viaVolumes.domainGridToWorld!)).toEqual(mG2W);
    expect(Array.from(viaVolumes.codomainGridToWorld!)).toEqual(sG2W);
    // the result warps a moving Volume onto the static grid, as a Volume
    const warped = viaVolumes.transform({ data: moving.data, shape: moving.shape as [number, number], gridToWorld: Float64Array.from(mG2W) });
    expect(warped.shape).toEqual(statik.shape);
    expect(Array.from(warped.gridToWorld!)).toEqual(sG2W);
    expect(Array.from(warped.data)).toEqual(Array.from(viaAffines.transform(moving).data));
  });
});
