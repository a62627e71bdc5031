/**
 * Side-by-side timing of the WebAssembly and TypeScript kernels at 96³ (not a test):
 * TypeScript; wasm on 1 thread; wasm on the default number of threads (copying the
 * arrays in and out); the same with every array in the backend's memory
 * (`allocFloat32`, zero-copy). Run from the repository root:
 *   node --conditions=@diffeo/source --import tsx packages/wasm-kernels/bench/kernels.ts [n] [threads]
 */
import { tsKernels, type Kernels, type Shape3D } from '@diffeo/core';
import { wasmBackend } from '@diffeo/wasm-kernels';

const n = Number(process.argv[2] ?? 96);
const threadsArg = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
const shape: Shape3D = [n, n, n];
const nv = n * n * n;
let seed = 12345;
const rnd = (): number => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);

// A smooth field of a few voxels amplitude (world units, spacing 1.5) and a smooth image.
const sp = 1.5;
const W = new Float64Array([1 / sp, 0, 0, 0, 0, 1 / sp, 0, 0, 0, 0, 1 / sp, 0, 0, 0, 0, 1]);
const field = new Float32Array(nv * 3);
const field2 = new Float32Array(nv * 3);
const img = new Float32Array(nv);
const img2 = new Float32Array(nv);
for (let k = 0, v = 0; k < n; k++) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++, v++) {
  const a = k / n, b = i / n, c = j / n;
  field[3 * v] = 3 * sp * Math.sin(6 * b + 1) * Math.cos(5 * c);
  field[3 * v + 1] = 3 * sp * Math.sin(4 * a + 2) * Math.cos(7 * c);
  field[3 * v + 2] = 3 * sp * Math.cos(5 * a) * Math.sin(6 * b);
  field2[3 * v] = 0.7 * field[3 * v + 1]; field2[3 * v + 1] = 0.6 * field[3 * v + 2]; field2[3 * v + 2] = 0.8 * field[3 * v];
  img[v] = Math.sin(9 * a) * Math.cos(8 * b) + c * c + 0.05 * rnd();
  img2[v] = Math.sin(9 * a + 0.2) * Math.cos(8 * b) + c * c + 0.05 * rnd();
}

/** Best of `reps` wall times after a warm-up call (the minimum is the least disturbed by other load). */
function time(k: Partial<Kernels>, run: (k: Kernels) => void, reps = 7): number {
  run(k as Kernels); // warm-up (and WebAssembly tier-up)
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    run(k as Kernels);
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

const one = await wasmBackend({ threads: 1 });
const many = await wasmBackend(threadsArg === undefined ? {} : { threads: threadsArg });
const factors = new Float32Array(nv * 5);
tsKernels.ccFactors3d(factors, img, img2, shape, 4);

/** The arrays of one run: ordinary arrays, or views into a backend's memory (allocated once, reused). */
interface Arrays {
  field: Float32Array; field2: Float32Array; img: Float32Array; img2: Float32Array; factors: Float32Array;
  out1: Float32Array; out3: Float32Array; out5: Float32Array; inv: Float32Array; scratch: Float32Array;
}
function arrays(alloc: (n: number) => Float32Array): Arrays {
  const copy = (a: Float32Array): Float32Array => { const c = alloc(a.length); c.set(a); return c; };
  return {
    field: copy(field), field2: copy(field2), img: copy(img), img2: copy(img2), factors: copy(factors),
    out1: alloc(nv), out3: alloc(nv * 3), out5: alloc(nv * 5), inv: alloc(nv * 3), scratch: alloc(nv * 3),
  };
}
const plain = arrays((m) => new Float32Array(m));
const zc = many.allocFloat32 ? arrays((m) => many.allocFloat32!(m)) : null;

const h = n >> 1;
const cases: [string, (k: Kernels, a: Arrays) => void][] = [
  ['invert3d (20 it max)', (k, a) => { a.inv.fill(0); k.invert3d(a.inv, a.field, shape, W, [sp, sp, sp], 20, 1e-3, a.scratch); }],
  ['compose3d', (k, a) => { k.compose3d(a.out3, a.field, shape, a.field2, shape, null, W, 0.25); }],
  ['warp3d', (k, a) => { k.warp3d(a.out1, shape, a.img, shape, a.field, shape, W, W, W); }],
  ['ccFactors3d (r=4)', (k, a) => { k.ccFactors3d(a.out5, a.img, a.img2, shape, 4); }],
  ['gaussianFilter (σ=2, 3 comp)', (k, a) => { k.gaussianFilter(a.out3, a.field, shape, 3, [2, 2, 2]); }],
  ['numpyGradient', (k, a) => { k.numpyGradient(a.out3, a.img, shape); }],
  ['ccForwardStep3d (r=4)', (k, a) => { k.ccForwardStep3d(a.out3, a.field, a.factors, shape, 4); }],
  ['resampleField3d (½ → 1)', (k, a) => { k.resampleField3d(a.out3, shape, a.field.subarray(0, h * h * h * 3), [h, h, h], [0.5, 0.5, 0.5]); }],
];
console.log(`kernel timings at ${n}³ (best of 7 after a warm-up, ms); wasm×1: 1 thread; wasm×${many.threads}: ${many.threads} threads, `
  + 'arrays copied in and out; zero-copy: the same with every array from allocFloat32');
console.log('kernel'.padEnd(30), 'ts'.padStart(9), 'wasm×1'.padStart(9), `wasm×${many.threads}`.padStart(9), 'zero-copy'.padStart(9),
  'ts/wasm×1'.padStart(10), 'ts/zero-copy'.padStart(13));
for (const [label, run] of cases) {
  const ts = time(tsKernels, (k) => run(k, plain));
  const w1 = time(one.kernels, (k) => run(k, plain));
  const wn = time(many.kernels, (k) => run(k, plain));
  const wz = zc ? time(many.kernels, (k) => run(k, zc)) : NaN;
  console.log(label.padEnd(30), ts.toFixed(1).padStart(9), w1.toFixed(1).padStart(9), wn.toFixed(1).padStart(9), wz.toFixed(1).padStart(9),
    (ts / w1).toFixed(2).padStart(10), (ts / wz).toFixed(2).padStart(13));
}
many.dispose();
