/**
 * The threaded backend's life cycle and environments: thread counts, zero-copy
 * buffers through a `KernelContext`, `dispose()` ending the workers, a Node process
 * not kept alive by them, and the backend (with its own worker threads) running
 * inside a `worker_threads` Worker. Outputs are compared bit for bit with
 * `tsKernels` (the bit-exactness of every kernel on many inputs is in
 * `stress.test.ts`).
 *
 * The subprocess and Worker tests load the built `dist/index.js` (like the
 * `.wasm` files, it must be built first: `pnpm build`).
 */
import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { createContext, tsKernels, type Kernels, type Shape2D, type Shape3D } from '@diffeo/core';
import { mulberry32, smoothField, smoothImage } from '@diffeo/conformance';
import { wasmBackend } from '@diffeo/wasm-kernels';

const distIndex = new URL('../dist/index.js', import.meta.url);

function expectBits(a: Float32Array, b: Float32Array, what: string): void {
  expect(a.length, what).toBe(b.length);
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length), y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  let bad = -1;
  for (let i = 0; i < x.length && bad < 0; i++) if (x[i] !== y[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) bad = i;
  if (bad >= 0) expect.fail(`${what}: first difference at [${bad}]: ${a[bad]} vs ${b[bad]}`);
}

/** A small SyN-like sequence on one shape: compose, invert, warp, smooth; returns every output and result. */
function sequence(k: Kernels, alloc: (n: number) => Float32Array, shape: Shape3D, seed: number) {
  const r = mulberry32(seed);
  const nv = shape[0] * shape[1] * shape[2];
  const put = (a: Float32Array): Float32Array => { const c = alloc(a.length); c.set(a); return c; };
  const d1 = put(smoothField(r, shape, 2)), d2 = put(smoothField(r, shape, 2));
  const img = put(smoothImage(r, shape));
  const W = new Float64Array([0.8, 0, 0, 0.5, 0, 0.9, 0, 0, 0, 0, 1.1, -0.5, 0, 0, 0, 1]);
  const stats = k.compose3d(d1, d1, shape, d2, shape, null, W, 0.3);
  const inv = alloc(nv * 3);
  const result = k.invert3d(inv, d1, shape, W, [1.2, 1.1, 0.9], 20, 1e-4, alloc(nv * 3));
  const warped = alloc(nv);
  k.warp3d(warped, shape, img, shape, inv, shape, null, null, W);
  k.gaussianFilter(d1, d1, shape, 3, [1.5, 1.5, 1.5]);
  const grad = alloc(nv * 3);
  k.numpyGradient(grad, warped, shape);
  const jac = alloc(nv);
  k.jacobianDeterminant3d(jac, inv, shape, W);
  return { stats, result, d1, inv, warped, grad, jac };
}

/**
 * A 2D SyN-like sequence on one shape, every 2D kernel the backend splits over
 * threads: compose (with statistics), invert (warm start, fields that push points off
 * the grid), warp, smooth, gradients, CC and SSD steps (with energies), step
 * conditioning, resampling. Returns every output and result.
 */
function sequence2d(k: Kernels, alloc: (n: number) => Float32Array, shape: Shape2D, seed: number) {
  const r = mulberry32(seed);
  const [nr, nc] = shape;
  const nv = nr * nc;
  const put = (a: Float32Array): Float32Array => { const c = alloc(a.length); c.set(a); return c; };
  // Displacements of up to ~nc/3 voxels: many points leave the grid.
  const d1 = put(smoothField(r, shape, nc / 3)), d2 = put(smoothField(r, shape, 2));
  const img = put(smoothImage(r, shape)), img2 = put(smoothImage(r, shape));
  const W = new Float64Array([0.8, 0.1, 0.5, -0.05, 1.1, -0.5, 0, 0, 1]);
  const stats = k.compose2d(d1, d1, shape, d2, shape, W, null, 0.3);
  const inv = put(smoothField(r, shape, 0.5)); // warm start
  const result = k.invert2d(inv, d1, shape, W, [1.25, 0.8], 30, 1e-5, alloc(nv * 2));
  const resultPow2 = k.invert2d(inv, d2, shape, null, [0.5, 2], 7, 1e-9, alloc(nv * 2));
  const warped = alloc(nv);
  k.warp2d(warped, shape, img, shape, inv, shape, null, W, W);
  k.gaussianFilter(d1, d1, shape, 2, [1.5, 2.5]);
  const grad = alloc(nv * 2);
  k.numpyGradient(grad, warped, shape);
  const pgrad = alloc(nv * 2);
  k.physicalGradient(pgrad, img2, shape, [1.5, 0.75], [0.96, -0.28, 0, 0.28, 0.96, 0, 0, 0, 1]);
  const factors = alloc(nv * 5);
  k.ccFactors2d(factors, warped, img2, shape, 3);
  const fwd = alloc(nv * 2), bwd = alloc(nv * 2);
  const eF = k.ccForwardStep2d(fwd, grad, factors, shape, 3);
  const eB = k.ccBackwardStep2d(bwd, pgrad, factors, shape, 3);
  const norm = k.conditionStep(fwd, shape, [1.5, 0.75]);
  const delta = alloc(nv);
  for (let i = 0; i < nv; i++) delta[i] = warped[i] - img2[i];
  const demons = alloc(nv * 2);
  const eD = k.ssdDemonsStep2d(demons, delta, grad, shape, 0.7);
  const up: Shape2D = [2 * nr - 1, 2 * nc + 1];
  const resampled = alloc(up[0] * up[1] * 2);
  k.resampleField2d(resampled, up, bwd, shape, [0.5, 0.5]);
  const res = alloc(nv * 2);
  k.residual2d(res, delta, null, grad, null, 0.4, demons, shape);
  const jac = alloc(nv);
  k.jacobianDeterminant2d(jac, d1, shape, W);
  return {
    scalars: { stats, result, resultPow2, eF, eB, norm, eD },
    arrays: { d1, inv, warped, grad, pgrad, fwd, bwd, demons, resampled, res, jac },
  };
}

