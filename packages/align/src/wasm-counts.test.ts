/**
 * Allocation and copy counts per SyN iteration on the WebAssembly backend (issue 17),
 * counted, not timed. A small registration (2D SSD, 3D CC; a few iterations on each of
 * three levels; `resultInContextMemory: true`, so every run buffer lives in the
 * backend's memory) records, over every iteration (from the level's SCALE_START or the
 * previous ITER_END to its ITER_END, so the warps and the metric's preparation, which
 * come before ITER_START, are included):
 *
 * - the backend's memory counters (`WasmBackend.stats()`): arrays allocated and freed,
 *   scratch blocks, memory growths, copies of ordinary arrays into and out of the memory;
 * - the typed arrays the JavaScript side creates (`new Float32Array(n)`, `.from`, …),
 *   counted by replacing the four constructors the code uses with counting proxies
 *   while the run lasts (views on an existing buffer are counted apart: they allocate
 *   no memory).
 *
 * The invariant, as measured: no iteration copies anything into or out of the wasm
 * memory; after a level's first iteration nothing is allocated there either (the first
 * one borrows the metric's workspace for the level's grid: SSD 2 arrays, CC 4, plus
 * perhaps a memory growth); and the JavaScript side creates no Float32Array or
 * Int32Array, no Float64Array after a level's first iteration (the backend keeps the
 * Gaussian weights of each sigma, and writes the direction matrix straight into its
 * parameter block), and, with threads, the thread pool's one-byte-per-chunk flags (a
 * few hundred bytes). Before the fixes that
 * came with this test, the streamed 3D CC factors copied their running sums (2 slices of
 * 5 doubles per voxel) in and out of the memory on every slab, and with non-float32
 * images (the uint16 case) the finest level's two warps copied SyN's private float32
 * images into the memory in every iteration. The EM case (Gauss-Newton, image dynamics)
 * copied its masks and class tables in and out and allocated its V-cycle's coarse arrays
 * in every iteration; now only the finest level's first iteration reads the two
 * original images once (computed by SyN into ordinary arrays) for their masks.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createCircle, createContext, createSphere, profileKernels, type Dim, type KernelContext, type SimilarityMetric } from '@diffeo/core';
import { ssdMetric } from '@diffeo/metrics-ssd';
import { ccMetric } from '@diffeo/metrics-cc';
import { emMetric } from '@diffeo/metrics-em';
import { SymmetricDiffeomorphicRegistration, type RegistrationEvent } from '@diffeo/syn';
import { wasmBackend, type WasmBackend, type WasmBackendOptions, type WasmMemoryStats } from '@diffeo/wasm-kernels';

const TYPES = ['Float32Array', 'Float64Array', 'Int32Array', 'Uint8Array'] as const;
type TypeName = (typeof TYPES)[number];
interface TypedCount { arrays: number; bytes: number; views: number }
type TypedCounts = Record<TypeName, TypedCount>;

/** Replaces the typed-array constructors by counting proxies until `restore()`. */
function countTypedArrays() {
  const counts = Object.fromEntries(TYPES.map((t) => [t, { arrays: 0, bytes: 0, views: 0 }])) as TypedCounts;
  const g = globalThis as unknown as Record<string, unknown>;
  const originals = new Map<TypeName, unknown>();
  for (const t of TYPES) {
    const orig = g[t] as { new (...a: unknown[]): unknown; BYTES_PER_ELEMENT: number };
    originals.set(t, orig);
    const proxy: unknown = new Proxy(orig, {
      construct(target, args, newTarget) {
        const a0 = args[0] as unknown;
        const c = counts[t];
        if (a0 instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && a0 instanceof SharedArrayBuffer)) {
          c.views++;
        } else {
          c.arrays++;
          const n = typeof a0 === 'number' ? a0 : a0 && typeof (a0 as ArrayLike<number>).length === 'number' ? (a0 as ArrayLike<number>).length : 0;
          c.bytes += n * orig.BYTES_PER_ELEMENT;
        }
        return Reflect.construct(target, args, newTarget === proxy ? target : newTarget);
      },
    });
    g[t] = proxy;
  }
  return {
    snapshot: (): TypedCounts => structuredClone(counts),
    restore: (): void => { for (const [t, o] of originals) g[t] = o; },
  };
}

