/**
 * `startThreads()` of the WebAssembly backend: the default (lazy) workers start on request,
 * so that a synchronous multi-chunk kernel call (the dense MI evaluation of the affine
 * stage) is split over them, with the same bits as on one thread.
 */
import { describe, expect, it } from 'vitest';
import { wasmBackend } from '@diffeo/wasm-kernels';
import { availableParallelism } from 'node:os';

describe('wasmBackend startThreads', () => {
  it('starts the lazy workers, and the dense MI evaluation is the same bits split over them', async () => {
    const lazy = await wasmBackend({ minParallelWork: 0 });
    const one = await wasmBackend({ threads: 1 });
    try {
      expect(lazy.threads).toBe(1);
      const t = await lazy.startThreads();
      expect(t).toBe(lazy.threads);
      if (availableParallelism() > 1) expect(t).toBeGreaterThan(1);
      expect(await one.startThreads()).toBe(1);
      // a 3D grid of 3 chunks (4096 voxels each), 12 affine parameters
      const shape: [number, number, number] = [12, 20, 40], n = 12 * 20 * 40, B = 16, np = 12;
      let seed = 7;
      const rand = (): number => { seed = (seed * 1103515245 + 12345) >>> 0; return seed / 2 ** 32; };
      const sv = Float64Array.from({ length: n }, rand), mov = Float64Array.from({ length: n }, rand);
      const eye = (t: [number, number, number]): Float64Array => Float64Array.from([1, 0.02, 0, t[0], -0.02, 1, 0.01, t[1], 0, -0.01, 1, t[2], 0, 0, 0, 1]);
      const J = new Float64Array(4 * 3 * np);
      for (let a = 0; a < 3; a++) {
        J[a * np + 4 * a + 3] = 1;
        for (let j = 0; j < 3; j++) J[(j + 1) * 3 * np + a * np + 4 * a + j] = 1;
      }
      const run = (b: typeof one): Float64Array[] => {
        const joint = new Float64Array(B * B), sm = new Float64Array(B), mm = new Float64Array(B), jg = new Float64Array(B * B * np);
        b.kernels.affineMIDense3d!(joint, sm, mm, jg, sv, null, shape, mov, shape, eye([0.3, -0.2, 0.1]), eye([0, 0, 0]), eye([0.1, 0, 0]),
          [1, 1, 1], eye([0, 0, 0]), J, B, -2, 1 / (B - 4), -2, 1 / (B - 4), false);
        return [joint, sm, mm, jg];
      };
      const a = run(one), b = run(lazy);
      for (let k = 0; k < a.length; k++) expect(Array.from(b[k])).toEqual(Array.from(a[k]));
      expect(a[3].some((v) => v !== 0)).toBe(true);
    } finally {
      await lazy.dispose();
      await one.dispose();
    }
  });
});
