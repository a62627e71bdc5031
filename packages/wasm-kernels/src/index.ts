/**
 * @diffeo/wasm-kernels — a WebAssembly (AssemblyScript, SIMD) backend for the
 * diffeo kernel registry. Its kernels give the same bits as the TypeScript
 * kernels of `@diffeo/core` (same double arithmetic, float32 rounding at the
 * same points, same loop and corner order), only faster; the kernels it does
 * not implement fall back to TypeScript automatically.
 *
 * Nothing registers on import:
 * ```ts
 * import { createContext } from '@diffeo/core';
 * import { wasmBackend } from '@diffeo/wasm-kernels';
 * const context = createContext().use(await wasmBackend());
 * ```
 */
import type { Backend } from '@diffeo/core';
import { WasmHeap } from './heap.js';
import { compileKernels, instantiateKernels } from './load.js';
import { makeKernels } from './kernels.js';

export { defaultWasmUrl } from './load.js';

/** Options of {@link wasmBackend}. */
export interface WasmBackendOptions {
  /**
   * Location of `kernels.wasm`. Default: `new URL('../dist/kernels.wasm', import.meta.url)`,
   * i.e. the file the package ships in `dist/`. A relative string is resolved against this
   * module's URL. `file:` URLs are read with `node:fs`, others fetched.
   */
  wasmUrl?: URL | string;
  /** The bytes of `kernels.wasm` (takes precedence over `wasmUrl`). */
  wasmBytes?: Uint8Array;
  /** Registry priority (default 10; the TypeScript fallback is −∞). */
  priority?: number;
}

/** A ready WebAssembly backend. */
export interface WasmBackend extends Backend {
  /** The backend's linear memory (grows on demand; inspect `buffer.byteLength` for its size). */
  readonly memory: WebAssembly.Memory;
}

/**
 * Compiles and instantiates the WebAssembly kernels and returns a backend for
 * `KernelContext.use`. Each call creates its own instance and memory (kernels of
 * one backend must not run concurrently; they are synchronous, so this only
 * matters across workers, which need their own backend).
 *
 * @throws Error when the `.wasm` file cannot be read or fetched (the message says how to fix it).
 */
export async function wasmBackend(options: WasmBackendOptions = {}): Promise<WasmBackend> {
  const module = await compileKernels({ wasmUrl: options.wasmUrl, wasmBytes: options.wasmBytes });
  const { exports, memory } = await instantiateKernels(module, 2);
  const heap = new WasmHeap(memory, exports.heapBase());
  return {
    name: 'wasm',
    priority: options.priority ?? 10,
    kernels: makeKernels(exports, heap),
    memory,
  };
}