function subtract<T extends object>(a: T, b: T): T {
  const out = {} as Record<string, unknown>;
  for (const k of Object.keys(a) as (keyof T)[]) {
    const x = a[k], y = b[k];
    out[k as string] = typeof x === 'number' ? (y as number) - x : subtract(x as object, y as object);
  }
  return out as T;
}

interface IterationCounts { level: number; iteration: number; wasm: WasmMemoryStats; js: TypedCounts }

let restore: (() => void) | null = null;
afterEach(() => { restore?.(); restore = null; });

/** Runs SyN with counters around every iteration; returns them and the result's fields. */
async function countedRun<D extends Dim>(backend: WasmBackend, context: KernelContext, metric: SimilarityMetric<D>,
  statik: Float32Array | Uint16Array, moving: Float32Array | Uint16Array, shape: number[], levelIters: number[]) {
  const rows: IterationCounts[] = [];
  let wasm0: WasmMemoryStats | null = null;
  let js0: TypedCounts | null = null;
  const counter = countTypedArrays();
  restore = counter.restore;
  const syn = new SymmetricDiffeomorphicRegistration(metric, {
    levelIters, invIter: 10, context, resultInContextMemory: true,
    // An iteration runs from the level's start (SCALE_START) or the previous ITER_END to its
    // ITER_END: the warps and the metric's preparation come before ITER_START.
    onEvent: (e: RegistrationEvent) => {
      if (e.stage === 'ITER_END' && wasm0 && js0) {
        rows.push({ level: e.level, iteration: e.iteration, wasm: subtract(wasm0, backend.stats()), js: subtract(js0, counter.snapshot()) });
      }
      if (e.stage === 'SCALE_START' || e.stage === 'ITER_END') {
        wasm0 = backend.stats();
        js0 = counter.snapshot();
      }
    },
  });
  const map = await syn.optimize({ static: { data: statik, shape }, moving: { data: moving, shape } } as never);
  counter.restore();
  restore = null;
  const fields = { forward: Float32Array.from(map.forward!), backward: Float32Array.from(map.backward!) };
  map.dispose();
  return { rows, fields, iterations: syn.iterationsPerLevel };
}

function shifted(img: Float32Array, plane: number, rows: number, by: number): Float32Array {
  const out = new Float32Array(img.length);
  for (let i = by; i < rows; i++) out.set(img.subarray((i - by) * plane, (i - by + 1) * plane), i * plane);
  return out;
}

