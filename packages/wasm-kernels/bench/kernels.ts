/**
 * Side-by-side timing of the WebAssembly and TypeScript kernels at 96³ (not a test).
 * Run from the repository root:
 *   node --conditions=@diffeo/source --import tsx packages/wasm-kernels/bench/kernels.ts [n]
 */
import { tsKernels, type Kernels, type Shape3D } from '@diffeo/core';
import { wasmBackend } from '@diffeo/wasm-kernels';

const n = Number(process.argv[2] ?? 96);
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

const wasm = (await wasmBackend()).kernels;
const factors = new Float32Array(nv * 5);
tsKernels.ccFactors3d(factors, img, img2, shape, 4);
const cases: [string, (k: Kernels) => void][] = [
  ['invert3d (20 it max)', (k) => { const inv = new Float32Array(nv * 3); k.invert3d(inv, field, shape, W, [sp, sp, sp], 20, 1e-3, new Float32Array(nv * 3)); }],
  ['compose3d', (k) => { const out = new Float32Array(nv * 3); k.compose3d(out, field, shape, field2, shape, null, W, 0.25); }],
  ['warp3d', (k) => { const out = new Float32Array(nv); k.warp3d(out, shape, img, shape, field, shape, W, W, W); }],
  ['ccFactors3d (r=4)', (k) => { const out = new Float32Array(nv * 5); k.ccFactors3d(out, img, img2, shape, 4); }],
  ['gaussianFilter (σ=2, 3 comp)', (k) => { const out = new Float32Array(nv * 3); k.gaussianFilter(out, field, shape, 3, [2, 2, 2]); }],
  ['numpyGradient', (k) => { const out = new Float32Array(nv * 3); k.numpyGradient(out, img, shape); }],
  ['ccForwardStep3d (r=4)', (k) => { const out = new Float32Array(nv * 3); k.ccForwardStep3d(out, field, factors, shape, 4); }],
  ['resampleField3d (½ → 1)', (k) => { const h = n >> 1; const out = new Float32Array(nv * 3); k.resampleField3d(out, shape, field.subarray(0, h * h * h * 3), [h, h, h], [0.5, 0.5, 0.5]); }],
];
console.log(`kernel timings at ${n}³ (best of 7 after a warm-up, ms; includes copying in and out of wasm memory)`);
console.log('kernel'.padEnd(30), 'ts'.padStart(9), 'wasm'.padStart(9), 'speed-up'.padStart(9));
for (const [label, run] of cases) {
  const name = label.split(' ')[0] as keyof Kernels;
  const ts = time(tsKernels, run);
  const w = name in wasm ? time(wasm, run) : NaN;
  console.log(label.padEnd(30), ts.toFixed(1).padStart(9), w.toFixed(1).padStart(9), (ts / w).toFixed(2).padStart(9));
}
