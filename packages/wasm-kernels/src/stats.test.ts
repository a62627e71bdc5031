/**
 * `WasmBackend.stats()`: the memory counters, checked against counts worked out by
 * hand for single kernel calls (bytes = values × 4 for float32).
 */
import { describe, expect, it } from 'vitest';
import { wasmBackend } from '@diffeo/wasm-kernels';
import { positiveMaskNaive } from '@diffeo/core/oracles';

describe('WasmBackend.stats()', () => {
  it('counts long-lived arrays, and a warp of ordinary arrays as two copies in and one out, with their bytes', async () => {
    const b = await wasmBackend({ threads: 1 });
    try {
      const s0 = b.stats();
      expect(s0).toMatchObject({ arrayAllocations: 0, arrayFrees: 0, copiesIn: 0, copiesOut: 0, bytesIn: 0, bytesOut: 0 });
      const warp2d = b.kernels.warp2d!;
      const image = new Float32Array(6 * 5).map((_, i) => i);
      const field = new Float32Array(6 * 5 * 2).fill(0.25);
      const out = new Float32Array(6 * 5);
      warp2d(out, [6, 5], image, [6, 5], field, [6, 5], null, null, null);
      const s1 = b.stats();
      expect(s1.copiesIn - s0.copiesIn).toBe(2);
      expect(s1.bytesIn - s0.bytesIn).toBe((30 + 60) * 4);
      expect(s1.copiesOut - s0.copiesOut).toBe(1);
      expect(s1.bytesOut - s0.bytesOut).toBe(30 * 4);
      // the same call on arrays of the backend's memory: used in place, nothing copied
      const rImage = b.allocFloat32!(30), rField = b.allocFloat32!(60), rOut = b.allocFloat32!(30);
      rImage.set(image);
      rField.set(field);
      const s2 = b.stats();
      expect(s2.arrayAllocations - s1.arrayAllocations).toBe(3);
      warp2d(rOut, [6, 5], rImage, [6, 5], rField, [6, 5], null, null, null);
      const s3 = b.stats();
      expect([s3.copiesIn, s3.bytesIn, s3.copiesOut, s3.bytesOut]).toEqual([s2.copiesIn, s2.bytesIn, s2.copiesOut, s2.bytesOut]);
      expect(Array.from(rOut)).toEqual(Array.from(out));
      // a later call of the same size reuses the scratch arena: no new block
      warp2d(out, [6, 5], image, [6, 5], field, [6, 5], null, null, null);
      expect(b.stats().scratchAllocations).toBe(s3.scratchAllocations);
      expect(b.freeFloat32!(rImage)).toBe(true);
      expect(b.freeFloat32!(rImage)).toBe(false);
      expect(b.freeFloat32!(new Float32Array(3))).toBe(false);
      expect(b.stats().arrayFrees - s3.arrayFrees).toBe(1);
      // a snapshot: later calls do not change it
      const snap = b.stats();
      warp2d(out, [6, 5], image, [6, 5], field, [6, 5], null, null, null);
      expect(b.stats().copiesIn).toBe(snap.copiesIn + 2);
    } finally {
      await b.dispose();
    }
  });

  it('counts the memory growing when a large array does not fit', async () => {
    const b = await wasmBackend({ threads: 1 });
    try {
      const before = b.stats();
      const bytes = b.memory.buffer.byteLength;
      const big = b.allocFloat32!(bytes / 4 + 16);
      expect(b.stats().memoryGrowths).toBeGreaterThan(before.memoryGrowths);
      b.freeFloat32!(big);
    } finally {
      await b.dispose();
    }
  });

  it('positiveMask of a large ordinary image: copied in piece by piece (the arena stays at its 1 MiB chunk), written in place into a byte view of the memory, the naive oracle\'s bytes', async () => {
    const b = await wasmBackend({ threads: 1 });
    try {
      const n = 300_001;
      const image = new Float32Array(n).map((_, i) => (i % 5 === 0 ? -1 : i % 3 === 0 ? 0 : i % 7 === 0 ? NaN : (i % 11) / 10));
      const block = b.allocFloat32!(Math.ceil(n / 4));
      const out = new Uint8Array(block.buffer, block.byteOffset, n);
      const s0 = b.stats();
      b.kernels.positiveMask!(out, image);
      const s1 = b.stats();
      expect(Array.from(out)).toEqual(Array.from(positiveMaskNaive(image)));
      expect(s1.bytesIn - s0.bytesIn).toBe(n * 4);
      expect([s1.copiesOut - s0.copiesOut, s1.scratchBytes]).toEqual([0, 1 << 20]);
      // into an ordinary array: the same bytes, copied out piece by piece
      const plain = new Uint8Array(n);
      b.kernels.positiveMask!(plain, image);
      expect(Array.from(plain)).toEqual(Array.from(positiveMaskNaive(image)));
      expect(b.stats().bytesOut - s1.bytesOut).toBe(n);
    } finally {
      await b.dispose();
    }
  });
});
