/**
 * Copies per metric evaluation of the affine stage on the WebAssembly backend (issue 17),
 * counted, not timed: the backend's memory counters (`WasmBackend.stats()`) are read at every
 * level's start and end of a short dense pipeline (2D and 3D DIPY fixtures, translation →
 * rigid → affine, three levels each). The images of a level go into the backend's memory once
 * (in `setup`, an ordinary write into arrays living there, not a kernel copy) and the
 * histogram's pdfs and gradient live there, so no evaluation copies anything in or out; the
 * only counted copies of a whole run are the scale space's resamplings before the first level.
 * When `optimize` ends every array taken in the backend's memory has been given back.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createContext } from '@diffeo/core';
import { wasmBackend, type WasmMemoryStats } from '@diffeo/wasm-kernels';
import { affineRegistration } from './affine-registration.js';
import { fixturePair as pair, sameBits } from './fixtures.test-util.js';

describe('affine stage on the wasm backend: copies per evaluation (counted)', async () => {
  const backend = await wasmBackend({ threads: 1 });
  const ctx = createContext(backend);
  afterAll(() => backend.dispose());

  for (const name of ['pipeline_t1_2d', 'pipeline_b0_3d']) {
    it(`${name}: no copy in or out of the wasm memory during any level; every array given back at the end; same bits as TypeScript`, () => {
      const { st, mv } = pair(name);
      const levels: { stage: string; level: number; evaluations: number; delta: WasmMemoryStats }[] = [];
      let at: WasmMemoryStats | null = null;
      const start = backend.stats();
      const opts = { static: st, moving: mv, levelIters: [12, 6, 3] };
      const wasm = affineRegistration({
        ...opts, context: ctx,
        onProgress: (e) => {
          if (e.type === 'levelStart') at = backend.stats();
          if (e.type === 'levelEnd' && at) {
            const now = backend.stats();
            const delta = Object.fromEntries(Object.keys(now).map((k) => [k, now[k as keyof WasmMemoryStats] - at![k as keyof WasmMemoryStats]])) as unknown as WasmMemoryStats;
            levels.push({ stage: e.stage, level: e.level, evaluations: e.evaluations, delta });
          }
        },
      });
      const end = backend.stats();
      expect(levels).toHaveLength(9);
      for (const l of levels) {
        expect(l.evaluations, `${l.stage} level ${l.level}`).toBeGreaterThan(0);
        expect([l.delta.copiesIn, l.delta.bytesIn, l.delta.copiesOut, l.delta.bytesOut], `${l.stage} level ${l.level}`).toEqual([0, 0, 0, 0]);
      }
      // the whole run: the scale space's resamplings (one in, one out per coarser level) and nothing else
      expect(end.copiesIn - start.copiesIn).toBeLessThanOrEqual(3);
      expect(end.copiesOut - start.copiesOut).toBeLessThanOrEqual(3);
      expect(end.arrayAllocations - start.arrayAllocations).toBeGreaterThan(0);
      expect(end.arrayFrees - start.arrayFrees).toBe(end.arrayAllocations - start.arrayAllocations);
      const ts = affineRegistration(opts);
      ts.stages.forEach((s, i) => expect(sameBits(wasm.stages[i].affine, s.affine), s.stage).toBe(true));
    });
  }
});
