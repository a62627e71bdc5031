// Round trip of a real SyN result through saveMapping/loadMapping (@diffeo/io).
// This test lives here, not in packages/io, because @diffeo/syn already has @diffeo/io as a
// dev dependency: the reverse dev dependency would make the package graph cyclic, and
// turbo refuses to build a cyclic graph.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DiffeomorphicMap } from '@diffeo/core';
import { loadMapping, parseMapping, saveMapping, serializeMapping } from '@diffeo/io';
import { ssdMetric } from '@diffeo/metrics-ssd';
import { SymmetricDiffeomorphicRegistration } from '@diffeo/syn';

const dir = mkdtempSync(join(tmpdir(), 'diffeo-mapping-syn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A 32×32 Gaussian blob (elliptic, so the registration has something to deform). */
function blob(cr: number, cc: number, sr: number, sc: number): Float32Array {
  const out = new Float32Array(32 * 32);
  for (let r = 0; r < 32; r++) for (let c = 0; c < 32; c++) out[r * 32 + c] = 255 * Math.exp(-(((r - cr) / sr) ** 2 + ((c - cc) / sc) ** 2));
  return out;
}

function expectSameBits(a: ArrayBufferView, b: ArrayBufferView): void {
  expect(a.byteLength).toBe(b.byteLength);
  expect(Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength))).toBe(0);
}

describe('saveMapping/loadMapping of a SyN result', () => {
  it('reloads a 2D SSD SyN map with bit-identical fields and warps', async () => {
    const statik = { data: blob(16, 15, 6, 8), shape: [32, 32] };
    const moving = { data: blob(18, 17, 8, 6), shape: [32, 32] };
    const staticGridToWorld = [[1.5, 0, -20], [0, 1.25, 3], [0, 0, 1]];
    const movingGridToWorld = [[1.5, 0.1, -21], [-0.05, 1.25, 2], [0, 0, 1]];
    const sdr = new SymmetricDiffeomorphicRegistration(ssdMetric(2), { levelIters: [10, 10] });
    const map = await sdr.optimize({ static: statik, moving, staticGridToWorld, movingGridToWorld });
    expect(map.isInverse).toBe(true);
    // the registration moved something, so the round trip is not of zeros
    expect(map.forward!.some((v) => v !== 0)).toBe(true);

    const file = await saveMapping(join(dir, 'syn2d'), map);
    for (const back of [await loadMapping(file), parseMapping(serializeMapping(map, { gzip: false }))]) {
      expect(back).toBeInstanceOf(DiffeomorphicMap);
      expect(back.isInverse).toBe(true);
      expect(back.dispShape).toEqual(map.dispShape);
      expect(back.domainShape).toEqual(map.domainShape);
      expect(back.codomainShape).toEqual(map.codomainShape);
      for (const k of ['dispGridToWorld', 'domainGridToWorld', 'codomainGridToWorld', 'prealign'] as const) {
        if (map[k] === null) expect(back[k]).toBeNull();
        else expectSameBits(back[k]!, map[k]!);
      }
      expectSameBits(back.forward!, map.forward!);
      expectSameBits(back.backward!, map.backward!);
      expectSameBits(back.transform(moving).data, map.transform(moving).data);
      expectSameBits(back.transformInverse(statik).data, map.transformInverse(statik).data);
      expectSameBits(back.inverse().transform(statik).data, map.inverse().transform(statik).data);
    }
  });
});