const cases = [
  {
    name: '2D SSD 48×48',
    /** Arrays of the SSD metric's workspace (`allocFloat32`, per level grid). */
    workspaceArrays: 2,
    metric: () => ssdMetric(2) as SimilarityMetric<Dim>,
    make: () => {
      const fixed = Float32Array.from(createCircle(48, 48, 12).data);
      return { fixed, moving: shifted(fixed, 48, 48, 3), shape: [48, 48] };
    },
  },
  {
    // not float32: SyN converts each image into a private float32 copy (level 0 of its pyramid)
    name: '2D SSD 48×48, uint16 images',
    workspaceArrays: 2,
    metric: () => ssdMetric(2) as SimilarityMetric<Dim>,
    make: () => {
      const fixed = Float32Array.from(createCircle(48, 48, 12).data, (v) => 1000 * v);
      return { fixed: Uint16Array.from(fixed), moving: Uint16Array.from(shifted(fixed, 48, 48, 3)), shape: [48, 48] };
    },
  },
  {
    name: '3D CC 24³',
    /** Arrays of the CC metric's workspace (factors, gradient, slab step, running sums). */
    workspaceArrays: 4,
    metric: () => ccMetric(3, { radius: 2 }) as SimilarityMetric<Dim>,
    make: () => {
      const fixed = Float32Array.from(createSphere(24, 24, 24, 7).data);
      return { fixed, moving: shifted(fixed, 24 * 24, 24, 2), shape: [24, 24, 24] };
    },
  },
  {
    // Gauss-Newton (the V-cycle's coarse arrays) and the image dynamics' masks
    name: '3D EM Gauss-Newton 20³',
    /**
     * Arrays of the EM workspace: 3 fields, 5 class tables, the sampling mask and 2
     * histogram tables; the `> 0` masks of the two original images; the V-cycle's 6
     * arrays per coarse level (levels 2, 1, 0 have 1, 2, 3 levels below).
     */
    workspaceArrays: [3 + 5 + 1 + 2 + 2 + 6 * 1, 3 + 5 + 1 + 2 + 2 + 6 * 2, 3 + 5 + 1 + 2 + 2 + 6 * 3],
    /**
     * The finest level's first iteration copies the two original images in once (SyN
     * recomputes them into its buffers, so their stored arrays are the inputs, outside the
     * memory) for their `> 0` masks, which the workspace then keeps.
     */
    firstIterationCopiesIn: { level: 0, copies: 2, bytes: 2 * 4 * 20 ** 3 },
    metric: () => emMetric(3) as SimilarityMetric<Dim>,
    make: () => {
      // two modalities: the moving intensities reversed inside the sphere
      const fixed = Float32Array.from(createSphere(20, 20, 20, 6).data, (v, i) => v * (1 + (i % 7) / 7));
      const moving = shifted(fixed, 20 * 20, 20, 2).map((v) => (v > 0 ? 3 - v : 0));
      return { fixed, moving, shape: [20, 20, 20] };
    },
  },
];
const configs: [string, WasmBackendOptions][] = [
  ['1 thread', { threads: 1 }],
  ['2 threads, every call split', { threads: 2, minParallelWork: 0 }],
];
const ZERO_WASM: WasmMemoryStats = {
  arrayAllocations: 0, arrayFrees: 0, scratchAllocations: 0, scratchFrees: 0, scratchBytes: 0,
  memoryGrowths: 0, copiesIn: 0, bytesIn: 0, copiesOut: 0, bytesOut: 0,
};