describe('threaded wasm backend', () => {
  it('uses min(availableParallelism(), 4) threads and a shared memory by default in Node', async () => {
    const b = await wasmBackend();
    const want = Math.min(availableParallelism(), 4);
    // lazy by default: one thread until a call of at least START_PARALLEL_WORK units
    expect(b.threads).toBe(1);
    // a 128×128 image (every pass some 5 000 units): below START_PARALLEL_WORK, no workers
    const small = 128 * 128;
    const s = b.allocFloat32!(small).fill(1);
    b.kernels.gaussianFilter!(b.allocFloat32!(small), s, [128, 128], 1, [2, 2]);
    await new Promise((r) => setTimeout(r, 100));
    expect(b.threads).toBe(1);
    // a 64³ grid (some 79 000 units per pass): starts the workers, runs on this thread
    const n = 64 * 64 * 64;
    const img = b.allocFloat32!(n).fill(1);
    const out = b.allocFloat32!(n);
    b.kernels.gaussianFilter!(out, img, [64, 64, 64], 1, [2, 2, 2]);
    for (let i = 0; i < 200 && b.threads < want; i++) await new Promise((r) => setTimeout(r, 10));
    expect(b.threads).toBe(want);
    expect(b.shared).toBe(true);
    expect(b.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(typeof b.allocFloat32).toBe('function');
    await b.dispose();
    const one = await wasmBackend({ threads: 1 });
    expect(one.threads).toBe(1);
    const plain = await wasmBackend({ wasmUrl: new URL('../dist/kernels.wasm', import.meta.url), threads: 3 });
    expect(plain.shared).toBe(false);
    expect(plain.threads).toBe(1); // an ordinary memory: one thread, no allocFloat32
    expect(plain.allocFloat32).toBeUndefined();
  });

  it('the default threads start with a 256² grid; startParallelWork sets that size (Infinity: never)', async () => {
    const want = Math.min(availableParallelism(), 4);
    const n = 64 * 64 * 64;
    const never = await wasmBackend({ startParallelWork: Infinity });
    const img = never.allocFloat32!(n).fill(1);
    never.kernels.gaussianFilter!(never.allocFloat32!(n), img, [64, 64, 64], 1, [2, 2, 2]);
    await new Promise((r) => setTimeout(r, 150));
    expect(never.threads).toBe(1);
    await never.dispose();
    // a registration's first call, the Gaussian filter of a 256×256 image (little work per
    // pass, but a grid of 65 536 pixels ≥ START_PARALLEL_WORK), starts them
    const grid = await wasmBackend();
    const im = grid.allocFloat32!(256 * 256).fill(1);
    grid.kernels.gaussianFilter!(grid.allocFloat32!(256 * 256), im, [256, 256], 1, [1, 1]);
    for (let i = 0; i < 200 && grid.threads < want; i++) await new Promise((r) => setTimeout(r, 10));
    expect(grid.threads).toBe(want);
    await grid.dispose();
    // 0: the first call large enough to be split (minParallelWork) starts them
    const early = await wasmBackend({ startParallelWork: 0, minParallelWork: 1000 });
    const s = early.allocFloat32!(128 * 128).fill(1);
    early.kernels.gaussianFilter!(early.allocFloat32!(128 * 128), s, [128, 128], 1, [2, 2]);
    for (let i = 0; i < 200 && early.threads < want; i++) await new Promise((r) => setTimeout(r, 10));
    expect(early.threads).toBe(want);
    await early.dispose();
  });

  it('gives the same bits on 1, 2 and 3 threads, with copied and with zero-copy arrays, through a context', async () => {
    const shape: Shape3D = [7, 13, 11];
    const ref = sequence(tsKernels, (n) => new Float32Array(n), shape, 5);
    for (const threads of [1, 2, 3]) {
      const b = await wasmBackend({ threads, minParallelWork: 0 });
      const ctx = createContext(b);
      for (const zeroCopy of [false, true]) {
        const allocated: Float32Array[] = [];
        const alloc = zeroCopy
          ? (n: number): Float32Array => { const a = ctx.allocFloat32(n); allocated.push(a); return a; }
          : (n: number): Float32Array => new Float32Array(n);
        const got = sequence(ctx.kernels, alloc, shape, 5);
        const what = `${threads} thread(s)${zeroCopy ? ', zero-copy' : ''}`;
        expect(got.stats, what).toEqual(ref.stats);
        expect(got.result, what).toEqual(ref.result);
        for (const key of ['d1', 'inv', 'warped', 'grad', 'jac'] as const) expectBits(got[key], ref[key], `${what}: ${key}`);
        if (zeroCopy) {
          for (const a of allocated) expect(a.buffer).toBeInstanceOf(SharedArrayBuffer); // views into the backend's memory
          for (const a of allocated) expect(ctx.freeFloat32(a)).toBe(true);
          expect(ctx.freeFloat32(allocated[0])).toBe(false); // already released
        }
      }
      expect(ctx.remove('wasm')).toBe(true); // calls dispose()
      expect(b.threads).toBe(1);
    }
  });

  it('splits the 2D kernels with the same bits on 1 to 4 threads (odd sizes, points leaving the grid)', async () => {
    const shapes: Shape2D[] = [[37, 53], [64, 29], [3, 101]];
    const refs = shapes.map((shape, i) => sequence2d(tsKernels, (n) => new Float32Array(n), shape, 40 + i));
    const configs = [
      { threads: 1 },
      { threads: 2, minParallelWork: 0 },
      { threads: 3, minParallelWork: 0 },
      { threads: 4, minParallelWork: 0 },
      { threads: 3, minParallelWork: 0, callerChunks: 1 },
      { threads: 2 }, // default threshold: small calls on one thread, large ones split
    ];
    for (const options of configs) {
      const b = await wasmBackend(options);
      const ctx = createContext(b);
      for (const zeroCopy of [false, true]) {
        const alloc = zeroCopy ? (n: number): Float32Array => ctx.allocFloat32(n) : (n: number): Float32Array => new Float32Array(n);
        shapes.forEach((shape, i) => {
          const got = sequence2d(ctx.kernels, alloc, shape, 40 + i);
          const what = `${JSON.stringify(options)}${zeroCopy ? ', zero-copy' : ''}, ${shape}`;
          expect(got.scalars, what).toEqual(refs[i].scalars);
          for (const key of Object.keys(refs[i].arrays) as (keyof typeof refs[number]['arrays'])[]) {
            expectBits(got.arrays[key], refs[i].arrays[key], `${what}: ${key}`);
          }
        });
      }
      await b.dispose();
    }
  });

  it('hands many small calls of different kernels and split counts to the workers back to back', async () => {
    // Tiny split calls, each finished quickly (often by the calling thread alone) and followed at
    // once by a call with other parameters: a worker that reads a call's parameters late must take
    // no chunk of it, or take one of the call now posted with that call's parameters.
    const r = mulberry32(77);
    const cases = Array.from({ length: 300 }, (_, i) => {
      const shape: Shape2D = [2 + r.int(0, 9), 2 + r.int(0, 14)];
      const field = smoothField(r, shape, 3), img = smoothImage(r, shape);
      return { shape, field, img, kind: i % 3 };
    });
    const runAll = (k: Kernels): Float32Array[] => cases.map(({ shape, field, img, kind }) => {
      const nv = shape[0] * shape[1];
      if (kind === 0) { const o = new Float32Array(nv); k.warp2d(o, shape, img, shape, field, shape, null, null, null); return o; }
      if (kind === 1) { const o = new Float32Array(nv * 2); k.gaussianFilter(o, field, shape, 2, [1, 0.7]); return o; }
      const o = new Float32Array(nv * 2);
      k.compose2d(o, field, shape, field, shape, null, null, 0.5);
      return o;
    });
    const ref = runAll(tsKernels);
    for (const threads of [2, 3, 4]) {
      const b = await wasmBackend({ threads, minParallelWork: 0 });
      for (let rep = 0; rep < 4; rep++) {
        runAll(b.kernels as Kernels).forEach((o, i) => expectBits(o, ref[i], `${threads} threads, call ${i}`));
      }
      await b.dispose();
    }
  });

  it('zero-copy arrays stay valid and in place when the memory grows', async () => {
    const b = await wasmBackend({ threads: 2, minParallelWork: 0 });
    const shape: Shape3D = [6, 9, 8];
    const nv = 6 * 9 * 8;
    const d = b.allocFloat32!(nv * 3);
    d.set(smoothField(mulberry32(3), shape, 2));
    const before = b.memory.buffer.byteLength;
    const big = b.allocFloat32!(64 << 20); // 256 MiB: the memory must grow
    expect(b.memory.buffer.byteLength).toBeGreaterThan(before);
    expect(d.length).toBe(nv * 3); // still attached
    const out = b.allocFloat32!(nv * 3), ref = new Float32Array(nv * 3);
    const k = b.kernels as Kernels;
    expect(k.compose3d(out, d, shape, d, shape, null, null, 0.5)).toEqual(tsKernels.compose3d(ref, d, shape, d, shape, null, null, 0.5));
    expectBits(out, ref, 'compose3d after growth');
    expect(b.freeFloat32!(big)).toBe(true);
    expect(b.freeFloat32!(new Float32Array(4))).toBe(false);
    await b.dispose();
  });

  it('dispose() ends the worker threads; the kernels then run on the calling thread', async () => {
    const b = await wasmBackend({ threads: 3, minParallelWork: 0 });
    expect(b.threads).toBe(3);
    await b.dispose(); // resolves once every worker has exited
    expect(b.threads).toBe(1);
    await b.dispose(); // idempotent
    const shape: Shape3D = [5, 6, 7];
    const f = smoothField(mulberry32(8), shape, 2);
    const a = new Float32Array(f.length), r = new Float32Array(f.length);
    (b.kernels as Kernels).gaussianFilter(a, f, shape, 3, [1, 2, 1]);
    tsKernels.gaussianFilter(r, f, shape, 3, [1, 2, 1]);
    expectBits(a, r, 'gaussianFilter after dispose');
  });

  it('does not keep a Node process alive (no dispose)', async () => {
    const script = `
      const { wasmBackend } = await import(${JSON.stringify(distIndex.href)});
      const b = await wasmBackend({ threads: 2, minParallelWork: 0 });
      const out = new Float32Array(3 * 4 * 5 * 3), d = new Float32Array(out.length).fill(0.25);
      b.kernels.compose3d(out, d, [3, 4, 5], d, [3, 4, 5], null, null, 1);
      console.log(b.threads, out[7]);`;
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 30_000 }, (err, out, errOut) => {
        if (err) reject(new Error(`${err.message}\n${errOut}`));
        else resolve(out);
      });
    });
    expect(stdout.trim()).toBe('2 0.5');
  });

  it('runs inside a worker_threads Worker, with its own worker threads', async () => {
    const shape: Shape3D = [9, 10, 11];
    const r = mulberry32(21);
    const d = smoothField(r, shape, 2.5);
    const img = smoothImage(r, shape);
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      (async () => {
        const { wasmBackend } = await import(workerData.url);
        const b = await wasmBackend({ threads: 2, minParallelWork: 0 });
        const { d, img, shape } = workerData;
        const nv = shape[0] * shape[1] * shape[2];
        const inv = b.allocFloat32(nv * 3);
        const result = b.kernels.invert3d(inv, d, shape, null, [1, 1, 1], 20, 1e-4, new Float32Array(nv * 3));
        const warped = new Float32Array(nv);
        b.kernels.warp3d(warped, shape, img, shape, inv, shape, null, null, null);
        parentPort.postMessage({ threads: b.threads, result, inv: Float32Array.from(inv), warped });
        await b.dispose();
      })().catch((e) => parentPort.postMessage({ error: String(e && e.stack || e) }));`;
    const w = new Worker(code, { eval: true, workerData: { url: distIndex.href, d, img, shape } });
    const msg = await new Promise<{ error?: string; threads: number; result: unknown; inv: Float32Array; warped: Float32Array }>(
      (resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
    await w.terminate();
    expect(msg.error).toBeUndefined();
    expect(msg.threads).toBe(2);
    const nv = shape[0] * shape[1] * shape[2];
    const inv = new Float32Array(nv * 3);
    expect(msg.result).toEqual(tsKernels.invert3d(inv, d, shape, null, [1, 1, 1], 20, 1e-4, new Float32Array(nv * 3)));
    const warped = new Float32Array(nv);
    tsKernels.warp3d(warped, shape, img, shape, inv, shape, null, null, null);
    expectBits(msg.inv, inv, 'invert3d in a Worker');
    expectBits(msg.warped, warped, 'warp3d in a Worker');
  });
});
