import { describe, expect, it } from 'vitest';
import { availableParallelism } from 'node:os';
import {
  BackendUnavailableError, createCircle, createContext, InvalidArgumentError, type Volume,
} from '@diffeo/core';
import { ssdMetric } from '@diffeo/metrics-ssd';
import { SymmetricDiffeomorphicRegistration } from '@diffeo/syn';
import { loadBackend, metricByName, synRegistration } from '@diffeo/align';

/** A disc and the same disc shifted by 2 voxels along the rows (float32). */
function pair(): { fixed: Float32Array; moving: Float32Array } {
  const fixed = Float32Array.from(createCircle(32, 32, 8).data);
  const moving = new Float32Array(32 * 32);
  for (let i = 2; i < 32; i++) for (let j = 0; j < 32; j++) moving[i * 32 + j] = fixed[(i - 2) * 32 + j];
  return { fixed, moving };
}

describe('metricByName', () => {
  it('builds the named metric with its options, case-insensitively (DIPY: metric.upper())', () => {
    const cc = metricByName('CC', 3, { radius: 2, sigmaDiff: 1 });
    expect(cc.name).toMatch(/CC/);
    expect(cc.dim).toBe(3);
    expect((cc as unknown as { radius: number }).radius).toBe(2);
    const ssd = metricByName('ssd', 2, { stepType: 'gaussNewton' });
    expect(ssd.name).toMatch(/SSD/);
    const em = metricByName('EM', 2, { qLevels: 64, stepType: 'demons' });
    expect(em.name).toBe('EM');
    expect((em as unknown as { qLevels: number }).qLevels).toBe(64);
    const mi = metricByName('mi', 3, { nbins: 48, smooth: 1 });
    expect(mi.name).toBe('MI');
    expect(mi.dim).toBe(3);
    expect((mi as unknown as { nbins: number; smooth: number })).toMatchObject({ nbins: 48, smooth: 1 });
  });

  it('rejects unknown names and options of the other metric', () => {
    expect(() => metricByName('ncc' as 'cc', 2)).toThrow(InvalidArgumentError);
    expect(() => metricByName('ssd', 2, { radius: 3 })).toThrow(/radius does not apply to the ssd metric/);
    expect(() => metricByName('mi', 2, { qLevels: 3 })).toThrow(/qLevels does not apply to the mi metric/);
    expect(() => metricByName('em', 2, { nbins: 3 })).toThrow(/nbins does not apply to the em metric/);
    expect(() => metricByName('mi', 2, { nbins: 1 })).toThrow(InvalidArgumentError);
  });
});

describe('loadBackend', () => {
  it("'ts' gives the TypeScript kernels, 'wasm' and 'auto' the WebAssembly backend", async () => {
    const ts = await loadBackend('ts');
    expect(ts.backend).toBe('ts');
    expect(ts.context.backendNames).toEqual([]);
    for (const choice of ['wasm', 'auto'] as const) {
      const w = await loadBackend(choice, { threads: 1 });
      expect(w.backend).toBe('wasm');
      expect(w.context.backendOf('compose2d')).toBe('wasm');
      expect(w.fallbackReason).toBeNull();
    }
  });

  it("'wasm' that cannot load is a typed error; 'auto' falls back and says why", async () => {
    const broken = { wasmBytes: new Uint8Array([0, 1, 2, 3]) };
    await expect(loadBackend('wasm', broken)).rejects.toBeInstanceOf(BackendUnavailableError);
    const auto = await loadBackend('auto', broken);
    expect(auto.backend).toBe('ts');
    expect(auto.fallbackReason).toBeTruthy();
    await expect(loadBackend('gpu' as 'ts')).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('startThreadsFor starts the lazy worker threads for a grid of at least the start size, not below', async () => {
    expect(await (await loadBackend('ts')).startThreadsFor(1e9)).toBe(1);
    const w = await loadBackend('wasm', { startParallelWork: 1000 });
    expect(await w.startThreadsFor(999)).toBe(1);
    expect(w.threads).toBe(1);
    const n = await w.startThreadsFor(1000);
    // The documented default thread count in Node: min(availableParallelism(), 4).
    expect(n).toBe(Math.min(availableParallelism(), 4));
    expect(w.threads).toBe(n);
  });

  it('bad wasmBackend options are an InvalidArgumentError for every choice (no silent fallback)', async () => {
    for (const choice of ['wasm', 'auto'] as const) {
      await expect(loadBackend(choice, { threads: 0 })).rejects.toThrow(/option threads must be a whole number/);
      await expect(loadBackend(choice, { threads: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
    }
  });
});

describe('synRegistration', () => {
  it('runs the same SyN as the class (same bits), reads a Volume\'s gridToWorld, warps the moving image', async () => {
    const { fixed, moving } = pair();
    const g2w = Float64Array.from([2, 0, 0, 0, 2, 0, 0, 0, 1]);
    const fixedVol: Volume<2, Float32Array> = { data: fixed, shape: [32, 32], gridToWorld: g2w };
    const movingVol: Volume<2, Float32Array> = { data: moving, shape: [32, 32], gridToWorld: g2w };
    const res = await synRegistration({ static: fixedVol, moving: movingVol, metric: 'ssd', levelIters: [6, 4], backend: 'ts' });
    const direct = await new SymmetricDiffeomorphicRegistration(ssdMetric(2), { levelIters: [6, 4], context: createContext() })
      .optimize({ static: { data: fixed, shape: [32, 32] }, moving: { data: moving, shape: [32, 32] }, staticGridToWorld: g2w, movingGridToWorld: g2w });
    expect(res.mapping.forward).toEqual(direct.forward);
    expect(res.mapping.backward).toEqual(direct.backward);
    expect(res.registration.iterationsPerLevel).toEqual([6, 4]);
    expect(Array.from(res.warped.data)).toEqual(Array.from(direct.transform({ data: moving, shape: [32, 32] }).data));
    expect(res.kernels.backend).toBe('ts');
  });

  it('rejects metric options with a metric object, and backend together with context', async () => {
    const { fixed, moving } = pair();
    const img = (d: Float32Array) => ({ data: d, shape: [32, 32] });
    await expect(synRegistration({ static: img(fixed), moving: img(moving), metric: ssdMetric(2), radius: 2 })).rejects.toThrow(/metric options/);
    await expect(synRegistration({ static: img(fixed), moving: img(moving), backend: 'ts', context: createContext() })).rejects.toThrow(/either backend or context/);
  });
});