describe('SyN on the wasm backend: allocations and copies per iteration (counted)', () => {
  for (const c of cases) {
    for (const [label, options] of configs) {
      it(`${c.name}, ${label}: no copy in or out of the wasm memory, no wasm allocation after a level's first iteration; on the JS side no Float32Array, and no Float64Array after a level's first iteration`, async () => {
        const backend = await wasmBackend(options);
        try {
          const { fixed, moving, shape } = c.make();
          const { rows, iterations } = await countedRun(backend, createContext(backend), c.metric(), fixed, moving, shape, [4, 4, 4]);
          expect(iterations).toEqual([4, 4, 4]);
          expect(rows.length).toBe(12);
          for (const r of rows) {
            const at = `level ${r.level}, iteration ${r.iteration}`;
            // nothing is ever copied into or out of the wasm memory (but the EM case's originals, once)
            const once = 'firstIterationCopiesIn' in c ? c.firstIterationCopiesIn : null;
            const copiesIn = once !== null && r.level === once.level && r.iteration === 0 ? [once.copies, once.bytes] : [0, 0];
            expect([r.wasm.copiesIn, r.wasm.bytesIn, r.wasm.copiesOut, r.wasm.bytesOut], at).toEqual([...copiesIn, 0, 0]);
            if (r.iteration > 0) expect(r.wasm, at).toEqual(ZERO_WASM);
            // no Float32Array or Int32Array with memory of its own (the first iteration makes views of the workspace)
            // (but the EM case's finest level: SyN computes the two originals, once, into arrays of their own)
            const originals = once !== null && r.level === once.level && r.iteration === 0 ? once.copies : 0;
            expect([r.js.Float32Array.arrays, r.js.Int32Array.arrays], at).toEqual([originals, 0]);
            if (r.iteration > 0) expect([r.js.Float32Array.views, r.js.Int32Array.views], at).toEqual([0, 0]);
            // the thread pool's per-call chunk flags (one byte per chunk), none on one thread
            // (the EM workspace's masks are byte views of its blocks, made in a level's first iteration)
            if (options.threads === 1) expect(r.js.Uint8Array, at).toEqual({ arrays: 0, bytes: 0, views: r.iteration === 0 ? r.js.Uint8Array.views : 0 });
            if (r.iteration > 0) expect(r.js.Uint8Array.views, at).toBe(0);
            else expect(r.js.Uint8Array.bytes, at).toBeLessThan(1024);
            // Gaussian weights (a level's first iteration at most: the backend keeps them per
            // sigma) and no direction matrix (written straight into the parameter block)
            expect(r.js.Float64Array.bytes, at).toBeLessThan(4096);
            if (r.iteration > 0) expect(r.js.Float64Array, at).toEqual({ arrays: 0, bytes: 0, views: 0 });
          }
          // a level's first iteration: the metric's workspace for that grid (the same arrays at every level), nothing freed
          const first = rows.filter((r) => r.iteration === 0).map((r) => r.wasm);
          expect(first).toHaveLength(3);
          const want = c.workspaceArrays;
          expect(first.map((w) => w.arrayAllocations)).toEqual(typeof want === 'number' ? [want, want, want] : want);
          for (const w of first) expect([w.arrayFrees, w.scratchFrees]).toEqual([0, 0]);
          for (const level of [0, 1, 2]) {
            const js = rows.filter((r) => r.level === level && r.iteration > 0).map((r) => JSON.stringify(r.js.Float64Array));
            expect(new Set(js).size, `level ${level}: ${js.join(' ')}`).toBe(1);
          }
        } finally {
          await backend.dispose();
        }
      });
    }
  }

  it('3D CC through profileKernels: the same bits as without, still no copies, and every kernel call counted', async () => {
    const backend = await wasmBackend({ threads: 1 });
    try {
      const c = cases[2];
      const { fixed, moving, shape } = c.make();
      const plainCtx = createContext(backend);
      const plain = await countedRun(backend, plainCtx, c.metric(), fixed, moving, shape, [4, 4, 4]);
      const prof = profileKernels(plainCtx);
      const profiled = await countedRun(backend, prof.context, c.metric(), fixed, moving, shape, [4, 4, 4]);
      expect(Array.from(profiled.fields.forward)).toEqual(Array.from(plain.fields.forward));
      expect(Array.from(profiled.fields.backward)).toEqual(Array.from(plain.fields.backward));
      for (const r of profiled.rows) if (r.iteration > 0) expect(r.wasm).toEqual(ZERO_WASM);
      // (memory growths differ: the second run reuses the memory the first one grew)
      for (const r of profiled.rows) expect([r.wasm.copiesIn, r.wasm.copiesOut]).toEqual([0, 0]);
      const report = prof.report();
      const byName = new Map(report.kernels.map((k) => [k.name, k]));
      // levels 2 and 1 (8 iterations) in one piece: one factors call per iteration, one step per direction;
      // level 0 (24 slices) slab by slab (2 slabs of CCPlan): factors streamed and a step per slab and direction
      expect(byName.get('ccFactors3d')).toMatchObject({ backend: 'wasm', calls: 8 });
      expect(byName.get('ccFactors3dStream')).toMatchObject({ backend: 'wasm', calls: 4 * 2 * 2 });
      expect(byName.get('ccForwardStep3d')!.calls).toBe(8 + 4 * 2);
      expect(byName.get('ccBackwardStep3d')!.calls).toBe(8 + 4 * 2);
      // two warps per iteration (static and moving onto the reference grid)
      expect(byName.get('warp3d')!.calls).toBe(24);
      expect(report.calls).toBe(report.kernels.reduce((n, k) => n + k.calls, 0));
      expect(report.seconds).toBeGreaterThan(0);
    } finally {
      await backend.dispose();
    }
  });
});
