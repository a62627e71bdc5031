/**
 * The conformance kit of `@diffeo/conformance` on the WebAssembly backend, bit
 * for bit against the TypeScript kernels, including its stress tier (odd sizes,
 * borders, NaN/±Infinity, extreme spacings, in place, slab streaming, arena
 * reuse), on several configurations: the default one; 2 and 3 threads with every
 * call split between the threads (volumes with fewer slices than threads
 * included), once with the calling thread computing only the first chunk (so the
 * sums of the workers' chunks are added afterwards); and with every array
 * argument living in the backend's memory (`allocFloat32`, used in place instead
 * of copied), on 3 threads and on 1.
 */
import { describeBackend } from '@diffeo/conformance';
import { wasmBackend, type WasmBackendOptions } from '@diffeo/wasm-kernels';

const configs: [string, WasmBackendOptions, boolean][] = [
  ['wasm', {}, false],
  ['wasm, 2 threads, every call split', { threads: 2, minParallelWork: 0 }, false],
  ['wasm, 3 threads, every call split, arguments in wasm memory (zero-copy)', { threads: 3, minParallelWork: 0 }, true],
  ['wasm, 3 threads, every call split, the caller computes only the first chunk', { threads: 3, minParallelWork: 0, callerChunks: 1 }, false],
  ['wasm, 1 thread, arguments in wasm memory (zero-copy)', { threads: 1 }, true],
];

for (const [label, options, zeroCopy] of configs) {
  describeBackend(label, () => wasmBackend(options), { tolerance: 0, zeroCopy });
}
