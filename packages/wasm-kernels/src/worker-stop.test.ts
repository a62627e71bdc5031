/**
 * A worker thread that stops on its own in the middle of a kernel call: the call must
 * throw `WorkerThreadError` instead of leaving the calling thread in `Atomics.wait`,
 * and the backend must go on without its workers, with the same bits. The worker
 * really exits (`process.exit` inside it, from `test/stopping-worker.mjs`, a wrapper
 * of the built `dist/worker.js`: build first); the pool is the real one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { tsKernels, WorkerThreadError, type Kernels, type Shape2D } from '@diffeo/core';
import { mulberry32, smoothField, smoothImage } from '@diffeo/conformance';
import { wasmBackend } from '@diffeo/wasm-kernels';

const stoppingWorker = new URL('../test/stopping-worker.mjs', import.meta.url);

function expectBits(a: Float32Array, b: Float32Array, what: string): void {
  expect(a.length, what).toBe(b.length);
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length), y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  let bad = -1;
  for (let i = 0; i < x.length && bad < 0; i++) if (x[i] !== y[i]) bad = i;
  if (bad >= 0) expect.fail(`${what}: first difference at [${bad}]: ${a[bad]} vs ${b[bad]}`);
}

/** The error `f` throws (undefined when it returns). */
function thrown(f: () => void): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** A backend on 2 threads whose worker stops (or throws) in the middle of its first chunk of `kernel`. */
async function backendStoppingIn(kernel: string, how: 'exit' | 'throw' = 'exit') {
  process.env.DIFFEO_TEST_STOP_IN = kernel;
  process.env.DIFFEO_TEST_STOP_HOW = how;
  try {
    // callerChunks 1: the calling thread computes chunk 0 only, the worker takes the next one
    return await wasmBackend({ threads: 2, minParallelWork: 0, callerChunks: 1, workerUrl: stoppingWorker });
  } finally {
    delete process.env.DIFFEO_TEST_STOP_IN;
    delete process.env.DIFFEO_TEST_STOP_HOW;
  }
}

describe('a worker thread that stops in the middle of a call', () => {
  afterEach(() => {
    delete process.env.DIFFEO_TEST_STOP_IN;
    delete process.env.DIFFEO_TEST_STOP_HOW;
  });

  const shape: Shape2D = [48, 40];
  const nv = shape[0] * shape[1];
  const r = mulberry32(17);
  const field = smoothField(r, shape, 2);
  const image = smoothImage(r, shape);

  it('warp2d: the call throws WorkerThreadError; the next calls run on the calling thread, same bits', async () => {
    const b = await backendStoppingIn('warp2d');
    expect(b.threads).toBe(2);
    const k = b.kernels as Kernels;
    const out = new Float32Array(nv);
    const err = thrown(() => k.warp2d(out, shape, image, shape, field, shape, null, null, null));
    expect(err).toBeInstanceOf(WorkerThreadError);
    const w = err as WorkerThreadError;
    expect(w.code).toBe('WORKER_FAILED');
    expect(w.kernel).toBe('warp2d');
    expect(w.workerStopped).toBe(true);
    expect(w.message).toMatch(/stopped in the middle of warp2d.*run the call .* again/);
    expect(b.threads).toBe(1);
    const ref = new Float32Array(nv);
    tsKernels.warp2d(ref, shape, image, shape, field, shape, null, null, null);
    k.warp2d(out, shape, image, shape, field, shape, null, null, null);
    expectBits(out, ref, 'warp2d after the worker stopped');
    await b.dispose();
  });

  it('a reduction (invert2d: each pass sums its chunks in order) throws too, and works afterwards', async () => {
    const b = await backendStoppingIn('invertPass2d');
    const k = b.kernels as Kernels;
    const inv = new Float32Array(nv * 2);
    expect(() => k.invert2d(inv, field, shape, null, [1, 1], 10, 1e-3, new Float32Array(nv * 2))).toThrow(WorkerThreadError);
    expect(b.threads).toBe(1);
    const want = new Float32Array(nv * 2);
    const res = tsKernels.invert2d(want, field, shape, null, [1, 1], 10, 1e-3, new Float32Array(nv * 2));
    inv.fill(0);
    expect(k.invert2d(inv, field, shape, null, [1, 1], 10, 1e-3, new Float32Array(nv * 2))).toEqual(res);
    expectBits(inv, want, 'invert2d after the worker stopped');
    await b.dispose();
  });

  it('a kernel that throws in a worker: WorkerThreadError (workerStopped false), the workers stay', async () => {
    const b = await backendStoppingIn('warp2d', 'throw');
    const k = b.kernels as Kernels;
    const out = new Float32Array(nv);
    const err = thrown(() => k.warp2d(out, shape, image, shape, field, shape, null, null, null));
    expect(err).toBeInstanceOf(WorkerThreadError);
    expect((err as WorkerThreadError).workerStopped).toBe(false);
    expect((err as WorkerThreadError).message).toMatch(/warp2d failed in a worker thread/);
    expect(b.threads).toBe(2);
    await b.dispose();
  });
});
