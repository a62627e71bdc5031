/**
 * Compositions of displacement fields (`assembly/compose.ts`): `compose2d`, `compose3d`, with the
 * composition statistics (max, mean, std of the norms) added in raster order by the calling thread.
 * JavaScript side only: puts the arguments into the backend's memory, splits the call
 * over threads (see `env.ts`) and takes the outputs back; the arithmetic is in WebAssembly.
 */
import type { Affine, ComposeStats, Kernels, Shape2D, Shape3D } from '@diffeo/core';
import { Slot } from '../heap.js';
import type { AdapterEnv } from './env.js';

/** Work units per voxel of a 2D composition. */
const COMPOSE2D_WORK = 1;

/** The compose kernels of one instance. */
export type ComposeKernels = Pick<Kernels, 'compose2d' | 'compose3d'>;

/** Builds the compose kernels over one instance's memory and threads. */
export function composeKernels(env: AdapterEnv): ComposeKernels {
  const { wasm, heap, inp, fin, plan, run, scratchRows } = env;

  function finishStats(p: number): ComposeStats {
    const f = heap.f64;
    const o = p >>> 3;
    const cnt = f[o], maxQ = f[o + 1], sumQ = f[o + 2], sumQ2 = f[o + 3];
    const mean = sumQ / cnt;
    return [Math.sqrt(maxQ), Math.sqrt(mean), Math.sqrt(sumQ2 / cnt - mean * mean)];
  }

  const compose2d = (out: Float32Array, d1: Float32Array, shape1: Shape2D, d2: Float32Array, shape2: Shape2D,
    A: Affine, B: Affine, t: number, wantStats = true): ComposeStats => {
    heap.reset();
    const [nr1, nc1] = shape1;
    const nv1 = nr1 * nc1, n1 = nv1 * 2;
    const p1 = inp(d1, n1);
    const pOut = heap.owns(out) ? out.byteOffset : out === d1 ? p1 : heap.allocF32(n1);
    const [nr2, nc2] = shape2;
    const p2 = inp(d2, nr2 * nc2 * 2);
    const a = heap.affine(Slot.A, A, 3), b = heap.affine(Slot.B, B, 3);
    const split = plan(nr1, COMPOSE2D_WORK * nv1);
    if (!wantStats) {
      const { rows, rowBytes } = scratchRows(nc1);
      run(split, nr1, 'compose2d', [pOut, p1, nr1, nc1, p2, nr2, nc2, a, b, t, 0, 0],
        (lo, hi) => wasm.compose2d(pOut, p1, nr1, nc1, p2, nr2, nc2, a, b, t, 0, 0, lo, hi, rows), null, rows, rowBytes);
      fin(pOut, out, n1);
      return [NaN, NaN, NaN];
    }
    const qrow = heap.alloc(nc1 * 4);
    // Chunks computed without adding store every voxel's q; the calling thread adds them in raster order.
    const qAll = split ? heap.alloc(nv1 * 4) : 0;
    const stats = heap.slot(Slot.RESULT);
    heap.f64.fill(0, stats >>> 3, (stats >>> 3) + 4);
    run(split, nr1, 'compose2d', [pOut, p1, nr1, nc1, p2, nr2, nc2, a, b, t, 0, qAll],
      (lo, hi) => wasm.compose2d(pOut, p1, nr1, nc1, p2, nr2, nc2, a, b, t, 0, qAll, lo, hi, 0), {
        fused: (lo, hi) => wasm.compose2d(pOut, p1, nr1, nc1, p2, nr2, nc2, a, b, t, stats, qrow, lo, hi, 0),
        reduce: (lo, hi) => wasm.composeStats(qAll, lo * nc1, hi * nc1, stats),
      });
    fin(pOut, out, n1);
    return finishStats(stats);
  };

  const compose3d = (out: Float32Array, d1: Float32Array, shape1: Shape3D, d2: Float32Array, shape2: Shape3D,
    A: Affine, B: Affine, t: number, wantStats = true): ComposeStats => {
    heap.reset();
    const [ns1, nr1, nc1] = shape1;
    const nv1 = ns1 * nr1 * nc1, n1 = nv1 * 3;
    const p1 = inp(d1, n1);
    const pOut = heap.owns(out) ? out.byteOffset : out === d1 ? p1 : heap.allocF32(n1);
    const p2 = inp(d2, shape2[0] * shape2[1] * shape2[2] * 3);
    const a = heap.affine(Slot.A, A, 4), b = heap.affine(Slot.B, B, 4);
    const split = plan(ns1, 1.6 * nv1);
    const [ns2, nr2, nc2] = shape2;
    if (!wantStats) {
      const { rows, rowBytes } = scratchRows(nc1);
      run(split, ns1, 'compose3d', [pOut, p1, ns1, nr1, nc1, p2, ns2, nr2, nc2, a, b, t, 0, 0],
        (lo, hi) => wasm.compose3d(pOut, p1, ns1, nr1, nc1, p2, ns2, nr2, nc2, a, b, t, 0, 0, lo, hi, rows), null, rows, rowBytes);
      fin(pOut, out, n1);
      return [NaN, NaN, NaN];
    }
    const qrow = heap.alloc(nc1 * 4);
    // Chunks computed without adding store every voxel's q; the calling thread adds them in raster order.
    const qAll = split ? heap.alloc(nv1 * 4) : 0;
    const stats = heap.slot(Slot.RESULT);
    heap.f64.fill(0, stats >>> 3, (stats >>> 3) + 4);
    const slice = nr1 * nc1;
    run(split, ns1, 'compose3d', [pOut, p1, ns1, nr1, nc1, p2, ns2, nr2, nc2, a, b, t, 0, qAll],
      (lo, hi) => wasm.compose3d(pOut, p1, ns1, nr1, nc1, p2, ns2, nr2, nc2, a, b, t, 0, qAll, lo, hi, 0), {
        fused: (lo, hi) => wasm.compose3d(pOut, p1, ns1, nr1, nc1, p2, ns2, nr2, nc2, a, b, t, stats, qrow, lo, hi, 0),
        reduce: (lo, hi) => wasm.composeStats(qAll, lo * slice, hi * slice, stats),
      });
    fin(pOut, out, n1);
    return finishStats(stats);
  };

  return {
    compose2d, compose3d
  };
}
